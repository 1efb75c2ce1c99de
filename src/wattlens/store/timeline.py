"""Reading power timelines in SQL: every point, the extent, or bucket means.

Functions of an open connection, used by :class:`~wattlens.store.Store`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, and_, case, func, literal, select

from wattlens.measurement import TimelinePoint
from wattlens.store.tables import runs, timeline

__all__ = ["bucket_means", "extent", "points", "reduced_from_totals"]


def points(conn: Connection, run_id: str) -> list[TimelinePoint]:
    """Every stored point of one run's timeline, in order."""
    t = timeline.c
    rows = conn.execute(
        select(t.seq, t.t_s, t.component, t.power_w).where(t.run_id == run_id).order_by(t.seq, t.id)
    )
    out: list[TimelinePoint] = []
    last_seq: int | None = None
    for seq, t_s, component, power_w in rows:
        if seq != last_seq:
            out.append(TimelinePoint(t_s, {}))
            last_seq = seq
        out[-1].power_w[component] = power_w
    return out


def _served_by_totals(conn: Connection, run_id: str) -> tuple[int, list[str]] | None:
    """(points, components in stored order) of a timeline its running totals serve, else None.

    They serve a timeline whose points are numbered 0..n-1 with every component
    at every point (as the meter records them) and whose rows carry the totals
    (saved at revision 0002 or later). Five indexed lookups, whatever the length.
    """
    t = timeline.c
    rows = conn.execute(
        select(runs.c.timeline_row_count).where(runs.c.run_id == run_id)
    ).scalar_one_or_none()
    # Two queries: SQLite reads a lone min() or max() from the index, both at once by a scan.
    first = conn.execute(select(func.min(t.seq)).where(t.run_id == run_id)).scalar()
    last = conn.execute(select(func.max(t.seq)).where(t.run_id == run_id)).scalar()
    if rows is None or last is None or first != 0:
        return None
    n = int(last) + 1
    tail = conn.execute(
        select(t.component, t.cum_n, t.id).where(t.run_id == run_id, t.seq == last)
    ).all()
    if not tail or int(rows) != n * len(tail) or any(cum_n != n for _c, cum_n, _i in tail):
        return None  # a component missing at some point, or totals not stored
    # The order of the first point, as the full timeline lists the components.
    head = conn.execute(
        select(t.component).where(t.run_id == run_id, t.seq == 0).order_by(t.id)
    ).scalars()
    return n, list(head)


def extent(conn: Connection, run_id: str, *, totals: bool = False) -> tuple[int, int, int]:
    """(number of stored points, first seq, last seq) of one run's timeline.

    With ``totals`` (a store at revision 0002 or later), a timeline its running
    totals serve is measured from its last point instead of counting every row.
    """
    served = _served_by_totals(conn, run_id) if totals else None
    if served is not None:
        return served[0], 0, served[0] - 1
    t = timeline.c
    n, first, last = conn.execute(
        select(func.count(t.seq.distinct()), func.min(t.seq), func.max(t.seq)).where(
            t.run_id == run_id
        )
    ).one()
    return int(n or 0), int(first or 0), int(last or 0)


def reduced_from_totals(
    conn: Connection, run_id: str, max_points: int
) -> tuple[int, list[TimelinePoint]] | None:
    """(points, bucket means) of a timeline from its running totals; None where they cannot serve.

    A bucket's mean is the difference of the totals at its last point and at the
    previous bucket's last point, divided by its size. The database lists the
    buckets' last points (a recursive CTE, no bound list of them) and reads each
    one's rows from the (run, point) index: one indexed lookup per bucket,
    whatever the length, and the result equals :func:`bucket_means`.
    """
    served = _served_by_totals(conn, run_id)
    if served is None:
        return None
    n, components = served
    t = timeline.c
    size = max(1, math.ceil(n / max_points))
    # Each bucket's last point: size-1, 2*size-1, ..., and n-1 for a shorter last bucket.
    ends = select(literal(min(size, n) - 1, Integer).label("end")).cte("ends", recursive=True)
    ends = ends.union_all(
        select(case((ends.c.end + size < n, ends.c.end + size), else_=n - 1)).where(
            ends.c.end < n - 1
        )
    )
    # Outer join: an end without rows (a store changed meanwhile) shows as NULL.
    found: Sequence[Any] = conn.execute(
        select(ends.c.end, t.component, t.cum_power_w, t.cum_t_s).select_from(
            ends.outerjoin(timeline, and_(t.run_id == run_id, t.seq == ends.c.end))
        )
    ).all()
    n_buckets, width = math.ceil(n / size), len(components)
    if len(found) != n_buckets * width:
        return None
    # The points come in the order the CTE lists them and, within one, the rows in the
    # order they were saved, the same at every point as a rule (SQLite does so); else
    # they are sorted here. ORDER BY would sort every row in SQL, even when in order.
    names = [r[1] for r in found]
    order = names[:width]
    in_order = all(found[i][0] < found[i + width][0] for i in range(0, len(found) - width, width))
    if not in_order or names != order * n_buckets:
        found = sorted(found, key=lambda r: (r[0], r[1] or ""))
        names, order = [r[1] for r in found], sorted(components)
        if names != order * n_buckets:
            return None  # a component missing at some point
    # The differences in arrays (a window function in SQL sorts every row again: slower).
    import numpy as np

    ends_at = np.array([r[0] for r in found], dtype=float).reshape(n_buckets, width)
    cum_power = np.array([r[2] for r in found], dtype=float).reshape(n_buckets, width)
    cum_t = np.array([r[3] for r in found], dtype=float).reshape(n_buckets, width)
    if np.isnan(cum_power).any() or np.isnan(cum_t).any():
        return None  # no totals at some point (NULL gives NaN)
    last = ends_at[:, 0]
    sizes = np.diff(last, prepend=-1.0)
    if (ends_at != last[:, None]).any() or sizes.min() < 1:
        return None
    power = np.diff(cum_power, axis=0, prepend=0.0) / sizes[:, None]
    first = order.index(components[0])
    time = np.diff(cum_t[:, first], prepend=0.0) / sizes
    columns = [order.index(c) for c in components]
    out = [
        TimelinePoint(t_s, {c: row[i] for c, i in zip(components, columns, strict=True)})
        for t_s, row in zip(time.tolist(), power.tolist(), strict=True)
    ]
    return n, out


