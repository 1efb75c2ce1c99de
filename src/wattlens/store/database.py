"""The store's connection to its database: URL, engine, timeouts, retries, errors, schema.

Several processes may save at the same time: SQLite runs in WAL mode with a
busy timeout, and a write that still meets "database is locked" (or a server
that refuses connections for a moment) is retried with back-off. Every wait
is bounded by ``WATTLENS_DB_TIMEOUT``: SQLite's busy timeout, a server's
connect timeout and its statement and lock timeouts. A SQLite store in a
directory or mount that cannot be written is read through ``mode=ro``, else
``immutable=1``. Every database failure reaches the caller as
:class:`~wattlens.errors.StoreError` naming the store's location and a hint
that fits the failure.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sqlite3
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from wattlens.errors import StoreError
from wattlens.store import migrate, retry
from wattlens.store.config import ENV_VAR, db_timeout, default_url, error_hint

__all__ = ["Database"]

_T = TypeVar("_T")

# What SQLite says when a WAL store's directory or mount cannot be written.
_READ_ONLY_SIGNS = ("readonly database", "unable to open database file", "read-only file system")


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).splitlines()
    return lines[0] if lines else type(exc).__name__


def _is_schema_race(exc: BaseException) -> bool:
    """Another process created the same table between our check and our CREATE."""
    text = str(exc).lower()
    return "already exists" in text or "duplicate key" in text


def _is_key_conflict(exc: BaseException) -> bool:
    """Another transaction committed a row with the same key first (PostgreSQL, MySQL)."""
    text = _detail(exc).lower()
    return isinstance(exc, IntegrityError) and ("unique" in text or "duplicate" in text)


def _sqlite_on_connect(timeout_s: float) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        """WAL lets readers and one writer work at once; the busy timeout makes writers wait."""
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            # A 64 MiB page cache and memory-mapped reads: a long run's timeline is read
            # bucket by bucket through its index, and the default 2 MiB cache re-reads pages.
            cursor.execute("PRAGMA cache_size = -65536")
            cursor.execute("PRAGMA mmap_size = 268435456")
            # A read-only file keeps its journal mode and stays readable: not an error here.
            with contextlib.suppress(sqlite3.Error):
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    return on_connect


def _describe(url: URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return url.render_as_string(hide_password=True)


def _server_connect_args(url: URL, timeout_s: float) -> dict[str, Any]:
    """Connect and statement timeouts for a database server, in its driver's terms.

    Values given in the URL's query win. libpq counts whole seconds, at least 2.
    libpq's ``options`` of the URL (a schema's ``search_path``, say) are kept, and the
    timeouts they do not set are added to them: ``connect_args`` replace the URL's.
    """
    backend, driver, query = url.get_backend_name(), url.get_driver_name(), url.query
    args: dict[str, Any] = {}
    if backend == "postgresql" and driver in ("psycopg", "psycopg2", "psycopg2cffi"):
        if "connect_timeout" not in query:
            args["connect_timeout"] = max(2, math.ceil(timeout_s))
        given = query.get("options", "")
        if isinstance(given, str):
            ms = max(1, round(timeout_s * 1000))
            settings = [given] if given else []
            for name in ("statement_timeout", "lock_timeout"):
                if name not in given:
                    settings.append(f"-c {name}={ms}")
            args["options"] = " ".join(settings)
    elif backend == "postgresql" and driver == "pg8000":
        args.setdefault("timeout", timeout_s)
    elif backend in ("mysql", "mariadb") and driver in ("pymysql", "mysqldb"):
        for key in ("connect_timeout", "read_timeout", "write_timeout"):
            if key not in query:
                args[key] = max(1, math.ceil(timeout_s))
    return args


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
        self.url_text = url if url is not None else default_url()
        self._source = ENV_VAR if from_env else "the store URL"
        self.timeout_s = db_timeout()
        self.url = self._parse_url(self.url_text)
        self.location = _describe(self.url)
        self._prepare_sqlite_dir()
        self.engine = self._create_engine(self.url)
        self._schema_ready = False
        self.read_only = False
        """Whether the store is read through a read-only fallback (``mode=ro``/``immutable``)."""
        self.on_ready: Callable[[], None] | None = None
        """Called once, after the schema is ready on a store that may be written."""

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def hint(self, detail: str = "") -> str:
        """How to fix the failure ``detail`` (a lock, a timeout, a full disk, the location)."""
        return error_hint(detail, sqlite=self.is_sqlite, timeout_s=self.timeout_s)

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

    def _create_engine(self, url: URL) -> Engine:
        try:
            if self.is_sqlite:
                connect_args: dict[str, Any] = {"timeout": self.timeout_s}
            else:
                connect_args = _server_connect_args(url, self.timeout_s)
            engine = create_engine(url, connect_args=connect_args)
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
            event.listen(engine, "connect", _sqlite_on_connect(self.timeout_s))
        return engine

    def close(self) -> None:
        """Close every connection (idempotent)."""
        self.engine.dispose()

    # -- plumbing --------------------------------------------------------
    def retrying(
        self, what: str, fn: Callable[[], _T], *, schema: bool = False, conflicts: bool = False
    ) -> _T:
        """Run ``fn``; retry while the database is locked or briefly away; translate errors.

        With ``conflicts``, also retry a key that another transaction inserted first.
        """

        def retryable(exc: BaseException) -> bool:
            if not isinstance(exc, SQLAlchemyError):
                return False
            if conflicts and _is_key_conflict(exc):
                return True
            return retry.is_transient(_detail(exc)) or (schema and _is_schema_race(exc))

        try:
            return retry.call(fn, retryable, timeout_s=self.timeout_s)
        except SQLAlchemyError as exc:
            raise self._error(what, exc) from exc

    def _error(self, what: str, exc: BaseException) -> StoreError:
        detail = _detail(exc)
        return StoreError(
            f"cannot {what} in the run store {self.location}: {detail}", hint=self.hint(detail)
        )

    def ensure_schema(self) -> None:
        """Create or migrate the tables to the schema this code uses (once per instance).

        A SQLite file that exists but whose directory or mount cannot be
        written is opened read-only instead, so that it can still be read.
        """
        if self._schema_ready:
            return
        try:
            self._migrate()
        except StoreError as exc:
            if not self._open_read_only(exc):
                raise
        self._schema_ready = True
        if self.on_ready is not None and not self.read_only:
            self.on_ready()

    def _migrate(self) -> None:
        self.retrying(
            "open, create or migrate the tables",
            lambda: migrate.ensure_current(self.engine, where=self.location),
            schema=True,
        )

    def _open_read_only(self, error: StoreError) -> bool:
        """Reopen a SQLite file read-only (``mode=ro``, then ``immutable=1``); False if not apt."""
        path = self.sqlite_path()
        text = error.message.lower()
        if path is None or self._is_uri() or not path.is_file():
            return False
        if not any(sign in text for sign in _READ_ONLY_SIGNS):
            return False
        quoted = urllib.parse.quote(str(path.resolve()))
        # mode=ro still needs the WAL index (-shm); immutable=1 reads the file alone,
        # which is what a closed WAL store in a read-only place is.
        for flags in ("mode=ro", "immutable=1"):
            engine = self._create_engine(make_url(f"sqlite:///file:{quoted}?{flags}&uri=true"))
            try:
                self.retrying(
                    "open the tables read-only",
                    functools.partial(migrate.ensure_current, engine, where=self.location),
                )
            except StoreError:
                engine.dispose()
                continue
            self.engine.dispose()
            self.engine = engine
            self.read_only = True
            return True
        return False

    def read(self, what: str, fn: Callable[[Connection], _T]) -> _T:
        """``fn`` on a connection, after the schema is ready; retried and translated."""
        self.ensure_schema()

        def run() -> _T:
            with self.engine.connect() as conn:
                return fn(conn)

        return self.retrying(what, run)

    def write(self, what: str, fn: Callable[[Connection], _T], *, conflicts: bool = False) -> _T:
        """``fn`` in a transaction, after the schema is ready; retried and translated.

        ``conflicts``: retry a unique key that another transaction inserted meanwhile.
        """
        self.ensure_schema()

        def run() -> _T:
            with self.engine.begin() as conn:
                return fn(conn)

        return self.retrying(what, run, conflicts=conflicts)
