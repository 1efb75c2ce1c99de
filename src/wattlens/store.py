"""The run store: every measurement is a record, in SQLite or any SQLAlchemy database.

The store is plain SQLAlchemy 2 Core (no ORM) over two tables:

- ``runs``: one row per run. The columns a listing or a query needs
  (name, status, times, energy totals, methods, headline impacts) are
  real columns; ``result`` holds the whole :meth:`Measurement.to_dict`
  form (without the timeline) as JSON text, so that :meth:`Store.get`
  gives back exactly what was saved.
- ``timeline``: one row per (point, component) of the power timeline,
  written in bulk (``executemany``) in the same transaction as the run.
  :meth:`Store.get` with ``timeline=False`` reads none of these rows;
  :meth:`Store.timeline_count` counts them and :meth:`Store.timeline`
  averages them in buckets in the database (for charts of long runs).

Where the store lives, in order: the ``url`` argument, the environment
variable ``WATTLENS_DB`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/wattlens``), else
``<user data dir>/wattlens/runs.sqlite``. Tables are created on first use.

Several processes may save at the same time: SQLite runs in WAL mode with a
busy timeout, and a write that still meets "database is locked" is retried
with back-off. Every database failure reaches the caller as
:class:`~wattlens.errors.StoreError` naming the store's location and a hint;
an unknown or ambiguous run id is a :class:`~wattlens.errors.UsageError`.

sqlalchemy is imported inside functions: ``import wattlens`` stays light.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, TypeVar

from wattlens.errors import StoreError, UsageError
from wattlens.measurement import Measurement, TimelinePoint

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, MetaData, Table
    from sqlalchemy.engine import URL

__all__ = [
    "EXPORT_COLUMNS",
    "AmbiguousRunIdError",
    "RunNotFoundError",
    "Store",
    "default_url",
    "save",
    "save_sqlite_fast",
]

ENV_VAR = "WATTLENS_DB"
_T = TypeVar("_T")

#: Columns of the CSV export and keys of every summary dict (see :meth:`Store.list_runs`).
EXPORT_COLUMNS: tuple[str, ...] = (
    "run_id",
    "name",
    "status",
    "command",
    "exit_code",
    "started_at",
    "ended_at",
    "duration_s",
    "energy_j",
    "energy_low_j",
    "energy_high_j",
    "attributed_energy_j",
    "avg_power_w",
    "peak_power_w",
    "methods",
    "location",
    "co2e_g",
    "water_l",
    "cost_amount",
    "cost_currency",
)

# SQLite's own wait for a lock, then our retries on top of it (seconds).
_BUSY_TIMEOUT_S = 30.0
_RETRY_ATTEMPTS = 8
_RETRY_FIRST_SLEEP_S = 0.05
_AMBIGUOUS_SHOWN = 10


class RunNotFoundError(UsageError, LookupError):
    """No stored run has this id (or id prefix)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"no stored run has id {run_id!r}",
            hint="list the stored runs with `wattlens runs ls`",
        )
        self.run_id = run_id


class AmbiguousRunIdError(UsageError, LookupError):
    """An id prefix matches several runs; the store never picks one silently."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        shown = matches[:_AMBIGUOUS_SHOWN]
        more = len(matches) - len(shown)
        listing = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        super().__init__(
            f"run id prefix {prefix!r} is ambiguous: it matches {len(matches)} runs",
            hint=f"give more characters; matches: {listing}",
        )
        self.prefix = prefix
        self.matches = matches


def default_url() -> str:
    """The store URL used when none is given: ``WATTLENS_DB`` or the user data dir.

    Returns:
        A SQLAlchemy URL string.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    import platformdirs

    path = Path(platformdirs.user_data_dir("wattlens")) / "runs.sqlite"
    return f"sqlite:///{path}"


