"""The store's connection to its database: URL, engine, retries, errors, schema.

Several processes may save at the same time: SQLite runs in WAL mode with a
busy timeout, and a write that still meets "database is locked" is retried
with back-off. Every database failure reaches the caller as
:class:`~wattlens.errors.StoreError` naming the store's location and a hint.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from wattlens.errors import StoreError
from wattlens.store import migrate
from wattlens.store.config import BUSY_TIMEOUT_S, ENV_VAR, default_url, sqlite_hint

__all__ = ["Database"]

_T = TypeVar("_T")

_RETRY_ATTEMPTS = 8
_RETRY_FIRST_SLEEP_S = 0.05


def _is_locked(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "sqlite_busy" in text


def _is_schema_race(exc: BaseException) -> bool:
    """Another process created the same table between our check and our CREATE."""
    text = str(exc).lower()
    return "already exists" in text or "duplicate key" in text


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; the busy timeout makes writers wait."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # A read-only file keeps its journal mode and stays readable: not an error here.
        with contextlib.suppress(sqlite3.Error):
            cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return url.render_as_string(hide_password=True)


class Database:
    """An engine on the store's URL that reads and writes with retries and clear errors.

    Args:
        url: A SQLAlchemy URL; None: ``WATTLENS_DB``, else the user data dir.

    Raises:
        StoreError: The URL is invalid, its database driver is not installed,
            or the directory of a SQLite file cannot be created.
    """

    def __init__(self, url: str | None = None) -> None:
        from_env = url is None and bool(os.environ.get(ENV_VAR, "").strip())
        url_text = url if url is not None else default_url()
        self._source = ENV_VAR if from_env else "the store URL"
        self.url = self._parse_url(url_text)
        self.location = _describe(self.url)
        self._prepare_sqlite_dir()
        self.engine = self._create_engine()
        self._schema_ready = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def hint(self) -> str:
        if self.is_sqlite:
            return sqlite_hint()
        return (
            f"check that the database server is reachable and that {ENV_VAR} names an "
            "existing database with the right user and password"
        )

    # -- setup -----------------------------------------------------------
    def _parse_url(self, text: str) -> URL:
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

    def _is_uri(self) -> bool:
        return str(self.url.query.get("uri", "")).lower() in ("true", "1")

    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (None for in-memory or URI databases)."""
        if not self.is_sqlite:
            return None
        database = self.url.database
        if not database or database == ":memory:":
            return None
        if self._is_uri():
            path = database.removeprefix("file:").split("?", 1)[0]
            return Path(path) if path and path != ":memory:" else None
        return Path(database)

    def _prepare_sqlite_dir(self) -> None:
        path = self.sqlite_path()
        if path is None or self._is_uri():
            return
        directory = path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the directory {directory} for the run store {path}: "
                f"{exc.strerror or exc}",
                hint=self.hint(),
            ) from exc
        if path.is_dir():
            raise StoreError(
                f"the run store path {path} is a directory, not a SQLite file", hint=self.hint()
            )

    def _create_engine(self) -> Engine:
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S}
        try:
            engine = create_engine(self.url, **kwargs)
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
                f"cannot open the run store {self.location}: {exc}", hint=self.hint()
            ) from exc
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_on_connect)
        return engine

    def close(self) -> None:
        """Close every connection (idempotent)."""
        self.engine.dispose()

    # -- plumbing --------------------------------------------------------
    def retrying(self, what: str, fn: Callable[[], _T], *, schema: bool = False) -> _T:
        """Run ``fn``; retry while SQLite is locked; translate database errors."""
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
            f"cannot {what} in the run store {self.location}: {detail}", hint=self.hint()
        )

    def ensure_schema(self) -> None:
        """Create or migrate the tables to the schema this code uses (once per instance)."""
        if self._schema_ready:
            return
        self.retrying(
            "open, create or migrate the tables",
            lambda: migrate.ensure_current(self.engine, where=self.location),
            schema=True,
        )
        self._schema_ready = True

    def read(self, what: str, fn: Callable[[Connection], _T]) -> _T:
        """``fn`` on a connection, after the schema is ready; retried and translated."""
        self.ensure_schema()

        def run() -> _T:
            with self.engine.connect() as conn:
                return fn(conn)

        return self.retrying(what, run)

    def write(self, what: str, fn: Callable[[Connection], _T]) -> _T:
        """``fn`` in a transaction, after the schema is ready; retried and translated."""
        self.ensure_schema()

        def run() -> _T:
            with self.engine.begin() as conn:
                return fn(conn)

        return self.retrying(what, run)
