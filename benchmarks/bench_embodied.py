"""Cost of the embodied-impacts field: footprint look-up and amortisation.

Prints medians of repeated runs, for one accelerator-hours value (a point estimate) and
for 10^4 and 10^6 Monte Carlo samples of accelerator-hours (what an estimate passes).
The field must stay a small share of the estimate budgets (point < 1 ms, 10^6 < 0.5 s).

    python benchmarks/bench_embodied.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import numpy as np

    from wattlens.catalog import get_catalog
    from wattlens.embodied import amortise, embodied, footprint

    catalog = get_catalog()
    embodied("H100 SXM", 1.0, catalog)  # warm the catalog, imports and the draw cache
    fp = footprint(["nvidia-h100-sxm"], catalog)
    rng = np.random.default_rng(0)
    hours = {n: rng.uniform(1e-5, 1e-4, n) for n in (10_000, 1_000_000)}
    rows: list[tuple[str, Callable[[], object]]] = [
        ("footprint look-up", lambda: footprint(["nvidia-h100-sxm"], catalog)),
        ("amortise, one value", lambda: amortise(fp, 1e-4)),
        ("amortise, 10^4 samples", lambda: amortise(fp, hours[10_000])),
        ("amortise, 10^6 samples", lambda: amortise(fp, hours[1_000_000])),
        (
            "carbon samples on demand, 10^6",
            lambda: amortise(fp, hours[1_000_000]).carbon_samples(),
        ),
    ]
    print(f"{'case':34} {'median':>12}  (repeat {args.repeat})")
    for label, fn in rows:
        median = _median_s(fn, args.repeat)
        print(f"{label:34} {median * 1e3:9.3f} ms")


if __name__ == "__main__":
    main()
