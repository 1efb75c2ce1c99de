"""Store fixtures parametrised over the backends: a SQLite file and a PostgreSQL server.

The PostgreSQL cases run where ``WATTLENS_TEST_POSTGRES_URL`` names a database
this test may write to (``.ci/run`` starts a throwaway server and sets it, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/wattlens_test``); without it they
are skipped, with that reason. Each PostgreSQL case gets a schema of its own
(dropped afterwards), so it starts from an empty store as a SQLite case does.

A test module that defines its own ``store`` (``test_store.py``, whose tests also
read the SQLite file directly) keeps it; ``backend_store`` is always parametrised.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattlens.store import Store

#: The environment variable naming the PostgreSQL database of the tests.
POSTGRES_ENV_VAR = "WATTLENS_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    """The PostgreSQL URL of the tests, or "" when none is set."""
    return os.environ.get(POSTGRES_ENV_VAR, "").strip()


def with_search_path(url: str, schema: str) -> str:
    """``url`` with its tables in ``schema`` (libpq's ``options``, percent-encoded)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema of this test's own (skipped without a server)."""
    url = postgres_url()
    if not url:
        pytest.skip(f"set {POSTGRES_ENV_VAR} to a PostgreSQL database to run the PostgreSQL cases")
    from sqlalchemy import create_engine, text

    schema = f"t{uuid.uuid4().hex[:12]}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield with_search_path(url, schema)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend under test."""
    return str(request.param)


@pytest.fixture
def backend_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of an empty store on the backend under test."""
    if backend == "sqlite":
        (tmp_path / "store").mkdir(exist_ok=True)
        return f"sqlite:///{tmp_path / 'store' / 'runs.sqlite'}"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def backend_store(backend_url: str) -> Iterator[Store]:
    """An empty store on the backend under test."""
    with Store(backend_url) as s:
        yield s


@pytest.fixture
def store(backend_store: Store) -> Store:
    """The store of the backend-parametrised tests (see the module's docstring)."""
    return backend_store
