"""Speed of the estimators: one point estimate, and 10^6 Monte Carlo samples.

Prints medians of repeated runs. Targets: a point estimate under 1 ms; 10^6
samples of an inference estimate under 0.5 s on 2 cores.

    python benchmarks/bench_estimates.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def _median_s(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from wattlens import estimate

    common = {"model": "llama-3.1-70b", "output_tokens": 400, "input_tokens": 1000,
              "accelerator": "H100 SXM", "batch": 64}  # fmt: skip
    estimate.inference(samples=1, **common)  # warm the catalog and imports once
    estimate.training(accelerator="H100 SXM", params=7e10, tokens=1.5e13, samples=1)

    rows = [
        ("inference point estimate", lambda: estimate.inference(samples=1, **common), 1e-3),
        ("training point estimate",
         lambda: estimate.training(accelerator="H100 SXM", params=7e10, tokens=1.5e13, samples=1),
         1e-3),
        ("inference, 10^6 samples", lambda: estimate.inference(samples=1_000_000, **common), 0.5),
        ("training, 10^6 samples",
         lambda: estimate.training(accelerator="H100 SXM", params=7e10, tokens=1.5e13,
                                   samples=1_000_000), 0.5),
    ]  # fmt: skip
    print(f"machine: {os.cpu_count()} CPUs; median of {args.repeat} runs")
    for label, fn, target in rows:
        seconds = _median_s(fn, args.repeat)
        verdict = "ok" if seconds < target else "over target"
        print(f"  {label:28} {seconds * 1e3:9.3f} ms   target < {target * 1e3:g} ms   {verdict}")


if __name__ == "__main__":
    main()
