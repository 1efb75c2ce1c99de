"""Reducing a long timeline from the running totals stored with each row (revision 0002):
the same bucket means as ``GROUP BY`` over every row, and the fallback where the
totals cannot serve."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from tests.store.test_store import make_measurement
from wattlens.measurement import TimelinePoint
from wattlens.store import Store, save_sqlite_fast
from wattlens.store import timeline as timeline_sql


def _points(n: int, *, gap_every: int = 0) -> tuple[TimelinePoint, ...]:
    """``n`` points at 10 Hz; with ``gap_every``, the RAM component misses some points."""
    out = []
    for i in range(n):
        power = {"gpu:0": 300 + 50 * math.sin(i / 7), "cpu:package-0": 90 + (i % 13)}
        if gap_every and i % gap_every == 0:
            power.pop("cpu:package-0")
        out.append(TimelinePoint(i / 10, power))
    return tuple(out)


_Reduced = tuple[int, list[TimelinePoint]]


def _both(url: str, run_id: str, max_points: int) -> tuple[_Reduced | None, _Reduced]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            fast = timeline_sql.reduced_from_totals(conn, run_id, max_points)
            n, _first, _last = timeline_sql.extent(conn, run_id)
            bucket = max(1, math.ceil(n / max_points))
            slow = timeline_sql.bucket_means(conn, run_id, n, bucket, dense=True)
    finally:
        engine.dispose()
    return fast, (n, slow)


@pytest.mark.parametrize(("n", "max_points"), [(1000, 100), (1001, 100), (997, 10), (50, 7)])
@pytest.mark.parametrize("fast_save", [False, True])
def test_totals_give_the_bucket_means_of_every_row(
    tmp_path: Path, n: int, max_points: int, fast_save: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    m = replace(make_measurement("t0"), timeline=_points(n))
    with Store(url) as store:
        store.count()
    if fast_save:
        assert save_sqlite_fast(m, url) is True
    else:
        with Store(url) as store:
            store.save(m)
    fast, slow = _both(url, "t0", max_points)
    assert fast is not None
    count, reduced = fast
    slow_count, slow_points = slow
    assert count == slow_count == n
    assert len(reduced) == len(slow_points) == math.ceil(n / math.ceil(n / max_points))
    for a, b in zip(reduced, slow_points, strict=True):
        assert a.t_s == pytest.approx(b.t_s, rel=1e-12, abs=1e-9)
        assert list(a.power_w) == list(b.power_w)
        for c in a.power_w:
            assert a.power_w[c] == pytest.approx(b.power_w[c], rel=1e-12)


def test_a_component_missing_at_some_points_falls_back_to_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    m = replace(make_measurement("gaps"), timeline=_points(500, gap_every=9))
    with Store(url) as store:
        store.save(m)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert timeline_sql.reduced_from_totals(conn, "gaps", 50) is None
        finally:
            engine.dispose()
        n, reduced = store.counted_timeline("gaps", max_points=50)
    assert n == 500
    assert len(reduced) == 50
    cpu = [p.power_w["cpu:package-0"] for p in m.timeline or () if "cpu:package-0" in p.power_w]
    # Each bucket's mean over the points that have the component.
    first = [p.power_w["cpu:package-0"] for p in (m.timeline or ())[:10] if len(p.power_w) == 2]
    assert reduced[0].power_w["cpu:package-0"] == pytest.approx(sum(first) / len(first))
    assert len(cpu) < 500
