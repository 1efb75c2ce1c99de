"""Saving a run without SQLAlchemy: what ``wattlens run`` does after every command.

Importing SQLAlchemy takes about 150 ms, which ``wattlens run`` would add to
every command it measures. An existing SQLite store whose schema is the one
this code writes is therefore written with the standard library's sqlite3;
anything else (a new file, an older schema to migrate, another database) goes
through :class:`~wattlens.store.Store`.

Both paths retry a locked store with back-off (:mod:`wattlens.store.retry`);
:func:`save_or_keep` keeps a run that still cannot be saved in the spool
(:mod:`wattlens.store.spool`), and every successful save also saves the runs
kept there for the same store.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

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

__all__ = ["save", "save_or_keep", "save_sqlite_fast"]


def save_or_keep(measurement: Measurement, url: str | None = None) -> None:
    """Save a run; if the store cannot take it, keep it in the spool.

    Raises:
        RunKeptError: The run was not stored; it is kept in the spool file
            named by ``spool_path`` and saved by the next call that opens the store.
        StoreError: The run was not stored and the spool could not be written either.
    """
    try:
        save(measurement, url)
        return
    except StoreError as exc:
        error = exc
    except Exception as exc:  # never lose a run to an unexpected fault of the store
        error = StoreError(f"cannot save the run: {type(exc).__name__}: {exc}")
    try:
        path = spool.keep(measurement, url if url is not None else default_url(), error.message)
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


def _schema_is_current(conn: sqlite3.Connection) -> bool:
    """The tables exist and their recorded revision is the one this code writes."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"runs", "timeline", VERSION_TABLE} <= tables:
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
            _write(conn, measurement)
            # The store takes writes again: save the runs kept while it did not.
            with contextlib.suppress(sqlite3.Error):
                spool.replay(url_text, lambda m: _write(conn, m))
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


def _write(conn: sqlite3.Connection, measurement: Measurement) -> None:
    """Replace the run and its timeline in one transaction, as :meth:`Store.save` does."""
    row = run_row(measurement)
    points = timeline_rows(measurement)
    columns = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM timeline WHERE run_id = ?", (row["run_id"],))
        conn.execute("DELETE FROM runs WHERE run_id = ?", (row["run_id"],))
        conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", row)
        if points:
            conn.executemany(
                f"INSERT INTO timeline ({', '.join(points[0])}) "
                f"VALUES ({', '.join(':' + c for c in points[0])})",
                points,
            )
        conn.execute("COMMIT")
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk): a second
        # ROLLBACK would fail and hide the error that matters.
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
        raise