def _normalize_time(value: str | datetime) -> str:
    """An ISO 8601 instant as UTC with microseconds, so that text order is time order.

    A naive time is taken as UTC. Text that does not parse is kept as it is.
    """
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        instant = value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _central(value: Any) -> float | None:
    """The central value of an impact quantity, tolerant of its shape.

    A number is itself; a band dict gives its ``central`` (or ``p50``,
    ``mean``, ``value``); a dict of parts gives its ``total`` or ``amount``.
    Anything else gives None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        for key in ("central", "p50", "mean", "value", "total", "amount"):
            if key in value:
                return _central(value[key])
    return None


def _impact_columns(impacts: Any, location: str | None) -> dict[str, Any]:
    """Headline impact columns from ``Measurement.impacts``, tolerant of its shape.

    Reads ``co2e_g`` and ``water_l`` (its ``total``) as their central values,
    ``cost`` as ``amount`` and ``currency``, and the location the user gave
    (else the grid the impacts used). Missing or unrecognised parts give None
    (NULL), never an error.
    """
    out: dict[str, Any] = {
        "location": location,
        "co2e_g": None,
        "water_l": None,
        "cost_amount": None,
        "cost_currency": None,
    }
    if not isinstance(impacts, dict):
        return out
    if out["location"] is None:
        place = impacts.get("location")
        if isinstance(place, dict):
            place = place.get("grid_id") or place.get("query")
        out["location"] = str(place) if place is not None else None
    out["co2e_g"] = _central(impacts.get("co2e_g"))
    out["water_l"] = _central(impacts.get("water_l"))
    cost = impacts.get("cost")
    if isinstance(cost, dict):
        out["cost_amount"] = _central(cost.get("amount"))
        currency = cost.get("currency")
    else:
        out["cost_amount"] = _central(cost if cost is not None else impacts.get("cost_amount"))
        currency = impacts.get("cost_currency")
    out["cost_currency"] = str(currency) if currency is not None else None
    return out


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "sqlite_busy" in text


def _is_schema_race(exc: BaseException) -> bool:
    """Another process created the same table between our check and our CREATE."""
    text = str(exc).lower()
    return "already exists" in text or "duplicate key" in text


def _build_metadata() -> tuple[MetaData, Table, Table]:
    from sqlalchemy import (
        Column,
        Float,
        ForeignKey,
        Index,
        Integer,
        MetaData,
        String,
        Table,
        Text,
    )

    metadata = MetaData()
    runs = Table(
        "runs",
        metadata,
        Column("run_id", String(128), primary_key=True),
        Column("name", Text, nullable=False),
        Column("status", String(32), nullable=False),
        Column("command", Text),  # JSON list of strings
        Column("exit_code", Integer),
        Column("started_at", String(64), nullable=False),  # ISO 8601 UTC, microseconds
        Column("ended_at", String(64)),
        Column("duration_s", Float, nullable=False),
        Column("energy_j", Float, nullable=False),
        Column("energy_low_j", Float),
        Column("energy_high_j", Float),
        Column("attributed_energy_j", Float),
        Column("avg_power_w", Float),
        Column("peak_power_w", Float),
        Column("methods", String(64)),  # comma-separated: counter,sampled,modeled
        Column("location", Text),
        Column("co2e_g", Float),
        Column("water_l", Float),
        Column("cost_amount", Float),
        Column("cost_currency", String(16)),
        Column("host", Text),  # JSON object
        Column("result", Text, nullable=False),  # Measurement.to_dict() without timeline
        Index("ix_runs_started_at", "started_at"),
        Index("ix_runs_name", "name"),
    )
    timeline = Table(
        "timeline",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "run_id",
            String(128),
            ForeignKey("runs.run_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("seq", Integer, nullable=False),  # index of the point in the timeline
        Column("t_s", Float, nullable=False),
        Column("component", String(128), nullable=False),
        Column("power_w", Float, nullable=False),
        Index("ix_timeline_run_id", "run_id"),
    )
    return metadata, runs, timeline


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; the busy timeout makes writers wait."""
    import sqlite3

    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A read-only file keeps its journal mode and stays readable: not an error here.
        with contextlib.suppress(sqlite3.Error):
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


