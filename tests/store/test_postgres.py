"""The run store against a real PostgreSQL server.

Runs only where ``WATTLENS_TEST_POSTGRES_URL`` names a database this test may
write to, e.g. ``postgresql+psycopg://postgres@localhost:5432/wattlens_test``
(needs ``wattlens[postgres]``). Every test uses run ids and names of its own
and deletes its runs afterwards, so the database may be shared.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.test_store import _WRITER, check_timeline_reads, make_measurement
from wattlens.store import AmbiguousRunIdError, RunNotFoundError, Store

URL = os.environ.get("WATTLENS_TEST_POSTGRES_URL", "")

pytestmark = pytest.mark.skipif(
    not URL, reason="set WATTLENS_TEST_POSTGRES_URL to a PostgreSQL database to run these"
)


@pytest.fixture
def tag() -> str:
    """A prefix of run ids and names that no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(tag: str) -> Iterator[Store]:
    with Store(URL) as s:
        yield s
        for run in s.list_runs(name=f"{tag}*"):
            s.delete(run["run_id"])


def test_round_trip_with_timeline(store: Store, tag: str) -> None:
    m = make_measurement(f"{tag}-one", name=tag, modeled_ram=True, timeline_points=30)
    store.save(m)
    loaded = store.get(f"{tag}-one")
    assert loaded == m
    assert loaded.to_dict() == m.to_dict()


def test_timeline_reads_in_sql_match_the_whole_timeline(store: Store, tag: str) -> None:
    check_timeline_reads(store, tag)


def test_prefix_list_export_delete(store: Store, tag: str) -> None:
    store.save(make_measurement(f"{tag}-a1", name=f"{tag}-x", started_at="2026-01-01T00:00:00Z"))
    store.save(make_measurement(f"{tag}-a2", name=f"{tag}-y", started_at="2026-01-02T00:00:00Z"))
    with pytest.raises(AmbiguousRunIdError):
        store.resolve(f"{tag}-a")
    assert store.resolve(f"{tag}-a2") == f"{tag}-a2"
    assert [r["run_id"] for r in store.list_runs(name=f"{tag}*")] == [f"{tag}-a2", f"{tag}-a1"]
    assert store.count(name=f"{tag}-x") == 1
    out = io.StringIO()
    assert store.export("json", out, name=f"{tag}*") == 2
    assert json.loads(out.getvalue())["count"] == 2
    store.delete(f"{tag}-a1")
    with pytest.raises(RunNotFoundError):
        store.get(f"{tag}-a1")


def test_two_writer_processes_are_all_recorded(store: Store, tag: str, tmp_path: Path) -> None:
    count = 20
    sync = tmp_path / "sync"
    sync.mkdir()
    prefixes = (f"{tag}-alpha", f"{tag}-beta")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, URL, prefix, str(count), str(sync)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in prefixes
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((sync / f"ready-{p}").exists() for p in prefixes):
            assert time.monotonic() < deadline, "writer processes did not start"
            time.sleep(0.01)
        (sync / "go").touch()
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    assert store.count(name=f"{tag}*") == 2 * count


@pytest.fixture
def own_schema(tag: str) -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema of this test's own (dropped afterwards)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(URL)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{tag}"'))
        separator = "&" if "?" in URL else "?"
        yield f"{URL}{separator}options=-csearch_path%3D{tag}"
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{tag}" CASCADE'))
    finally:
        engine.dispose()


def test_store_of_release_0_1_0_is_upgraded_and_reads_the_same(own_schema: str) -> None:
    """Tables as 0.1.0 created them (no version table), holding the runs of the SQLite
    fixture, read back after the upgrade exactly as 0.1.0 exported them."""
    import sqlite3

    from sqlalchemy import MetaData, Table, create_engine, insert, text

    from tests.store.test_migrations import DATA, OLD_IDS, _subset_equal, open_fixture
    from wattlens.store import SCHEMA_VERSION
    from wattlens.store.config import VERSION_TABLE
    from wattlens.store.migrate import upgrade

    with contextlib.closing(open_fixture()) as source:
        source.row_factory = sqlite3.Row
        run_rows = [dict(r) for r in source.execute("SELECT * FROM runs")]
        point_rows = [dict(r) for r in source.execute("SELECT * FROM timeline")]
    engine = create_engine(own_schema)
    try:
        # 0.1.0's tables are revision 0001's; 0.1.0 kept no version table.
        upgrade(engine, where=own_schema, revision="0001")
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
            old = MetaData()
            runs = Table("runs", old, autoload_with=conn)
            timeline = Table("timeline", old, autoload_with=conn)
            conn.execute(insert(runs), run_rows)
            conn.execute(insert(timeline), point_rows)
    finally:
        engine.dispose()
    expected = json.loads((DATA / "release-0.1.0.export.json").read_text(encoding="utf-8"))
    with Store(own_schema) as store:
        out = io.StringIO()
        assert store.export("csv", out) == 3
        assert store.schema_version == SCHEMA_VERSION
        for old in expected["runs"]:
            _subset_equal(old, store.get(old["run_id"][:12]).to_dict(), old["run_id"])
        assert store.resolve(OLD_IDS[1][:12]) == OLD_IDS[1]
    assert out.getvalue() == (DATA / "release-0.1.0.export.csv").read_text(encoding="utf-8")


def test_new_schema_matches_the_tables_module(own_schema: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from wattlens.store.tables import metadata

    with Store(own_schema) as store:
        assert store.count() == 0
    engine = create_engine(own_schema)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": "schema_version"})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
