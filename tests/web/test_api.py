"""The dashboard's JSON API and pages with FastAPI's TestClient: the CLI's numbers and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import RUNS, Seeded
from wattlens.report import plotly_js_path
from wattlens.web import services
from wattlens.web.app import LOOPBACK_HOSTS, create_app


@pytest.fixture
def client(seeded: Seeded) -> TestClient:
    return TestClient(create_app(seeded.url), raise_server_exceptions=False)


def _error(response: Any) -> tuple[str, str | None]:
    body = response.json()
    return body["error"], body["hint"]


# -- runs ------------------------------------------------------------------------------------------
def test_runs_list_is_the_cli_listing(client: TestClient, cli: Callable[..., Any]) -> None:
    api = client.get("/api/runs").json()
    from_cli = cli("runs", "ls", "--json").json()
    assert api["count"] == from_cli["count"] == len(RUNS)
    assert api["runs"] == from_cli["runs"]


@pytest.mark.parametrize(
    ("sort", "order", "key"),
    [
        ("energy_j", "desc", "energy_j"),
        ("energy_j", "asc", "energy_j"),
        ("duration_s", "asc", "duration_s"),
        ("name", "asc", "name"),
        ("started_at", "asc", "started_at"),
        ("started_at", "desc", "started_at"),
    ],
)
def test_runs_list_sorts(client: TestClient, sort: str, order: str, key: str) -> None:
    runs = client.get("/api/runs", params={"sort": sort, "order": order}).json()["runs"]
    values = [r[key] for r in runs]
    assert values == sorted(values, reverse=order == "desc")


def test_runs_list_filters_and_pages(client: TestClient) -> None:
    body = client.get("/api/runs", params={"name": "train-*"}).json()
    assert body["count"] == 2
    assert {r["name"] for r in body["runs"]} == {"train-small", "train-large"}
    body = client.get("/api/runs", params={"since": "2026-03-02"}).json()
    assert {r["name"] for r in body["runs"]} == {"train-large", "laptop-eval"}
    body = client.get("/api/runs", params={"limit": 1, "offset": 1, "sort": "name"}).json()
    assert (body["count"], body["shown"], body["runs"][0]["name"]) == (3, 1, "train-large")


def test_runs_list_bad_since_has_the_cli_message(
    client: TestClient, cli: Callable[..., Any]
) -> None:
    response = client.get("/api/runs", params={"since": "yesterday"})
    assert response.status_code == 400
    message, hint = _error(response)
    stderr = cli("runs", "ls", "--since", "yesterday").stderr
    assert message in stderr
    assert hint is not None
    assert hint in stderr


def test_run_is_the_cli_record_without_timeline(
    client: TestClient, seeded: Seeded, cli: Callable[..., Any]
) -> None:
    run_id = seeded.ids["train-small"]
    api = client.get(f"/api/runs/{run_id}").json()
    from_cli = cli("runs", "show", run_id, "--json").json()
    assert api["timeline"] is None
    assert len(from_cli["timeline"]) == 1200
    from_cli["timeline"] = None
    assert api == from_cli
    full = client.get(f"/api/runs/{run_id}", params={"timeline": "true"}).json()
    assert len(full["timeline"]) == 1200
    by_prefix = client.get("/api/runs/b7c8").json()
    assert by_prefix["run_id"] == seeded.ids["laptop-eval"]


def test_unknown_and_ambiguous_run_ids(client: TestClient, cli: Callable[..., Any]) -> None:
    response = client.get("/api/runs/ffff")
    assert response.status_code == 404
    assert _error(response) == (
        "no stored run has id 'ffff'",
        "list the stored runs with `wattlens runs ls`",
    )
    response = client.get("/api/runs/a1b2")
    assert response.status_code == 400
    message, _hint = _error(response)
    assert message == "run id prefix 'a1b2' is ambiguous: it matches 2 runs"
    assert message in cli("runs", "show", "a1b2").stderr
    page = client.get("/runs/ffff")
    assert page.status_code == 404
    assert "no stored run has id &#39;ffff&#39;" in page.text


def test_timeline_is_downsampled_and_keeps_energy(client: TestClient, seeded: Seeded) -> None:
    run_id = seeded.ids["train-small"]
    body = client.get(f"/api/runs/{run_id}/timeline", params={"max_points": 100}).json()
    assert body["points"] == len(body["t_s"]) <= 100
    assert body["source_points"] == 1200
    assert body["bucket_size"] == 12
    run = next(r for r in RUNS if r.run_id == run_id)
    assert run.timeline is not None
    original = sum(p.power_w["gpu:0"] for p in run.timeline) / 1200
    reduced = sum(body["power_w"]["gpu:0"]) / body["points"]
    assert reduced == pytest.approx(original, rel=1e-9)
    assert body["figure"]["data"][0]["y"] == body["power_w"]["gpu:0"]
    full = client.get(f"/api/runs/{run_id}/timeline").json()
    assert full["points"] == 1200
    assert full["bucket_size"] == 1
    none = client.get(f"/api/runs/{seeded.ids['laptop-eval']}/timeline").json()
    assert none["points"] == 0


def test_compare_is_the_cli_compare(
    client: TestClient, seeded: Seeded, cli: Callable[..., Any]
) -> None:
    ids = [seeded.ids["train-small"], seeded.ids["train-large"], seeded.ids["laptop-eval"]]
    api = client.get("/api/compare", params={"ids": ids}).json()
    assert api == cli("runs", "compare", *ids, "--json").json()
    response = client.get("/api/compare", params={"ids": ids[:1]})
    assert response.status_code == 400
    assert _error(response)[0] == "compare needs at least two runs"
    page = client.get("/compare", params={"ids": ids[:2]})
    assert page.status_code == 200
    assert "train-large" in page.text


# -- estimates -------------------------------------------------------------------------------------
def test_inference_estimate_is_the_cli_estimate(
    client: TestClient, cli: Callable[..., Any]
) -> None:
    params = {
        "model": "llama-3.1-8b",
        "output_tokens": "400",
        "input_tokens": "1000",
        "accelerator": "H100 SXM",
        "batch": "8",
        "location": "FR",
    }
    api = client.get("/api/estimate/inference", params=params).json()
    from_cli = cli(
        "estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400",
        "--input-tokens", "1000", "-a", "H100 SXM", "--batch", "8", "-l", "FR", "--json",
    ).json()  # fmt: skip
    assert api.pop("inputs") == params
    assert api == from_cli


def test_training_estimate_is_the_cli_estimate(client: TestClient, cli: Callable[..., Any]) -> None:
    params = {"accelerator": "H100 SXM", "params": "70B", "tokens": "2T", "mfu": "0.3:0.5"}
    api = client.get("/api/estimate/training", params=params).json()
    from_cli = cli(
        "estimate", "training", "-a", "H100 SXM", "--params", "70B", "--tokens", "2T",
        "--mfu", "0.3:0.5", "--json",
    ).json()  # fmt: skip
    api.pop("inputs")
    assert api == from_cli
    # Empty form fields are left out, as the CLI's omitted options.
    blank = client.get("/api/estimate/training", params={**params, "pue": "", "count": " "})
    assert blank.json()["energy_j"] == api["energy_j"]


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "/api/estimate/inference",
            {"model": "llama-3.1-8b", "output_tokens": "400", "accelerator": "A100"},
            "accelerators name 'A100' is ambiguous: it matches 4 entries",
        ),
        (
            "/api/estimate/inference",
            {"model": "no-such-model", "output_tokens": "400", "accelerator": "H100 SXM"},
            "unknown models name 'no-such-model'",
        ),
        (
            "/api/estimate/training",
            {"accelerator": "H100 SXM", "params": "7x", "tokens": "2T"},
            "invalid value for params: '7x' is not a number (write e.g. 7e10, 70B or 2T)",
        ),
        (
            "/api/estimate/training",
            {"accelerator": "H100 SXM", "count": "many", "days": "3"},
            "invalid value for count: 'many' is not a whole number",
        ),
        (
            "/api/estimate/training",
            {"accelerator": "H100 SXM", "params": "7B", "tokens": "1T", "samples": "10"},
            "invalid value for samples: must be 100 to 200,000, got 10",
        ),
        (
            "/api/estimate/inference",
            {"output_tokens": "400", "accelerator": "H100 SXM"},
            "give a model or params",
        ),
        ("/api/estimate/training", {}, "missing value for accelerator"),
    ],
)
def test_estimate_errors_are_precise(
    client: TestClient, path: str, params: dict[str, str], message: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    got, hint = _error(response)
    assert got == message
    assert hint


def test_estimate_error_messages_match_the_cli(client: TestClient, cli: Callable[..., Any]) -> None:
    response = client.get(
        "/api/estimate/inference",
        params={"model": "llama-3.1-8b", "output_tokens": "400", "accelerator": "A100"},
    )
    message, hint = _error(response)
    result = cli("estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400",
                 "-a", "A100")  # fmt: skip
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr
    assert f"hint: {hint}" in result.stderr


def test_estimate_page_shows_results_and_errors(client: TestClient) -> None:
    page = client.get("/estimate")
    assert page.status_code == 200
    assert 'action="/estimate/inference"' in page.text
    params = {"model": "llama-3.1-8b", "output_tokens": "400", "accelerator": "H100 SXM"}
    page = client.get("/estimate/inference", params=params)
    assert page.status_code == 200
    assert 'data-testid="result"' in page.text
    assert 'value="llama-3.1-8b"' in page.text
    bad = client.get(
        "/estimate/training", params={"accelerator": "A100", "count": "8", "days": "1"}
    )
    assert bad.status_code == 400
    assert "accelerators name &#39;A100&#39; is ambiguous" in bad.text


# -- catalog ---------------------------------------------------------------------------------------
def test_catalog_is_the_cli_catalog(client: TestClient, cli: Callable[..., Any]) -> None:
    assert client.get("/api/catalog").json() == cli("catalog", "ls", "--json").json()
    assert client.get("/api/catalog/grids").json() == cli("catalog", "ls", "grids", "--json").json()
    row = client.get("/api/catalog/accelerators/h100").json()
    assert row == cli("catalog", "show", "accelerators", "h100", "--json").json()
    assert row["row"]["source"]
    page = client.get("/catalog/accelerators")
    assert row["row"]["id"] in page.text
    assert client.get(f"/catalog/accelerators/{row['row']['id']}").status_code == 200
    response = client.get("/api/catalog/nope")
    assert response.status_code == 400
    assert _error(response)[0] == "unknown catalog kind name 'nope'"


# -- pages, static files, OpenAPI ------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    ["/runs", "/runs?sort=energy_j&order=asc", "/runs?name=train*", "/estimate", "/catalog"],
)
def test_pages_render(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script src="/static/plotly.min.js"' in response.text
    assert "http://" not in response.text.split("<main>")[0]


def test_run_page(client: TestClient, seeded: Seeded) -> None:
    run_id = seeded.ids["train-small"]
    page = client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert f'data-src="/api/runs/{run_id}/timeline"' in page.text
    assert "python train.py --epochs 3" in page.text
    assert "node-7" in page.text
    assert 'data-figure="energy_by_component"' in page.text
    report = client.get(f"/api/runs/{run_id}/report.html")
    assert report.status_code == 200
    assert "attachment" in report.headers["content-disposition"]


def test_plotly_is_served_locally(client: TestClient) -> None:
    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert len(response.content) == plotly_js_path().stat().st_size
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path in (
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/timeline",
        "/api/compare",
        "/api/estimate/training",
        "/api/estimate/inference",
        "/api/catalog/{kind}",
    ):
        assert path in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/estimate/inference"]["get"]["parameters"]}
    assert {"model", "output_tokens", "accelerator", "batch", "location"} <= params


# -- security --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2f..%2fstore.py",
        "/api/catalog/..%2f..%2fetc%2fpasswd",
        "/runs/..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_no_path_reaches_the_filesystem(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500
    assert "import" not in response.text
    assert "root:" not in response.text


def test_server_errors_do_not_leak(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret /etc/shadow detail")

    monkeypatch.setattr(services, "list_runs", boom)
    for path in ("/api/runs", "/runs"):
        response = client.get(path)
        assert response.status_code == 500
        assert "secret" not in response.text
        assert "Traceback" not in response.text
        assert "internal server error" in response.text
    assert "secret /etc/shadow detail" in caplog.text  # logged on the server only


def test_validation_errors_are_messages(client: TestClient) -> None:
    response = client.get("/api/runs", params={"limit": "lots"})
    assert response.status_code == 422
    message, _hint = _error(response)
    assert message.startswith("invalid value for limit:")
    response = client.get("/api/runs", params={"sort": "secret"})
    assert response.status_code == 422


def test_security_headers(client: TestClient) -> None:
    response = client.get("/runs")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def locked(seeded: Seeded) -> TestClient:
    return TestClient(create_app(seeded.url, token="s3cret-token"), raise_server_exceptions=False)


@pytest.mark.parametrize(
    "path", ["/runs", "/api/runs", "/static/plotly.min.js", "/api/openapi.json", "/estimate"]
)
def test_token_is_required_everywhere(locked: TestClient, path: str) -> None:
    response = locked.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert locked.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert locked.get(path, headers={"Authorization": "Bearer s3cret-token"}).status_code == 200


def test_token_in_query_sets_a_cookie(locked: TestClient) -> None:
    response = locked.get("/api/runs", params={"token": "s3cret-token"})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert locked.get("/api/runs").status_code == 200  # the client kept the cookie
    locked.cookies.clear()
    assert locked.get("/api/runs", params={"token": "wrong"}).status_code == 401
    body = locked.get("/api/runs").json()
    assert body["error"] == "this wattlens server needs its token"


def test_loopback_server_refuses_other_hosts(seeded: Seeded) -> None:
    app = create_app(seeded.url, allowed_hosts=LOOPBACK_HOSTS)
    client = TestClient(app, base_url="http://127.0.0.1:8080", raise_server_exceptions=False)
    assert client.get("/api/runs").status_code == 200
    assert client.get("/api/runs", headers={"host": "localhost:8080"}).status_code == 200
    rebound = client.get("/api/runs", headers={"host": "evil.example:8080"})
    assert rebound.status_code == 400
    assert "evil.example" in json.dumps(rebound.json())
