"""Alembic migrations of the run store; :mod:`wattlens.store.migrate` runs them.

Each file in ``versions/`` is one revision; the database records the one it is
at in the ``schema_version`` table. Revision ``0001`` is the schema of
wattlens 0.1.0, which created its tables without migrations: upgrading such a
database adopts its tables as they are and records ``0001``.

A new revision (a new column, say) goes in a new file that names the previous
one as ``down_revision``; :func:`wattlens.store.migrate.new_revision` writes its
skeleton. Then change ``tables.py`` to match and ``SCHEMA_VERSION`` in
``config.py`` to the new head (the tests check both).
"""