class Store:
    """The run store.

    Use it as a context manager (or call :meth:`close`) so that its
    connections are closed::

        with Store() as store:
            store.save(measurement)
            runs = store.list_runs(limit=10)

    Args:
        url: A SQLAlchemy URL. Default: ``WATTLENS_DB``, else
            ``runs.sqlite`` in the user data directory (created if missing).

    Raises:
        StoreError: The URL is invalid, its database driver is not installed,
            or the directory of a SQLite file cannot be created.
    """

    def __init__(self, url: str | None = None) -> None:
        from_env = url is None and bool(os.environ.get(ENV_VAR, "").strip())
        url_text = url if url is not None else default_url()
        self._source = ENV_VAR if from_env else "the store URL"
        self._url = self._parse_url(url_text)
        self.location = self._describe(self._url)
        """Where the store is, for messages: a file path or the URL without password."""
        self._prepare_sqlite_dir()
        self._engine = self._create_engine()
        self._metadata, self._runs, self._timeline = _build_metadata()
        self._schema_ready = False

    # -- setup -----------------------------------------------------------
    def _hint(self) -> str:
        if self.is_sqlite:
            return (
                f"set {ENV_VAR} to a writable location, e.g. "
                f"{ENV_VAR}=sqlite:////path/to/runs.sqlite, or a PostgreSQL URL"
            )
        return (
            f"check that the database server is reachable and that {ENV_VAR} names an "
            "existing database with the right user and password"
        )

    def _parse_url(self, text: str) -> URL:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(text)
        except ArgumentError as exc:
            raise StoreError(
                f"invalid run store URL {text!r} (from {self._source}): {exc}",
                hint=(
                    f"{ENV_VAR} takes a SQLAlchemy URL such as sqlite:////abs/path/runs.sqlite "
                    "or postgresql+psycopg://user@host/db"
                ),
            ) from exc

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is a SQLite database."""
        return self._url.get_backend_name() == "sqlite"

    def _sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (None for in-memory or URI databases)."""
        if not self.is_sqlite:
            return None
        database = self._url.database
        if not database or database == ":memory:":
            return None
        if str(self._url.query.get("uri", "")).lower() in ("true", "1"):
            path = database.removeprefix("file:").split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
        return Path(database)

    @staticmethod
    def _describe(url: URL) -> str:
        if url.get_backend_name() == "sqlite":
            database = url.database or ":memory:"
            return f"SQLite database {database}"
        return url.render_as_string(hide_password=True)

    def _prepare_sqlite_dir(self) -> None:
        path = self._sqlite_path()
        if path is None or str(self._url.query.get("uri", "")).lower() in ("true", "1"):
            return
        directory = path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory {directory} for the run store {path}: "
                f"{exc.strerror or exc}",
                hint=self._hint(),
            ) from exc
        if path.is_dir():
            raise StoreError(
                f"the run store path {path} is a directory, not a SQLite file",
                hint=self._hint(),
            )

    def _create_engine(self) -> Engine:
        from sqlalchemy import create_engine, event
        from sqlalchemy.exc import NoSuchModuleError

        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": _BUSY_TIMEOUT_S}
        try:
            engine = create_engine(self._url, **kwargs)
        except NoSuchModuleError as exc:
            raise StoreError(
                f"no SQLAlchemy dialect for the run store {self.location}: {exc}",
                hint=f"check the scheme of {ENV_VAR} (sqlite:///, postgresql+psycopg://)",
            ) from exc
        except ImportError as exc:
            raise StoreError(
                f"the database driver for the run store {self.location} is not installed: {exc}",
                hint="install wattlens[postgres] for PostgreSQL (psycopg), "
                "or the driver named in the URL",
            ) from exc
        except Exception as exc:  # sqlalchemy.exc.ArgumentError and friends
            raise StoreError(
                f"cannot open the run store {self.location}: {exc}", hint=self._hint()
            ) from exc
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_on_connect)
        return engine

    def close(self) -> None:
        """Close every connection of the store (idempotent)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    # -- plumbing --------------------------------------------------------
    def _retrying(self, what: str, fn: Callable[[], _T], *, schema: bool = False) -> _T:
        """Run ``fn``; retry while SQLite is locked; translate database errors."""
        from sqlalchemy.exc import SQLAlchemyError

        sleep_s = _RETRY_FIRST_SLEEP_S
        for attempt in range(_RETRY_ATTEMPTS):
            try:
                return fn()
            except SQLAlchemyError as exc:
                retryable = _is_locked(exc) or (schema and _is_schema_race(exc))
                if retryable and attempt < _RETRY_ATTEMPTS - 1:
                    time.sleep(sleep_s)
                    sleep_s = min(sleep_s * 2, 2.0)
                    continue
                raise self._error(what, exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, what: str, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None)
        detail = str(orig if orig is not None else exc).splitlines()[0]
        return StoreError(
            f"cannot {what} in the run store {self.location}: {detail}", hint=self._hint()
        )

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return

        def create() -> None:
            with self._engine.begin() as conn:
                self._metadata.create_all(conn, checkfirst=True)

        self._retrying("open or create the tables", create, schema=True)
        self._schema_ready = True

    def _read(self, what: str, fn: Callable[[Connection], _T]) -> _T:
        self._ensure_schema()

        def run() -> _T:
            with self._engine.connect() as conn:
                return fn(conn)

        return self._retrying(what, run)

    def _write(self, what: str, fn: Callable[[Connection], _T]) -> _T:
        self._ensure_schema()

        def run() -> _T:
            with self._engine.begin() as conn:
                return fn(conn)

        return self._retrying(what, run)

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
        row = self._row(measurement)
        points = self._points(measurement)

        def write(conn: Connection) -> None:
            from sqlalchemy import delete, insert

            conn.execute(delete(self._timeline).where(self._timeline.c.run_id == row["run_id"]))
            conn.execute(delete(self._runs).where(self._runs.c.run_id == row["run_id"]))
            conn.execute(insert(self._runs), [row])
            if points:
                conn.execute(insert(self._timeline), points)

        self._write("save a run", write)

    @staticmethod
    def _points(measurement: Measurement) -> list[dict[str, Any]]:
        return [
            {
                "run_id": measurement.run_id,
                "seq": seq,
                "t_s": float(point.t_s),
                "component": component,
                "power_w": float(power_w),
            }
            for seq, point in enumerate(measurement.timeline or ())
            for component, power_w in point.power_w.items()
        ]

    @staticmethod
    def _row(m: Measurement) -> dict[str, Any]:
        result = m.to_dict()
        had_timeline = result.pop("timeline") is not None
        result["timeline"] = [] if had_timeline else None  # filled from the timeline table
        return {
            "run_id": m.run_id,
            "name": m.name,
            "status": m.status,
            "command": json.dumps(list(m.command)) if m.command is not None else None,
            "exit_code": m.exit_code,
            "started_at": _normalize_time(m.started_at),
            "ended_at": _normalize_time(m.ended_at) if m.ended_at else None,
            "duration_s": float(m.duration_s),
            "energy_j": float(m.energy_j),
            "energy_low_j": float(m.energy_low_j),
            "energy_high_j": float(m.energy_high_j),
            "attributed_energy_j": m.attributed_energy_j,
            "avg_power_w": float(m.avg_power_w),
            "peak_power_w": m.peak_power_w,
            "methods": ",".join(m.methods),
            **_impact_columns(result.get("impacts"), m.location),
            "host": json.dumps(m.host, sort_keys=True, default=str),
            "result": json.dumps(result, default=str),
        }

    def delete(self, run_id: str) -> str:
        """Delete a run and its timeline.

        Args:
            run_id: The full run id or a unique prefix of it.

        Returns:
            The full id of the deleted run.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs.
            StoreError: The store cannot be written.
        """
        full_id = self.resolve(run_id)

        def write(conn: Connection) -> int:
            from sqlalchemy import delete

            conn.execute(delete(self._timeline).where(self._timeline.c.run_id == full_id))
            return conn.execute(delete(self._runs).where(self._runs.c.run_id == full_id)).rowcount

        if self._write("delete a run", write) == 0:  # deleted by someone else meanwhile
            raise RunNotFoundError(run_id)
        return full_id

    # -- reading ---------------------------------------------------------
    def resolve(self, run_id: str) -> str:
        """The full id of the run that ``run_id`` names exactly or as a unique prefix.

        Raises:
            RunNotFoundError: No run has this id or prefix.
            AmbiguousRunIdError: The prefix matches several runs (they are listed).
            StoreError: The store cannot be read.
        """
        if not run_id:
            raise RunNotFoundError(run_id)

        def read(conn: Connection) -> list[str]:
            from sqlalchemy import select

            col = self._runs.c.run_id
            exact = conn.execute(select(col).where(col == run_id)).scalar_one_or_none()
            if exact is not None:
                return [exact]
            query = select(col).where(col.startswith(run_id, autoescape=True)).order_by(col)
            # SQLite's LIKE ignores ASCII case: keep only true prefixes.
            return [r for r in conn.execute(query).scalars() if r.startswith(run_id)]

        matches = self._read("look up a run", read)
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
            from sqlalchemy import select

            text = conn.execute(
                select(self._runs.c.result).where(self._runs.c.run_id == full_id)
            ).scalar_one_or_none()
            if text is None:
                return None
            data: dict[str, Any] = json.loads(text)
            peak: float | None = None
            if data.get("timeline") is not None:
                stored_peak = data.get("peak_power_w")
                if timeline or not isinstance(stored_peak, int | float):
                    data["timeline"] = self._load_timeline(conn, full_id)
                else:
                    data["timeline"] = None
                    peak = float(stored_peak)
            return data, peak

        found = self._read("read a run", read)
        if found is None:  # deleted by someone else meanwhile
            raise RunNotFoundError(run_id)
        data, peak = found
        measurement = Measurement.from_dict(data)
        if peak is not None:
            object.__setattr__(measurement, "stored_peak_power_w", peak)
        return measurement

    def _load_timeline(self, conn: Connection, run_id: str) -> list[dict[str, Any]]:
        """The timeline of one run in its :meth:`Measurement.to_dict` form."""
        return [{"t_s": p.t_s, "power_w": p.power_w} for p in self._timeline_points(conn, run_id)]

    def _timeline_points(self, conn: Connection, run_id: str) -> list[TimelinePoint]:
        """Every stored point of one run's timeline, in order."""
        from sqlalchemy import select

        t = self._timeline.c
        rows = conn.execute(
            select(t.seq, t.t_s, t.component, t.power_w)
            .where(t.run_id == run_id)
            .order_by(t.seq, t.id)
        )
        points: list[TimelinePoint] = []
        last_seq: int | None = None
        for seq, t_s, component, power_w in rows:
            if seq != last_seq:
                points.append(TimelinePoint(t_s, {}))
                last_seq = seq
            points[-1].power_w[component] = power_w
        return points

    def _timeline_extent(self, conn: Connection, run_id: str) -> tuple[int, int, int]:
        """(number of stored points, first seq, last seq) of one run's timeline."""
        from sqlalchemy import func, select

        t = self._timeline.c
        n, first, last = conn.execute(
            select(func.count(t.seq.distinct()), func.min(t.seq), func.max(t.seq)).where(
                t.run_id == run_id
            )
        ).one()
        return int(n or 0), int(first or 0), int(last or 0)

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
        return self._read("count timeline points", lambda c: self._timeline_extent(c, full_id)[0])

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
        if max_points is not None and max_points < 1:
            raise ValueError("max_points must be at least 1")
        full_id = self.resolve(run_id)

        def read(conn: Connection) -> list[TimelinePoint]:
            n, first, last = self._timeline_extent(conn, full_id)
            if n == 0:
                return []
            bucket = 1 if max_points is None else max(1, math.ceil(n / max_points))
            if bucket == 1:
                return self._timeline_points(conn, full_id)
            dense = first == 0 and last == n - 1
            return self._bucket_means(conn, full_id, n, bucket, dense=dense)

        return self._read("read a timeline", read)

    def _bucket_means(
        self, conn: Connection, run_id: str, n: int, bucket: int, *, dense: bool
    ) -> list[TimelinePoint]:
        """Bucket means of a timeline of ``n`` points (see :meth:`timeline`), in SQL.

        A point's index is its ``seq`` when the stored points are numbered
        0..n-1 without gaps (as saved runs are), else its rank among them
        (points without any power are not stored). One ``GROUP BY`` (bucket,
        component) gives each component's mean power and mean time; a bucket's
        time is that of a component present at every one of its points, and
        only a bucket without one needs a second query (mean time per point).
        """
        from sqlalchemy import func, select

        t = self._timeline.c
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
        # Components in the order they first appear, as the full timeline lists them.
        first_seen: dict[str, tuple[int, int]] = {}
        for row in power_rows:
            component, key = row[1], (int(row[5]), int(row[6]))
            if component not in first_seen or key < first_seen[component]:
                first_seen[component] = key
        order = {c: i for i, c in enumerate(sorted(first_seen, key=first_seen.__getitem__))}
        n_buckets = math.ceil(n / bucket)
        parts: list[list[tuple[int, str, float]]] = [[] for _ in range(n_buckets)]
        times: list[float | None] = [None] * n_buckets
        for raw_b, component, power_mean, t_mean, count, _seq, _id in power_rows:
            b = int(raw_b)
            parts[b].append((order[component], component, float(power_mean)))
            if times[b] is None and int(count) == min(bucket, n - b * bucket):
                times[b] = float(t_mean)
        if any(v is None for v in times):
            # One time per point (every component of a point shares it), then its bucket mean.
            points = (
                select(rows.c.idx, func.min(rows.c.t_s).label("t_s"))
                .group_by(rows.c.idx)
                .subquery()
            )
            time_bucket = (points.c.idx // bucket).label("bucket")
            for b, t_mean in conn.execute(
                select(time_bucket, func.avg(points.c.t_s)).group_by(time_bucket)
            ):
                if times[int(b)] is None:
                    times[int(b)] = float(t_mean)
        return [
            TimelinePoint(float(t_mean or 0.0), {c: mean for _i, c, mean in sorted(parts[b])})
            for b, t_mean in enumerate(times)
        ]

    def _filters(self, name: str | None, since: str | datetime | None) -> list[Any]:
        runs = self._runs.c
        clauses: list[Any] = []
        if name is not None:
            if "*" in name or "?" in name:
                pattern = (
                    name.replace("\\", "\\\\")
                    .replace("%", "\\%")
                    .replace("_", "\\_")
                    .replace("*", "%")
                    .replace("?", "_")
                )
                clauses.append(runs.name.like(pattern, escape="\\"))
            else:
                clauses.append(runs.name == name)
        if since is not None:
            clauses.append(runs.started_at >= _normalize_time(since))
        return clauses

    def list_runs(
        self,
        limit: int | None = None,
        offset: int = 0,
        name: str | None = None,
        since: str | datetime | None = None,
        order: Literal["newest", "oldest"] = "newest",
    ) -> list[dict[str, Any]]:
        """Summaries of stored runs, newest first by default.

        Args:
            limit: At most this many runs (None: all).
            offset: Skip this many runs first (for paging).
            name: Only runs with this name; ``*`` and ``?`` make it a glob pattern.
            since: Only runs started at or after this instant (ISO 8601 or
                datetime; naive means UTC).
            order: ``"newest"`` or ``"oldest"`` first, by start time.

        Returns:
            One dict per run with the keys of :data:`EXPORT_COLUMNS`: times are
            ISO 8601 UTC text, ``command`` a list or None, ``methods`` a list,
            quantities in SI units named in the key (``energy_j``, ``co2e_g``).

        Raises:
            StoreError: The store cannot be read.
        """
        if order not in ("newest", "oldest"):
            raise UsageError(f"unknown order {order!r}", hint="use 'newest' or 'oldest'")
        runs = self._runs.c

        def read(conn: Connection) -> list[dict[str, Any]]:
            from sqlalchemy import select

            query = select(*(runs[c] for c in EXPORT_COLUMNS)).where(*self._filters(name, since))
            if order == "newest":
                query = query.order_by(runs.started_at.desc(), runs.run_id.desc())
            else:
                query = query.order_by(runs.started_at.asc(), runs.run_id.asc())
            if limit is not None:
                query = query.limit(limit)
            if offset:
                query = query.offset(offset)
            return [self._summary(row._mapping) for row in conn.execute(query)]

        return self._read("list runs", read)

    @staticmethod
    def _summary(mapping: Any) -> dict[str, Any]:
        out = {c: mapping[c] for c in EXPORT_COLUMNS}
        out["command"] = json.loads(out["command"]) if out["command"] is not None else None
        out["methods"] = [m for m in (out["methods"] or "").split(",") if m]
        return out

    def count(self, name: str | None = None, since: str | datetime | None = None) -> int:
        """How many runs are stored (matching the same filters as :meth:`list_runs`).

        Raises:
            StoreError: The store cannot be read.
        """

        def read(conn: Connection) -> int:
            from sqlalchemy import func, select

            query = select(func.count()).select_from(self._runs).where(*self._filters(name, since))
            return int(conn.execute(query).scalar_one())

        return self._read("count runs", read)

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
        runs = self._runs.c

        def read(conn: Connection) -> list[dict[str, Any]]:
            from sqlalchemy import select

            query = (
                select(runs.run_id, runs.result)
                .where(*self._filters(name, since))
                .order_by(runs.started_at.asc(), runs.run_id.asc())
            )
            records = []
            for run_id, text in conn.execute(query).all():
                data: dict[str, Any] = json.loads(text)
                if timeline and data.get("timeline") is not None:
                    data["timeline"] = self._load_timeline(conn, run_id)
                else:
                    data["timeline"] = None
                records.append(data)
            return records

        return [Measurement.from_dict(d) for d in self._read("read runs", read)]

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
            summaries = self.list_runs(name=name, since=since, order="oldest")
            writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
            writer.writeheader()
            for s in summaries:
                writer.writerow(
                    {
                        **s,
                        "command": json.dumps(s["command"]) if s["command"] is not None else None,
                        "methods": ";".join(s["methods"]),
                    }
                )
            return len(summaries)
        if fmt == "json":
            records = [
                m.to_dict() for m in self.measurements(name=name, since=since, timeline=timeline)
            ]
            out.write(
                json.dumps({"count": len(records), "runs": records}, indent=2, ensure_ascii=False)
            )
            out.write("\n")
            return len(records)
        raise UsageError(f"unknown export format {fmt!r}", hint="use csv or json")


def save(measurement: Measurement, url: str | None = None) -> None:
    """Save one run to the store at ``url`` (default: ``WATTLENS_DB`` or the user data dir).

    An existing SQLite store is written through the standard library's sqlite3
    driver (:func:`save_sqlite_fast`), which spares the ~150 ms it takes to import
    SQLAlchemy on every ``wattlens run``; anything else goes through :class:`Store`.
    """
    if save_sqlite_fast(measurement, url):
        return
    with Store(url) as store:
        store.save(measurement)


def _plain_sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything needing SQLAlchemy."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = url[len(prefix) :]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def save_sqlite_fast(measurement: Measurement, url: str | None = None) -> bool:
    """Write a run with sqlite3 into an existing store; False when :class:`Store` must do it.

    It writes exactly the rows :meth:`Store.save` writes (same row builders, same
    transaction shape, same busy timeout); the tables must already exist, so a
    new store is always created by SQLAlchemy with its full schema.

    Raises:
        StoreError: The store exists but cannot be written.
    """
    import sqlite3

    path = _plain_sqlite_path(url if url is not None else default_url())
    if path is None or not path.is_file():
        return False
    row = Store._row(measurement)
    points = Store._points(measurement)
    try:
        conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"runs", "timeline"} <= tables:
            return False
        columns = ", ".join(row)
        marks = ", ".join(f":{c}" for c in row)
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM timeline WHERE run_id = ?", (row["run_id"],))
            conn.execute("DELETE FROM runs WHERE run_id = ?", (row["run_id"],))
            conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)
            if points:
                conn.executemany(
                    "INSERT INTO timeline (run_id, seq, t_s, component, power_w) "
                    "VALUES (:run_id, :seq, :t_s, :component, :power_w)",
                    points,
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot save a run to the run store SQLite database {path}: {exc}",
            hint=(
                f"set {ENV_VAR} to a writable location, e.g. "
                f"{ENV_VAR}=sqlite:////path/to/runs.sqlite, or a PostgreSQL URL"
            ),
        ) from exc
    finally:
        conn.close()
    return True
