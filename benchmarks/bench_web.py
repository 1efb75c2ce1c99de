"""Speed of the dashboard over a store of 10,000 runs, through real HTTP.

Generates 10,000 runs in a temporary SQLite store (plus a 1-hour run with a
10 Hz power timeline: 36,000 points x 2 components), serves the dashboard with
uvicorn on 127.0.0.1 and times requests over one keep-alive connection.
Prints the median of repeated requests. Targets: the runs list API under
50 ms, a run page under 100 ms, and a 1-hour 10 Hz timeline drawn from at most
~5,000 points.

    python benchmarks/bench_web.py [--runs 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socket
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


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
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
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
                "INSERT INTO timeline (run_id, seq, t_s, component, power_w) "
                "VALUES (:run_id, :seq, :t_s, :component, :power_w)",
                points,
            )
        conn.close()
        hour = Measurement(
            run_id="ffffffffhour10hz",
            name="one-hour-10hz",
            started_at="2026-12-31T00:00:00+00:00",
            ended_at="2026-12-31T01:00:00+00:00",
            duration_s=3600.0,
            components=(
                ComponentEnergy(
                    "gpu:0", "gpu", "H100", "counter", "nvml", "counter", 400.0 * 3600, 400.0
                ),
                ComponentEnergy(
                    "cpu:package-0",
                    "cpu",
                    "EPYC",
                    "counter",
                    "rapl",
                    "energy_uj",
                    100.0 * 3600,
                    100.0,
                ),
            ),
            timeline=tuple(
                TimelinePoint(
                    i / 10, {"gpu:0": 400 + 50 * math.sin(i / 100), "cpu:package-0": 100.0}
                )
                for i in range(36_000)
            ),
        )
        store.save(hour)
    typical = runs[100].run_id  # a run with a 1 Hz timeline of a few minutes
    return typical, hour.run_id


def _median_ms(conn: http.client.HTTPConnection, path: str, repeat: int) -> tuple[float, bytes]:
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
    return statistics.median(times), body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    import uvicorn

    from wattlens.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.sqlite"
        url = f"sqlite:///{path}"
        start = time.perf_counter()
        typical, hour = _fill(url, path, args.runs)
        print(f"store: {args.runs:,} runs + a 1-hour 10 Hz run, written in "
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
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            _median_ms(conn, "/api/runs", 3)  # warm up
            rows = [
                ("runs list API (50 newest)", "/api/runs", 50.0),
                ("runs list API, name filter", "/api/runs?name=job-7", 50.0),
                ("runs list API, sorted by energy", "/api/runs?sort=energy_j", None),
                ("runs list page", "/runs", None),
                ("run page (1 Hz timeline, minutes)", f"/runs/{typical}", 100.0),
                ("run page (1-hour 10 Hz run)", f"/runs/{hour}", None),
                ("timeline API (1-hour 10 Hz run)", f"/api/runs/{hour}/timeline", None),
            ]
            print(f"{'request':38} {'median':>10}  target")
            for label, request, target in rows:
                ms, body = _median_ms(conn, request, args.repeat)
                verdict = "" if target is None else (
                    f"< {target:g} ms  {'ok' if ms < target else 'MISSED'}"
                )  # fmt: skip
                print(f"{label:38} {ms:8.1f} ms  {verdict}")
            _ms, body = _median_ms(conn, f"/api/runs/{hour}/timeline", 1)
            series = json.loads(body)
            print(
                f"1-hour 10 Hz timeline: {series['source_points']:,} points per component, "
                f"{series['points']:,} sent (mean of every {series['bucket_size']}), "
                f"{len(body) / 1e3:.0f} kB of JSON"
            )
        finally:
            conn.close()
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
