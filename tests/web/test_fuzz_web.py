"""Bad input against every route of the dashboard: never a 500, never a null figure.

Each route the application serves (read from the app object, so that a new
route without cases here fails :func:`test_every_route_has_bad_input_cases`)
gets hostile requests: numbers out of range, huge, negative or not numbers at
all, NaN and infinity, unknown sort keys and ids, path traversal, NUL and
non-UTF-8 bytes, and for the one POST malformed, oversized, deeply nested and
mistyped bodies. Hypothesis then draws query values and bodies. Every answer
must be a 4xx whose error names the field (JSON under ``/api``, a page
elsewhere) or a 200 whose figures are all finite; no request may hang.
"""

from __future__ import annotations

import html
import json
import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx2 import Response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import RUNS
from wattlens.errors import UsageError
from wattlens.store import Store
from wattlens.web import services
from wattlens.web.app import create_app

#: Seconds one request may take before the test calls it a hang (a guard, not a benchmark:
#: the slowest case here, a scenario run, takes a few seconds on a loaded machine).
HANG_S = 120
RUN = RUNS[0].run_id
OTHER = RUNS[1].run_id
JSON = {"content-type": "application/json"}
#: Estimate forms that work, and what the fuzz changes in them (samples kept small).
INFERENCE = {
    "accelerator": "H100 SXM",
    "model": "llama-3.1-8b",
    "output_tokens": "400",
    "samples": "100",
}
TRAINING = {"accelerator": "H100 SXM", "count": "8", "days": "2", "samples": "100"}
BY_MODEL = {"accelerator": "H100 SXM", "params": "7B", "tokens": "1T", "samples": "100"}


