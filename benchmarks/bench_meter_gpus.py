"""What does a window per training step cost on an 8-GPU node? The meter over 8 fake GPUs.

The real NVML sensor (``wattlens.sensors.nvml.NvmlSensor``) reads eight fake
GPUs (``tests/fakes/fake_pynvml.py``: 64-bit counters, power, one compute
process each, ours), so that process attribution and its background sampler
run as on a real node; the driver calls themselves cost nothing here, which
isolates wattlens's own cost. Each run, in a fresh process:

* ``--windows`` windows back to back (default 10 000, one per "training
  step"), each one ``begin`` + 8 counters advanced + ``end``: wall time per
  window, and CPU used by threads other than the main one (the sampler) per
  second of wall time;
* one window left open for ``--idle-s`` seconds: background CPU per second
  while nothing else happens.

Printed are medians over ``--runs`` runs. With ``--before DIR`` (another
checkout of wattlens, e.g. ``git worktree add /tmp/wattlens-before HEAD``) the
same child runs against that tree too, rounds interleaved, side by side.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_meter_gpus.py
    .venv/bin/python benchmarks/bench_meter_gpus.py --before /tmp/wattlens-before --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GPUS = 8


def child(windows: int, idle_s: float) -> dict[str, float]:
    from tests.fakes.fake_pynvml import FakeGpu, FakeNvml

    from wattlens.meter import Meter
    from wattlens.sensors.nvml import NvmlSensor

    me = os.getpid()
    gpus = [FakeGpu(uuid=f"GPU-{i:08x}", energy_mj=0, pids=[me]) for i in range(GPUS)]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={})
    meter = Meter(sensors=[sensor])
    meter.track_pids(lambda: {me})

    meter.begin("warm-up")
    meter.end("warm-up")
    wall0, cpu0, main0 = time.perf_counter(), time.process_time(), time.thread_time()
    for i in range(windows):
        name = f"step-{i}"
        meter.begin(name)
        for gpu in gpus:
            assert gpu.energy_mj is not None
            gpu.energy_mj += 350  # 350 mJ per step and GPU
        meter.end(name)
    wall = time.perf_counter() - wall0
    background = (time.process_time() - cpu0) - (time.thread_time() - main0)

    meter.begin("idle")
    idle_wall0, idle_cpu0, idle_main0 = time.perf_counter(), time.process_time(), time.thread_time()
    time.sleep(idle_s)
    idle_wall = time.perf_counter() - idle_wall0
    idle_cpu = (time.process_time() - idle_cpu0) - (time.thread_time() - idle_main0)
    meter.end("idle")
    meter.close()
    sensor.close()
    return {
        "per_window_us": wall / windows * 1e6,
        "background_ms_per_s": background / wall * 1e3,
        "idle_background_ms_per_s": idle_cpu / idle_wall * 1e3,
    }


def run_child(tree: Path, windows: int, idle_s: float) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=f"{tree / 'src'}{os.pathsep}{tree}")
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(windows), str(idle_s)],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=10_000)
    parser.add_argument("--idle-s", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another wattlens checkout to compare")
    args = parser.parse_args()
    trees: dict[str, Path] = {"this tree": ROOT}
    if args.before is not None:
        trees = {"before": args.before.resolve(), "after": ROOT}
    results: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
    for _ in range(args.runs):
        for label, tree in trees.items():  # interleaved: drift hits both alike
            results[label].append(run_child(tree, args.windows, args.idle_s))
    print(
        f"meter over {GPUS} fake NVML GPUs, {args.windows} windows per run, "
        f"median of {args.runs} runs"
    )
    header = f"{'':34}" + "".join(f"{label:>14}" for label in trees)
    print(header)
    rows: list[tuple[str, str, str]] = [
        ("cost per window", "per_window_us", "µs"),
        ("background CPU during windows", "background_ms_per_s", "ms/s"),
        ("background CPU, one idle window", "idle_background_ms_per_s", "ms/s"),
    ]
    for title, key, unit in rows:
        cells = "".join(
            f"{statistics.median(r[key] for r in results[label]):>10.1f} {unit:<3}"
            for label in trees
        )
        print(f"{title:34}{cells}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.path.insert(0, os.getcwd())
        data: Any = child(int(sys.argv[2]), float(sys.argv[3]))
        print(json.dumps(data))
    else:
        main()
