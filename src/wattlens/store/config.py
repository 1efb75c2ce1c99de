"""Where the store lives and what its schema version is; standard library only.

Both :class:`~wattlens.store.Store` (SQLAlchemy) and the fast save of
``wattlens run`` (sqlite3) read these, so this module imports neither.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from wattlens.errors import InputValueError

__all__ = [
    "BUSY_TIMEOUT_S",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "TIMEOUT_ENV_VAR",
    "VERSION_TABLE",
    "data_dir",
    "db_timeout",
    "default_url",
    "error_hint",
    "plain_sqlite_path",
    "sqlite_hint",
]

ENV_VAR = "WATTLENS_DB"
#: Seconds to wait for the database: a SQLite lock, a server's connection, one statement.
TIMEOUT_ENV_VAR = "WATTLENS_DB_TIMEOUT"

#: The Alembic revision this code reads and writes (the head of ``migrations/versions``).
SCHEMA_VERSION = "0003"
#: The table where Alembic records a database's revision.
VERSION_TABLE = "schema_version"

#: The default of ``WATTLENS_DB_TIMEOUT``: SQLite's own wait for a lock, a server's
#: connect and statement timeout (seconds). Writers retry on top of it.
BUSY_TIMEOUT_S = 30.0
_MAX_TIMEOUT_S = 86_400.0


def db_timeout() -> float:
    """Seconds to wait for the database (``WATTLENS_DB_TIMEOUT``, default 30).

    It bounds SQLite's wait for a lock, the connection to a database server
    and each statement on it, so that a stuck database gives an error, not a hang.

    Raises:
        InputValueError: The variable is not a number of seconds in (0, 86400].
    """
    text = os.environ.get(TIMEOUT_ENV_VAR, "").strip()
    if not text:
        return BUSY_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= _MAX_TIMEOUT_S):
        raise InputValueError(
            f"{TIMEOUT_ENV_VAR}={text!r} is not a number of seconds between 0 and 86400",
            hint=f"set {TIMEOUT_ENV_VAR} to seconds, e.g. {TIMEOUT_ENV_VAR}=30, or unset it",
        )
    return value


def data_dir() -> Path:
    """The user data directory of wattlens: home of the default store and the spool."""
    import platformdirs

    return Path(platformdirs.user_data_dir("wattlens"))


def default_url() -> str:
    """The store URL used when none is given: ``WATTLENS_DB``, the ``db`` config key, or
    the user data dir.

    Returns:
        A SQLAlchemy URL string.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env
    from wattlens.config import lookup

    configured = lookup("db")
    if configured is not None:
        return str(configured.value)
    return f"sqlite:///{data_dir() / 'runs.sqlite'}"


def plain_sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything needing SQLAlchemy."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = url[len(prefix) :]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


def sqlite_hint() -> str:
    """How to point the store at a SQLite file that can be written."""
    return (
        f"set {ENV_VAR} to a writable location, e.g. "
        f"{ENV_VAR}=sqlite:////path/to/runs.sqlite, or a PostgreSQL URL"
    )


def is_locked(detail: str) -> bool:
    """Whether a database error says that another connection holds a lock."""
    text = detail.lower()
    return "database is locked" in text or "database is busy" in text or "sqlite_busy" in text


def is_timeout(detail: str) -> bool:
    """Whether a database error is a connect or statement timeout."""
    text = detail.lower()
    return "timeout" in text or "timed out" in text


def is_disk_full(detail: str) -> bool:
    text = detail.lower()
    return "disk is full" in text or "no space left" in text or "disk full" in text


def error_hint(detail: str, *, sqlite: bool, timeout_s: float) -> str:
    """The hint that fits a database error: a lock, a timeout, a full disk, else the location."""
    wait = (
        f"wattlens waited {timeout_s:g} s and retried; wait longer with {TIMEOUT_ENV_VAR}=SECONDS"
    )
    if is_locked(detail):
        return (
            "the store is locked by another process (a long transaction or a stuck "
            f"writer); {wait}, or stop the process that holds it"
        )
    if is_disk_full(detail):
        return f"free space on the disk that holds the store, or set {ENV_VAR} to another disk"
    if not sqlite and is_timeout(detail):
        return (
            f"the database server did not answer in time; check that it is up and that "
            f"{ENV_VAR} names it; {wait}"
        )
    if sqlite:
        return sqlite_hint()
    return (
        f"check that the database server is reachable and that {ENV_VAR} names an "
        "existing database with the right user and password"
    )