@dataclass(frozen=True)
class Case:
    """One request and what its answer must say."""

    url: str
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Text the error must contain (the field's name); None: any clear error.
    names: str | None = None
    #: Whether a 200 is a right answer (an unknown parameter is ignored, say).
    ok: bool = False


def _q(**params: str) -> str:
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def _form(path: str, base: dict[str, str], **changes: str) -> str:
    return f"{path}?{_q(**{**base, **changes})}"


def _body(data: Any) -> bytes:
    return json.dumps(data).encode()


EXAMPLE = (Path(__file__).resolve().parents[2] / "examples/scenarios/chatgpt-2025.yaml").read_text()
HOSTILE_IDS = ["%00", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%ff%fe", "x" * 4000, "%25", "_", "*"]
HUGE = "99999999999999999999"


def _scenario_cases() -> list[Case]:
    path = "/api/scenarios/run"
    deep_json = b'{"yaml": "name: x", "levers": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    deep_object = b'{"yaml": "x", "file": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}"
    return [
        Case(path, "POST", deep_json, JSON, "nested too deeply"),
        Case(path, "POST", deep_object, JSON, "nested too deeply"),
        Case(path, "POST", _body({"yaml": "a: " + "[" * 60_000 + "]" * 60_000}), JSON, "nested"),
        Case(path, "POST", b'{"yaml": "\xff\xfe"}', JSON, "not JSON"),
        Case(path, "POST", b"yaml=x", JSON, "not JSON"),
        Case(path, "POST", b"", JSON, "not JSON"),
        Case(
            path, "POST", b"yaml=x", {"content-type": "application/x-www-form-urlencoded"}, "json"
        ),
        Case(
            path,
            "POST",
            b'--b\r\nContent-Disposition: form-data; name="yaml"\r\n\r\nx\r\n--b--\r\n',
            {"content-type": "multipart/form-data; boundary=b"},
            "application/json",
        ),
        Case(path, "POST", b"{}", {}, "application/json"),
        Case(path, "POST", b"[]", JSON, "request"),
        Case(path, "POST", b"1e400", JSON, "request"),
        Case(path, "POST", b'{"yaml": "name: x", "years": NaN}', JSON, "years"),
        Case(path, "POST", b'{"yaml": "name: x", "years": 1e400}', JSON, "years"),
        Case(path, "POST", _body({"yaml": "name: x", "years": 10**30}), JSON, "years"),
        Case(path, "POST", _body({"yaml": "name: x", "years": -1}), JSON, "years"),
        Case(path, "POST", _body({"yaml": "name: x", "samples": -5}), JSON, "samples"),
        Case(path, "POST", _body({"yaml": "name: x", "samples": 10**12}), JSON, "samples"),
        Case(path, "POST", _body({"yaml": "name: x", "samples": "many"}), JSON, "samples"),
        Case(path, "POST", _body({"yaml": EXAMPLE, "levers": [-1]}), JSON, "levers"),
        Case(path, "POST", _body({"yaml": EXAMPLE, "levers": [10**30]}), JSON, "levers"),
        Case(path, "POST", _body({"yaml": "name: x", "levers": ["a"]}), JSON, "levers"),
        Case(path, "POST", _body({"yaml": "name: x", "levers": list(range(500))}), JSON, "levers"),
        Case(path, "POST", _body({"yaml": 5}), JSON, "yaml"),
        Case(path, "POST", _body({"yaml": "name: x", "extra": 1}), JSON, "extra"),
        Case(path, "POST", _body({"yaml": "name: a\x00"}), JSON, "NUL"),
        Case(path, "POST", _body({"yaml": "#" * 600_000}), JSON, "bytes"),
        Case(path, "POST", _body({"yaml": "a: &a [1]\nb: *a\n"}), JSON, "alias"),
        Case(path, "POST", _body({"yaml": "demand: {users: 1e400}\n"}), JSON, "users"),
        Case(path, "GET", None, {}, "Method Not Allowed"),
    ]


def _cases() -> dict[tuple[str, str], list[Case]]:
    """Bad requests for each (method, route) the application serves."""
    runs = "/api/runs"
    training, inference = "/api/estimate/training", "/api/estimate/inference"
    return {
        ("GET", "/api/openapi.json"): [
            Case("/api/openapi.json?x=%ff", ok=True),
            Case("/api/openapi.json", "POST", names="Method Not Allowed"),
        ],
        ("GET", "/static/plotly.min.js"): [
            Case("/static/plotly.min.js?v=" + "9" * 5000, ok=True),
            Case("/static/plotly.min.js", "POST", names="Method Not Allowed"),
        ],
        ("GET", "/static"): [
            Case("/static/..%2F..%2Fweb%2Fsecurity.py", names="no page"),
            Case("/static/%00", names="no page"),
            Case("/static/../../../etc/passwd", names="no page"),
            Case("/static/" + "a" * 4000 + ".js", names="no page"),
        ],
        ("GET", "/api/runs"): [
            Case(f"{runs}?offset={HUGE}", names="offset"),
            Case(f"{runs}?offset=-1", names="offset"),
            Case(f"{runs}?offset=nan", names="offset"),
            Case(f"{runs}?limit={HUGE}", names="limit"),
            Case(f"{runs}?limit=0", names="limit"),
            Case(f"{runs}?limit=inf", names="limit"),
            Case(f"{runs}?limit=1.5", names="limit"),
            Case(f"{runs}?sort=bogus", names="sort"),
            Case(f"{runs}?sort=run_id;DROP%20TABLE%20runs", names="sort"),
            Case(f"{runs}?order=sideways", names="order"),
            Case(f"{runs}?since=nan", names="since"),
            Case(f"{runs}?since={HUGE}", names="since"),
            Case(f"{runs}?since=9999-99-99", names="since"),
            Case(f"{runs}?since=%00", names="since"),
            Case(f"{runs}?name=%00", ok=True),
            Case(f"{runs}?name=%ff%fe", ok=True),
            Case(f"{runs}?name=" + "%25" * 3000, ok=True),
            Case(runs, "POST", names="Method Not Allowed"),
        ],
        ("GET", "/api/runs/{run_id}"): [
            *(Case(f"{runs}/{i}", names="run") for i in HOSTILE_IDS),
            Case(f"{runs}/{RUN}?timeline=maybe", names="timeline"),
        ],
        ("GET", "/api/runs/{run_id}/timeline"): [
            *(Case(f"{runs}/{i}/timeline", names="run") for i in HOSTILE_IDS[:3]),
            Case(f"{runs}/{RUN}/timeline?max_points={HUGE}", names="max_points"),
            Case(f"{runs}/{RUN}/timeline?max_points=-5", names="max_points"),
            Case(f"{runs}/{RUN}/timeline?max_points=nan", names="max_points"),
            Case(f"{runs}/{RUN}/timeline?max_points=1e400", names="max_points"),
            Case(f"{runs}/{RUN}/timeline?max_points=9", names="max_points"),
        ],
        ("GET", "/api/runs/{run_id}/report.html"): [
            *(Case(f"{runs}/{i}/report.html", names="run") for i in HOSTILE_IDS[:3]),
        ],
        ("GET", "/api/compare"): [
            Case("/api/compare", names="ids"),
            Case("/api/compare?ids=a", names="two"),
            Case(f"/api/compare?ids={RUN}&ids=%00", names="run"),
            Case("/api/compare?" + "&".join(["ids=x"] * 2000), names="at most"),
            Case(f"/api/compare?ids={RUN}&ids=..%2F..%2Fetc", names="run"),
        ],
        ("GET", training): [
            Case(training, names="accelerator"),
            Case(_form(training, TRAINING, days="1e308"), names="days"),
            Case(_form(training, TRAINING, days="nan"), names="days"),
            Case(_form(training, TRAINING, days="-3"), names="days"),
            Case(_form(training, TRAINING, count=HUGE * 20), names="count"),
            Case(_form(training, TRAINING, count="0.5"), names="count"),
            Case(_form(training, TRAINING, pue="1e400"), names="pue"),
            Case(_form(training, TRAINING, pue="0.9", boundary="facility"), names="pue"),
            Case(_form(training, TRAINING, mfu="1e-320"), names="mfu"),
            Case(_form(training, TRAINING, samples="1e20"), names="samples"),
            Case(_form(training, TRAINING, samples="200000000"), names="samples"),
            Case(_form(training, TRAINING, seed="-1"), names="seed"),
            Case(_form(training, TRAINING, seed="9" * 5000), names="seed"),
            Case(_form(training, BY_MODEL, params="1e308"), names="params"),
            Case(_form(training, BY_MODEL, tokens="1e308"), names="tokens"),
            Case(_form(training, BY_MODEL, params="1e15", tokens="1e16", mfu="0.001"), ok=True),
            Case(_form(training, TRAINING, precision="fp3"), names="precision"),
            Case(_form(training, TRAINING, boundary="moon"), names="boundary"),
            Case(_form(training, TRAINING, accelerator="../../etc/passwd"), names="accelerator"),
            Case(_form(training, TRAINING, location="\x00"), names="location"),
        ],
        ("GET", inference): [
            Case(inference, names="accelerator"),
            Case(_form(inference, INFERENCE, output_tokens="1e308"), names="output_tokens"),
            Case(_form(inference, INFERENCE, output_tokens="inf"), names="output_tokens"),
            Case(_form(inference, INFERENCE, output_tokens="0"), names="output_tokens"),
            Case(_form(inference, INFERENCE, batch="1e308"), names="batch"),
            Case(_form(inference, INFERENCE, batch="0.5"), names="batch"),
            Case(_form(inference, INFERENCE, params="1e308", model=""), names="params"),
            Case(_form(inference, INFERENCE, pue="1:1e400"), names="pue"),
            Case(_form(inference, INFERENCE, pue="0.9", boundary="facility"), names="pue"),
            Case(_form(inference, INFERENCE, input_tokens="-5"), names="input_tokens"),
            Case(_form(inference, INFERENCE, stack="bogus"), names="stack"),
            Case(_form(inference, INFERENCE, count=HUGE * 20), names="count"),
            Case(_form(inference, INFERENCE, samples="200000000"), names="samples"),
            Case(_form(inference, INFERENCE, model="%00"), names="model"),
        ],
        ("GET", "/api/catalog"): [Case("/api/catalog?kind=%00", ok=True)],
        ("GET", "/api/catalog/{kind}"): [
            Case("/api/catalog/bogus", names="bogus"),
            Case("/api/catalog/%00", names="catalog"),
            Case("/api/catalog/..%2F..%2Fetc", names="no page"),
            Case("/api/catalog/" + "k" * 4000, names="catalog"),
        ],
        ("GET", "/api/catalog/{kind}/{name}"): [
            Case("/api/catalog/accelerators/bogus", names="bogus"),
            Case("/api/catalog/accelerators/%00", names="accelerators"),
            Case("/api/catalog/bogus/x", names="bogus"),
            Case("/api/catalog/accelerators/..%2F..%2Fetc%2Fpasswd", names="no page"),
        ],
        ("GET", "/api/scenarios/examples"): [Case("/api/scenarios/examples?name=%00", ok=True)],
        ("GET", "/api/scenarios/examples/{name}"): [
            Case("/api/scenarios/examples/bogus", names="bogus"),
            Case("/api/scenarios/examples/..%2F..%2Fetc%2Fpasswd", names="no page"),
            Case("/api/scenarios/examples/%00", names="example"),
            Case("/api/scenarios/examples/chatgpt-2025.yaml", names="example"),
        ],
        ("POST", "/api/scenarios/run"): _scenario_cases(),
        ("GET", "/"): [Case("/?next=%ff", ok=True)],
        ("GET", "/runs"): [
            Case(f"/runs?offset={HUGE}", names="offset"),
            Case("/runs?limit=-1", names="limit"),
            Case("/runs?sort=bogus", names="sort"),
            Case("/runs?order=x", names="order"),
            Case("/runs?since=nan", names="since"),
            Case("/runs?name=%00", ok=True),
        ],
        ("GET", "/runs/{run_id}"): [Case(f"/runs/{i}", names="run") for i in HOSTILE_IDS],
        ("GET", "/compare"): [
            Case("/compare", names="two"),
            Case("/compare?ids=%00&ids=x", names="run"),
            Case("/compare?" + "&".join(["ids=x"] * 2000), names="at most"),
        ],
        ("GET", "/estimate"): [Case("/estimate?kind=%00", ok=True)],
        ("GET", "/estimate/training"): [
            Case(_form("/estimate/training", TRAINING, days="1e308"), names="days"),
            Case(_form("/estimate/training", TRAINING, count="-1"), names="count"),
            Case(_form("/estimate/training", TRAINING, samples="nan"), names="samples"),
        ],
        ("GET", "/estimate/inference"): [
            Case(_form("/estimate/inference", INFERENCE, output_tokens="1e308"), names="output"),
            Case(_form("/estimate/inference", INFERENCE, batch="0.5"), names="batch"),
            Case(_form("/estimate/inference", INFERENCE, seed="-1"), names="seed"),
        ],
        ("GET", "/scenarios"): [Case("/scenarios?example=..%2F..%2Fetc", ok=True)],
        ("GET", "/catalog"): [Case("/catalog?kind=%00", ok=True)],
        ("GET", "/catalog/{kind}"): [
            Case("/catalog/bogus", names="bogus"),
            Case("/catalog/%00", names="catalog"),
        ],
        ("GET", "/catalog/{kind}/{name}"): [
            Case("/catalog/accelerators/bogus", names="bogus"),
            Case("/catalog/bogus/bogus", names="bogus"),
        ],
    }


CASES = _cases()


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route and mount the application serves (HEAD aside)."""
    served = set()
    for route in iter_route_contexts(app.routes):
        path = route.path
        assert path is not None
        for method in route.methods or {"GET"}:  # a mount serves GET
            if method != "HEAD":
                served.add((method, path))
    return served


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real application over a real SQLite store holding the test runs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'runs.sqlite'}"
    with Store(url) as store:
        for run in RUNS:
            store.save(run)
    with TestClient(create_app(url), raise_server_exceptions=False) as test_client:
        yield test_client


@contextmanager
def _no_hang(what: str) -> Iterator[None]:
    """Fail (instead of stalling the suite) when a request takes over :data:`HANG_S`."""

    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise AssertionError(f"{what}: no answer within {HANG_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, HANG_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _send(client: TestClient, case: Case) -> Response:
    with _no_hang(f"{case.method} {case.url[:120]}"):
        return client.request(case.method, case.url, content=case.body, headers=case.headers)


def _reject_constant(name: str) -> float:
    raise AssertionError(f"the answer holds {name}, which is not JSON")


def _bad_figures(data: Any, where: str = "") -> list[str]:
    """Paths of numbers that are not finite, and of ranges with a missing member."""
    found = []
    if isinstance(data, float) and not math.isfinite(data):
        found.append(where)
    elif isinstance(data, dict):
        if "p50" in data:
            found += [f"{where}.{k}" for k in ("p5", "p50", "p95", "mean") if data.get(k) is None]
        for key, value in data.items():
            found += _bad_figures(value, f"{where}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _bad_figures(value, f"{where}[{i}]")
    return found


def check_answer(case: Case, response: Response) -> None:
    """A 4xx naming the field (or, where allowed, a 200 with finite figures); never a 500."""
    status = response.status_code
    label = f"{case.method} {case.url[:160]}"
    assert status < 500, (label, status, response.text[:500])
    api = case.url.startswith("/api/")
    if status == 200 and api and response.headers["content-type"].startswith("application/json"):
        data = json.loads(response.text, parse_constant=_reject_constant)
        assert _bad_figures(data) == [], (label, _bad_figures(data)[:5])
    if status < 400:
        assert case.ok or status in (200, 307), (label, status, response.text[:300])
        return
    if api:
        assert response.headers["content-type"].startswith("application/json"), label
        body = response.json()
        assert body["status"] == status
        message = body["error"]
        assert isinstance(message, str), label
        assert message, label
        assert "Traceback" not in message
    else:
        assert response.headers["content-type"].startswith("text/html"), label
        message = html.unescape(response.text)
        assert "Traceback" not in message
    if case.names is not None:
        assert case.names.lower() in message.lower(), (label, case.names, message[:400])


def test_every_route_has_bad_input_cases(client: TestClient) -> None:
    """A new route fails here until it has bad-input cases."""
    app = client.app
    assert isinstance(app, FastAPI)
    served = _routes(app)
    assert served == set(CASES), (
        f"routes without cases: {sorted(served - set(CASES))}; "
        f"cases without a route: {sorted(set(CASES) - served)}"
    )
    assert all(CASES.values())


@pytest.mark.parametrize(
    "case",
    [case for cases in CASES.values() for case in cases],
    ids=lambda case: f"{case.method} {case.url[:60]}",
)
def test_bad_input_is_a_clear_error(client: TestClient, case: Case) -> None:
    check_answer(case, _send(client, case))


# -- hypothesis ------------------------------------------------------------------------------------
#: Text a number field might be sent: huge, negative, fractional, NaN, infinities, words.
numberish = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "-inf", "1e400", "1e-400", "-0", "0x10", "1_000", "½", "1:2"]),
    st.sampled_from(["10%", "70B", "2T", "1.5..2", "0.9:1.4", "3 days", "1e308", "٣"]),
    st.text(max_size=12),
)
SAFE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),  # a surrogate cannot be sent
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=st.dictionaries(
        st.sampled_from(["limit", "offset", "sort", "order", "name", "since"]),
        st.one_of(numberish, SAFE_TEXT),
        max_size=4,
    ),
    page=st.booleans(),
)
def test_runs_list_takes_any_query(client: TestClient, params: dict[str, str], page: bool) -> None:
    url = ("/runs?" if page else "/api/runs?") + _q(**params)
    response = _send(client, Case(url))
    check_answer(Case(url, ok=True), response)
    if response.status_code >= 400 and params:
        message = response.json()["error"] if not page else html.unescape(response.text)
        assert any(k in message for k in params), (url, message[:300])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["training", "inference"]),
    changes=st.dictionaries(
        st.sampled_from(
            [
                "count",
                "days",
                "params",
                "tokens",
                "mfu",
                "pue",
                "batch",
                "output_tokens",
                "input_tokens",
                "active_params",
                "accelerator_hours",
                "seed",
                "samples",
            ]
        ),
        numberish,
        min_size=1,
        max_size=2,
    ),
)
def test_estimates_take_any_numbers(client: TestClient, kind: str, changes: dict[str, str]) -> None:
    base = TRAINING if kind == "training" else INFERENCE
    if changes.get("samples", "100").strip() not in ("100", ""):
        changes["samples"] = "100"  # keep each example quick; samples has its own cases
    url = _form(f"/api/estimate/{kind}", base, **changes)
    response = _send(client, Case(url))
    check_answer(Case(url, ok=True), response)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(numberish, SAFE_TEXT), run=st.sampled_from([RUN, OTHER, "zz", "%00"]))
def test_timeline_takes_any_max_points(client: TestClient, value: str, run: str) -> None:
    url = f"/api/runs/{run}/timeline?{_q(max_points=value)}"
    check_answer(Case(url, ok=True), _send(client, Case(url)))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SAFE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(SAFE_TEXT, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.fixed_dictionaries(
        {"yaml": st.one_of(SAFE_TEXT, json_values)},
        optional={
            "years": json_values,
            "samples": json_values,
            "levers": json_values,
            "file": json_values,
        },
    )
)
def test_scenario_run_takes_any_body(client: TestClient, body: dict[str, Any]) -> None:
    case = Case("/api/scenarios/run", "POST", _body(body), JSON, ok=True)
    check_answer(case, _send(client, case))


def test_a_shipped_example_still_runs(client: TestClient) -> None:
    """The fuzz above must not pass by refusing everything: a good body is a 200."""
    text = (
        Path(__file__).resolve().parents[2] / "examples/scenarios/chatgpt-2025.yaml"
    ).read_text()
    case = Case("/api/scenarios/run", "POST", _body({"yaml": text, "samples": 100}), JSON, ok=True)
    response = _send(client, case)
    assert response.status_code == 200, response.text[:500]
    check_answer(case, response)
    good = _send(client, Case(_form("/api/estimate/inference", INFERENCE)))
    assert good.status_code == 200
    assert good.json()["energy_j"]["p50"] > 0


class _Inputs:
    """Estimate inputs whose run overflows or gives a NaN figure."""

    def __init__(self, outcome: Exception | float, good: dict[str, Any]) -> None:
        self.outcome = outcome
        self.good = good

    def run(self) -> Any:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return _Result({**self.good, "energy_j": {**self.good["energy_j"], "p95": self.outcome}})


@dataclass
class _Result:
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.data


@pytest.mark.parametrize("outcome", [OverflowError("int too large"), math.nan, math.inf])
def test_inputs_that_give_no_finite_estimate_are_an_error(
    monkeypatch: pytest.MonkeyPatch, outcome: Exception | float
) -> None:
    """Each input in range, their product not: a 400 naming the inputs, not a 500 or null."""
    good = services.estimate_inference(INFERENCE)[0].to_dict()
    monkeypatch.setattr(services, "_from_form", lambda *_args: _Inputs(outcome, good))
    with pytest.raises(UsageError, match=r"no finite estimate \(output_tokens=400"):
        services.estimate_inference(INFERENCE)
