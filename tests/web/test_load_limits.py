"""The dashboard under load and from hostile pages: sorting and paging in SQL, the
scenario-run cap, query integers, loopback hosts, ``Sec-Fetch-Site`` and the
connection timeouts of ``wattlens serve``."""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Seeded, make_run
from wattlens.store import Store
from wattlens.web import services
from wattlens.web.app import LOOPBACK_HOSTS, create_app
from wattlens.web.routers import scenarios as scenario_routes

SORTS = ("started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status")


@pytest.fixture
def many(tmp_path: Path) -> str:
    """A store of 40 runs with ties, and runs without CO2e and average power."""
    url = f"sqlite:///{tmp_path / 'many.sqlite'}"
    with Store(url) as store:
        for i in range(40):
            store.save(
                make_run(
                    f"{i:016x}",
                    f"job-{i % 7}",
                    started_at=f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00+00:00",
                    duration_s=float(30 + (i * 37) % 11),  # many equal durations
                    gpu_w=float(100 + (i * 53) % 400),
                    modeled=i % 5 == 0,
                    location=None if i % 3 == 0 else "FR",
                )
            )
    import sqlite3

    # Runs without a figure (as stores of older releases hold): they sort last.
    with contextlib.closing(sqlite3.connect(tmp_path / "many.sqlite")) as conn, conn:
        conn.execute("UPDATE runs SET co2e_g = NULL, avg_power_w = NULL WHERE rowid % 4 = 0")
    return url


@pytest.fixture
def client(many: str) -> Iterator[TestClient]:
    with TestClient(create_app(many)) as c:
        yield c


def _expected(runs: list[dict[str, Any]], key: str, order: str) -> list[str]:
    """The order the list promises: by ``key``, unknown values last, ties by run id."""
    known = [r for r in runs if r[key] is not None]
    unknown = [r for r in runs if r[key] is None]
    desc = order == "desc"
    known.sort(key=lambda r: (r[key], r["run_id"]), reverse=desc)
    unknown.sort(key=lambda r: r["run_id"], reverse=desc)
    return [r["run_id"] for r in known + unknown]


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("key", SORTS)
def test_every_sort_pages_through_the_same_order(client: TestClient, key: str, order: str) -> None:
    everything = client.get("/api/runs", params={"limit": 1000}).json()["runs"]
    assert any(r["co2e_g"] is None for r in everything)
    expected = _expected(everything, key, order)
    pages = [
        client.get(
            "/api/runs", params={"sort": key, "order": order, "limit": 7, "offset": offset}
        ).json()
        for offset in range(0, 40, 7)
    ]
    assert [r["run_id"] for page in pages for r in page["runs"]] == expected
    assert all(page["count"] == 40 for page in pages)


