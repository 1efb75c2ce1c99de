"""Saving a run without SQLAlchemy: what ``wattlens run`` does after every command.

Importing SQLAlchemy takes about 150 ms, which ``wattlens run`` would add to
every command it measures. An existing SQLite store whose schema is the one
this code writes is therefore written with the standard library's sqlite3;
anything else (a new file, an older schema to migrate, another database) goes
through :class:`~wattlens.store.Store`.

Both paths retry a locked store with back-off (:mod:`wattlens.store.retry`);
:func:`save_or_keep` keeps a run that still cannot be saved in the spool
(:mod:`wattlens.store.spool`), and every successful save also saves the runs
kept there for the same store. :func:`save_windows_or_keep` does the same for
the windows of a run that is still going (a training run's epochs).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from wattlens.errors import StoreError
from wattlens.store import retry, spool
from wattlens.store.config import (
    SCHEMA_VERSION,
    VERSION_TABLE,
    db_timeout,
    default_url,
    error_hint,
    plain_sqlite_path,
)
from wattlens.store.errors import RunKeptError
from wattlens.store.rows import run_row, timeline_rows

if TYPE_CHECKING:
    from wattlens.measurement import Measurement
    from wattlens.windows import Window

__all__ = ["save", "save_or_keep", "save_sqlite_fast", "save_windows", "save_windows_or_keep"]

#: A run saved with its windows while it runs (as ``Store.save_windows``).
_RUNNING = "running"


def save_or_keep(measurement: Measurement, url: str | None = None) -> None:
    """Save a run; if the store cannot take it, keep it in the spool.

    Raises:
        RunKeptError: The run was not stored; it is kept in the spool file
            named by ``spool_path`` and saved by the next call that opens the store.
        StoreError: The run was not stored and the spool could not be written either.
    """
    _save_or_keep(measurement, url, lambda: save(measurement, url), None)


def save_windows_or_keep(
    measurement: Measurement, windows: Sequence[Window], url: str | None = None
) -> None:
    """Save windows of a run with a snapshot of it (:func:`save_windows`), else keep them.

    Raises:
        RunKeptError: Nothing was stored; the snapshot and the windows are kept in the
            spool and saved by the next call that opens the store.
        StoreError: Nothing was stored and the spool could not be written either.
    """
    _save_or_keep(measurement, url, lambda: save_windows(measurement, windows, url), list(windows))


def _save_or_keep(
    measurement: Measurement,
    url: str | None,
    attempt: Any,
    windows: list[Window] | None,
) -> None:
    try:
        attempt()
        return
    except StoreError as exc:
        error = exc
    except Exception as exc:  # never lose a run to an unexpected fault of the store
        error = StoreError(f"cannot save the run: {type(exc).__name__}: {exc}")
    try:
        path = spool.keep(
            measurement,
            url if url is not None else default_url(),
            error.message,
            windows=windows,
        )
    except OSError as exc:
        raise StoreError(
            f"{error.message}; it could not be kept in {spool.spool_dir()} either: "
            f"{exc.strerror or exc}",
            hint=error.hint,
        ) from error
    raise RunKeptError(error, path) from error


def save(measurement: Measurement, url: str | None = None) -> None:
    """Save one run to the store at ``url`` (default: ``WATTLENS_DB`` or the user data dir).

    An existing SQLite store is written through the standard library's sqlite3
    driver (:func:`save_sqlite_fast`); anything else goes through :class:`Store`,
    which creates or migrates the tables first.
    """
    if save_sqlite_fast(measurement, url):
        return
    from wattlens.store.store import Store

    with Store(url) as store:
        store.save(measurement)


def save_windows(
    measurement: Measurement, windows: Sequence[Window], url: str | None = None
) -> None:
    """Save windows of a run with a snapshot of it, as ``Store.save_windows`` does.

    An existing SQLite store at the current schema is written with sqlite3;
    anything else goes through :class:`Store`.
    """
    if _sqlite_fast(url, lambda conn: _write_windows(conn, measurement, windows)):
        return
    from wattlens.store.store import Store

    with Store(url) as store:
        store.save_windows(measurement, windows)


def _schema_is_current(conn: sqlite3.Connection) -> bool:
    """The tables exist and their recorded revision is the one this code writes."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"runs", "timeline", "windows", VERSION_TABLE} <= tables:
        return False
    versions = [r[0] for r in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    return versions == [SCHEMA_VERSION]


def save_sqlite_fast(measurement: Measurement, url: str | None = None) -> bool:
    """Write a run with sqlite3 into an existing store; False when :class:`Store` must do it.

    It writes exactly the rows :meth:`Store.save` writes (same row builders, same
    transaction shape, same busy timeout). It declines (returns False) unless
    the file exists with the tables at :data:`SCHEMA_VERSION`: a new store is
    created, and an older one migrated, by :class:`Store`.

    A locked store is tried again with back-off (each try waits up to
    ``WATTLENS_DB_TIMEOUT`` seconds for the lock) before it is an error.

    Raises:
        StoreError: The store exists but cannot be written.
    """
    return _sqlite_fast(url, lambda conn: _write(conn, measurement))


def _sqlite_fast(url: str | None, write: Any) -> bool:
    """``write(conn)`` with sqlite3 on an existing store at the current schema, retried."""
    url_text = url if url is not None else default_url()
    path = plain_sqlite_path(url_text)
    if path is None or not path.is_file():
        return False
    timeout_s = db_timeout()

    def attempt() -> bool:
        try:
            conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=None)
        except sqlite3.Error:
            return False
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not _schema_is_current(conn):
                return False
            write(conn)
            # The store takes writes again: save the runs kept while it did not.
            with contextlib.suppress(sqlite3.Error):
                spool.replay(
                    url_text,
                    lambda m: _write(conn, m),
                    lambda m, w: _write_windows(conn, m, w),
                )
            return True
        finally:
            conn.close()

    def transient(exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.Error) and retry.is_transient(str(exc))

    try:
        return retry.call(attempt, transient, timeout_s=timeout_s)
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot save a run to the run store SQLite database {path}: {exc}",
            hint=error_hint(str(exc), sqlite=True, timeout_s=timeout_s),
        ) from exc


