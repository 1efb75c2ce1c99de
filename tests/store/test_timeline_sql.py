"""The timeline of a long run, reduced in SQL from the running totals: the bucket means
of every row for any length and any number of points, whatever order the rows were
saved in, and the dashboard's series of them equal to the report's downsampling."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, update

from tests.store.test_store import make_measurement
from wattlens.measurement import TimelinePoint
from wattlens.report.views.run import downsample_timeline
from wattlens.store import Store
from wattlens.store import timeline as timeline_sql
from wattlens.store.tables import timeline
from wattlens.web.services import timeline_series


def _points(n: int, *, swap_every: int = 0) -> tuple[TimelinePoint, ...]:
    """``n`` points of two components; with ``swap_every``, some list them the other way."""
    out = []
    for i in range(n):
        gpu, cpu = 300 + 50 * math.sin(i / 7), 90.0 + (i % 13)
        power = {"gpu:0": gpu, "cpu:package-0": cpu}
        if swap_every and i % swap_every == 0:
            power = {"cpu:package-0": cpu, "gpu:0": gpu}
        out.append(TimelinePoint(i / 10, power))
    return tuple(out)


@pytest.fixture
def connect(tmp_path: Path) -> tuple[str, Path]:
    return f"sqlite:///{tmp_path / 'runs.sqlite'}", tmp_path


def _saved(url: str, run_id: str, points: tuple[TimelinePoint, ...]) -> None:
    with Store(url) as store:
        store.save(replace(make_measurement(run_id), timeline=points))


def _reduce(url: str, run_id: str, max_points: int) -> tuple[object, list[TimelinePoint]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            fast = timeline_sql.reduced_from_totals(conn, run_id, max_points)
            n, _first, _last = timeline_sql.extent(conn, run_id)
            slow = timeline_sql.bucket_means(
                conn, run_id, n, max(1, math.ceil(n / max_points)), dense=True
            )
    finally:
        engine.dispose()
    return fast, slow


def _same(fast: list[TimelinePoint], slow: list[TimelinePoint]) -> None:
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert a.t_s == pytest.approx(b.t_s, rel=1e-12, abs=1e-9)
        assert list(a.power_w) == list(b.power_w)
        for c in a.power_w:
            assert a.power_w[c] == pytest.approx(b.power_w[c], rel=1e-12)


@pytest.mark.parametrize(("n", "max_points"), [(1, 10), (9, 3), (10, 3), (11, 3), (999, 1000)])
def test_every_bucket_size_gives_the_means_of_every_row(
    connect: tuple[str, Path], n: int, max_points: int
) -> None:
    url, _ = connect
    _saved(url, "r", _points(n))
    fast, slow = _reduce(url, "r", max_points)
    assert fast is not None
    assert isinstance(fast, tuple)
    count, reduced = fast
    assert count == n
    assert len(reduced) == math.ceil(n / math.ceil(n / max_points)) <= max_points
    _same(reduced, slow)


def test_more_points_than_sql_takes_bound_values(connect: tuple[str, Path]) -> None:
    """Asking for 40,000 points once bound one value per bucket, past SQLite's 32,766."""
    url, _ = connect
    _saved(url, "long", _points(40_000))
    with Store(url) as store:
        n, reduced = store.counted_timeline("long", max_points=40_000)
    assert n == 40_000
    assert len(reduced) == 40_000
    assert reduced[12_345].power_w["gpu:0"] == pytest.approx(300 + 50 * math.sin(12_345 / 7))
    assert reduced[-1].t_s == pytest.approx(3999.9)


def test_components_saved_in_another_order_at_some_points(connect: tuple[str, Path]) -> None:
    url, _ = connect
    _saved(url, "swap", _points(300, swap_every=7))
    fast, slow = _reduce(url, "swap", 40)
    assert fast is not None
    assert isinstance(fast, tuple)
    _same(fast[1], slow)


def test_missing_totals_fall_back_to_every_row(connect: tuple[str, Path]) -> None:
    url, _ = connect
    _saved(url, "old", _points(100))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(timeline).where(timeline.c.seq == 49).values(cum_power_w=None))
        with engine.connect() as conn:
            assert timeline_sql.reduced_from_totals(conn, "old", 10) is None
    finally:
        engine.dispose()
    with Store(url) as store:
        n, reduced = store.counted_timeline("old", max_points=10)
    assert n == 100
    assert reduced[4].power_w["gpu:0"] == pytest.approx(
        sum(300 + 50 * math.sin(i / 7) for i in range(40, 50)) / 10
    )


def test_the_count_from_totals_is_the_count_of_rows(connect: tuple[str, Path]) -> None:
    url, _ = connect
    _saved(url, "c", _points(257))
    engine = create_engine(url)
    conn: Connection
    try:
        with engine.connect() as conn:
            assert timeline_sql.extent(conn, "c", totals=True) == (257, 0, 256)
            assert timeline_sql.extent(conn, "c") == (257, 0, 256)
            assert timeline_sql.extent(conn, "none", totals=True) == (0, 0, 0)
    finally:
        engine.dispose()
    with Store(url) as store:
        assert store.timeline_count("c") == 257


@pytest.mark.parametrize("max_points", [10, 64, 5_000])
def test_the_dashboard_series_is_the_report_downsampling(
    connect: tuple[str, Path], max_points: int
) -> None:
    url, _ = connect
    points = list(_points(640))
    points[3] = TimelinePoint(0.3, {"gpu:0": 310.0})  # a component missing at one point
    _saved(url, "s", tuple(points))
    with Store(url) as store:
        n, reduced = store.counted_timeline("s", max_points=max_points)
    series = timeline_series(reduced)
    assert series == downsample_timeline(reduced, max_points)
    assert n == 640
    assert series["points"] == len(reduced)


def test_the_series_marks_missing_values_as_gaps() -> None:
    points = [
        TimelinePoint(0.0, {"gpu:0": 1.23456789}),
        TimelinePoint(1.0, {"gpu:0": math.nan, "ram": 2.0}),
        TimelinePoint(2.0, {"ram": 3.0, "gpu:0": 4.0}),
    ]
    series = timeline_series(points)
    assert series == downsample_timeline(points, 3)
    assert series["power_w"] == {"gpu:0": [1.234568, None, 4.0], "ram": [None, 2.0, 3.0]}
    assert timeline_series([]) == downsample_timeline([], 10)
