"""Speed of the scenario engine: 10 years, 3 request classes, 10^5 samples, 6 levers.

Prints the median of 5 runs of ``wattlens scenario levers`` on such a scenario
(the baseline projection plus the six lever states, each re-estimated; a fresh
engine each run, so nothing is cached between runs), and of a plain
``scenario run``. Target: the levers waterfall under 2 s on 2 cores.

    python benchmarks/bench_scenario.py [--repeat 5] [--samples 100000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

SCENARIO = """
name: benchmark — three request classes, ten years, six levers
years: 10
samples: 100000
demand:
  requests_per_day: 50M..80M
  growth_per_year: 10%..40%
hardware:
  accelerator: H100 SXM
  batch: 64
requests:
  - name: chat
    share: 0.6
    model: llama-3.1-70b
    input_tokens: 200..2000
    output_tokens: 400
  - name: summarise
    share: 0.3
    model: llama-3.1-8b
    input_tokens: 2000..8000
    output_tokens: 300
  - name: code
    share: 0.1
    model: qwen3-30b-a3b
    input_tokens: 500..4000
    output_tokens: 200
location:
  - {name: us, share: 0.7}
  - {name: ie, share: 0.3}
pue: 1.1..1.4
price: 0.06..0.12 USD/kWh
levers:
  - {kind: hardware, accelerator: B200}
  - {kind: quantise, precision: fp8}
  - {kind: batch, batch: 128}
  - {kind: pue, pue: 1.1..1.15}
  - {kind: clean_energy, share: 0.5..0.8}
  - {kind: relocate, location: se}
"""


def _median_s(fn: Any, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    from wattlens.scenario import loads, run, waterfall

    loaded = loads(SCENARIO, "bench_scenario.yaml")
    waterfall(loaded, samples=1000)  # warm imports and the catalog once
    levers_s, levers_all = _median_s(lambda: waterfall(loaded, samples=args.samples), args.repeat)
    run_s, _ = _median_s(lambda: run(loaded, samples=args.samples), args.repeat)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    result = {
        "years": 10,
        "request_classes": 3,
        "levers": 6,
        "samples": args.samples,
        "cores": cores,
        "levers_median_s": levers_s,
        "levers_runs_s": levers_all,
        "run_median_s": run_s,
        "target_s": 2.0,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"scenario levers: 10 years, 3 classes, {args.samples:,} samples, 6 levers, "
          f"{cores} cores")  # fmt: skip
    verdict = "ok" if levers_s < 2.0 else "SLOWER than"
    print(f"  levers waterfall  median of {args.repeat}: {levers_s:.3f} s  ({verdict} 2 s target)")
    print(f"  run (projection)  median of {args.repeat}: {run_s:.3f} s")


if __name__ == "__main__":
    main()