def bucket_means(
    conn: Connection, run_id: str, n: int, bucket: int, *, dense: bool
) -> list[TimelinePoint]:
    """Bucket means of a timeline of ``n`` points (see :meth:`Store.timeline`), in SQL.

    A point's index is its ``seq`` when the stored points are numbered
    0..n-1 without gaps (as saved runs are), else its rank among them
    (points without any power are not stored). One ``GROUP BY`` (bucket,
    component) gives each component's mean power and mean time; a bucket's
    time is that of a component present at every one of its points, and
    only a bucket without one needs a second query (mean time per point).
    """
    t = timeline.c
    index: Any = t.seq if dense else func.dense_rank().over(order_by=t.seq) - 1
    rows = (
        select(index.label("idx"), t.seq, t.id, t.t_s, t.component, t.power_w)
        .where(t.run_id == run_id)
        .subquery()
    )
    # Integer division of non-negative integers: idx / k in SQLite and PostgreSQL.
    power_bucket = (rows.c.idx // bucket).label("bucket")
    power_rows = conn.execute(
        select(
            power_bucket,
            rows.c.component,
            func.avg(rows.c.power_w),
            func.avg(rows.c.t_s),
            func.count(),
            func.min(rows.c.seq),
            func.min(rows.c.id),
        ).group_by(power_bucket, rows.c.component)
    ).all()
    n_buckets = math.ceil(n / bucket)
    parts, times = _assemble(power_rows, n, bucket, n_buckets)
    if any(v is None for v in times):
        # One time per point (every component of a point shares it), then its bucket mean.
        per_point = (
            select(rows.c.idx, func.min(rows.c.t_s).label("t_s")).group_by(rows.c.idx).subquery()
        )
        time_bucket = (per_point.c.idx // bucket).label("bucket")
        for b, t_mean in conn.execute(
            select(time_bucket, func.avg(per_point.c.t_s)).group_by(time_bucket)
        ):
            if times[int(b)] is None:
                times[int(b)] = float(t_mean)
    return [
        TimelinePoint(float(t_mean or 0.0), {c: mean for _i, c, mean in sorted(parts[b])})
        for b, t_mean in enumerate(times)
    ]


def _assemble(
    power_rows: Sequence[Sequence[Any]], n: int, bucket: int, n_buckets: int
) -> tuple[list[list[tuple[int, str, float]]], list[float | None]]:
    """Each bucket's (order, component, mean power) parts and its time where one row gives it.

    Components keep the order in which they first appear, as the full timeline
    lists them. A bucket's time comes from a component present at all its points.
    """
    first_seen: dict[str, tuple[int, int]] = {}
    for row in power_rows:
        component, key = row[1], (int(row[5]), int(row[6]))
        if component not in first_seen or key < first_seen[component]:
            first_seen[component] = key
    order = {c: i for i, c in enumerate(sorted(first_seen, key=first_seen.__getitem__))}
    parts: list[list[tuple[int, str, float]]] = [[] for _ in range(n_buckets)]
    times: list[float | None] = [None] * n_buckets
    for raw_b, component, power_mean, t_mean, count, _seq, _id in power_rows:
        b = int(raw_b)
        parts[b].append((order[component], component, float(power_mean)))
        if times[b] is None and int(count) == min(bucket, n - b * bucket):
            times[b] = float(t_mean)
    return parts, times
