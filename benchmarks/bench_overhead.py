"""What does measuring cost? wattlens and CodeCarbon side by side, in one run.

Each tracked run happens in a FRESH Python process that imports the tool,
starts it, runs the same fixed-duration, CPU-bound, single-threaded
pure-Python workload (default 10 s), and stops it. The configurations are:

* ``control``        — no tracker at all (the baseline every figure is relative to);
* ``wattlens``       — ``wattlens.Meter().begin()/end()``, no power timeline;
* ``wattlens-10hz``  — the same with a 10 Hz power timeline
                       (``wattlens.Meter(timeline=True, interval_s=0.1)``);
* ``codecarbon``     — ``codecarbon.OfflineEmissionsTracker(country_iso_code="USA",
                       save_to_file=False, log_level="error")``, run by the
                       interpreter of a separate virtual environment
                       (``.venv-bench``): CodeCarbon is never a dependency of wattlens.

Rounds are interleaved (control, wattlens, …, then again) so drift in the
machine's speed hits every configuration alike. Printed are medians over
``--runs`` rounds of:

* fixed cost per tracked run: import, start and stop (wall time, measured in the child);
* ``import <package>`` alone, in a fresh process;
* background CPU while measuring: process CPU time in the workload window minus
  the control's, per second of wall time (% of one core); also the CPU of
  threads other than the main one and of child processes, and the work the
  workload got done relative to the control (a tracker holding the GIL slows it);
* extra peak memory: the child's ``ru_maxrss`` minus the control's;
* the energy (J) each tool reports for the workload, and how it got it;
* ``wattlens run -- python -c pass`` against bare ``python -c pass`` (wall time added).

Usage (from the repository root)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install codecarbon   # once
    .venv/bin/python benchmarks/bench_overhead.py            # ~4-5 minutes
    .venv/bin/python benchmarks/bench_overhead.py --quick    # ~1 minute

This file imports only the standard library at module level: it is also the
child program (``--child``), run by each tool's own interpreter.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / ".venv-bench"
DEFAULT_WATTLENS_PYTHON = ROOT / ".venv" / "bin" / "python"
TIMELINE_INTERVAL_S = 0.1
RESULT_MARK = "BENCH_RESULT "
CONFIGS = ("control", "wattlens", "wattlens-10hz", "codecarbon")
JOULES_PER_KWH = 3.6e6


# ---------------------------------------------------------------------------
# Child side: runs inside a fresh interpreter, stdlib only until the tool import.
# ---------------------------------------------------------------------------


def workload(seconds: float) -> int:
    """Busy pure-Python arithmetic for ``seconds`` of wall time; returns work units done."""
    deadline = time.perf_counter() + seconds
    units = 0
    acc = 1
    while True:
        for _ in range(2_000):
            acc = (acc * 1_103_515_245 + 12_345) & 0x7FFF_FFFF
        units += 1
        if time.perf_counter() >= deadline:
            return units


def _cpu_s(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _child_session(config: str) -> tuple[Any, Any]:
    """Import and build the tracker for ``config``; returns (start, stop) callables."""
    if config == "control":
        return (lambda: None), (lambda: {})
    if config in ("wattlens", "wattlens-10hz"):
        import wattlens

        meter_cls = wattlens.Meter  # resolving the lazy attribute imports the meter
        return _wattlens_start_stop(meter_cls, timeline=config == "wattlens-10hz")
    if config == "codecarbon":
        from codecarbon import OfflineEmissionsTracker

        return _codecarbon_start_stop(OfflineEmissionsTracker)
    raise SystemExit(f"unknown configuration {config!r}")


def _wattlens_start_stop(meter_cls: Any, *, timeline: bool) -> tuple[Any, Any]:
    holder: dict[str, Any] = {}

    def start() -> None:
        if timeline:
            meter = meter_cls(timeline=True, interval_s=TIMELINE_INTERVAL_S)
        else:
            meter = meter_cls()
        meter.begin("bench")
        holder["meter"] = meter

    def stop() -> dict[str, Any]:
        import wattlens

        meter = holder["meter"]
        m = meter.end("bench")
        meter.close()  # stops the sampler thread, if any
        components = [
            {"id": c.id, "method": c.method, "energy_j": c.energy_j} for c in m.components
        ]
        return {
            "energy_j": m.energy_j,
            "attributed_energy_j": m.attributed_energy_j,
            "method": "+".join(m.methods) or "?",
            "components": components,
            "timeline_points": len(m.timeline) if m.timeline is not None else None,
            "version": wattlens.__version__,
        }

    return start, stop


def _codecarbon_start_stop(tracker_cls: Any) -> tuple[Any, Any]:
    holder: dict[str, Any] = {}

    def start() -> None:
        tracker = tracker_cls(country_iso_code="USA", save_to_file=False, log_level="error")
        tracker.start()
        holder["tracker"] = tracker

    def stop() -> dict[str, Any]:
        import codecarbon

        tracker = holder["tracker"]
        tracker.stop()
        data = tracker.final_emissions_data
        hardware = [type(h).__name__ for h in getattr(tracker, "_hardware", [])]
        return {
            "energy_j": data.energy_consumed * JOULES_PER_KWH,
            "method": f"codecarbon {getattr(data, 'tracking_mode', '?')} mode",
            "components": [
                {
                    "id": "cpu",
                    "energy_j": data.cpu_energy * JOULES_PER_KWH,
                    "power_w": data.cpu_power,
                },
                {
                    "id": "ram",
                    "energy_j": data.ram_energy * JOULES_PER_KWH,
                    "power_w": data.ram_power,
                },
                {
                    "id": "gpu",
                    "energy_j": data.gpu_energy * JOULES_PER_KWH,
                    "power_w": data.gpu_power,
                },
            ],
            "hardware": hardware,
            "version": codecarbon.__version__,
        }

    return start, stop


def run_child(config: str, workload_s: float) -> dict[str, Any]:
    """One tracked run: import, start, workload, stop — all timed."""
    t0 = time.perf_counter()
    start, stop = _child_session(config)
    t_import = time.perf_counter()
    start()
    t_start = time.perf_counter()

    # process_time and thread_time use the same precise kernel clocks (all threads / this one).
    self0 = time.process_time()
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    main0 = time.thread_time()
    w0 = time.perf_counter()
    units = workload(workload_s)
    w1 = time.perf_counter()
    main1 = time.thread_time()
    self1 = time.process_time()
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)

    t_stop0 = time.perf_counter()
    report = stop()
    t_stop = time.perf_counter()
    self_end = resource.getrusage(resource.RUSAGE_SELF)
    kids_end = resource.getrusage(resource.RUSAGE_CHILDREN)

    window_cpu = self1 - self0
    kids_cpu = _cpu_s(kids1) - _cpu_s(kids0)
    total_cpu = time.process_time() + _cpu_s(kids_end)
    return {
        "config": config,
        "import_s": t_import - t0,
        "start_s": t_start - t_import,
        "stop_s": t_stop - t_stop0,
        "window_wall_s": w1 - w0,
        "window_cpu_s": window_cpu + kids_cpu,
        "window_other_cpu_s": (window_cpu - (main1 - main0)) + kids_cpu,
        "fixed_cpu_s": total_cpu - (window_cpu + kids_cpu),
        "work_units": units,
        "maxrss_kib": self_end.ru_maxrss,  # KiB on Linux
        **report,
    }


def run_import_only(module: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    __import__(module)
    return {"import_s": time.perf_counter() - t0}


# ---------------------------------------------------------------------------
# Parent side.
# ---------------------------------------------------------------------------


def _spawn(argv: list[str], env: dict[str, str], timeout_s: float) -> dict[str, Any]:
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout_s, env=env, check=False
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-8:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def machine_info() -> dict[str, Any]:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_gib = int(line.split()[1]) / 1024**2
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": model,
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "mem_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "rapl": Path("/sys/class/powercap/intel-rapl").exists(),
        "nvidia_smi": shutil.which("nvidia-smi") is not None,
        "loadavg": _loadavg(),
    }


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def setup_bench_venv(path: Path) -> Path:
    """Create ``path`` with CodeCarbon installed (only what the benchmark needs)."""
    python = path / "bin" / "python"
    if not python.exists():
        print(f"creating {path} (a separate venv: codecarbon never enters wattlens's)")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        # Like `python -m venv` does from Python 3.13: keep the venv out of git.
        (path / ".gitignore").write_text("*\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "codecarbon"], check=True)
    return python


def bench_cli(wattlens_python: str, runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Wall time of `wattlens run -- python -c pass` against bare `python -c pass`."""
    exe = Path(wattlens_python).parent / "wattlens"
    wrapper = [str(exe)] if exe.exists() else [wattlens_python, "-m", "wattlens"]
    child = [wattlens_python, "-c", "pass"]
    variants = {
        "bare": child,
        "wattlens run": [*wrapper, "run", "--", *child],
        "wattlens run --timeline": [
            *wrapper,
            "run",
            "--timeline",
            "--interval",
            str(TIMELINE_INTERVAL_S),
            "--",
            *child,
        ],
    }
    times: dict[str, list[float]] = {k: [] for k in variants}
    errors: dict[str, str] = {}
    for _ in range(runs):
        for name, argv in variants.items():
            if name in errors:
                continue
            t0 = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
            dt = time.perf_counter() - t0
            if proc.returncode != 0:
                tail = proc.stderr.strip().splitlines()[-3:]
                errors[name] = f"exit {proc.returncode}: " + " | ".join(tail)
                continue
            times[name].append(dt)
    return {"times": times, "errors": errors, "runs": runs}


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _ratio(a: float | None, b: float | None, spec: str) -> str:
    """a / b, or '—' where either is missing or not positive at the precision shown."""
    if a is None or b is None or float(format(a, spec)) <= 0 or float(format(b, spec)) <= 0:
        return "—"
    return f"{a / b:.1f}×"


