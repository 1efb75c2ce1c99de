"""Speed of the estimators: one point estimate, and 10^6 Monte Carlo samples.

Prints medians of repeated runs. Targets: a point estimate under 1 ms; 10^6
samples of an estimate under 0.5 s on 2 cores. The verdict is on wall-clock
time; the CPU time of the process is printed beside it, since on a machine
shared with other work the wall-clock time also counts the waits for a core
(the load average is printed first).

    python benchmarks/bench_estimates.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable


def _median_s(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from wattlens import estimate

    def inference(samples: int) -> object:
        return estimate.inference(model="llama-3.1-70b", output_tokens=400, input_tokens=1000,
                                  accelerator="H100 SXM", batch=64, samples=samples)  # fmt: skip

    def training(samples: int) -> object:
        return estimate.training(accelerator="H100 SXM", params=7e10, tokens=1.5e13,
                                 samples=samples)  # fmt: skip

    inference(1)  # warm the catalog and imports once
    training(1)
    # A point estimate takes well under a millisecond: its median is taken over more calls.
    point_repeat = max(args.repeat, 101)
    rows = [
        ("inference point estimate", lambda: inference(1), 1e-3, point_repeat),
        ("training point estimate", lambda: training(1), 1e-3, point_repeat),
        ("inference, 10^6 samples", lambda: inference(1_000_000), 0.5, args.repeat),
        ("training, 10^6 samples", lambda: training(1_000_000), 0.5, args.repeat),
    ]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}; median of {args.repeat} runs "
          f"({point_repeat} for a point estimate)")  # fmt: skip
    for label, fn, target, repeat in rows:
        seconds, cpu = _median_s(fn, repeat)
        verdict = "ok" if seconds < target else "over target"
        print(f"  {label:28} {seconds * 1e3:9.3f} ms   target < {target * 1e3:g} ms   {verdict:11}"
              f"   (CPU {cpu * 1e3:.3f} ms)")  # fmt: skip


if __name__ == "__main__":
    main()
