"""The dashboard assembled from its routers: every URL, the guard on each, and ``Depends``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.web.conftest import RUNS, Seeded, make_run
from wattlens.store import Store
from wattlens.web.app import create_app
from wattlens.web.deps import get_store
from wattlens.web.routers import catalog, estimates, pages, runs, scenarios, static

API = {
    ("/api/runs", "get"),
    ("/api/runs/{run_id}", "get"),
    ("/api/runs/{run_id}/timeline", "get"),
    ("/api/runs/{run_id}/report.html", "get"),
    ("/api/compare", "get"),
    ("/api/estimate/training", "get"),
    ("/api/estimate/inference", "get"),
    ("/api/catalog", "get"),
    ("/api/catalog/{kind}", "get"),
    ("/api/catalog/{kind}/{name}", "get"),
    ("/api/scenarios/examples", "get"),
    ("/api/scenarios/examples/{name}", "get"),
    ("/api/scenarios/run", "post"),
}
PAGES = {
    "/",
    "/runs",
    "/runs/{run_id}",
    "/compare",
    "/estimate",
    "/estimate/training",
    "/estimate/inference",
    "/scenarios",
    "/catalog",
    "/catalog/{kind}",
    "/catalog/{kind}/{name}",
    "/static/plotly.min.js",
}


ROUTERS = (runs, estimates, catalog, scenarios, pages, static)


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def test_the_routers_serve_every_url_once() -> None:
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    served = [(r.path, method.lower()) for r in routes for method in r.methods or ()]
    assert sorted(served) == sorted(API | {(page, "get") for page in PAGES})


def test_the_api_is_documented_and_the_pages_are_not(seeded: Seeded) -> None:
    client = TestClient(create_app(seeded.url), raise_server_exceptions=False)
    spec = client.get("/api/openapi.json").json()
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == API
    operation_ids = {op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
    assert len(operation_ids) == len(API)
    assert "api_runs_api_runs_get" in operation_ids
    for page in PAGES:
        response = client.get(_concrete(page), follow_redirects=False)
        assert "no page at" not in response.text, page


def test_every_url_needs_the_token(seeded: Seeded) -> None:
    """Every route of every router, the static files and unknown paths: one guard for all."""
    client = TestClient(create_app(seeded.url, token="s3cret"), raise_server_exceptions=False)
    urls = [(_concrete(path), method) for path, method in API]
    urls += [(_concrete(page), "get") for page in PAGES]
    urls += [("/static/app.js", "get"), ("/api/openapi.json", "get"), ("/no/such/page", "get")]
    for path, method in urls:
        response = client.request(method.upper(), path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer", path


def test_routes_take_the_store_through_depends(seeded: Seeded, tmp_path: Path) -> None:
    other = Store(f"sqlite:///{tmp_path / 'other.sqlite'}")
    other.save(make_run("c0ffee0000000001", "from-the-override"))
    app = create_app(seeded.url)
    app.dependency_overrides[get_store] = lambda: other
    with TestClient(app) as client:
        names = [r["name"] for r in client.get("/api/runs").json()["runs"]]
        assert names == ["from-the-override"]
        assert client.get("/api/runs/c0ffee0000000001").json()["name"] == "from-the-override"
        assert client.get(f"/api/runs/{RUNS[0].run_id}").status_code == 404
        assert "from-the-override" in client.get("/runs").text
    other.close()


@pytest.mark.parametrize("path", ["/api/catalog", "/catalog"])
def test_catalog_routes_take_the_catalog_through_depends(seeded: Seeded, path: str) -> None:
    from wattlens.catalog import get_catalog
    from wattlens.web.deps import get_catalog as dependency

    asked: list[int] = []

    def counted() -> object:
        asked.append(1)
        return get_catalog()

    app = create_app(seeded.url)
    app.dependency_overrides[dependency] = counted
    with TestClient(app) as client:
        assert client.get(path).status_code == 200
    assert asked == [1]