def _upsert_run(conn: sqlite3.Connection, row: dict[str, Any], *, only_running: bool) -> None:
    """Update the run's row in place (its windows stay) or insert it, as the Store does."""
    sets = ", ".join(f"{c} = :{c}" for c in row if c != "run_id")
    where = "run_id = :run_id" + (" AND status = :_running" if only_running else "")
    if conn.execute(
        f"UPDATE runs SET {sets} WHERE {where}", {**row, "_running": _RUNNING}
    ).rowcount:
        return
    if only_running:
        found = conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (row["run_id"],)).fetchone()
        if found is not None:
            return
    columns = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)


def _transaction(conn: sqlite3.Connection, body: Any) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        body()
        conn.execute("COMMIT")
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk): a second
        # ROLLBACK would fail and hide the error that matters.
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise


def _write_windows(
    conn: sqlite3.Connection, measurement: Measurement, windows: Sequence[Window]
) -> None:
    """A snapshot of the run and its windows in one transaction, as ``Store.save_windows``."""
    row = run_row(replace(measurement, timeline=None))
    rows = [w.row(measurement.run_id) for w in windows]

    def body() -> None:
        _upsert_run(conn, row, only_running=True)
        for r in rows:
            conn.execute(
                "DELETE FROM windows WHERE run_id = ? AND seq = ?", (r["run_id"], r["seq"])
            )
        if rows:
            conn.executemany(
                f"INSERT INTO windows ({', '.join(rows[0])}) "
                f"VALUES ({', '.join(':' + c for c in rows[0])})",
                rows,
            )

    _transaction(conn, body)


def _write(conn: sqlite3.Connection, measurement: Measurement) -> None:
    """Replace the run and its timeline in one transaction, as :meth:`Store.save` does."""
    row = run_row(measurement)
    points = timeline_rows(measurement)

    def body() -> None:
        conn.execute("DELETE FROM timeline WHERE run_id = ?", (row["run_id"],))
        _upsert_run(conn, row, only_running=False)
        if points:
            conn.executemany(
                f"INSERT INTO timeline ({', '.join(points[0])}) "
                f"VALUES ({', '.join(':' + c for c in points[0])})",
                points,
            )

    _transaction(conn, body)
