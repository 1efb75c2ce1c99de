from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from wattlens.catalog import Catalog, use_catalog


@pytest.fixture(autouse=True)
def _isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Keep the user's own catalog, config and run store out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("WATTLENS_CATALOG", raising=False)
    # Location settings and the cloud platform's own variables (detection) stay out too.
    for var in ("WATTLENS_CONFIG", "WATTLENS_LOCATION", "WATTLENS_DETECT_METADATA",
                "AWS_EXECUTION_ENV", "WEBSITE_SITE_NAME"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("WATTLENS_DB", f"sqlite:///{home / 'runs.sqlite'}")
    use_catalog(None)
    yield
    use_catalog(None)


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(user_dir=False)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    """Run the real `wattlens` entry point in-process; return exit code and output."""
    from wattlens.cli import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            use_catalog(None)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