def test_sorted_pages_are_read_from_the_database_a_page_at_a_time(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    original = Store.list_runs

    def spy(self: Store, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        calls.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "list_runs", spy)
    body = client.get("/api/runs", params={"sort": "energy_j", "limit": 5, "offset": 10}).json()
    assert body["shown"] == 5
    assert len(calls) == 1
    assert (calls[0]["limit"], calls[0]["offset"], calls[0]["sort"]) == (5, 10, "energy_j")


@pytest.mark.parametrize("key", SORTS)
def test_every_sort_reads_an_index_not_a_sort_of_every_run(many: str, key: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if "ORDER BY" in statement:
            statements.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", capture)
    try:
        with Store(many) as store:
            for order in ("asc", "desc"):
                store.list_runs(limit=5, sort=key, order=order)
    finally:
        event.remove(Engine, "before_cursor_execute", capture)
    assert len(statements) == 2
    path = many.removeprefix("sqlite:///")
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        for statement, parameters in statements:
            plan = " | ".join(
                str(row[-1]) for row in conn.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "USING INDEX" in plan, plan
            assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.parametrize(
    "query",
    [
        {"offset": "99999999999999999999"},
        {"offset": "-1"},
        {"limit": "99999999999999999999"},
        {"offset": "1e3"},
    ],
)
def test_out_of_range_query_integers_are_4xx(client: TestClient, query: dict[str, str]) -> None:
    response = client.get("/api/runs", params=query)
    assert response.status_code == 422
    error = response.json()["error"]
    assert ("offset" in error) or ("limit" in error)
    assert client.get("/runs", params=query).status_code == 422


def test_huge_timeline_max_points_is_4xx(client: TestClient) -> None:
    run_id = client.get("/api/runs").json()["runs"][0]["run_id"]
    response = client.get(
        f"/api/runs/{run_id}/timeline", params={"max_points": "99999999999999999999"}
    )
    assert response.status_code == 422


def test_timeline_of_a_long_run_is_reduced_in_the_database_and_keeps_energy(
    tmp_path: Path,
) -> None:
    run = make_run("1000000000000001", "long", duration_s=3000.0, hz=10.0)  # 30,000 points
    url = f"sqlite:///{tmp_path / 'long.sqlite'}"
    with Store(url) as store:
        store.save(run)
    assert run.timeline is not None
    with TestClient(create_app(url)) as client:
        body = client.get(f"/api/runs/{run.run_id}/timeline", params={"max_points": 1000}).json()
    assert body["source_points"] == 30_000
    assert body["bucket_size"] == 30
    assert body["points"] == len(body["t_s"]) == 1000
    for component in ("gpu:0", "cpu:package-0"):
        full_mean = sum(p.power_w[component] for p in run.timeline) / 30_000
        sent = body["power_w"][component]
        assert len(sent) == 1000
        # Equal buckets: the mean of the bucket means is the mean power, i.e. the energy.
        assert math.isclose(sum(sent) / len(sent), full_mean, rel_tol=1e-9)
    assert body["t_s"][0] == pytest.approx(sum(i / 10 for i in range(30)) / 30)


# -- the scenario-run cap ----------------------------------------------------------------------
_EXAMPLE = Path(__file__).resolve().parents[2] / "examples/scenarios/ai-in-every-search.yaml"
_RUN = {"yaml": _EXAMPLE.read_text(encoding="utf-8"), "samples": 100, "years": 1}


def test_scenario_runs_over_the_cap_get_429_with_retry_after(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Semaphore(0)
    release = threading.Event()
    real = services.run_scenario

    def slow(*args: Any, **kwargs: Any) -> dict[str, Any]:
        started.release()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "run_scenario", slow)
    limit = scenario_routes.MAX_RUNNING_SCENARIOS
    results: list[int] = []

    def post() -> None:
        results.append(client.post("/api/scenarios/run", json=_RUN).status_code)

    threads = [threading.Thread(target=post) for _ in range(limit)]
    for t in threads:
        t.start()
    try:
        for _ in range(limit):
            assert started.acquire(timeout=30)
        refused = client.post("/api/scenarios/run", json=_RUN)
    finally:
        release.set()
        for t in threads:
            t.join(30)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(scenario_routes.RETRY_AFTER_S)
    assert f"at most {limit} at once" in refused.json()["error"]
    assert results == [200] * limit
    # The slots are free again once the runs end.
    monkeypatch.setattr(services, "run_scenario", real)
    assert client.post("/api/scenarios/run", json=_RUN).status_code == 200


# -- hosts and other sites ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "status"),
    [("127.0.0.2:8080", 200), ("127.1.2.3", 200), ("[::1]:8080", 200), ("localhost:8080", 200),
     ("attacker.example", 400), ("127.0.0.2.attacker.example", 400), ("0.0.0.0:8080", 400),
     ("10.0.0.1", 400)],
)  # fmt: skip
def test_a_loopback_server_answers_every_loopback_address(
    many: str, host: str, status: int
) -> None:
    with TestClient(create_app(many, allowed_hosts=LOOPBACK_HOSTS)) as c:
        assert c.get("/api/runs", headers={"host": host}).status_code == status


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/runs?sort=energy_j", {"sec-fetch-site": "cross-site"}, 403),
        ("/api/runs", {"sec-fetch-site": "same-site", "sec-fetch-mode": "cors"}, 403),
        ("/api/runs", {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate"}, 403),
        ("/runs?sort=energy_j", {"sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors",
                                 "sec-fetch-dest": "iframe"}, 403),
        ("/runs?sort=energy_j", {"sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate",
                                 "sec-fetch-dest": "document"}, 200),
        ("/api/runs?sort=energy_j", {"sec-fetch-site": "same-origin"}, 200),
        ("/api/runs?sort=energy_j", {"sec-fetch-site": "none"}, 200),
        ("/api/runs?sort=energy_j", {}, 200),
    ],
)  # fmt: skip
def test_requests_from_other_sites_pages_are_refused(
    client: TestClient, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status
    if status == 403:
        assert "other sites" in response.text


def test_cross_site_run_reports_and_timelines_are_refused(client: TestClient) -> None:
    run_id = client.get("/api/runs").json()["runs"][0]["run_id"]
    for path in (f"/api/runs/{run_id}/timeline", f"/api/runs/{run_id}/report.html"):
        assert client.get(path, headers={"sec-fetch-site": "cross-site"}).status_code == 403
        assert client.get(path, headers={"sec-fetch-site": "same-origin"}).status_code == 200


# -- wattlens serve: timeouts ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(seeded: Seeded, tmp_path: Path) -> Iterator[int]:
    """``wattlens serve`` in a child process with a 1-second request timeout."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wattlens", "serve", "--port", str(port),
         "--request-timeout", "1", "--keep-alive", "1"],
        env={**os.environ, "WATTLENS_DB": seeded.url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
        if proc.stderr:
            proc.stderr.close()


def _closed_after(sock: socket.socket) -> float:
    """Seconds until the server closes ``sock`` (it sends nothing more)."""
    start = time.monotonic()
    sock.settimeout(15)
    while sock.recv(4096):
        pass
    return time.monotonic() - start


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"G"],
    ids=["nothing", "half-headers", "one-byte"],
)
def test_serve_closes_a_half_open_connection_after_the_request_timeout(
    server: int, sent: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", server), 5) as sock:
        if sent:
            sock.sendall(sent)
        waited = _closed_after(sock)
    assert 0.5 <= waited < 10


def test_serve_answers_then_closes_an_idle_keep_alive_connection(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), 5) as sock:
        sock.sendall(b"GET /api/runs?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(15)
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        waited = _closed_after(sock)
    assert waited < 10


def test_serve_answers_on_127_0_0_2(seeded: Seeded) -> None:
    """``--host 127.0.0.2`` serves pages (it used to answer 400 to every request)."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wattlens", "serve", "--host", "127.0.0.2", "--port", str(port)],
        env={**os.environ, "WATTLENS_DB": seeded.url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import http.client

        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.2", port, timeout=10)
                conn.request("GET", "/api/runs?limit=1")
                response = conn.getresponse()
                break
            except OSError:
                assert proc.poll() is None
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert response.status == 200
        conn.close()
    finally:
        proc.terminate()
        proc.wait(15)
