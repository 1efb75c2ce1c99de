"""Percentiles of Monte Carlo samples: p5, p50, p95 and the mean, fast.

A module of its own because both the range type (:mod:`wattlens.types`) and the
sampling (:mod:`wattlens.formulas.uncertainty`) need it, and the range type must
not import the models.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

#: The percentiles every summary reports.
PERCENTILES = (5.0, 50.0, 95.0)
#: Below this many samples a full sort is as fast as selecting the order statistics.
_SORT_BELOW = 4096


def summary(values: Array) -> tuple[float, float, float, float]:
    """p5, p50, p95 and mean of a sample; the percentiles are ``np.percentile``'s (linear).

    ``np.percentile`` partitions around eight ranks at once, which for 10^6
    samples takes longer than a sort; here each pair of neighbouring ranks
    costs one partition of the part that can hold it and one scan, three to
    four times faster, and the interpolation is NumPy's own arithmetic.
    """
    import numpy as np

    n = values.size
    if n == 1:
        v = float(values.reshape(-1)[0])
        return v, v, v, v
    mean = float(values.mean())
    if math.isnan(mean):  # a NaN anywhere: NumPy's answer (NaN throughout)
        return (*_numpy_percentiles(values), mean)
    q = np.true_divide(PERCENTILES, 100)
    virtual = (n - 1) * q
    below = np.floor(virtual).astype(np.intp)
    above = below + 1  # q < 1, so the rank above stays inside the sample
    if n < _SORT_BELOW:
        ordered = np.sort(values, axis=None)
        low, high = ordered[below], ordered[above]
    else:
        ranks = sorted({*below.tolist(), *above.tolist()})
        found = _order_statistics(_scratch_copy(values), ranks)
        low = np.array([found[k] for k in below.tolist()])
        high = np.array([found[k] for k in above.tolist()])
    # NumPy's _lerp: a + (b - a) t, or b - (b - a)(1 - t) from t = 0.5 on (monotone).
    gamma = virtual - below
    diff = high - low
    result = np.add(low, diff * gamma)
    np.subtract(high, diff * (1 - gamma), out=result, where=gamma >= 0.5)
    p5, p50, p95 = (float(v) for v in result)
    return p5, p50, p95, mean


#: Samples up to which :func:`_scratch_copy` keeps its buffer (8 bytes each) per thread.
_SCRATCH_MAX = 4_000_000
_scratch = threading.local()


def _scratch_copy(values: Array) -> Array:
    """A copy of ``values`` (flat, float64) in a buffer reused by this thread.

    Partitioning needs a copy of every summarised sample; a fresh 8 MB array per
    summary costs more in page faults than the copy itself.
    """
    import numpy as np

    n = values.size
    if n > _SCRATCH_MAX:
        return np.array(values, dtype=np.float64).reshape(-1)
    buffer: Array | None = getattr(_scratch, "buffer", None)
    if buffer is None or buffer.size < n:
        buffer = _scratch.buffer = np.empty(max(n, 1 << 16))
    work = buffer[:n]
    np.copyto(work, values.reshape(-1), casting="unsafe")
    return work


def _numpy_percentiles(values: Array) -> tuple[float, float, float]:
    import numpy as np

    p5, p50, p95 = np.percentile(values, PERCENTILES)
    return float(p5), float(p50), float(p95)


def _order_statistics(work: Array, ranks: list[int]) -> dict[int, float]:
    """The values at ``ranks`` (sorted, distinct) of ``work`` once sorted; reorders ``work``.

    Partitions around the middle rank, then each side for the ranks it holds; a
    rank next to one just placed is the extreme of its side (one scan, no
    partition).
    """
    import numpy as np

    found: dict[int, float] = {}
    todo: list[tuple[int, int, list[int]]] = [(0, work.size, ranks)]
    while todo:
        lo, hi, wanted = todo.pop()
        if not wanted:
            continue
        mid = wanted[len(wanted) // 2]
        work[lo:hi].partition(mid - lo)
        found[mid] = float(work[mid])
        left = [k for k in wanted if k < mid]
        right = [k for k in wanted if k > mid]
        left_end, right_start = mid, mid + 1
        if left and left[-1] == mid - 1:  # the largest of the lower side
            j = lo + int(np.argmax(work[lo:mid]))
            work[[j, mid - 1]] = work[[mid - 1, j]]
            found[mid - 1] = float(work[mid - 1])
            left.pop()
            left_end = mid - 1
        if right and right[0] == mid + 1:  # the smallest of the upper side
            j = mid + 1 + int(np.argmin(work[mid + 1 : hi]))
            work[[j, mid + 1]] = work[[mid + 1, j]]
            found[mid + 1] = float(work[mid + 1])
            right.pop(0)
            right_start = mid + 2
        todo.append((lo, left_end, left))
        todo.append((right_start, hi, right))
    return found
