"""The run store: save, load, list, count, delete and export runs.

Plain SQLAlchemy 2 Core (no ORM) over the tables of :mod:`wattlens.store.tables`.
A run and its timeline are written in one transaction (the timeline in bulk,
``executemany``). :meth:`Store.get` with ``timeline=False`` reads no timeline
row; :meth:`Store.timeline_count` counts them and :meth:`Store.timeline`
averages them in buckets in the database (for charts of long runs).

Saving a run again updates its row in place, so that the windows written
while it ran (:meth:`Store.save_windows`) stay with it.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import IO, Any, Literal

from sqlalchemy import Connection, delete, func, insert, inspect, null, select, update

from wattlens.errors import StoreError, UsageError
from wattlens.measurement import Measurement, TimelinePoint
from wattlens.store import export as _export
from wattlens.store import tables
from wattlens.store import timeline as timeline_sql
from wattlens.store.database import Database
from wattlens.store.errors import AmbiguousRunIdError, RunNotFoundError
from wattlens.store.rows import EXPORT_COLUMNS, normalize_time, run_row, summary, timeline_rows
from wattlens.windows import Window

__all__ = ["SORT_COLUMNS", "Store"]

#: Columns :meth:`Store.list_runs` sorts by (each has an index, see ``tables.py``).
SORT_COLUMNS = ("started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status")


#: The status of a run saved while it runs (:meth:`Store.save_windows`); it stays so if
#: the process dies before the run ends.
RUNNING = "running"


def _filters(name: str | None, since: str | datetime | None, children: bool = True) -> list[Any]:
    """WHERE clauses: a name (``*`` and ``?`` make it a glob), a start at or after ``since``,
    top-level runs only unless ``children``."""
    clauses: list[Any] = []
    if not children:
        # Written so that no index serves it: the database then walks the sort column's
        # index and skips the children, instead of reading every top-level run by
        # ``ix_runs_parent_id`` and sorting them all (a child's parent is never "").
        clauses.append(func.coalesce(tables.runs.c.parent_id, "") == "")
    if name is not None:
        if "*" in name or "?" in name:
            pattern = (
                name.replace("\\", "\\\\")
                .replace("%", "\\%")
                .replace("_", "\\_")
                .replace("*", "%")
                .replace("?", "_")
            )
            clauses.append(tables.runs.c.name.like(pattern, escape="\\"))
        else:
            clauses.append(tables.runs.c.name == name)
    if since is not None:
        clauses.append(tables.runs.c.started_at >= normalize_time(since))
    return clauses


def _upsert_run(conn: Connection, row: dict[str, Any], *, only_running: bool = False) -> None:
    """Update a run's row in place (its windows stay), or insert it.

    ``only_running``: leave a stored run alone unless its status is still ``running``
    (a snapshot saved during the run never overwrites the run's final record).
    """
    runs = tables.runs
    values = {k: v for k, v in row.items() if k != "run_id"}
    where = [runs.c.run_id == row["run_id"]]
    if only_running:
        where.append(runs.c.status == RUNNING)
    if conn.execute(update(runs).where(*where).values(values)).rowcount:
        return
    if only_running:
        found = conn.execute(select(runs.c.run_id).where(runs.c.run_id == row["run_id"]))
        if found.first() is not None:
            return
    conn.execute(insert(runs), [row])


def _timeline_dicts(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    """The timeline of one run in its :meth:`Measurement.to_dict` form."""
    return [{"t_s": p.t_s, "power_w": p.power_w} for p in timeline_sql.points(conn, run_id)]


class Store:
    """The run store.

    Use it as a context manager (or call :meth:`close`) so that its
    connections are closed::

        with Store() as store:
            store.save(measurement)
            runs = store.list_runs(limit=10)

    The tables are created, or migrated to the schema this code uses, on
    first use (see :mod:`wattlens.store.migrate`). Then the runs kept in the
    spool for this store (saves that failed, see :mod:`wattlens.store.spool`)
    are saved; :attr:`replayed` counts them.

    Args:
        url: A SQLAlchemy URL. Default: ``WATTLENS_DB``, else
            ``runs.sqlite`` in the user data directory (created if missing).

    Raises:
        StoreError: The URL is invalid, its database driver is not installed,
            or the directory of a SQLite file cannot be created.
    """

    def __init__(self, url: str | None = None) -> None:
        self._db = Database(url)
        self._db.on_ready = self._replay_spool
        self.location = self._db.location
        """Where the store is, for messages: a file path or the URL without password."""
        self.replayed = 0
        """How many runs kept in the spool were saved when the store was first used."""
        self._parented: bool | None = None

    def _replay_spool(self) -> None:
        from wattlens.store import spool

        # Still unwritable: the runs stay in the spool for a later call.
        with contextlib.suppress(StoreError):
            self.replayed += spool.replay(self._db.url_text, self.save, self.save_windows)

    def _has_parents(self, conn: Connection) -> bool:
        """Whether the tables have revision 0003's ``parent_id`` and ``windows``.

        A store that may be written is migrated when opened; one that may not
        (a read-only file) keeps the revision it was written at.
        """
        if self._parented is None:
            columns = {c["name"] for c in inspect(conn).get_columns("runs")}
            self._parented = "parent_id" in columns
        return self._parented

    @property
    def read_only(self) -> bool:
        """Whether the store is read through a read-only fallback (its place cannot be written)."""
        return self._db.read_only

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is a SQLite database."""
        return self._db.is_sqlite

    def close(self) -> None:
        """Close every connection of the store (idempotent)."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    # -- writing ---------------------------------------------------------
    def save(self, measurement: Measurement) -> None:
        """Store a run and its timeline in one transaction.

        Saving a run id that is already stored replaces that run (a run saved
        again once it has ended). Timeline points without any component power
        are not stored.

        Args:
            measurement: The run; ``measurement.run_id`` is its key.

        Raises:
            StoreError: The store cannot be written.
        """
        row = run_row(measurement)
        points = timeline_rows(measurement)

        def write(conn: Connection) -> None:
            # The run's row is locked first (PostgreSQL; SQLite has one writer): concurrent
            # saves of one id then take turns, and each DELETE sees the timeline that the
            # save before it committed.
            runs = tables.runs
            conn.execute(
                select(runs.c.run_id).where(runs.c.run_id == row["run_id"]).with_for_update()
            )
            conn.execute(delete(tables.timeline).where(tables.timeline.c.run_id == row["run_id"]))
            _upsert_run(conn, row)
            if points:
                conn.execute(insert(tables.timeline), points)

        # Under PostgreSQL's READ COMMITTED another process saving the same id can insert it
        # between this UPDATE and INSERT; the retry then updates that row, so the last save
        # wins, as SQLite's single writer gives.
        self._db.write("save a run", write, conflicts=True)

    def save_windows(self, run: Measurement | str, windows: Sequence[Window]) -> None:
        """Add windows to a run, in one transaction with a snapshot of the run.

        A window replaces one of the same ``seq`` in that run (a save tried again
        writes it once). With a :class:`Measurement`, the run's row is written
        first unless the store holds the run with a status other than
        ``running``: save a run that is still going with status ``running`` and
        its energy so far, then its final record with :meth:`save` when it ends;
        a process that dies in between leaves the run ``running`` with the
        windows it finished.

        Args:
            run: The run (a snapshot, saved without its timeline) or the id of a
                stored run.
            windows: The windows to add.

        Raises:
            RunNotFoundError: ``run`` is an id and no run has it.
            StoreError: The store cannot be written.
        """
        if isinstance(run, str):
            run_id, row = run, None
        else:
            run_id, row = run.run_id, run_row(replace(run, timeline=None))
        rows = [w.row(run_id) for w in windows]
        seqs = [w.seq for w in windows]

        def write(conn: Connection) -> bool:
            if row is not None:
                _upsert_run(conn, row, only_running=True)
            else:
                col = tables.runs.c.run_id
                if conn.execute(select(col).where(col == run_id)).first() is None:
                    return False
            if rows:
                w = tables.windows.c
                conn.execute(delete(tables.windows).where(w.run_id == run_id, w.seq.in_(seqs)))
                conn.execute(insert(tables.windows), rows)
            return True

        if not self._db.write("save the windows of a run", write, conflicts=True):
            raise RunNotFoundError(run_id)

    def delete(self, run_id: str, *, children: bool = True) -> str:
        """Delete a run, its timeline and windows, and by default its child records.

        Args:
            run_id: The full run id or a unique prefix of it.
            children: Also delete the run's child records (the rank and node
                records of a distributed run), each with its timeline and windows;
                left behind they would only be listed by ``runs ls --all``.

        Returns:
            The full id of the deleted run.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be written.
        """
        full_id = self.resolve(run_id)

        def write(conn: Connection) -> int:
            ids = [full_id]
            if children and self._has_parents(conn):
                kids = select(tables.runs.c.run_id).where(tables.runs.c.parent_id == full_id)
                ids += list(conn.execute(kids).scalars())
            conn.execute(delete(tables.timeline).where(tables.timeline.c.run_id.in_(ids)))
            conn.execute(delete(tables.windows).where(tables.windows.c.run_id.in_(ids)))
            conn.execute(delete(tables.runs).where(tables.runs.c.run_id.in_(ids[1:])))
            return conn.execute(delete(tables.runs).where(tables.runs.c.run_id == full_id)).rowcount

        if self._db.write("delete a run", write) == 0:  # deleted by someone else meanwhile
            raise RunNotFoundError(run_id)
        return full_id

    # -- reading ---------------------------------------------------------
    def resolve(self, run_id: str) -> str:
        """The full id of the run that ``run_id`` names exactly or as a unique prefix.

        A prefix that matches one top-level run and child records of it only
        (``abcd1234`` for ``abcd1234…`` and ``abcd1234….host.rank0``) names the run.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs (they are listed).
            StoreError: The store cannot be read.
        """
        if not run_id:
            raise RunNotFoundError(run_id)

        def read(conn: Connection) -> list[str]:
            col = tables.runs.c.run_id
            exact = conn.execute(select(col).where(col == run_id)).scalar_one_or_none()
            if exact is not None:
                return [exact]
            parent = tables.runs.c.parent_id if self._has_parents(conn) else null()
            query = select(col, parent).where(col.startswith(run_id, autoescape=True)).order_by(col)
            # SQLite's LIKE ignores ASCII case: keep only true prefixes.
            found = [(r, p) for r, p in conn.execute(query).all() if r.startswith(run_id)]
            ids = {r for r, _ in found}
            top = [r for r, p in found if p is None or p not in ids]
            return top if len(top) == 1 else [r for r, _ in found]

        matches = self._db.read("look up a run", read)
        if not matches:
            raise RunNotFoundError(run_id)
        if len(matches) > 1:
            raise AmbiguousRunIdError(run_id, matches)
        return matches[0]

    def get(self, run_id: str, *, timeline: bool = True) -> Measurement:
        """Load one run, with its timeline unless ``timeline`` is False.

        Args:
            run_id: The full run id or a unique prefix of it.
            timeline: Load every timeline point. When False no timeline row is
                read: the measurement's ``timeline`` is None (use
                :meth:`timeline_count` and :meth:`timeline` for it) and its
                ``peak_power_w`` is the peak that was stored with the run.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be read.
        """
        full_id = self.resolve(run_id)

        def read(conn: Connection) -> tuple[dict[str, Any], float | None] | None:
            text = conn.execute(
                select(tables.runs.c.result).where(tables.runs.c.run_id == full_id)
            ).scalar_one_or_none()
            if text is None:
                return None
            data: dict[str, Any] = json.loads(text)
            peak: float | None = None
            if data.get("timeline") is not None:
                stored_peak = data.get("peak_power_w")
                if timeline or not isinstance(stored_peak, int | float):
                    data["timeline"] = _timeline_dicts(conn, full_id)
                else:
                    data["timeline"] = None
                    peak = float(stored_peak)
            return data, peak

        found = self._db.read("read a run", read)
        if found is None:  # deleted by someone else meanwhile
            raise RunNotFoundError(run_id)
        data, peak = found
        measurement = Measurement.from_dict(data)
        if peak is not None:
            object.__setattr__(measurement, "stored_peak_power_w", peak)
        return measurement

    def timeline_count(self, run_id: str) -> int:
        """How many points the timeline of a run has (0 without one), read in SQL.

        It is ``len(store.get(run_id).timeline or ())`` without loading the points.

        Args:
            run_id: The full run id or a unique prefix of it.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be read.
        """
        full_id = self.resolve(run_id)
        totals = not self.read_only  # a read-only store may predate them (revision 0002)
        return self._db.read(
            "count timeline points", lambda c: timeline_sql.extent(c, full_id, totals=totals)[0]
        )

    def timeline(self, run_id: str, *, max_points: int | None = None) -> list[TimelinePoint]:
        """The timeline of a run, reduced in the database to at most ``max_points`` points.

        The ``N`` stored points are cut into consecutive buckets of
        ``k = ceil(N / max_points)`` points; each bucket gives one point at the
        mean of its times, with each component's mean power over the points
        that have it (the mean keeps the energy under every curve; a component
        absent from a whole bucket is absent from its point). This is what
        :func:`wattlens.report.figures.downsample_timeline` does to the full
        timeline, computed with ``GROUP BY`` so that only the reduced points
        leave the database.

        Args:
            run_id: The full run id or a unique prefix of it.
            max_points: At most this many points (None: every point, as stored).

        Returns:
            The points in time order; empty without a timeline.

        Raises:
            ValueError: ``max_points`` is below 1.
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be read.
        """
        return self.counted_timeline(run_id, max_points=max_points)[1]

    def counted_timeline(
        self, run_id: str, *, max_points: int | None = None
    ) -> tuple[int, list[TimelinePoint]]:
        """(:meth:`timeline_count`, :meth:`timeline`) of a run, counted once, in one read."""
        if max_points is not None and max_points < 1:
            raise ValueError("max_points must be at least 1")
        full_id = self.resolve(run_id)

        def read(conn: Connection) -> tuple[int, list[TimelinePoint]]:
            # A read-only store may predate the running totals (revision 0002).
            if max_points is not None and not self.read_only:
                fast = timeline_sql.reduced_from_totals(conn, full_id, max_points)
                if fast is not None:
                    return fast
            n, first, last = timeline_sql.extent(conn, full_id)
            if n == 0:
                return 0, []
            bucket = 1 if max_points is None else max(1, math.ceil(n / max_points))
            if bucket == 1:
                return n, timeline_sql.points(conn, full_id)
            dense = first == 0 and last == n - 1
            return n, timeline_sql.bucket_means(conn, full_id, n, bucket, dense=dense)

        return self._db.read("read a timeline", read)

    def list_runs(
        self,
        limit: int | None = None,
        offset: int = 0,
        name: str | None = None,
        since: str | datetime | None = None,
        *,
        order: Literal["newest", "oldest", "desc", "asc"] = "newest",
        sort: str = "started_at",
        children: bool = False,
    ) -> list[dict[str, Any]]:
        """Summaries of stored runs, newest first by default.

        Args:
            limit: At most this many runs (None: all).
            offset: Skip this many runs first (for paging).
            name: Only runs with this name; ``*`` and ``?`` make it a glob pattern.
            since: Only runs started at or after this instant (ISO 8601 or
                datetime; naive means UTC).
            order: ``"newest"`` (or ``"desc"``) or ``"oldest"`` (``"asc"``) first.
            sort: The column to sort by, one of :data:`SORT_COLUMNS`; runs without
                a value come last either way, ties go by run id. The database
                sorts and pages (every sortable column has an index).
            children: Include child records (a distributed run's rank and node
                records, the per-epoch records of older training runs); by
                default only top-level runs are listed.

        Returns:
            One dict per run with the keys of :data:`EXPORT_COLUMNS` (with
            ``children``, also ``parent_id``: the run a child record belongs to,
            else None): times are
            ISO 8601 UTC text, ``command`` a list or None, ``methods`` a list,
            quantities in SI units named in the key (``energy_j``, ``co2e_g``).

        Raises:
            StoreError: The store cannot be read.
        """
        if order not in ("newest", "oldest", "desc", "asc"):
            raise UsageError(f"unknown order {order!r}", hint="use 'newest' or 'oldest'")
        if sort not in SORT_COLUMNS:
            raise UsageError(
                f"cannot sort runs by {sort!r}", hint="sort by " + ", ".join(SORT_COLUMNS)
            )
        c = tables.runs.c
        descending = order in ("newest", "desc")
        key = c[sort].desc() if descending else c[sort].asc()
        if c[sort].nullable:
            key = key.nulls_last()

        def read(conn: Connection) -> list[dict[str, Any]]:
            parented = self._has_parents(conn)
            parent = c.parent_id if parented else null().label("parent_id")
            query = (
                select(*(c[col] for col in EXPORT_COLUMNS), parent)
                .where(*_filters(name, since, children or not parented))
                .order_by(key, c.run_id.desc() if descending else c.run_id.asc())
            )
            if limit is not None:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            found = []
            for row in conn.execute(query):
                out = summary(row._mapping)
                if children:
                    out["parent_id"] = row.parent_id
                found.append(out)
            return found

        return self._db.read("list runs", read)

    def count(
        self,
        name: str | None = None,
        since: str | datetime | None = None,
        *,
        children: bool = False,
    ) -> int:
        """How many runs are stored (matching the same filters as :meth:`list_runs`).

        Raises:
            StoreError: The store cannot be read.
        """

        def read(conn: Connection) -> int:
            every = children or not self._has_parents(conn)
            query = select(func.count()).select_from(tables.runs)
            return int(conn.execute(query.where(*_filters(name, since, every))).scalar_one())

        return self._db.read("count runs", read)

    def windows(self, run_id: str) -> list[Window]:
        """The windows of a run (its epochs, its step summaries), in ``seq`` order.

        Args:
            run_id: The full run id or a unique prefix of it.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be read.
        """
        full_id = self.resolve(run_id)
        w = tables.windows
        query = select(w).where(w.c.run_id == full_id).order_by(w.c.seq)

        def read(conn: Connection) -> list[Window]:
            if not self._has_parents(conn):
                return []
            return [Window.from_row(r._mapping) for r in conn.execute(query)]

        return self._db.read("read the windows of a run", read)

    def children(self, run_id: str) -> list[dict[str, Any]]:
        """Summaries (as :meth:`list_runs`) of the child records of a run, by id.

        ``run_id`` is taken as it is (a distributed run's id may name no record
        of its own).

        Raises:
            StoreError: The store cannot be read.
        """
        c = tables.runs.c
        query = (
            select(*(c[col] for col in EXPORT_COLUMNS), c.parent_id)
            .where(c.parent_id == run_id)
            .order_by(c.run_id)
        )

        def read(conn: Connection) -> list[dict[str, Any]]:
            if not self._has_parents(conn):
                return []
            return [
                {**summary(row._mapping), "parent_id": row.parent_id} for row in conn.execute(query)
            ]

        return self._db.read("read the child records of a run", read)

    def measurements(
        self,
        *,
        name: str | None = None,
        since: str | datetime | None = None,
        timeline: bool = False,
    ) -> list[Measurement]:
        """Every matching run as a :class:`Measurement`, oldest first.

        Args:
            name: As in :meth:`list_runs`.
            since: As in :meth:`list_runs`.
            timeline: Load each run's timeline too (slower); otherwise
                every measurement's ``timeline`` is None.

        Raises:
            StoreError: The store cannot be read.
        """
        query = (
            select(tables.runs.c.run_id, tables.runs.c.result)
            .where(*_filters(name, since))
            .order_by(tables.runs.c.started_at.asc(), tables.runs.c.run_id.asc())
        )

        def read(conn: Connection) -> list[dict[str, Any]]:
            records = []
            for run_id, text in conn.execute(query).all():
                data: dict[str, Any] = json.loads(text)
                if timeline and data.get("timeline") is not None:
                    data["timeline"] = _timeline_dicts(conn, run_id)
                else:
                    data["timeline"] = None
                records.append(data)
            return records

        return [Measurement.from_dict(d) for d in self._db.read("read runs", read)]

    def group(self, run_id: str) -> list[Measurement]:
        """The records of a distributed run: every rank's and node's, ordered by id.

        Each is stored as ``<run_id>.<host>.rank<N>`` or ``<run_id>.<host>.node``
        (see :mod:`wattlens.distributed`); only records whose ``host.distributed``
        names exactly ``run_id`` are returned, without their timelines. An id
        that names no distributed run gives an empty list.

        Raises:
            StoreError: The store cannot be read.
        """
        if not run_id:
            return []
        col = tables.runs.c
        query = (
            select(col.result)
            .where(col.run_id.startswith(f"{run_id}.", autoescape=True))
            .order_by(col.run_id)
        )

        def read(conn: Connection) -> list[dict[str, Any]]:
            records = []
            for text in conn.execute(query).scalars():
                data: dict[str, Any] = json.loads(text)
                tag = (data.get("host") or {}).get("distributed")
                if isinstance(tag, dict) and tag.get("run_id") == run_id:
                    data["timeline"] = None
                    records.append(data)
            return records

        return [Measurement.from_dict(d) for d in self._db.read("read a distributed run", read)]

    # -- export ----------------------------------------------------------
    def export(
        self,
        fmt: Literal["csv", "json"],
        out: IO[str],
        *,
        name: str | None = None,
        since: str | datetime | None = None,
        timeline: bool = False,
    ) -> int:
        """Write every matching run to ``out``, oldest first.

        CSV: one row per run, a header of :data:`EXPORT_COLUMNS`; ``command``
        is JSON text, ``methods`` joined by ``;``, unknown values empty.
        JSON: ``{"count": n, "runs": [...]}`` where each run is the full
        :meth:`Measurement.to_dict` form (``timeline`` null unless asked for).

        Args:
            fmt: ``"csv"`` or ``"json"``.
            out: A text stream (open CSV files with ``newline=""``).
            name: As in :meth:`list_runs`.
            since: As in :meth:`list_runs`.
            timeline: JSON only: include every run's power timeline.

        Returns:
            The number of runs written.

        Raises:
            StoreError: The store cannot be read.
        """
        if fmt == "csv":
            found_runs = self.list_runs(name=name, since=since, order="oldest", children=True)
            return _export.write_csv(found_runs, out)
        if fmt == "json":
            found = self.measurements(name=name, since=since, timeline=timeline)
            return _export.write_json(found, out)
        raise UsageError(f"unknown export format {fmt!r}", hint="use csv or json")

    @property
    def schema_version(self) -> str:
        """The revision of the store's schema (after creating or migrating it)."""
        from wattlens.store.migrate import current_versions

        versions = self._db.read("read the schema version", current_versions)
        return ",".join(versions)
