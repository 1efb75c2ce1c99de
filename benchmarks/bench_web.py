"""Speed of the dashboard over a store of 10,000 runs, through real HTTP.

Generates 10,000 runs in a temporary SQLite store (plus a 1-hour and an 8-hour
run with a 10 Hz power timeline, 2 components), serves the dashboard with
uvicorn on 127.0.0.1 (loopback only) and times requests: first one client over
one keep-alive connection (median and p99 of repeated requests), then 20
concurrent clients, each on its own connection, a bounded number of requests
each over a mix of the list (sorted by every column), run pages and timelines.
Last, the peak memory of the heaviest scenario run the dashboard allows (50
request classes, 20 levers, 20 training runs, 100 years, 50,000 samples), in a
child process.

Goals: the runs list API under 50 ms; sorted by energy p99 under 50 ms (one
client); a run page under 100 ms; the 8-hour 10 Hz timeline API under 150 ms.

``--timeline-only`` writes only the 8-hour run and times its timeline API and
run page (one client): quick to repeat, e.g. against another checkout with
``PYTHONPATH=OTHER/src`` for a side-by-side figure.

    python benchmarks/bench_web.py [--runs 10000] [--repeat 30] [--clients 20]
        [--requests-per-client 25] [--no-scenario] [--timeline-only]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

_TIMELINE_INSERT = (
    "INSERT INTO timeline (run_id, seq, t_s, component, power_w, cum_power_w, cum_t_s, cum_n) "
    "VALUES (:run_id, :seq, :t_s, :component, :power_w, :cum_power_w, :cum_t_s, :cum_n)"
)


def _runs(n: int) -> list[Any]:
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint

    runs = []
    for i in range(n):
        duration = 30.0 + (i * 37) % 3600
        gpu_w = 150.0 + (i * 13) % 500
        when = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+00:00"
        timeline = None
        if i % 100 == 0:  # every hundredth run has a 1 Hz timeline
            timeline = tuple(
                TimelinePoint(float(t), {"gpu:0": gpu_w + 20 * math.sin(t / 10), "cpu": 80.0})
                for t in range(int(duration))
            )
        runs.append(
            Measurement(
                run_id=f"{i:08x}{'bench':>8}".replace(" ", "0"),
                name=f"job-{i % 50}",
                started_at=when,
                ended_at=when,
                duration_s=duration,
                components=(
                    ComponentEnergy(
                        "gpu:0",
                        "gpu",
                        "NVIDIA H100 80GB HBM3",
                        "counter",
                        "nvml",
                        "total energy counter",
                        gpu_w * duration,
                        gpu_w,
                    ),
                    ComponentEnergy(
                        "cpu",
                        "cpu",
                        "AMD EPYC",
                        "modeled",
                        "model",
                        "busy CPU-seconds x W per thread",
                        80.0 * duration,
                        80.0,
                        energy_low_j=40.0 * duration,
                        energy_high_j=120.0 * duration,
                    ),
                ),
                command=("python", "train.py", f"--seed={i}"),
                exit_code=0,
                timeline=timeline,
                host={"hostname": f"node-{i % 16}"},
                location=("FR", "DE", "US", None)[i % 4],
                pue=1.1,
            )
        )
    return runs


def _fill(url: str, path: Path, n: int) -> tuple[str, str]:
    """Write ``n`` runs in one transaction (as Store.save writes each), and a 1-hour run."""
    from wattlens.store import Store
    from wattlens.store.rows import run_row, timeline_rows

    with Store(url) as store:
        store.count()  # creates the tables
        runs = _runs(n)
        rows = [run_row(m) for m in runs]
        points = [p for m in runs for p in timeline_rows(m)]
        conn = sqlite3.connect(path)
        with conn:
            columns = ", ".join(rows[0])
            marks = ", ".join(f":{c}" for c in rows[0])
            conn.executemany(f"INSERT INTO runs ({columns}) VALUES ({marks})", rows)
            conn.executemany(
                _TIMELINE_INSERT,
                points,
            )
        conn.close()
        for hours in (1, 8):
            _long_run(path, hours)
    typical = runs[100].run_id  # a run with a 1 Hz timeline of a few minutes
    return typical, _long_id(1)


def _long_id(hours: int) -> str:
    return f"ffffffff{hours:04d}h10hz"


def _long_run(path: Path, hours: int) -> None:
    """A run of ``hours`` with a 10 Hz timeline of 2 components, written with sqlite3."""
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
    from wattlens.store.rows import run_row, timeline_rows

    n = hours * 36_000
    seconds = hours * 3600.0
    m = Measurement(
        run_id=_long_id(hours),
        name=f"{hours}-hour-10hz",
        started_at=f"2026-12-31T{hours:02d}:00:00+00:00",
        ended_at=f"2026-12-31T{hours:02d}:59:00+00:00",
        duration_s=seconds,
        components=(
            ComponentEnergy(
                "gpu:0", "gpu", "H100", "counter", "nvml", "counter", 400.0 * seconds, 400.0
            ),
            ComponentEnergy(
                "cpu:package-0", "cpu", "EPYC", "counter", "rapl", "energy_uj",
                100.0 * seconds, 100.0,
            ),
        ),
        timeline=tuple(
            TimelinePoint(i / 10, {"gpu:0": 400 + 50 * math.sin(i / 100), "cpu:package-0": 100.0})
            for i in range(n)
        ),
    )  # fmt: skip
    row = run_row(m)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})", row
        )
        conn.executemany(
            _TIMELINE_INSERT,
            timeline_rows(m),
        )
    conn.close()


def _times_ms(
    conn: http.client.HTTPConnection, path: str, repeat: int
) -> tuple[list[float], bytes]:
    times = []
    body = b""
    for _ in range(repeat):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - start) * 1e3)
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}: {body[:300]!r}")
    return times, body


def _median_ms(conn: http.client.HTTPConnection, path: str, repeat: int) -> tuple[float, bytes]:
    times, body = _times_ms(conn, path, repeat)
    return statistics.median(times), body


def _p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def _concurrent(port: int, paths: list[str], clients: int, per_client: int) -> list[float]:
    """Each of ``clients`` threads sends ``per_client`` requests over its own connection."""
    results: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            barrier.wait()
            for j in range(per_client):
                times, _body = _times_ms(conn, paths[(k + j * clients) % len(paths)], 1)
                results[k].extend(times)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} clients failed: {errors[0]}")
    return [t for r in results for t in r]


_HEAVY_SCENARIO = """
import json, resource, sys, time
from wattlens.web import services
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
out = services.run_scenario(sys.stdin.read(), samples=services.MAX_SCENARIO_SAMPLES,
                            years=services.MAX_SCENARIO_YEARS)
