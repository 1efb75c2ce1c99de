"""The run store: every measurement is a record, in SQLite or any SQLAlchemy database.

Where the store lives, in order: the ``url`` argument, the environment
variable ``WATTLENS_DB`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/wattlens``), else
``<user data dir>/wattlens/runs.sqlite``. Tables are created on first use,
and a store written by an older wattlens is migrated (Alembic; its revision
is kept in the ``schema_version`` table).

Modules:

- :mod:`~wattlens.store.tables`: the SQLAlchemy Core tables;
- :mod:`~wattlens.store.store`: :class:`Store` (save, load, query, delete);
- :mod:`~wattlens.store.export`: CSV and JSON export;
- :mod:`~wattlens.store.migrate` and ``migrations/``: the schema's revisions;
- :mod:`~wattlens.store.fast`: the save of ``wattlens run`` without SQLAlchemy;
- :mod:`~wattlens.store.ids`: run ids, unique in their short form.

Importing this package imports nothing heavy: each name loads its module on
first use, so that ``wattlens run`` can save without importing SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.store.config import SCHEMA_VERSION, default_url
    from wattlens.store.errors import AmbiguousRunIdError, RunNotFoundError
    from wattlens.store.fast import save, save_sqlite_fast
    from wattlens.store.ids import new_run_id, short_id
    from wattlens.store.rows import EXPORT_COLUMNS
    from wattlens.store.store import Store

__all__ = [
    "EXPORT_COLUMNS",
    "SCHEMA_VERSION",
    "AmbiguousRunIdError",
    "RunNotFoundError",
    "Store",
    "default_url",
    "new_run_id",
    "save",
    "save_sqlite_fast",
    "short_id",
]

_HOME = {
    "EXPORT_COLUMNS": "rows",
    "SCHEMA_VERSION": "config",
    "AmbiguousRunIdError": "errors",
    "RunNotFoundError": "errors",
    "Store": "store",
    "default_url": "config",
    "new_run_id": "ids",
    "save": "fast",
    "save_sqlite_fast": "fast",
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
