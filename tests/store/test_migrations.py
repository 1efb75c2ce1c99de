"""Schema versions: a store written by wattlens 0.1.0 is upgraded and reads the same.

``data/release-0.1.0.db`` was written by ``wattlens run`` of release 0.1.0
(three runs: one plain, one with a power timeline and a location, one whose
command failed), before the store had migrations; ``release-0.1.0.export.*``
are what ``wattlens runs export`` of that release printed for it.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from tests.store.test_store import make_measurement
from wattlens.errors import StoreError
from wattlens.store import SCHEMA_VERSION, AmbiguousRunIdError, Store, save, save_sqlite_fast

DATA = Path(__file__).parent / "data"
OLD_DB = DATA / "release-0.1.0.db"
OLD_IDS = (
    "01a22efb605118fff7feb15a449594ba",  # fixture: `wattlens run --name fixture -- true`
    "01a22efb65471972a5561fd24c3383bc",  # fixture-timeline: --timeline --location FR
    "01a22efb77917b0d5e2fc9ef48a79d9c",  # failing run: `-- false`, exit code 1
)


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A copy of the 0.1.0 store (the committed file stays as it was written)."""
    path = tmp_path / "old.sqlite"
    shutil.copyfile(OLD_DB, path)
    return path


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_fixture() -> sqlite3.Connection:
    """The committed 0.1.0 file, read without touching it or its directory."""
    return sqlite3.connect(f"file:{OLD_DB}?immutable=1", uri=True)


def _schema(path: Path) -> list[tuple[str, str, str | None]]:
    """Every table and index of a SQLite file, with the SQL that created it."""
    connect = open_fixture if path == OLD_DB else lambda: sqlite3.connect(path)
    with contextlib.closing(connect()) as conn:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
    return sorted(rows, key=lambda r: (r[0], r[1]))


#: The indexes revision 0002 adds: one per column the runs list sorts by, and the
#: timeline's (run, point) index.
SORT_INDEXES = {
    "ix_runs_duration_s",
    "ix_runs_energy_j",
    "ix_runs_co2e_g",
    "ix_runs_avg_power_w",
    "ix_runs_status",
    "ix_timeline_run_id_seq",
}


#: What revision 0003 adds: the windows table and its index, the index of runs.parent_id.
WINDOW_OBJECTS = {"windows", "ix_windows_run_id_seq", "ix_runs_parent_id"}


def _index_rows(path: Path) -> list[tuple[str, str, str | None]]:
    return [row for row in _schema(path) if row[0] == "index"]


