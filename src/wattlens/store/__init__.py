"""The run store: every measurement is a record, in SQLite or any SQLAlchemy database.

Where the store lives, in order: the ``url`` argument, the environment
variable ``WATTLENS_DB`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/wattlens``), else
``<user data dir>/wattlens/runs.sqlite``. Tables are created on first use,
and a store written by an older wattlens is migrated (Alembic; its revision
is kept in the ``schema_version`` table).

``WATTLENS_DB_TIMEOUT`` (seconds, default 30) bounds every wait for the
database: a SQLite lock, the connection to a server, each statement. A save
that meets a lock or a refused connection is retried with back-off; a run
that still cannot be saved is kept in ``<user data dir>/wattlens/spool/`` and
saved by the next call that opens the store (``wattlens runs import FILE``
saves one explicitly).

Modules:

- :mod:`~wattlens.store.tables`: the SQLAlchemy Core tables (runs, their
  timelines and windows; a child record names its run in ``parent_id``);
- :mod:`~wattlens.store.store`: :class:`Store` (save, load, query, delete);
- :mod:`~wattlens.store.export`: CSV and JSON export;
- :mod:`~wattlens.store.migrate` and ``migrations/``: the schema's revisions;
- :mod:`~wattlens.store.fast`: the save of ``wattlens run`` without SQLAlchemy;
- :mod:`~wattlens.store.retry` and :mod:`~wattlens.store.spool`: retries, unsaved runs;
- :mod:`~wattlens.store.ids`: run ids, unique in their short form.

Importing this package imports nothing heavy: each name loads its module on
first use, so that ``wattlens run`` can save without importing SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.store.config import SCHEMA_VERSION, default_url
    from wattlens.store.errors import AmbiguousRunIdError, RunKeptError, RunNotFoundError
    from wattlens.store.fast import (
        save,
        save_or_keep,
        save_sqlite_fast,
        save_windows,
        save_windows_or_keep,
    )
    from wattlens.store.ids import new_run_id, short_id
    from wattlens.store.rows import EXPORT_COLUMNS
    from wattlens.store.store import Store

__all__ = [
    "EXPORT_COLUMNS",
    "SCHEMA_VERSION",
    "AmbiguousRunIdError",
    "RunKeptError",
    "RunNotFoundError",
    "Store",
    "default_url",
    "new_run_id",
    "save",
    "save_or_keep",
    "save_sqlite_fast",
    "save_windows",
    "save_windows_or_keep",
    "short_id",
]

_HOME = {
    "EXPORT_COLUMNS": "rows",
    "SCHEMA_VERSION": "config",
    "AmbiguousRunIdError": "errors",
    "RunKeptError": "errors",
    "RunNotFoundError": "errors",
    "Store": "store",
    "default_url": "config",
    "new_run_id": "ids",
    "save": "fast",
    "save_or_keep": "fast",
    "save_sqlite_fast": "fast",
    "save_windows": "fast",
    "save_windows_or_keep": "fast",
    "short_id": "ids",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'wattlens.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"wattlens.store.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
