"""``wattlens serve``: loopback by default, a token for anything else."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tests.web.conftest import Seeded
from wattlens.cli import serve as serve_cli
from wattlens.errors import UsageError


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("serve")(serve_cli.serve)

    @app.callback()
    def _root() -> None:
        """wattlens"""

    return app


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Capture what uvicorn.run would serve instead of serving it."""
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.delenv("WATTLENS_TOKEN", raising=False)
    return seen


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert serve_cli.is_loopback(host) is loopback


def test_serves_loopback_by_default(seeded: Seeded, served: dict[str, Any]) -> None:
    result = CliRunner().invoke(_app(), ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/" in result.output
    from fastapi.testclient import TestClient

    client = TestClient(served["app"], base_url="http://127.0.0.1:8123")
    assert client.get("/api/runs").json()["count"] == 3
    assert client.get("/api/runs", headers={"host": "attacker.example"}).status_code == 400


def test_other_addresses_need_a_token(seeded: Seeded, served: dict[str, Any]) -> None:
    result = CliRunner().invoke(_app(), ["serve", "--host", "0.0.0.0"])
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == (
        "binding 0.0.0.0 exposes your runs beyond this machine and needs a token"
    )
    assert result.exception.hint is not None
    assert "--token" in result.exception.hint
    assert served == {}


def test_token_from_the_environment(
    seeded: Seeded, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTLENS_TOKEN", "from-env-token")
    result = CliRunner().invoke(_app(), ["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0, result.output
    from fastapi.testclient import TestClient

    client = TestClient(served["app"])
    assert client.get("/api/runs").status_code == 401
    ok = client.get("/api/runs", headers={"Authorization": "Bearer from-env-token"})
    assert ok.status_code == 200


def test_empty_token_is_refused(seeded: Seeded, served: dict[str, Any]) -> None:
    result = CliRunner().invoke(_app(), ["serve", "--token", " "])
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == "the token is empty"
