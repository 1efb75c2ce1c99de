"""How long does a Prometheus scrape of ``wattlens exporter`` take on an 8-GPU node?

The exporter's meter reads eight fake GPUs through the real NVML sensor
(``tests/fakes/fake_pynvml.py``: 64-bit counters, as on a real node; the driver
calls cost nothing here, which isolates wattlens's own cost). Each run builds
a fresh exporter, records ``--windows`` measurement windows (default 1 000,
one per "training step") and reads the meter once per window, then times
``--scrapes`` scrapes of its ``/metrics`` over HTTP (a real socket, as
Prometheus scrapes it) and of the exposition rendered in-process. Three cases:

* ``no windows``: the per-device series only;
* ``1 name``: 1 000 windows of one name (``step``);
* ``1000 names``: 1 000 windows of distinct names; the exporter keeps
  ``max_windows`` (32) label values and sums the rest under ``other``.

A scrape never reads a sensor: its cost depends on the number of series, not
on how many windows were recorded. Printed are medians over ``--runs`` runs of
each run's median scrape, and the cost of one window (begin, end, record) and
of one meter read (``update``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_exporter.py
    .venv/bin/python benchmarks/bench_exporter.py --runs 7 --scrapes 200
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPUS = 8
CASES = ("no windows", "1 name", "1000 names")


def one_run(case: str, windows: int, scrapes: int) -> dict[str, float]:
    from prometheus_client import generate_latest
    from tests.fakes.fake_pynvml import FakeGpu, FakeNvml

    from wattlens.exporter import Exporter
    from wattlens.meter import Meter
    from wattlens.sensors.nvml import NvmlSensor

    gpus = [FakeGpu(uuid=f"GPU-{i:08x}", energy_mj=0) for i in range(GPUS)]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={})
    meter = Meter(sensors=[sensor])
    meter.track_pids(set)  # as `wattlens exporter` does: whole devices, no process share
    exporter = Exporter(meter, host_label="bench-node")
    server = exporter.serve("127.0.0.1", 0)
    window_s: list[float] = []
    update_s: list[float] = []
    count = 0 if case == "no windows" else windows
    for i in range(count):
        name = "step" if case == "1 name" else f"step-{i}"
        t0 = time.perf_counter()
        with exporter.window(name):
            for gpu in gpus:
                assert gpu.energy_mj is not None
                gpu.energy_mj += 350  # 350 mJ per step and GPU
        t1 = time.perf_counter()
        exporter.update()
        t2 = time.perf_counter()
        window_s.append(t1 - t0)
        update_s.append(t2 - t1)
    exporter.update()
    body = b""
    http_s: list[float] = []
    render_s: list[float] = []
    for _ in range(scrapes):
        t0 = time.perf_counter()
        with urllib.request.urlopen(server.url, timeout=10) as response:
            body = response.read()
        t1 = time.perf_counter()
        generate_latest(exporter.registry)
        t2 = time.perf_counter()
        http_s.append(t1 - t0)
        render_s.append(t2 - t1)
    series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))
    exporter.close()
    meter.close()
    sensor.close()
    return {
        "http_ms": statistics.median(http_s) * 1e3,
        "render_ms": statistics.median(render_s) * 1e3,
        "series": float(series),
        "bytes": float(len(body)),
        "window_us": statistics.median(window_s) * 1e6 if window_s else float("nan"),
        "update_us": statistics.median(update_s) * 1e6 if update_s else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=1_000)
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {case: [] for case in CASES}
    for _ in range(args.runs):
        for case in CASES:  # interleaved: drift hits every case alike
            results[case].append(one_run(case, args.windows, args.scrapes))
    print(
        f"exporter over {GPUS} fake NVML GPUs, {args.windows} windows, "
        f"{args.scrapes} scrapes per run, median of {args.runs} runs"
    )
    rows = [
        ("scrape over HTTP", "http_ms", "ms", 2),
        ("exposition rendered in-process", "render_ms", "ms", 2),
        ("series exposed", "series", "", 0),
        ("exposition size", "bytes", "B", 0),
        ("one window (begin, end, record)", "window_us", "µs", 0),
        ("one meter read (update)", "update_us", "µs", 0),
    ]
    print(f"{'':34}" + "".join(f"{case:>14}" for case in CASES))
    for title, key, unit, digits in rows:
        cells = ""
        for case in CASES:
            value = statistics.median(r[key] for r in results[case])
            text = "n/a" if math.isnan(value) else f"{value:.{digits}f} {unit}".rstrip()
            cells += f"{text:>14}"
        print(f"{title:34}{cells}")


if __name__ == "__main__":
    sys.path.insert(0, os.fspath(ROOT))
    main()
