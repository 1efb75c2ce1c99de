"""The dashboard's JSON API and pages with FastAPI's TestClient: the CLI's numbers and errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import RUNS, Seeded
from wattlens.report import plotly_js_path
from wattlens.units import format_power
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
            {"model": "llama-2", "output_tokens": "400", "accelerator": "H100 SXM"},
            "models name 'llama-2' is ambiguous: it matches 3 entries",
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
        params={"model": "llama-2", "output_tokens": "400", "accelerator": "H100 SXM"},
    )
    message, hint = _error(response)
    result = cli("estimate", "inference", "-m", "llama-2", "--output-tokens", "400",
                 "-a", "H100 SXM")  # fmt: skip
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
        "/estimate/training", params={"accelerator": "H1000", "count": "8", "days": "1"}
    )
    assert bad.status_code == 400
    assert "unknown accelerators name &#39;H1000&#39;" in bad.text


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
    assert "1,200 points" in page.text  # counted in the store, not loaded
    run = next(r for r in RUNS if r.run_id == run_id)
    peak = format_power(run.peak_power_w or 0.0)
    assert peak in page.text  # the timeline's peak, though the timeline is not loaded
    no_timeline = client.get(f"/runs/{seeded.ids['laptop-eval']}")
    assert "none recorded" in no_timeline.text
    assert "data-src=" not in no_timeline.text
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


# -- scenarios -------------------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (REPO / "examples" / "scenarios").glob("*.yaml"))
BAD_SCENARIO = """name: x
demand:
  requests_per_day: 1M
requests:
  - name: chat
    share: 1
    model: llama-3.1-8b
    output_tokens: lots
hardware:
  accelerator: H100 SXM
