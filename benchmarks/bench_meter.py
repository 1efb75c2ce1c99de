"""What the meter costs: import, one window, and the background reads, before/after side by side.

Compares the working tree ("after") with a committed version ("before", default
``HEAD``), in one run: the committed version is checked out into a temporary
``git worktree`` and each measurement runs in a fresh Python process whose
``PYTHONPATH`` points at one version's ``src``. Rounds alternate between the
two versions so drift in the machine's speed hits both alike. Printed are
medians over ``--runs`` rounds of:

* ``import wattlens``: wall time, in a fresh process;
* one window, ``Meter.begin`` + ``Meter.end``: median wall time per window over
  ``--windows`` back-to-back windows, with the sensors given explicitly:
  a RAPL counter (a powercap tree in a temporary directory, with a package
  and a DRAM zone), the utilisation model (this machine's /proc), and the model
  while this process has a live child (the live process tree is scanned);
* background CPU while one window stays open ``--reader-s`` seconds and the
  main thread sleeps: process CPU time per second of wall time, i.e. what the
  cadence reader costs (goal: under 1 ms per second). At the sensors' own
  cadence (RAPL + model; the model while a live child makes each read list
  the process tree), and with the RAPL cadence forced to 0.1 s to show the
  cost of one read.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_meter.py                 # 5 rounds, ~2 minutes
    .venv/bin/python benchmarks/bench_meter.py --runs 3 --reader-s 3
    .venv/bin/python benchmarks/bench_meter.py --before 11d7ac3

This file imports only the standard library at module level: it is also the
child program (``--child``), run with either version on its path.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MARK = "BENCH_METER "

# ---------------------------------------------------------------------------
# Child side: runs in a fresh interpreter with one version of wattlens on its path.
# ---------------------------------------------------------------------------


def _powercap_tree(root: Path) -> Path:
    """A package zone and its DRAM subzone, laid out as the kernel does."""
    (root / "intel-rapl").mkdir(parents=True, exist_ok=True)
    for path, name, top in (
        (root / "intel-rapl:0", "package-0", 262_143_328_850),
        (root / "intel-rapl:0" / "intel-rapl:0:0", "dram", 65_532_610_987),
    ):
        path.mkdir(parents=True, exist_ok=True)
        (path / "name").write_text(name + "\n")
        (path / "energy_uj").write_text("123456789\n")
        (path / "max_energy_range_uj").write_text(f"{top}\n")
    return root


def _sensors(kind: str, tmp: Path) -> list[Any]:
    from wattlens.sensors.model import ModelSensor
    from wattlens.sensors.rapl import RaplSensor

    sensors: list[Any] = []
    if "rapl" in kind:
        sensors.append(RaplSensor(_powercap_tree(tmp / "powercap")))
    if "model" in kind:
        sensors.append(ModelSensor())
    return sensors


def child(mode: str, kind: str, windows: int, reader_s: float) -> dict[str, Any]:
    if mode == "import":
        t0 = time.perf_counter()
        import wattlens

        return {"value": (time.perf_counter() - t0) * 1e3, "file": wattlens.__file__}
    import wattlens
    from wattlens.meter import Meter

    with tempfile.TemporaryDirectory() as tmp:
        sensors = _sensors(kind, Path(tmp))
        kid = subprocess.Popen(["sleep", "60"]) if "child" in kind else None
        try:
            meter = Meter(sensors)
            if mode == "window":
                meter.begin("warm")
                meter.end("warm")
                times = []
                for i in range(windows):
                    t0 = time.perf_counter()
                    meter.begin(f"w{i}")
                    meter.end(f"w{i}")
                    times.append(time.perf_counter() - t0)
                meter.close()
                return {"value": statistics.median(times) * 1e6, "file": wattlens.__file__}
            if "fast" in kind:  # the cost of one read, made visible
                sensors[0].max_read_interval_s = 0.1
                meter = Meter(sensors)
            meter.begin("open")
            cpu0, wall0 = time.process_time(), time.perf_counter()
            time.sleep(reader_s)
            cpu1, wall1 = time.process_time(), time.perf_counter()
            meter.end("open")
            meter.close()
            return {"value": (cpu1 - cpu0) / (wall1 - wall0) * 1e3, "file": wattlens.__file__}
        finally:
            if kid is not None:
                kid.kill()
                kid.wait()


# ---------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------

CASES: list[tuple[str, str, str, str]] = [
    # (label, mode, sensors, unit)
    ("import wattlens", "import", "", "ms"),
    ("window begin+end, RAPL", "window", "rapl", "µs"),
    ("window begin+end, model", "window", "model", "µs"),
    ("window begin+end, model, 1 live child", "window", "model+child", "µs"),
    ("background CPU, RAPL+model, own cadence", "reader", "rapl+model", "ms/s"),
    ("background CPU, model, 1 live child", "reader", "model+child", "ms/s"),
    ("background CPU, RAPL read every 0.1 s", "reader", "rapl+fast", "ms/s"),
]


def _run_child(src: Path, case: tuple[str, str, str, str], args: argparse.Namespace) -> float:
    _, mode, kind, _ = case
    env = {**os.environ, "PYTHONPATH": str(src), "XDG_CACHE_HOME": args.cache}
    cmd = [sys.executable, __file__, "--child", mode, "--kind", kind]
    cmd += ["--windows", str(args.windows), "--reader-s", str(args.reader_s)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
    line = next((x for x in out.stdout.splitlines() if x.startswith(MARK)), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"child failed ({src}, {case[0]}):\n{out.stderr}")
    data = json.loads(line[len(MARK) :])
    if not str(data["file"]).startswith(str(src)):
        raise SystemExit(f"child imported {data['file']}, not the version under {src}")
    return float(data["value"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", default="HEAD", help="git revision to compare with")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--windows", type=int, default=300, help="windows per window run")
    parser.add_argument("--reader-s", type=float, default=6.0, help="seconds a window stays open")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args.kind, args.windows, args.reader_s)
        print(MARK + json.dumps(result), flush=True)
        return

    work = Path(tempfile.mkdtemp(prefix="wattlens-bench-"))
    before = work / "before"
    args.cache = str(work / "cache")
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(before), args.before],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    try:
        sources = {"before": before / "src", "after": ROOT / "src"}
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for case in CASES:
                for version, src in sources.items():
                    value = _run_child(src, case, args)
                    results.setdefault((case[0], version), []).append(value)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=ROOT, check=False)
        shutil.rmtree(work, ignore_errors=True)

    revision = subprocess.run(
        ["git", "rev-parse", "--short", args.before],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(
        f"wattlens meter: medians of {args.runs} runs (before = {revision}, after = working tree)"
    )
    print(f"{'measure':<44} {'unit':>5} {'before':>10} {'after':>10}")
    for label, _, _, unit in CASES:
        b = statistics.median(results[(label, "before")])
        a = statistics.median(results[(label, "after")])
        print(f"{label:<44} {unit:>5} {b:>10.3g} {a:>10.3g}")


if __name__ == "__main__":
    main()
