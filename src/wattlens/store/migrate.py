"""Bringing a database to the schema this code reads and writes, with Alembic.

The migrations run from Python (no ``alembic.ini``): :func:`ensure_current`
reads the revision in the ``schema_version`` table and, unless it is already
:data:`~wattlens.store.config.SCHEMA_VERSION`, upgrades the database under a
lock, so that several processes opening a new or older store at once migrate
it once. Alembic itself is imported only when a migration is due.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

from wattlens.errors import StoreError
from wattlens.store.config import SCHEMA_VERSION, VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["MIGRATIONS_DIR", "alembic_config", "current_versions", "ensure_current", "upgrade"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Any fixed number: PostgreSQL's advisory lock that serialises migrations of one database.
_PG_LOCK_KEY = 0x7761_7474_6C65_6E73  # "wattlens" in ASCII


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    """An Alembic configuration for the store's migrations, without an ini file."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    # Revision files are importable module names: v0002_add_something.py.
    config.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    return config


def current_versions(conn: Connection) -> tuple[str, ...]:
    """The revisions recorded in the database: () before any migration ran."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return tuple(sorted(str(v) for v in rows.scalars()))


def ensure_current(engine: Engine, *, where: str) -> None:
    """Upgrade the database to :data:`SCHEMA_VERSION` unless it is there already.

    Args:
        engine: The store's engine.
        where: The store's location, for messages.

    Raises:
        StoreError: The database records a revision this code does not know
            (written by a newer wattlens).
        sqlalchemy.exc.SQLAlchemyError: The database cannot be read or migrated.
    """
    with engine.connect() as conn:
        found = current_versions(conn)
        if found == (SCHEMA_VERSION,):
            return
        # Release 0.1.0 (no version table) or an older revision: the tables are there.
        older = {"runs", "timeline"} <= set(inspect(conn).get_table_names())
    try:
        upgrade(engine, where=where)
    except OperationalError as exc:
        # An older store that may not be written (a read-only file) keeps the tables it
        # has (later revisions only add indexes): it stays readable, a write fails as it should.
        if not (older and "readonly" in str(exc).replace(" ", "").lower()):
            raise


def upgrade(engine: Engine, *, where: str, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` in one transaction, under a lock."""
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    known = {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}
    with engine.connect() as conn:
        _lock(conn)
        found = current_versions(conn)  # again: another process may have migrated meanwhile
        unknown = [v for v in found if v not in known]
        if unknown:
            raise StoreError(
                f"the run store {where} has schema version {', '.join(unknown)}, which this "
                f"wattlens does not know (it reads and writes version {SCHEMA_VERSION})",
                hint="upgrade wattlens to the release that wrote this store, "
                "or set WATTLENS_DB to another store",
            )
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()


def _lock(conn: Connection) -> None:
    """Begin the migration's transaction holding the database's write (or advisory) lock."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # The write lock now, not at the first write: a second migrator waits (busy timeout).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def new_revision(message: str, rev_id: str, *, script_location: Path = MIGRATIONS_DIR) -> Path:
    """Write the skeleton of a new revision into ``migrations/versions`` (for developers).

    Example: ``python -c 'from wattlens.store.migrate import new_revision;
    new_revision("add runs.tags", "0002")'``; then fill in ``upgrade`` and
    ``downgrade``, change ``tables.py`` to match and set ``SCHEMA_VERSION``.

    Returns:
        The new file.
    """
    from alembic import command

    script = command.revision(alembic_config(script_location), message=message, rev_id=rev_id)
    if script is None or isinstance(script, list):
        raise RuntimeError(f"Alembic wrote no single revision file for {rev_id}")
    return Path(script.path)