"""


def _example_text(name: str) -> str:
    return (REPO / "examples" / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")


def test_scenario_examples_are_the_shipped_files(client: TestClient) -> None:
    listing = client.get("/api/scenarios/examples").json()["examples"]
    assert [e["name"] for e in listing] == EXAMPLES
    assert len(EXAMPLES) >= 5
    for e in listing:
        assert e["file"] == f"examples/scenarios/{e['name']}.yaml"
        assert e["title"]
        response = client.get(f"/api/scenarios/examples/{e['name']}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert response.text == _example_text(e["name"])


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_runs_as_the_cli(
    client: TestClient, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(REPO)
    file = f"examples/scenarios/{name}.yaml"
    body = {"yaml": _example_text(name), "file": file, "samples": 1000}
    response = client.post("/api/scenarios/run", json=body)
    assert response.status_code == 200, response.text
    api = response.json()
    assert api["run"] == cli("scenario", "run", file, "--json", "--samples", "1000").json()
    levers = cli("scenario", "levers", file, "--json", "--samples", "1000")
    if levers.exit_code == 0:
        assert api["waterfall"] == levers.json()
        assert [x["lever"] for x in api["levers"]] == [
            s["lever"] for s in api["waterfall"]["steps"]
        ]
        assert api["figures"]["levers"]["data"][0]["x"][0] == "baseline"
    else:
        assert "lists no levers" in levers.stderr
        assert api["waterfall"] is None
        assert api["levers"] == []
        assert api["figures"]["levers"] is None
    yearly = api["figures"]["energy_by_year"]["data"][0]
    assert yearly["x"] == [str(row["year"]) for row in api["run"]["yearly"]]


def test_lever_subset_changes_the_waterfall(client: TestClient) -> None:
    text = _example_text("selfhosted-8b-h100")

    def run(levers: list[int] | None) -> dict[str, Any]:
        response = client.post(
            "/api/scenarios/run", json={"yaml": text, "samples": 1000, "levers": levers}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    everything, some, none = run(None), run([0, 2]), run([])
    labels = [x["lever"] for x in everything["levers"]]
    assert len(labels) >= 3
    assert all(x["enabled"] for x in everything["levers"])
    assert [x["enabled"] for x in some["levers"]] == [i in (0, 2) for i in range(len(labels))]
    assert [s["lever"] for s in some["waterfall"]["steps"]] == [labels[0], labels[2]]
    assert len(everything["waterfall"]["steps"]) == len(labels)
    # The same baseline and the same first step; a different optimised state.
    assert some["waterfall"]["baseline"] == everything["waterfall"]["baseline"]
    assert some["waterfall"]["steps"][0] == everything["waterfall"]["steps"][0]
    assert (
        some["waterfall"]["optimised"]["energy_j"]
        != everything["waterfall"]["optimised"]["energy_j"]
    )
    assert some["run"] == everything["run"] == none["run"]  # levers never change the projection
    assert none["waterfall"] is None
    assert not any(x["enabled"] for x in none["levers"])
    response = client.post("/api/scenarios/run", json={"yaml": text, "levers": [len(labels)]})
    assert response.status_code == 400
    assert _error(response)[0].startswith(
        f"invalid value for levers: the file has no lever {len(labels)}"
    )


def test_years_and_samples_are_capped(client: TestClient) -> None:
    text = _example_text("chatgpt-2023-article")
    body = client.post("/api/scenarios/run", json={"yaml": text, "years": 4, "samples": 500}).json()
    assert (body["run"]["years"], body["run"]["samples"]) == (4, 500)
    assert len(body["run"]["yearly"]) == 4
    too_many = client.post(
        "/api/scenarios/run",
        json={"yaml": text, "samples": services.MAX_SCENARIO_SAMPLES + 1},
    )
    assert too_many.status_code == 400
    assert _error(too_many)[0] == (
        f"invalid value for samples: must be 100 to {services.MAX_SCENARIO_SAMPLES:,}, "
        f"got {services.MAX_SCENARIO_SAMPLES + 1}"
    )
    in_file = client.post("/api/scenarios/run", json={"yaml": text + "samples: 100000\n"})
    assert in_file.status_code == 400
    line = len(text.splitlines()) + 1
    assert _error(in_file)[0].startswith(f"scenario.yaml:{line}: samples: asks for 100,000")


def test_bad_scenario_has_the_cli_message(
    client: TestClient, cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    response = client.post("/api/scenarios/run", json={"yaml": BAD_SCENARIO, "file": "bad.yaml"})
    assert response.status_code == 400
    message, hint = _error(response)
    assert message.startswith("bad.yaml:8: requests[0].output_tokens: 'lots' is not a number")
    assert "Traceback" not in response.text
    (tmp_path / "bad.yaml").write_text(BAD_SCENARIO, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("scenario", "run", "bad.yaml")
    assert result.exit_code == 2
    assert f"error: {message}" in result.stderr
    assert f"hint: {hint}" in result.stderr
    invalid_yaml = client.post("/api/scenarios/run", json={"yaml": "name: x\nlevers: [1\n"})
    assert invalid_yaml.status_code == 400
    assert _error(invalid_yaml)[0].startswith("scenario.yaml:3: not valid YAML")


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("!!python/object/apply:os.system ['echo hi']\n", "scenario.yaml:1: not valid YAML"),
        ("a: &x [1, 2]\nb: *x\n", "scenario.yaml:2: uses a YAML alias"),
        ("[" * 5_000, "scenario.yaml:1: is nested too deeply"),
        ("- 1\n", "scenario.yaml:1: a scenario file is a YAML mapping"),
    ],
)
def test_unsafe_yaml_is_refused(client: TestClient, yaml_text: str, message: str) -> None:
    response = client.post("/api/scenarios/run", json={"yaml": yaml_text})
    assert response.status_code == 400
    assert _error(response)[0].startswith(message)


def test_oversize_scenarios_are_413(client: TestClient) -> None:
    big = "# padding\n" * (services.MAX_SCENARIO_BYTES // 10 + 1)
    response = client.post("/api/scenarios/run", json={"yaml": big})
    assert response.status_code == 413
    assert _error(response)[0].startswith(f"the scenario is {len(big):,} bytes")
    body = json.dumps({"yaml": "x" * (services.MAX_SCENARIO_BODY + 1)})
    response = client.post(
        "/api/scenarios/run", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_scenario_run_needs_a_json_body(client: TestClient) -> None:
    form = client.post("/api/scenarios/run", data={"yaml": "name: x"})
    assert form.status_code == 400
    assert _error(form)[0].startswith("send the scenario as application/json")
    broken = client.post(
        "/api/scenarios/run", content="{", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert _error(broken)[0].startswith("the request body is not JSON")
    wrong = client.post("/api/scenarios/run", json={"yaml": 3, "extra": True})
    assert wrong.status_code == 422
    assert "invalid value for yaml" in _error(wrong)[0]


@pytest.mark.parametrize(
    "name",
    [
        "..%2F..%2Fpyproject.toml",
        "..%2fchatgpt-2025",
        "%2e%2e",
        "chatgpt-2025.yaml",
        "CHATGPT-2025",
        "..%5C..%5Cpyproject",
        "%2Fetc%2Fpasswd",
        "nope",
    ],
)
def test_example_names_never_reach_the_filesystem(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    import builtins
    import io
    import pathlib

    opened: list[str] = []

    def spy(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            opened.append(str(args[0]) if args else "?")
            return original(*args, **kwargs)

        return wrapper

    for owner, attr in (
        (builtins, "open"),
        (io, "open"),
        (pathlib.Path, "open"),
        (pathlib.Path, "read_text"),
        (pathlib.Path, "read_bytes"),
        (pathlib.Path, "resolve"),
        (pathlib.Path, "exists"),
        (pathlib.Path, "is_file"),
        (pathlib.Path, "stat"),
    ):
        monkeypatch.setattr(owner, attr, spy(getattr(owner, attr)))
    response = client.get(f"/api/scenarios/examples/{name}")
    monkeypatch.undo()
    assert response.status_code == 404
    assert opened == []
    assert "[tool" not in response.text
    assert "root:" not in response.text


def test_scenario_server_errors_do_not_leak(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret /etc/shadow detail")

    monkeypatch.setattr(services, "run_scenario", boom)
    response = client.post("/api/scenarios/run", json={"yaml": "name: x"})
    assert response.status_code == 500
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "secret /etc/shadow detail" in caplog.text


def test_scenarios_page(client: TestClient) -> None:
    page = client.get("/scenarios")
    assert page.status_code == 200
    assert '<a href="/scenarios" class="active">Scenarios</a>' in page.text
    for name in EXAMPLES:
        assert f'<option value="{name}"' in page.text
    assert '<script src="/static/scenarios.js" defer></script>' in page.text
    assert "<script>" not in page.text  # no inline script: the CSP allows none
    assert client.get("/static/scenarios.js").status_code == 200
    assert 'href="/scenarios"' in client.get("/runs").text
    spec = client.get("/api/openapi.json").json()
    assert "post" in spec["paths"]["/api/scenarios/run"]
    assert "/api/scenarios/examples/{name}" in spec["paths"]


def test_scenario_run_needs_the_token(locked: TestClient) -> None:
    body = {"yaml": _example_text("chatgpt-2023-article"), "samples": 200}
    assert locked.post("/api/scenarios/run", json=body).status_code == 401
    assert locked.get("/api/scenarios/examples").status_code == 401
    response = locked.post(
        "/api/scenarios/run", json=body, headers={"Authorization": "Bearer s3cret-token"}
    )
    assert response.status_code == 200
