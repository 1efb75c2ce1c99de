"""Saving a run without SQLAlchemy: what ``wattlens run`` does after every command.

Importing SQLAlchemy takes about 150 ms, which ``wattlens run`` would add to
every command it measures. An existing SQLite store whose schema is the one
this code writes is therefore written with the standard library's sqlite3;
anything else (a new file, an older schema to migrate, another database) goes
through :class:`~wattlens.store.Store`.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from wattlens.errors import StoreError
from wattlens.store.config import (
    BUSY_TIMEOUT_S,
    SCHEMA_VERSION,
    VERSION_TABLE,
    default_url,
    plain_sqlite_path,
    sqlite_hint,
)
from wattlens.store.rows import run_row, timeline_rows

if TYPE_CHECKING:
    from wattlens.measurement import Measurement

__all__ = ["save", "save_sqlite_fast"]


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

    Raises:
        StoreError: The store exists but cannot be written.
    """
    path = plain_sqlite_path(url if url is not None else default_url())
    if path is None or not path.is_file():
        return False
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not _schema_is_current(conn):
            return False
        _write(conn, measurement)
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot save a run to the run store SQLite database {path}: {exc}",
            hint=sqlite_hint(),
        ) from exc
    finally:
        conn.close()
    return True


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
                "INSERT INTO timeline (run_id, seq, t_s, component, power_w) "
                "VALUES (:run_id, :seq, :t_s, :component, :power_w)",
                points,
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
