from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer

from tests.conftest import CliResult
from wattlens.catalog import use_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], Path]:
    """Write a scenario file into a temporary directory."""

    def make(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return make


@pytest.fixture
def scenario_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The real `wattlens` entry point (its error handling), with `scenario` mounted."""
    from wattlens import cli
    from wattlens.cli import scenario as scenario_cli_module

    tiny = typer.Typer(pretty_exceptions_enable=False)

    @tiny.callback()
    def _root() -> None:
        """Test root."""

    tiny.add_typer(scenario_cli_module.app, name="scenario")
    monkeypatch.setattr(cli, "app", tiny)

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = 0
        try:
            cli.main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            use_catalog(None)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