def summarise(
    results: dict[str, list[dict[str, Any]]],
    imports: dict[str, list[float]],
    cli: dict[str, Any] | None,
    args: argparse.Namespace,
    machine: dict[str, Any],
) -> dict[str, Any]:
    ok = {c: [r for r in rs if "error" not in r] for c, rs in results.items()}

    def med(config: str, key: str) -> float | None:
        vals = [r[key] for r in ok.get(config, []) if r.get(key) is not None]
        return _median(vals)

    control_cpu_per_s = _median(
        [r["window_cpu_s"] / r["window_wall_s"] for r in ok.get("control", [])]
    )
    control_rates = [r["work_units"] / r["window_wall_s"] for r in ok.get("control", [])]
    control_rate = _median(control_rates)
    control_best = max(control_rates, default=None)
    control_shares = [r["window_cpu_s"] / r["window_wall_s"] for r in ok.get("control", [])]
    control_rss = med("control", "maxrss_kib")

    rows: dict[str, dict[str, float | str | None]] = {}
    for config in CONFIGS:
        rs = ok.get(config, [])
        if not rs:
            continue
        cpu_per_s = _median([r["window_cpu_s"] / r["window_wall_s"] for r in rs])
        other_per_s = _median([r["window_other_cpu_s"] / r["window_wall_s"] for r in rs])
        rates = [r["work_units"] / r["window_wall_s"] for r in rs]
        rate = _median(rates)
        fixed = _median([r["import_s"] + r["start_s"] + r["stop_s"] for r in rs])
        rss = med(config, "maxrss_kib")
        methods = sorted({str(r.get("method")) for r in rs if r.get("method")})
        rows[config] = {
            "runs": len(rs),
            "import_s": med(config, "import_s"),
            "start_s": med(config, "start_s"),
            "stop_s": med(config, "stop_s"),
            "fixed_cost_s": fixed,
            "fixed_cpu_s": med(config, "fixed_cpu_s"),
            "background_cpu_pct": (
                None
                if cpu_per_s is None or control_cpu_per_s is None
                else 100 * (cpu_per_s - control_cpu_per_s)
            ),
            "other_threads_cpu_pct": None if other_per_s is None else 100 * other_per_s,
            "work_vs_control_pct": (
                None if rate is None or not control_rate else 100 * rate / control_rate
            ),
            "work_best_vs_control_pct": (
                None if not rates or not control_best else 100 * max(rates) / control_best
            ),
            "extra_peak_rss_mib": (
                None if rss is None or control_rss is None else (rss - control_rss) / 1024
            ),
            "peak_rss_mib": None if rss is None else rss / 1024,
            "energy_j": med(config, "energy_j"),
            "attributed_energy_j": med(config, "attributed_energy_j"),
            "timeline_hz": _median(
                [
                    r["timeline_points"] / r["window_wall_s"]
                    for r in rs
                    if r.get("timeline_points") is not None
                ]
            ),
            "method": ", ".join(methods) if methods else None,
            "version": next((r.get("version") for r in rs if r.get("version")), None),
        }
    for config, vals in imports.items():
        rows.setdefault(config, {})["import_alone_s"] = _median(vals)

    cli_rows: dict[str, float | None] = {}
    if cli is not None:
        bare = _median(cli["times"]["bare"])
        for name, vals in cli["times"].items():
            m = _median(vals)
            cli_rows[name] = m
            if name != "bare":
                cli_rows[f"{name} added"] = None if m is None or bare is None else m - bare

    return {
        "machine": machine,
        "control_cpu_share": (
            [min(control_shares), max(control_shares)] if control_shares else None
        ),
        "runs": args.runs,
        "workload_s": args.workload_s,
        "timeline_interval_s": TIMELINE_INTERVAL_S,
        "configs": rows,
        "cli_s": cli_rows,
        "cli_runs": cli["runs"] if cli else 0,
        "cli_errors": cli["errors"] if cli else {},
        "errors": {c: [r["error"] for r in rs if "error" in r] for c, rs in results.items() if rs},
        "raw": results,
    }