print(json.dumps({"s": time.perf_counter() - start, "before_kib": before,
                  "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "levers": len(out["levers"])}))
"""


def _heaviest_scenario_yaml() -> str:
    """The largest scenario the dashboard runs: every count at its limit."""
    from wattlens.web import services

    classes = services.MAX_SCENARIO_CLASSES
    levers = [
        "  - {kind: hardware, accelerator: B200}",
        "  - {kind: quantise, precision: fp8}",
        "  - {kind: shorter_outputs, factor: 0.8}",
        "  - {kind: pue, pue: 1.1}",
        "  - {kind: clean_energy, share: 0.5..0.9}",
    ]
    lines = [
        "name: heaviest allowed",
        "base_year: 2025",
        f"years: {services.MAX_SCENARIO_YEARS}",
        f"samples: {services.MAX_SCENARIO_SAMPLES}",
        "demand:",
        "  requests_per_day: 2.5B",
        "  growth_per_year: 20%..60%",
        "hardware:",
        "  accelerator: H100 SXM",
        "  batch: 64..256",
        "  precision: bf16",
        "requests:",
        *(
            f"  - {{name: c{i}, share: {1 / classes}, model: gpt-4o, "
            f"input_tokens: 100..2000, output_tokens: 300..700}}"
            for i in range(classes)
        ),
        "location: us",
        "pue: 1.12..1.18",
        "levers:",
        *(levers[i % len(levers)] for i in range(services.MAX_SCENARIO_LEVERS)),
    ]
    return "\n".join(lines) + "\n"


def _scenario_memory() -> None:
    text = _heaviest_scenario_yaml()
    out = subprocess.run(
        [sys.executable, "-c", _HEAVY_SCENARIO],
        input=text,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if out.returncode != 0:
        print(f"heaviest allowed scenario: failed: {out.stderr.strip()[-500:]}")
        return
    data = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"heaviest allowed scenario run ({len(text):,} bytes of YAML, {data['levers']} levers): "
        f"{data['s']:.1f} s, peak RSS {data['peak_kib'] / 2**20:.2f} GiB "
        f"({(data['peak_kib'] - data['before_kib']) / 2**20:.2f} GiB above the loaded modules)"
    )


def _one_client(port: int, runs: tuple[str, str, str], repeat: int) -> None:
    """Median and p99 of each request, repeated over one keep-alive connection."""
    typical, hour, eight = runs
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        _median_ms(conn, "/api/runs", 3)  # warm up
        rows = [
            ("runs list API (50 newest)", "/api/runs", 50.0),
            ("runs list API, name filter", "/api/runs?name=job-7", 50.0),
            ("runs list API, sorted by energy", "/api/runs?sort=energy_j", 50.0),
            ("  ... energy, ascending", "/api/runs?sort=energy_j&order=asc", 50.0),
            ("  ... energy, page 100", "/api/runs?sort=energy_j&offset=5000", 50.0),
            ("  ... CO2e (with nulls)", "/api/runs?sort=co2e_g&order=asc", 50.0),
            ("runs list page, sorted by energy", "/runs?sort=energy_j", None),
            ("run page (1 Hz timeline, minutes)", f"/runs/{typical}", 100.0),
            ("run page (1-hour 10 Hz run)", f"/runs/{hour}", None),
            ("timeline API (1-hour 10 Hz run)", f"/api/runs/{hour}/timeline", None),
            ("timeline API (8-hour 10 Hz run)", f"/api/runs/{eight}/timeline", 150.0),
        ]
        print(f"one client: {'request':36} {'median':>9} {'p99':>9}  goal")
        for label, request, target in rows:
            times, body = _times_ms(conn, request, repeat)
            ms, p99 = statistics.median(times), _p99(times)
            verdict = "" if target is None else (
                f"< {target:g} ms  {'ok' if p99 < target else 'MISSED'}"
            )  # fmt: skip
            print(f"            {label:36} {ms:6.1f} ms {p99:6.1f} ms  {verdict}")
        _ms, body = _median_ms(conn, f"/api/runs/{eight}/timeline", 1)
        series = json.loads(body)
        print(
            f"8-hour 10 Hz timeline: {series['source_points']:,} points per component, "
            f"{series['points']:,} sent (mean of every {series['bucket_size']}), "
            f"{len(body) / 1e3:.0f} kB of JSON"
        )
    finally:
        conn.close()


def _many_clients(port: int, runs: tuple[str, str, str], clients: int, per_client: int) -> None:
    """Median and p99 of every request of ``clients`` concurrent clients."""
    typical, hour, eight = runs
    sorts = ("started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w")
    mix = [
        *(f"/api/runs?sort={c}&order={o}" for c in sorts for o in ("asc", "desc")),
        "/runs?sort=duration_s",
        f"/runs/{typical}",
        f"/api/runs/{hour}/timeline",
        f"/api/runs/{eight}/timeline",
    ]
    start = time.perf_counter()
    times = _concurrent(port, mix, clients, per_client)
    wall = time.perf_counter() - start
    print(
        f"{clients} concurrent clients x {per_client} requests "
        f"(list sorted by every column, list page, run page, timelines): "
        f"median {statistics.median(times):.1f} ms, p99 {_p99(times):.1f} ms, "
        f"{len(times) / wall:.0f} requests/s"
    )


def _timeline_only(repeat: int) -> None:
    """The 8-hour 10 Hz run alone: its timeline API and run page, one client."""
    import uvicorn

    import wattlens
    from wattlens.store import Store
    from wattlens.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.sqlite"
        url = f"sqlite:///{path}"
        with Store(url) as store:
            store.count()  # creates the tables
        _long_run(path, 8)
        eight = _long_id(8)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            print(f"wattlens from {Path(wattlens.__file__).parent}")
            _times_ms(conn, f"/api/runs/{eight}/timeline", 2)  # warm up
            for label, request, target in (
                ("timeline API (8-hour 10 Hz run)", f"/api/runs/{eight}/timeline", "< 150 ms"),
                ("run page (8-hour 10 Hz run)", f"/runs/{eight}", ""),
            ):
                times, _body = _times_ms(conn, request, repeat)
                print(
                    f"{label:36} median {statistics.median(times):6.1f} ms  "
                    f"p99 {_p99(times):6.1f} ms  {target}"
                )
        finally:
            conn.close()
            server.should_exit = True
            thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests-per-client", type=int, default=25)
    parser.add_argument("--no-scenario", action="store_true")
    parser.add_argument("--timeline-only", action="store_true")
    args = parser.parse_args()
    if args.timeline_only:
        _timeline_only(args.repeat)
        return

    import uvicorn

    from wattlens.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.sqlite"
        url = f"sqlite:///{path}"
        start = time.perf_counter()
        typical, hour = _fill(url, path, args.runs)
        eight = _long_id(8)  # written by _fill
        print(f"store: {args.runs:,} runs + a 1-hour and an 8-hour 10 Hz run, written in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            _one_client(port, (typical, hour, eight), args.repeat)
            _many_clients(port, (typical, hour, eight), args.clients, args.requests_per_client)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    if not args.no_scenario:
        _scenario_memory()


if __name__ == "__main__":
    main()
