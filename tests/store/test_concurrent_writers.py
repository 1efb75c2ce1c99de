"""Writer processes saving at the same time lose nothing, on SQLite and on PostgreSQL.

Each writer is a separate Python process that saves with
:func:`wattlens.store.save`, what ``wattlens run`` does after every command (on
an existing SQLite store that is the sqlite3 fast path; otherwise
:class:`~wattlens.store.Store`). The writers wait for one another and start
together, so the first saves also race to create the tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from wattlens.store import Store
from wattlens.store.tables import timeline

_WRITER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
    from wattlens.store import save

    url, writer, sync = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    run_ids, rounds, points = json.loads(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    (sync / f"ready-{writer}").touch()
    deadline = time.monotonic() + 120
    while not (sync / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    components = tuple(
        ComponentEnergy(
            id=c, kind=kind, name=c, method="counter", sensor="fake",
            basis="fake counter", energy_j=100.0 + writer, avg_power_w=10.0 + writer,
        )
        for c, kind in (("gpu:0", "gpu"), ("cpu:package-0", "cpu"))
    )
    # Every value names its writer, so a run mixed from two saves shows.
    timeline = tuple(
        TimelinePoint(i * 0.1, {"gpu:0": 1000.0 * writer + i, "cpu:package-0": writer + 0.5})
        for i in range(points)
    )
    for r in range(rounds):
        for n, run_id in enumerate(run_ids):
            save(
                Measurement(
                    run_id=run_id, name=f"writer-{writer}",
                    started_at=f"2026-01-01T00:{r:02d}:{n % 60:02d}Z",
                    ended_at="2026-01-01T01:00:00Z", duration_s=10.0,
                    components=components, timeline=timeline,
                ),
                url,
            )
    """
)


def _run_writers(url: str, tmp_path: Path, plans: list[tuple[list[str], int]], points: int) -> None:
    """Start one process per (run ids, rounds) plan, release them together, wait for all."""
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WRITER,
                url,
                str(writer),
                str(sync),
                json.dumps(run_ids),
                str(rounds),
                str(points),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for writer, (run_ids, rounds) in enumerate(plans)
    ]
    try:
        deadline = time.monotonic() + 120
        while not all((sync / f"ready-{w}").exists() for w in range(len(plans))):
            assert time.monotonic() < deadline, "writer processes did not start"
            assert all(p.poll() is None for p in procs), "a writer process died at start"
            time.sleep(0.01)
        (sync / "go").touch()
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for writer, (p, (_out, err)) in enumerate(zip(procs, results, strict=True)):
        assert p.returncode == 0, f"writer {writer} failed:\n{err}"


def _timeline_rows_per_run(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = select(timeline.c.run_id, func.count()).group_by(timeline.c.run_id)
            return {run_id: int(n) for run_id, n in conn.execute(query).all()}
    finally:
        engine.dispose()


def test_eight_writer_processes_lose_no_run_and_no_point(backend_url: str, tmp_path: Path) -> None:
    writers, runs_each, points = 8, 25, 40
    plans = [([f"w{w}-run{i:02d}" for i in range(runs_each)], 1) for w in range(writers)]
    _run_writers(backend_url, tmp_path, plans, points)
    expected = {run_id for run_ids, _rounds in plans for run_id in run_ids}
    with Store(backend_url) as store:
        summaries = store.list_runs()
        ids = [r["run_id"] for r in summaries]
        assert len(ids) == writers * runs_each
        assert set(ids) == expected
        for w in range(writers):
            assert store.count(name=f"writer-{w}") == runs_each
        for run_id in ("w0-run00", f"w{writers - 1}-run{runs_each - 1:02d}"):
            loaded = store.get(run_id).timeline
            assert loaded is not None
            assert len(loaded) == points
            assert store.timeline_count(run_id) == points
    # Every point of every run, each component once: nothing lost, nothing doubled.
    assert _timeline_rows_per_run(backend_url) == dict.fromkeys(expected, points * 2)


def test_writers_saving_the_same_runs_at_once_keep_one_whole_save_of_each(
    backend_url: str, tmp_path: Path
) -> None:
    """Saving an id again replaces the run, also when other processes save it meanwhile:
    every save succeeds and each run is one writer's save, its timeline included."""
    shared = [f"shared-{i}" for i in range(4)]
    writers, rounds, points = 4, 4, 30
    _run_writers(backend_url, tmp_path, [(shared, rounds)] * writers, points)
    with Store(backend_url) as store:
        assert store.count() == len(shared)
        for run_id in shared:
            m = store.get(run_id)
            writer = int(m.name.removeprefix("writer-"))
            assert m.components[0].energy_j == pytest.approx(100.0 + writer)
            assert m.timeline is not None
            assert [p.power_w for p in m.timeline] == [
                {"gpu:0": 1000.0 * writer + i, "cpu:package-0": writer + 0.5} for i in range(points)
            ]
    assert _timeline_rows_per_run(backend_url) == dict.fromkeys(shared, points * 2)
