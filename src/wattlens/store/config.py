"""Where the store lives and what its schema version is; standard library only.

Both :class:`~wattlens.store.Store` (SQLAlchemy) and the fast save of
``wattlens run`` (sqlite3) read these, so this module imports neither.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BUSY_TIMEOUT_S",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "VERSION_TABLE",
    "default_url",
    "plain_sqlite_path",
    "sqlite_hint",
]

ENV_VAR = "WATTLENS_DB"

#: The Alembic revision this code reads and writes (the head of ``migrations/versions``).
SCHEMA_VERSION = "0001"
#: The table where Alembic records a database's revision.
VERSION_TABLE = "schema_version"

#: SQLite's own wait for a lock (seconds); writers retry on top of it.
BUSY_TIMEOUT_S = 30.0


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