def print_table(summary: dict[str, Any], out: TextIO) -> None:
    emit = functools.partial(print, file=out)
    m = summary["machine"]
    rows = summary["configs"]
    mem = f"{m['mem_gib']:.0f} GiB RAM" if m.get("mem_gib") else ""
    emit()
    emit(
        f"machine: {m['cpu_model']}, nproc {m['nproc']} (cpu_count {m['cpu_count']}), {mem}, "
        f"Python {m['python']}, RAPL {'yes' if m['rapl'] else 'no'}, "
        f"nvidia-smi {'yes' if m['nvidia_smi'] else 'no'}"
    )
    emit(f"load average: {m['loadavg']}")
    versions = ", ".join(
        f"{c} {r['version']}" for c, r in rows.items() if r.get("version") and c != "wattlens-10hz"
    )
    emit(
        f"medians of {summary['runs']} runs, each in a fresh process; "
        f"workload {summary['workload_s']:g} s of single-threaded pure Python; {versions}"
    )
    emit()

    cols = [c for c in CONFIGS if c in rows] + ["cc / wl"]
    spec: list[tuple[str, str, str]] = [
        ("import (s)", "import_s", ".3f"),
        ("start (s)", "start_s", ".3f"),
        ("stop (s)", "stop_s", ".3f"),
        ("fixed cost: import+start+stop (s)", "fixed_cost_s", ".3f"),
        ("CPU outside workload (s)", "fixed_cpu_s", ".3f"),
        ("`import <pkg>` alone (s)", "import_alone_s", ".3f"),
        ("background CPU vs control (% core)", "background_cpu_pct", ".2f"),
        ("other threads + children CPU (% core)", "other_threads_cpu_pct", ".2f"),
        ("work done vs control, median (%)", "work_vs_control_pct", ".1f"),
        ("work done vs control, best run (%)", "work_best_vs_control_pct", ".1f"),
        ("timeline samples per second (Hz)", "timeline_hz", ".1f"),
        ("extra peak RSS (MiB)", "extra_peak_rss_mib", ".1f"),
        ("reported energy, machine (J)", "energy_j", ".1f"),
        ("  of it, this process (J)", "attributed_energy_j", ".1f"),
    ]
    label_w = max(len(s[0]) for s in spec) + 2
    col_w = 15
    emit("".ljust(label_w) + "".join(c.rjust(col_w) for c in cols))
    for label, key, fmt in spec:
        line = label.ljust(label_w)
        for c in cols[:-1]:
            line += _fmt(rows[c].get(key), fmt).rjust(col_w)
        cc, wl = rows.get("codecarbon", {}).get(key), rows.get("wattlens", {}).get(key)
        ratio = _ratio(cc, wl, fmt)
        emit(line + ratio.rjust(col_w))
    emit()
    for c in cols[:-1]:
        if rows[c].get("method"):
            emit(f"  {c}: energy method {rows[c]['method']}")
    emit(
        "  ratio column: codecarbon / wattlens (wattlens without timeline); "
        "'—' where a figure is missing or not positive as shown"
    )
    emit(
        "  background CPU = process CPU in the workload window minus the control's, per "
        "second of wall time; a negative value is noise"
    )
    share = summary.get("control_cpu_share")
    if share and share[1] - share[0] > 0.05:
        emit(
            f"  NOTE: the machine was busy — the control's workload got {100 * share[0]:.0f}-"
            f"{100 * share[1]:.0f} % of a core (load average {summary['machine']['loadavg']})."
        )
        emit("  The 'background CPU' and 'work done' rows then measure other load more than the")
        emit("  trackers: trust 'other threads + children CPU', or rerun on an idle machine.")

    cli = summary["cli_s"]
    if cli:
        emit()
        emit(f"CLI wrapper, median wall time of {summary['cli_runs']} runs:")
        emit("  bare `python -c pass`".ljust(54) + f"{_fmt(cli.get('bare'), '.3f')} s")
        for name in ("wattlens run", "wattlens run --timeline"):
            if name in cli:
                emit(
                    f"  `{name} -- python -c pass`".ljust(54) + f"{_fmt(cli[name], '.3f')} s  "
                    f"(+{_fmt(cli.get(name + ' added'), '.3f')} s)"
                )
        emit("  (CodeCarbon has no command wrapper to compare: `codecarbon monitor` watches")
        emit("   the machine, it does not run a command)")
    for name, err in summary["cli_errors"].items():
        emit(f"  {name}: FAILED {err}")
    for config, errs in summary["errors"].items():
        if errs:
            emit(f"{config}: {len(errs)} run(s) failed; first: {errs[0]}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Overhead of wattlens against CodeCarbon and a no-tracker control."
    )
    parser.add_argument("--runs", type=int, default=5, help="rounds per configuration (5)")
    parser.add_argument("--workload-s", type=float, default=10.0, help="workload length (10 s)")
    parser.add_argument("--quick", action="store_true", help="3 runs of a 2 s workload")
    parser.add_argument(
        "--wattlens-python",
        default=str(DEFAULT_WATTLENS_PYTHON)
        if DEFAULT_WATTLENS_PYTHON.exists()
        else sys.executable,
        help="interpreter with wattlens installed (default .venv/bin/python)",
    )
    parser.add_argument(
        "--codecarbon-python",
        default=str(BENCH_VENV / "bin" / "python"),
        help="interpreter with codecarbon installed (default .venv-bench/bin/python)",
    )
    parser.add_argument(
        "--setup", action="store_true", help="create .venv-bench with codecarbon first"
    )
    parser.add_argument("--skip-codecarbon", action="store_true")
    parser.add_argument("--skip-cli", action="store_true", help="skip the `wattlens run` timing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--import-only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = min(args.runs, 3)
        args.workload_s = min(args.workload_s, 2.0)
    if args.runs < 1 or args.workload_s <= 0:
        parser.error("--runs must be at least 1 and --workload-s positive")
    return args


def run_rounds(
    args: argparse.Namespace,
    configs: list[str],
    pythons: dict[str, str],
    env: dict[str, str],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[float]]]:
    """Every configuration once per round, rotating the order; plus the import-alone timings."""
    script = str(Path(__file__).resolve())
    timeout = args.workload_s + 180
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
    imports: dict[str, list[float]] = {"wattlens": [], "codecarbon": []}
    for i in range(args.runs):
        order = configs[i % len(configs) :] + configs[: i % len(configs)]
        for config in order:
            res = _spawn(
                [
                    pythons[config],
                    script,
                    "--child",
                    config,
                    "--workload-s",
                    str(args.workload_s),
                ],
                env,
                timeout,
            )
            results[config].append(res)
            status = res.get("error") or (
                f"fixed {res['import_s'] + res['start_s'] + res['stop_s']:.3f} s, "
                f"energy {_fmt(res.get('energy_j'), '.1f')} J"
            )
            print(f"  round {i + 1}/{args.runs} {config:14s} {status}", file=sys.stderr)
        for package, times in imports.items():
            if package == "codecarbon" and "codecarbon" not in configs:
                continue
            python = args.wattlens_python if package == "wattlens" else args.codecarbon_python
            res = _spawn([python, script, "--import-only", package], env, 120)
            if "error" not in res:
                times.append(res["import_s"])

    return results, imports


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(RESULT_MARK + json.dumps(run_child(args.child, args.workload_s)), flush=True)
        return
    if args.import_only:
        print(RESULT_MARK + json.dumps(run_import_only(args.import_only)), flush=True)
        return

    if args.setup:
        args.codecarbon_python = str(setup_bench_venv(BENCH_VENV))
    pythons = {
        "control": args.wattlens_python,
        "wattlens": args.wattlens_python,
        "wattlens-10hz": args.wattlens_python,
        "codecarbon": args.codecarbon_python,
    }
    configs = list(CONFIGS)
    if args.skip_codecarbon:
        configs.remove("codecarbon")
    elif not Path(args.codecarbon_python).exists():
        print(
            f"no CodeCarbon interpreter at {args.codecarbon_python}; run with --setup or\n"
            "  python3 -m venv .venv-bench && .venv-bench/bin/pip install codecarbon\n"
            "continuing without codecarbon",
            file=sys.stderr,
        )
        configs.remove("codecarbon")

    # Runs are recorded in a throw-away store, never the user's.
    tmp = tempfile.TemporaryDirectory(prefix="wattlens-bench-")
    env = {**os.environ, "WATTLENS_DB": f"sqlite:///{tmp.name}/runs.sqlite"}
    env.pop("PYTHONPATH", None)
    machine = machine_info()
    n_children = len(configs) * args.runs
    print(
        f"{n_children} tracked runs of {args.workload_s:g} s ({len(configs)} configurations × "
        f"{args.runs}), interleaved; nproc {machine['nproc']}, {machine['cpu_model']}",
        file=sys.stderr,
    )
    results, imports = run_rounds(args, configs, pythons, env)

    cli = None
    if not args.skip_cli:
        print("timing `wattlens run -- python -c pass` against bare python …", file=sys.stderr)
        cli = bench_cli(args.wattlens_python, max(args.runs, 5), env)
    tmp.cleanup()

    machine["loadavg"] = f"{machine['loadavg']} at start, {_loadavg()} at end"
    summary = summarise(results, {k: v for k, v in imports.items() if v}, cli, args, machine)
    if args.json:  # JSON alone on stdout; the table goes to stderr
        print_table(summary, sys.stderr)
        print(json.dumps(summary, indent=2, default=str))
    else:
        print_table(summary, sys.stdout)


if __name__ == "__main__":
    main()
