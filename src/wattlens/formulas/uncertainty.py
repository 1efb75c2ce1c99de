"""Uncertain inputs, seeded Monte Carlo and a sensitivity ranking.

Every uncertain input of a model is an :class:`Uncertain` (a range with a
shape and a documented basis) or a plain float. :func:`sample` draws all of
them at once (vectorised, seeded: the same inputs give the same outputs);
:func:`summarise` gives p5/p50/p95 and the mean; :func:`sensitivity` ranks
inputs by how much of the output's spread they explain (squared Spearman
rank correlation, normalised to sum to 1), which is enough to say "the
model-FLOP utilisation drives this range".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

from wattlens.percentiles import summary

Shape = Literal["uniform", "loguniform", "triangular"]
DEFAULT_SAMPLES = 20_000
DEFAULT_SEED = 20240420


@dataclass(frozen=True)
class Uncertain:
    """A range for an input, with its shape and why it is what it is.

    ``uniform``: every value in [low, high] equally likely; ``loguniform``: every
    factor equally likely (for quantities known to within a factor);
    ``triangular``: most likely at ``mode``.
    """

    low: float
    high: float
    shape: Shape = "uniform"
    mode: float | None = None
    basis: str = ""

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"range low {self.low} is above high {self.high}")
        if self.shape == "loguniform" and self.low <= 0:
            raise ValueError("a log-uniform range needs a positive low end")
        if self.shape == "triangular" and (
            self.mode is None or not self.low <= self.mode <= self.high
        ):
            raise ValueError("a triangular range needs a mode between low and high")

    @property
    def central(self) -> float:
        """The value a point estimate uses: mode, geometric or arithmetic middle."""
        if self.shape == "triangular" and self.mode is not None:
            return self.mode
        if self.shape == "loguniform":
            return float((self.low * self.high) ** 0.5)
        return (self.low + self.high) / 2

    def describe(self, unit: str = "") -> str:
        if self.low == self.high:
            return f"{self.low:.3g}{unit}"
        middle = f", mode {self.mode:.3g}" if self.shape == "triangular" else ""
        return f"{self.low:.3g}-{self.high:.3g}{unit} ({self.shape}{middle})"


Input = float | Uncertain


def central(value: Input) -> float:
    """The point value of an input."""
    return value.central if isinstance(value, Uncertain) else float(value)


def sample(
    inputs: Mapping[str, Input],
    n: int,
    seed: int = DEFAULT_SEED,
    *,
    skip: Collection[str] = (),
) -> dict[str, Array]:
    """Draw ``n`` samples of every input (independent), seeded.

    ``n == 1`` is the point estimate: every input at its central value. Inputs
    named in ``skip`` are left out, and the generator steps past their draws, so
    every other input gets the very draws it gets without ``skip``.
    """
    import numpy as np

    kept = [name for name in inputs if name not in skip]
    if n == 1:  # no generator: the point estimate draws nothing
        centres = np.array([central(inputs[name]) for name in kept], dtype=np.float64)
        return {name: centres[i : i + 1] for i, name in enumerate(kept)}
    out: dict[str, Array] = {}
    for future in _draw_stream(seed, inputs, n, skip=skip, out=out, where=slice(None)):
        future.result()
    return {name: out[name] for name in kept}  # in the inputs' order, whoever drew first


#: Inputs of at least this many samples are drawn on several threads: NumPy's
#: generators let go of the interpreter while they fill an array. Each input's draws
#: start where the previous input's end (its generator is advanced there), so the
#: numbers are the very ones one generator gives drawing the inputs in turn.
_THREADED_FROM = 100_000
_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor | None:
    """The draw threads (two to four), or None on a single core."""
    global _executor  # noqa: PLW0603 - one lazily started pool per process
    cores = os.cpu_count() or 1
    if cores < 2:
        return None
    with _executor_lock:
        if _executor is None:
            from concurrent.futures import ThreadPoolExecutor

            _executor = ThreadPoolExecutor(min(cores, 4), thread_name_prefix="wattlens-draw")
        return _executor


def _forget_workers() -> None:
    global _executor  # noqa: PLW0603
    _executor = None  # a forked child has none of its parent's threads


os.register_at_fork(after_in_child=_forget_workers)


def _draw_stream(
    seed: int,
    inputs: Mapping[str, Input],
    count: int,
    *,
    skip: Collection[str],
    out: dict[str, Array],
    where: slice,
) -> list[Future[None]]:
    """Draw ``count`` samples of each input in turn from one generator seeded ``seed``.

    Each input not in ``skip`` lands in ``out[name][where]`` where ``out`` has it,
    else becomes ``out[name]``. Large draws run on the worker threads: the futures
    returned finish them (an empty list where everything is drawn already).
    """
    import numpy as np

    pool = _workers() if count >= _THREADED_FROM else None
    if pool is None:
        rng = np.random.default_rng(seed)
        for name, value in inputs.items():
            if name in skip:
                _step_past(rng, value, count)
            else:
                _store(out, name, where, _draw(rng, value, count))
        return []

    def draw(name: str, value: Input, offset: int) -> None:
        bits = np.random.PCG64(seed)  # default_rng(seed)'s generator, ...
        bits.advance(offset)  # ... moved past the inputs before this one
        _store(out, name, where, _draw(np.random.Generator(bits), value, count))

    futures = []
    offset = 0
    for name, value in inputs.items():
        drawn = isinstance(value, Uncertain) and value.low != value.high
        if name not in skip:
            if drawn:
                futures.append(pool.submit(draw, name, value, offset))
            else:
                _store(out, name, where, np.full(1, central(value)))  # draws nothing
        offset += count if drawn else 0
    return futures


def _store(out: dict[str, Array], name: str, where: slice, drawn: Array) -> None:
    if name in out and where != slice(None):
        out[name][where] = drawn[: out[name][where].size]
    else:
        out[name] = drawn


def _step_past(rng: np.random.Generator, value: Input, n: int) -> None:
    """Advance ``rng`` as :func:`_draw` of ``n`` samples would (one 64-bit output each)."""
    from numpy.random import PCG64

    if isinstance(value, Uncertain) and value.low != value.high:
        generator = rng.bit_generator
        assert isinstance(generator, PCG64)
        generator.advance(n)


def _draw(rng: np.random.Generator, value: Input, n: int) -> Array:
    """``n`` draws of one input (NumPy's own routines: one uniform double per sample).

    A fixed value is one sample (shape ``(1,)``), which NumPy broadcasts against the
    drawn ones: the same numbers as ``n`` copies, and whatever is computed from fixed
    values alone is computed once rather than ``n`` times.
    """
    import numpy as np

    if not isinstance(value, Uncertain) or value.low == value.high:
        return np.full(1, central(value))
    if value.shape == "uniform":
        return rng.uniform(value.low, value.high, n)
    if value.shape == "loguniform":
        drawn = rng.uniform(np.log(value.low), np.log(value.high), n)
        return np.exp(drawn, out=drawn)
    assert value.mode is not None
    return rng.triangular(value.low, value.mode, value.high, n)


def summarise(values: Array) -> dict[str, float]:
    """p5, p50, p95 and mean of a sample."""
    p5, p50, p95, mean = summary(values)
    return {"p5": p5, "p50": p50, "p95": p95, "mean": mean}


def sensitivity(samples: Mapping[str, Array], output: Array) -> list[tuple[str, float]]:
    """Inputs ranked by their share of the output's spread (squared rank correlation)."""
    import numpy as np

    def ranks(x: Array) -> Array:
        # Distinct values have one order, which the fast sort finds; ties keep the
        # stable order (discrete inputs such as the serving stack's index).
        order = np.argsort(x)
        ordered = x[order]
        if np.isnan(ordered[-1]) or (ordered[1:] == ordered[:-1]).any():
            order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        return r

    # A strided subsample ranks inputs just as well and keeps 10^6-sample runs fast (a
    # stride, not a prefix: mixture draws come in blocks, one per component).
    limit = 20_000
    if len(output) < 3:
        return []
    stride = max(1, len(output) // limit)
    output = output[::stride][:limit]
    out_rank = ranks(output)
    scores: dict[str, float] = {}
    for name, drawn in samples.items():
        values = drawn[::stride][:limit]
        if np.ptp(values) == 0:
            continue
        rho = float(np.corrcoef(ranks(values), out_rank)[0, 1])
        scores[name] = rho * rho
    total = sum(scores.values()) or 1.0
    return sorted(((k, v / total) for k, v in scores.items()), key=lambda kv: -kv[1])


def sample_mixture(
    components: Sequence[Mapping[str, Input]],
    weights: Sequence[float],
    n: int,
    seed: int = DEFAULT_SEED,
    *,
    skip: Collection[str] = (),
) -> tuple[dict[str, Array], Array]:
    """Draw ``n`` samples from a mixture: each sample picks a component by weight.

    Every component sets the same inputs. Returns the draws and each sample's
    component index. ``n == 1`` is the point estimate: the heaviest component's
    central values. ``skip``: inputs not needed, as in :func:`sample`.
    """
    import numpy as np

    names = [name for name in components[0] if name not in skip]
    if any(component.keys() != components[0].keys() for component in components):
        raise ValueError("every component of a mixture sets the same inputs")
    if len(components) == 1:
        return sample(components[0], n, seed, skip=skip), np.zeros(n)
    if n == 1:
        heaviest = max(range(len(weights)), key=weights.__getitem__)  # the first, on a tie
        return sample(components[heaviest], 1, seed, skip=skip), np.array([float(heaviest)])
    rng = np.random.default_rng(seed)
    p = np.asarray(weights, dtype=float)
    counts = rng.multinomial(n, p / p.sum())
    # Contiguous blocks, one per component: every other input is drawn independently of
    # position, so block order biases nothing (sensitivity() subsamples with a stride).
    # Each block is copied straight into its slice of the output.
    out = {name: np.empty(n) for name in names}
    which = np.empty(n)
    start = 0
    pending: list[Future[None]] = []
    for index, component in enumerate(components):
        count = int(counts[index])
        if not count:
            continue
        # A block of one draws two and keeps one: the stream every seed always gave.
        pending += _draw_stream(int(rng.integers(2**62)), component, max(count, 2), skip=skip,
                                out=out, where=slice(start, start + count))  # fmt: skip
        which[start : start + count] = index
        start += count
    for future in pending:
        future.result()
    return out, which
