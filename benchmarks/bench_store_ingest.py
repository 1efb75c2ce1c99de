"""How fast the run store takes runs in: runs/s and timeline points/s, SQLite and PostgreSQL.

Each figure is the median of ``--repeat`` batches; every batch writes into a
new, empty store (a new SQLite file; a new PostgreSQL schema, dropped
afterwards), with the tables already created, so the figures are the saves
alone. A run is ``--points`` timeline points of ``--components`` components
(one ``timeline`` row per point and component) plus its ``runs`` row, built
before the clock starts; saving computes its stored impacts (world-average grid),
as every save does, with the catalog already loaded.

- ``1 process``: one :class:`~wattlens.store.Store` saves ``--runs`` runs, one
  transaction each;
- ``N processes``: ``--writers`` processes, each with its own store object,
  save ``--runs`` runs each at the same time; the clock runs from their common
  start to the last one's end (start-up and imports are not timed).

PostgreSQL is measured where ``--pg-url`` or ``WATTLENS_TEST_POSTGRES_URL`` names
a database the benchmark may create schemas in (``.ci/start-postgres`` starts a
throwaway server and prints its URL)::

    python benchmarks/bench_store_ingest.py [--repeat 5] [--runs 50] [--points 600]
        [--components 2] [--writers 4] [--pg-url postgresql+psycopg://user@host/db]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

POSTGRES_ENV_VAR = "WATTLENS_TEST_POSTGRES_URL"

_MAKE_RUNS = textwrap.dedent(
    """
    import math
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint

    def make_runs(prefix, count, points, components):
        ids = ["gpu:%d" % i for i in range(components - 1)] + ["cpu:package-0"]
        parts = tuple(
            ComponentEnergy(c, c.split(":")[0], c, "counter", "bench", "counter", 6e4, 100.0)
            for c in ids
        )
        timeline = tuple(
            TimelinePoint(t * 0.5, {c: 100.0 + k + 10 * math.sin(t) for k, c in enumerate(ids)})
            for t in range(points)
        )
        return [
            Measurement(
                run_id="%s-%05d" % (prefix, i), name=prefix,
                started_at="2026-01-01T00:00:00+00:00", ended_at="2026-01-01T00:10:00+00:00",
                duration_s=points * 0.5, components=parts, timeline=timeline,
                location="world",
            )
            for i in range(count)
        ]
    """
)

_WRITER = _MAKE_RUNS + textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from wattlens.store import Store

    url, prefix, sync = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    count, points, components = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    runs = make_runs(prefix, count, points, components)
    make_runs("warm-up", 1, 2, 2)[0].to_dict()  # loads the catalog, as the parent did
    with Store(url) as store:
        store.count()  # connected, schema checked: what follows is the saves alone
        (sync / ("ready-" + prefix)).touch()
        while not (sync / "go").exists():
            time.sleep(0.001)
        for run in runs:
            store.save(run)
    print(time.time())
    """
)


def _make_runs(prefix: str, count: int, points: int, components: int) -> list[object]:
    namespace: dict[str, object] = {}
    exec(_MAKE_RUNS, namespace)
    make = namespace["make_runs"]
    assert callable(make)
    runs = make(prefix, count, points, components)
    assert isinstance(runs, list)
    return runs


@contextlib.contextmanager
def _sqlite_store(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / f'{uuid.uuid4().hex}.sqlite'}"


def _postgres_store(base_url: str) -> Callable[[Path], contextlib.AbstractContextManager[str]]:
    @contextlib.contextmanager
    def store(_tmp: Path) -> Iterator[str]:
        from sqlalchemy import create_engine, text

        schema = f"bench_{uuid.uuid4().hex[:12]}"
        engine = create_engine(base_url)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            separator = "&" if "?" in base_url else "?"
            yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
        finally:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()

    return store


def _prepare(url: str) -> None:
    """Create the tables (and load the catalog the impacts use) before the clock starts."""
    from wattlens.store import Store

    with Store(url) as store:
        (warm,) = _make_runs("warm-up", 1, 2, 2)
        store.save(warm)  # type: ignore[arg-type]
        store.delete("warm-up-00000")


def _one_process(url: str, runs: int, points: int, components: int) -> float:
    from wattlens.store import Store

    batch = _make_runs(f"b{uuid.uuid4().hex[:8]}", runs, points, components)
    with Store(url) as store:
        store.count()
        start = time.perf_counter()
        for run in batch:
            store.save(run)  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        assert store.count() == runs
    return seconds


def _processes(url: str, runs: int, points: int, components: int, writers: int) -> float:
    from wattlens.store import Store

    with tempfile.TemporaryDirectory() as sync_dir:
        sync = Path(sync_dir)
        prefixes = [f"w{w}" for w in range(writers)]
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _WRITER, url, p, str(sync)]
                + [str(n) for n in (runs, points, components)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for p in prefixes
        ]
        while not all((sync / f"ready-{p}").exists() for p in prefixes):
            if any(proc.poll() not in (None, 0) for proc in procs):
                raise SystemExit("a writer process failed to start")
            time.sleep(0.005)
        start = time.time()
        (sync / "go").touch()
        ends = []
        for proc in procs:
            out, _ = proc.communicate()
            if proc.returncode != 0:
                raise SystemExit(f"a writer process failed (exit code {proc.returncode})")
            ends.append(float(out.split()[-1]))
    with Store(url) as store:
        assert store.count() == runs * writers, "runs were lost"
    return max(ends) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="batches per figure (median)")
    parser.add_argument("--runs", type=int, default=50, help="runs per batch and process")
    parser.add_argument("--points", type=int, default=600, help="timeline points per run")
    parser.add_argument("--components", type=int, default=2, help="components per point")
    parser.add_argument("--writers", type=int, default=4, help="processes of the N-process case")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(POSTGRES_ENV_VAR, ""),
        help=f"PostgreSQL database to measure (default: {POSTGRES_ENV_VAR})",
    )
    args = parser.parse_args()
    backends: dict[str, Callable[[Path], contextlib.AbstractContextManager[str]]] = {
        "SQLite file": _sqlite_store
    }
    if args.pg_url:
        backends["PostgreSQL"] = _postgres_store(args.pg_url)
    cases: dict[str, tuple[int, Callable[[str], float]]] = {
        "1 process": (
            1,
            lambda url: _one_process(url, args.runs, args.points, args.components),
        ),
        f"{args.writers} processes": (
            args.writers,
            lambda url: _processes(url, args.runs, args.points, args.components, args.writers),
        ),
    }
    print(
        f"median of {args.repeat} batches; a run = {args.points} points x {args.components} "
        f"components ({args.points * args.components} timeline rows)"
    )
    print(f"{'backend':<14}{'writers':<14}{'runs':>7}{'runs/s':>10}{'points/s':>12}{'rows/s':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for backend, fresh_store in backends.items():
            for case, (processes, measure) in cases.items():
                seconds = []
                for _ in range(args.repeat):
                    with fresh_store(Path(tmp)) as url:
                        _prepare(url)
                        seconds.append(measure(url))
                median = statistics.median(seconds)
                total = args.runs * processes
                runs_s = total / median
                points_s = runs_s * args.points
                print(
                    f"{backend:<14}{case:<14}{total:>7}{runs_s:>10.1f}"
                    f"{points_s:>12,.0f}{points_s * args.components:>12,.0f}"
                )
    if not args.pg_url:
        print(f"PostgreSQL not measured: pass --pg-url or set {POSTGRES_ENV_VAR}")


if __name__ == "__main__":
    main()