def _versions(path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [r[0] for r in conn.execute("SELECT version_num FROM schema_version")]


def _subset_equal(expected: Any, actual: Any, where: str = "run") -> None:
    """Every field that 0.1.0 exported has the same value now (new fields may be added)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} is missing"
            _subset_equal(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        assert len(actual) == len(expected), where
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _subset_equal(e, a, f"{where}[{i}]")
    else:
        assert actual == expected, where


def test_the_fixture_predates_migrations() -> None:
    tables = {name for kind, name, _sql in _schema(OLD_DB) if kind == "table"}
    assert tables == {"runs", "timeline"}


def test_old_store_is_upgraded_and_its_csv_export_is_unchanged(old_store: Path) -> None:
    with Store(_url(old_store)) as store:
        out = io.StringIO()
        assert store.export("csv", out) == 3
        assert store.schema_version == SCHEMA_VERSION
    expected = (DATA / "release-0.1.0.export.csv").read_text(encoding="utf-8")
    assert out.getvalue() == expected
    assert _versions(old_store) == [SCHEMA_VERSION]


def test_old_store_runs_read_back_with_identical_values(old_store: Path) -> None:
    expected = json.loads((DATA / "release-0.1.0.export.json").read_text(encoding="utf-8"))
    with Store(_url(old_store)) as store:
        runs = [store.get(run_id).to_dict() for run_id in OLD_IDS]
        summaries = {r["run_id"]: r for r in store.list_runs()}
    assert [r["run_id"] for r in expected["runs"]] == list(OLD_IDS)
    for old, new in zip(expected["runs"], runs, strict=True):
        _subset_equal(old, new, old["run_id"])
    timeline = runs[1]["timeline"]
    assert timeline is not None
    assert len(timeline) == 6
    assert summaries[OLD_IDS[2]]["exit_code"] == 1
    assert summaries[OLD_IDS[2]]["status"] == "failed"
    assert summaries[OLD_IDS[1]]["location"] == "FR"


def test_upgrade_adds_the_version_table_indexes_and_columns(old_store: Path) -> None:
    before = _schema(old_store)
    with Store(_url(old_store)) as store:
        store.count()
    after = _schema(old_store)
    added = [row for row in after if row not in before]
    assert {name for _kind, name, _sql in added} == {
        "schema_version",
        "sqlite_autoindex_schema_version_1",
        *SORT_INDEXES,
        *WINDOW_OBJECTS,
        "runs",  # + timeline_row_count, parent_id
        "timeline",  # + the running totals
    }
    assert all(row in after for row in before if row[0] == "index")
    tables = {name: sql or "" for kind, name, sql in after if kind == "table"}
    assert "timeline_row_count INTEGER" in tables["runs"]
    assert "parent_id VARCHAR(128)" in tables["runs"]
    assert "cum_power_w FLOAT" in tables["timeline"]


def test_new_store_has_the_schema_of_an_upgraded_0_1_0_store(
    tmp_path: Path, old_store: Path
) -> None:
    path = tmp_path / "new.sqlite"
    with Store(_url(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
    with Store(_url(old_store)) as store:
        store.count()
    assert _schema(path) == _schema(old_store)
    assert all(row in _schema(path) for row in _index_rows(OLD_DB))


def test_upgraded_timeline_totals_reduce_as_the_points_do(old_store: Path) -> None:
    from wattlens.store import timeline as timeline_sql

    with Store(_url(old_store)) as store:
        full = store.get(OLD_IDS[1]).timeline
        assert full is not None
        assert len(full) == 6
        n, reduced = store.counted_timeline(OLD_IDS[1], max_points=3)
    assert n == 6
    assert len(reduced) == 3
    for b, point in enumerate(reduced):
        pair = full[2 * b : 2 * b + 2]
        assert point.t_s == pytest.approx((pair[0].t_s + pair[1].t_s) / 2)
        for component, power in point.power_w.items():
            assert power == pytest.approx(sum(p.power_w[component] for p in pair) / 2)
    from sqlalchemy import create_engine

    engine = create_engine(_url(old_store))
    try:
        with engine.connect() as conn:
            assert timeline_sql.reduced_from_totals(conn, OLD_IDS[1], 3) == (n, reduced)
    finally:
        engine.dispose()


def _at_revision_0001(path: Path) -> None:
    """Migrate the 0.1.0 file at ``path`` to revision 0001 only (a store of the previous
    release that had migrations)."""
    from sqlalchemy import create_engine

    from wattlens.store.migrate import upgrade

    engine = create_engine(_url(path))
    try:
        upgrade(engine, where=str(path), revision="0001")
    finally:
        engine.dispose()
    assert _versions(path) == ["0001"]


def test_store_at_revision_0001_gets_the_sort_indexes(old_store: Path) -> None:
    _at_revision_0001(old_store)
    assert not SORT_INDEXES & {name for _k, name, _s in _schema(old_store)}
    with Store(_url(old_store)) as store:
        assert store.schema_version == SCHEMA_VERSION
        energies = [r["energy_j"] for r in store.list_runs(sort="energy_j", order="desc")]
    assert energies == sorted(energies, reverse=True)
    assert {name for _k, name, _s in _schema(old_store)} >= SORT_INDEXES
    assert _versions(old_store) == [SCHEMA_VERSION]


def test_fast_save_declines_a_0001_store_then_writes_once_it_is_migrated(
    old_store: Path,
) -> None:
    """`wattlens run` writes with sqlite3 only into a store at the revision it knows."""
    _at_revision_0001(old_store)
    url = _url(old_store)
    first = make_measurement("after-0001", timeline_points=3)
    assert save_sqlite_fast(first, url) is False
    assert _versions(old_store) == ["0001"]
    save(first, url)  # through Store: migrated to the head, then saved
    assert _versions(old_store) == [SCHEMA_VERSION]
    second = make_measurement("fast-0002", timeline_points=3)
    assert save_sqlite_fast(second, url) is True
    with Store(url) as store:
        assert store.count() == 5
        assert store.get("fast-0002").to_dict() == second.to_dict()


def test_read_only_store_at_revision_0001_stays_readable(old_store: Path) -> None:
    _at_revision_0001(old_store)
    old_store.chmod(0o444)
    try:
        with Store(f"sqlite:///file:{old_store}?mode=ro&uri=true") as store:
            assert store.count() == 3
            by_energy = store.list_runs(sort="energy_j", order="asc")
    finally:
        old_store.chmod(0o644)
    assert [r["energy_j"] for r in by_energy] == sorted(r["energy_j"] for r in by_energy)
    assert _versions(old_store) == ["0001"]


def test_tables_module_matches_the_migrated_schema(tmp_path: Path) -> None:
    """tables.py (what the code reads and writes) and the migrations (what the database
    gets) describe the same schema: Alembic's autogenerate finds nothing to change."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from wattlens.store.tables import metadata

    path = tmp_path / "new.sqlite"
    with Store(_url(path)) as store:
        store.count()
    engine = create_engine(_url(path))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": "schema_version"})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_schema_version_is_the_head_revision() -> None:
    from alembic.script import ScriptDirectory

    from wattlens.store.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [SCHEMA_VERSION]
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_old_ids_resolve_by_any_unique_prefix(old_store: Path) -> None:
    with Store(_url(old_store)) as store:
        assert store.resolve("01a22efb6547") == OLD_IDS[1]
        assert store.resolve(OLD_IDS[2]) == OLD_IDS[2]
        # Old ids began with a millisecond timestamp: runs of one minute shared 8 characters.
        with pytest.raises(AmbiguousRunIdError) as info:
            store.resolve("01a22efb")
    assert info.value.matches == sorted(OLD_IDS)


def test_fast_save_waits_for_the_migration_then_writes(old_store: Path) -> None:
    url = _url(old_store)
    first = make_measurement("new-run-1", timeline_points=4)
    # No schema_version yet: `wattlens run` leaves the upgrade to Store.
    assert save_sqlite_fast(first, url) is False
    assert "schema_version" not in {name for _k, name, _s in _schema(old_store)}
    save(first, url)
    assert _versions(old_store) == [SCHEMA_VERSION]
    second = make_measurement("new-run-2", timeline_points=4)
    assert save_sqlite_fast(second, url) is True
    with Store(url) as store:
        assert store.count() == 5
        assert store.get("new-run-2").to_dict() == second.to_dict()


def test_store_written_by_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    with Store(_url(path)) as store:
        store.save(make_measurement("kept"))
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE schema_version SET version_num = '9999'")
    # Neither path writes into a schema it does not know.
    assert save_sqlite_fast(make_measurement("other"), _url(path)) is False
    with pytest.raises(StoreError) as info, Store(_url(path)) as store:
        store.count()
    assert "9999" in info.value.message
    assert SCHEMA_VERSION in info.value.message
    assert str(path) in info.value.message
    assert info.value.hint is not None
    assert "upgrade wattlens" in info.value.hint
    assert _versions(path) == ["9999"]


_UPGRADER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from wattlens.store import Store

    url, sync = sys.argv[1], Path(sys.argv[2])
    (sync / f"ready-{sys.argv[3]}").touch()
    deadline = time.monotonic() + 60
    while not (sync / "go").exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    with Store(url) as store:
        print(store.count())
    """
)


def test_two_processes_upgrading_at_once_migrate_once(old_store: Path, tmp_path: Path) -> None:
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADER, _url(old_store), str(sync), tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + 60
        while not all((sync / f"ready-{tag}").exists() for tag in ("a", "b")):
            assert time.monotonic() < deadline, "upgrader processes did not start"
            time.sleep(0.01)
        (sync / "go").touch()
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "3"
    assert _versions(old_store) == [SCHEMA_VERSION]


_LIGHT = textwrap.dedent(
    """
    import sys
    from wattlens.measurement import ComponentEnergy, Measurement
    import wattlens.store
    from wattlens.store import EXPORT_COLUMNS, RunNotFoundError, new_run_id, save, short_id

    component = ComponentEnergy(
        id="cpu", kind="cpu", name="cpu", method="modeled", sensor="model",
        basis="test", energy_j=1.0, avg_power_w=1.0,
    )
    run = Measurement(
        run_id=new_run_id(), name="light", started_at="2026-01-01T00:00:00Z",
        ended_at="2026-01-01T00:00:01Z", duration_s=1.0, components=(component,),
    )
    save(run, sys.argv[1])
    print(short_id(run.run_id), *sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules))
    """
)


def test_saving_to_a_current_sqlite_store_imports_neither_sqlalchemy_nor_alembic(
    tmp_path: Path,
) -> None:
    """`wattlens run` saves through sqlite3 alone once the store exists at this version."""
    path = tmp_path / "runs.sqlite"
    with Store(_url(path)) as store:
        store.count()
    out = subprocess.run(
        [sys.executable, "-c", _LIGHT, _url(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    (short,) = out.stdout.split()  # nothing but the short id: no heavy module was imported
    with Store(_url(path)) as store:
        assert store.get(short).name == "light"


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with Store(_url(path)) as store:
        store.count()
    code = (
        "import sys\nfrom wattlens.store import Store\n"
        f"with Store({_url(path)!r}) as s:\n    s.count()\n"
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_read_only_old_store_stays_readable(old_store: Path) -> None:
    with Store(f"sqlite:///file:{old_store}?mode=ro&uri=true") as store:
        assert store.get("01a22efb6547").run_id == OLD_IDS[1]
        assert store.count() == 3
        with pytest.raises(StoreError) as info:
            store.save(make_measurement("refused"))
    assert "readonly" in info.value.message.replace(" ", "")
    assert "schema_version" not in {name for _k, name, _s in _schema(old_store)}


def test_revision_0001_downgrades_to_nothing_and_upgrades_again(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from wattlens.store.migrate import alembic_config

    path = tmp_path / "runs.sqlite"
    with Store(_url(path)) as store:
        store.save(make_measurement("gone", timeline_points=3))
    engine = create_engine(_url(path))
    try:
        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
            conn.commit()
    finally:
        engine.dispose()
    assert {name for kind, name, _sql in _schema(path) if kind == "table"} == {"schema_version"}
    assert _versions(path) == []
    with Store(_url(path)) as store:
        assert store.count() == 0
        assert store.schema_version == SCHEMA_VERSION
    fresh = tmp_path / "fresh.sqlite"
    with Store(_url(fresh)) as store:
        store.count()
    assert _schema(path) == _schema(fresh)


def test_a_new_revision_follows_the_head(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from wattlens.store.migrate import MIGRATIONS_DIR, alembic_config, new_revision

    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    made = new_revision("add runs.tags", "0004", script_location=copy)
    assert made == copy / "versions" / "v0004_add_runs_tags.py"
    text = made.read_text(encoding="utf-8")
    assert "revision = '0004'" in text
    assert "down_revision: str | None = '0003'" in text
    script = ScriptDirectory.from_config(alembic_config(copy))
    assert script.get_heads() == ["0004"]
