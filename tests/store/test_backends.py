"""One store suite on every backend: SQLite and PostgreSQL (see ``conftest.py``).

The tests of ``test_store.py`` that need nothing but a store run here again on
each backend (``store`` is the parametrised fixture in this module), next to
the tests below that read the tables through SQLAlchemy instead of sqlite3.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, func, insert, select, text

from tests.store import test_store as suite
from tests.store.test_migrations import DATA, OLD_IDS, _subset_equal, open_fixture
from tests.store.test_store import make_measurement
from wattlens.errors import StoreError
from wattlens.measurement import TimelinePoint
from wattlens.store import SCHEMA_VERSION, RunNotFoundError, Store
from wattlens.store import tables as store_tables
from wattlens.store.store import SORT_COLUMNS

# -- the backend-neutral tests of test_store.py, on each backend ------------------------------
test_save_get_round_trip_is_equal_including_timeline = (
    suite.test_save_get_round_trip_is_equal_including_timeline
)
test_timeline_reads_in_sql_match_the_whole_timeline = (
    suite.test_timeline_reads_in_sql_match_the_whole_timeline
)
test_unique_prefix_finds_the_run = suite.test_unique_prefix_finds_the_run
test_exact_id_wins_over_longer_ids_with_the_same_prefix = (
    suite.test_exact_id_wins_over_longer_ids_with_the_same_prefix
)
test_ambiguous_prefix_lists_the_matches = suite.test_ambiguous_prefix_lists_the_matches
test_unknown_id_names_the_id = suite.test_unknown_id_names_the_id
test_prefix_is_literal_and_case_sensitive = suite.test_prefix_is_literal_and_case_sensitive
test_list_is_newest_first_by_default = suite.test_list_is_newest_first_by_default
test_list_limit_and_offset_page_through = suite.test_list_limit_and_offset_page_through
test_list_filters_by_name_and_glob = suite.test_list_filters_by_name_and_glob
test_list_filters_by_since_across_time_zones = suite.test_list_filters_by_since_across_time_zones
test_list_summary_fields_and_values = suite.test_list_summary_fields_and_values
test_impact_columns_come_from_the_computed_impacts = (
    suite.test_impact_columns_come_from_the_computed_impacts
)
test_impact_columns_are_read_tolerantly = suite.test_impact_columns_are_read_tolerantly
test_csv_export_has_the_documented_columns = suite.test_csv_export_has_the_documented_columns
test_json_export_parses_back_into_measurements = (
    suite.test_json_export_parses_back_into_measurements
)
test_export_filters_by_name = suite.test_export_filters_by_name


@pytest.fixture
def engine(backend_url: str) -> Iterator[Engine]:
    """A plain SQLAlchemy engine on the store under test, to look at its rows."""
    e = create_engine(backend_url)
    yield e
    e.dispose()


def _timeline_rows(engine: Engine, run_id: str | None = None) -> int:
    t = store_tables.timeline
    query = select(func.count()).select_from(t)
    if run_id is not None:
        query = query.where(t.c.run_id == run_id)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_backend_is_the_one_asked_for(store: Store, backend: str) -> None:
    assert store.is_sqlite == (backend == "sqlite")
    assert store.schema_version == SCHEMA_VERSION


def test_timeline_is_stored_as_rows_with_running_totals(store: Store, engine: Engine) -> None:
    store.save(make_measurement("with-timeline", timeline_points=4))
    store.save(make_measurement("no-timeline", timeline_points=0))
    t = store_tables.timeline.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.seq, t.component, t.power_w, t.cum_power_w, t.cum_n)
            .where(t.run_id == "with-timeline")
            .order_by(t.id)
        ).all()
    assert len(rows) == 4 * 2
    gpu = [r for r in rows if r.component == "gpu:0"]
    assert [r.seq for r in gpu] == [0, 1, 2, 3]
    assert [r.cum_n for r in gpu] == [1, 2, 3, 4]
    assert gpu[-1].cum_power_w == pytest.approx(sum(r.power_w for r in gpu), rel=1e-12)
    assert store.get("no-timeline").timeline is None
    assert store.timeline_count("with-timeline") == 4


def test_saving_an_id_again_replaces_the_run_and_its_timeline(store: Store, engine: Engine) -> None:
    store.save(make_measurement("r1", name="first", timeline_points=5))
    store.save(make_measurement("r1", name="second", timeline_points=2))
    assert store.count() == 1
    assert store.get("r1").name == "second"
    assert _timeline_rows(engine) == 2 * 2
    assert store.timeline_count("r1") == 2


def test_delete_removes_the_run_and_its_timeline(store: Store, engine: Engine) -> None:
    store.save(make_measurement("keep-me", timeline_points=3))
    store.save(make_measurement("drop-me", timeline_points=7))
    assert store.delete("drop") == "drop-me"
    assert [r["run_id"] for r in store.list_runs()] == ["keep-me"]
    assert _timeline_rows(engine, "drop-me") == 0
    assert _timeline_rows(engine, "keep-me") == 3 * 2
    with pytest.raises(RunNotFoundError):
        store.delete("drop-me")
    with pytest.raises(RunNotFoundError):
        store.timeline_count("drop-me")


def _sortable_runs(store: Store) -> None:
    """Runs whose every sortable column differs, one with no impacts (no co2e_g)."""
    specs = [
        ("s-a", "beta", "2026-01-03T00:00:00Z", 30.0, 900.0, "failed"),
        ("s-b", "alpha", "2026-01-01T00:00:00Z", 10.0, 3000.0, "completed"),
        ("s-c", "gamma", "2026-01-02T00:00:00Z", 20.0, 100.0, "interrupted"),
    ]
    for run_id, name, started, duration, gpu_j, status in specs:
        store.save(
            make_measurement(
                run_id,
                name=name,
                started_at=started,
                duration_s=duration,
                gpu_j=gpu_j,
                status=status,
            )
        )
    store.save(make_measurement("s-d", name="delta", impacts={"co2e_g": "unknown"}))


@pytest.mark.parametrize("sort", SORT_COLUMNS)
def test_every_sort_column_orders_in_the_database_with_nulls_last(store: Store, sort: str) -> None:
    _sortable_runs(store)
    runs = store.list_runs()
    for order, descending in (("newest", True), ("oldest", False)):
        got = store.list_runs(sort=sort, order=order)  # type: ignore[arg-type]
        present = [r for r in runs if r[sort] is not None]
        absent = sorted((r for r in runs if r[sort] is None), key=lambda r: r["run_id"])
        if descending:
            absent.reverse()
        expected = sorted(present, key=lambda r: (r[sort], r["run_id"]), reverse=descending)
        assert [r["run_id"] for r in got] == [r["run_id"] for r in expected + absent], order
        paged = store.list_runs(sort=sort, order=order, limit=2, offset=1)  # type: ignore[arg-type]
        assert [r["run_id"] for r in paged] == [r["run_id"] for r in got[1:3]]
    if sort == "co2e_g":
        assert store.list_runs(sort=sort)[-1]["run_id"] == "s-d"


def test_glob_filter_and_since_combine(store: Store) -> None:
    _sortable_runs(store)
    assert store.count(name="?eta") == 1
    assert store.count(name="*a", since="2026-01-02T00:00:00+00:00") == 3  # beta, gamma, delta
    assert [r["run_id"] for r in store.list_runs(name="*l*", order="oldest")] == ["s-b", "s-d"]


def test_reduced_timeline_of_a_run_with_gaps_and_late_components(store: Store) -> None:
    points = tuple(
        TimelinePoint(i * 0.5, {"gpu:0": 100.0 + i} | ({"ram": 5.0} if i >= 6 else {}))
        for i in range(10)
    )
    m = replace(make_measurement("gappy", timeline_points=0), timeline=points)
    store.save(m)
    n, reduced = store.counted_timeline("gappy", max_points=5)
    assert n == 10
    assert [p.t_s for p in reduced] == pytest.approx([0.25, 1.25, 2.25, 3.25, 4.25])
    assert [p.power_w["gpu:0"] for p in reduced] == pytest.approx(
        [100.5, 102.5, 104.5, 106.5, 108.5]
    )
    assert ["ram" in p.power_w for p in reduced] == [False, False, False, True, True]
    assert reduced[3].power_w["ram"] == pytest.approx(5.0)


# -- migrations --------------------------------------------------------------------------------
def _release_0_1_0_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with contextlib.closing(open_fixture()) as source:
        source.row_factory = sqlite3.Row
        runs = [dict(r) for r in source.execute("SELECT * FROM runs")]
        points = [dict(r) for r in source.execute("SELECT * FROM timeline")]
    return runs, points


def _at_revision_0001_with_release_0_1_0_runs(url: str) -> None:
    """Tables as revision 0001 made them, holding the runs 0.1.0 wrote in the fixture."""
    from wattlens.store.migrate import upgrade

    run_rows, point_rows = _release_0_1_0_rows()
    engine = create_engine(url)
    try:
        upgrade(engine, where=url, revision="0001")
        with engine.begin() as conn:
            old = MetaData()
            runs = Table("runs", old, autoload_with=conn)
            timeline = Table("timeline", old, autoload_with=conn)
            conn.execute(insert(runs), run_rows)
            conn.execute(insert(timeline), point_rows)
    finally:
        engine.dispose()


def test_store_at_revision_0001_is_upgraded_and_reads_as_0_1_0_exported(backend_url: str) -> None:
    _at_revision_0001_with_release_0_1_0_runs(backend_url)
    expected = json.loads((DATA / "release-0.1.0.export.json").read_text(encoding="utf-8"))
    with Store(backend_url) as store:
        assert store.schema_version == SCHEMA_VERSION
        out = io.StringIO()
        assert store.export("csv", out) == 3
        for old in expected["runs"]:
            _subset_equal(old, store.get(old["run_id"][:12]).to_dict(), old["run_id"])
        energies = [r["energy_j"] for r in store.list_runs(sort="energy_j", order="desc")]
        assert energies == sorted(energies, reverse=True)
        # The upgraded points carry running totals: the reduction reads them.
        full = store.get(OLD_IDS[1]).timeline
        assert full is not None
        n, reduced = store.counted_timeline(OLD_IDS[1], max_points=3)
        assert n == len(full) == 6
        for b, point in enumerate(reduced):
            pair = full[2 * b : 2 * b + 2]
            assert point.t_s == pytest.approx((pair[0].t_s + pair[1].t_s) / 2)
    csv_text = (DATA / "release-0.1.0.export.csv").read_text(encoding="utf-8")
    assert out.getvalue() == csv_text


def test_new_schema_matches_the_tables_module(store: Store, backend_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert store.count() == 0
    engine = create_engine(backend_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": "schema_version"})
            assert compare_metadata(context, store_tables.metadata) == []
    finally:
        engine.dispose()


def test_store_written_by_a_newer_release_is_refused(
    store: Store, engine: Engine, backend_url: str
) -> None:
    store.save(make_measurement("kept"))
    store.close()
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version_num = '9999'"))
    with pytest.raises(StoreError) as info, Store(backend_url) as again:
        again.count()
    assert "9999" in info.value.message
    assert SCHEMA_VERSION in info.value.message
    assert info.value.hint is not None
    assert "upgrade wattlens" in info.value.hint
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM schema_version")).scalar_one() == "9999"


# -- server settings ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, "-c statement_timeout=5000 -c lock_timeout=5000"),
        ("-csearch_path=runs", "-csearch_path=runs -c statement_timeout=5000 -c lock_timeout=5000"),
        ("-c statement_timeout=0", "-c statement_timeout=0 -c lock_timeout=5000"),
        (
            "-c lock_timeout=1s -c statement_timeout=2s",
            "-c lock_timeout=1s -c statement_timeout=2s",
        ),
    ],
)
def test_libpq_options_of_the_url_keep_the_timeouts_they_do_not_set(
    options: str | None, expected: str
) -> None:
    from sqlalchemy.engine import URL

    from wattlens.store.database import _server_connect_args

    query = {} if options is None else {"options": options}
    url = URL.create("postgresql+psycopg", "u", None, "db.example", None, "runs", query)
    assert _server_connect_args(url, 5.0)["options"] == expected


def test_a_schema_in_the_url_keeps_the_statement_and_lock_timeouts(
    pg_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattlens.store.database import Database

    monkeypatch.setenv("WATTLENS_DB_TIMEOUT", "7")
    database = Database(pg_schema_url)
    try:
        with database.engine.connect() as conn:
            settings = [
                conn.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("statement_timeout", "lock_timeout", "search_path")
            ]
    finally:
        database.close()
    assert settings == ["7s", "7s", pg_schema_url.rsplit("%3D", 1)[1]]
