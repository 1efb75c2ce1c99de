"""The dashboard shows a run's windows and child records, and lists top-level runs only."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import Seeded, make_run
from wattlens.store import Store
from wattlens.web.app import create_app
from wattlens.windows import Window

PARENT = "c0ffee0000000001"


@pytest.fixture
def client(seeded: Seeded) -> TestClient:
    run = make_run(PARENT, "fit-windows", duration_s=60.0)
    windows = [
        Window(0, "epoch", "epoch 1", 1.0, 20.0, 19.0, 4750.0, methods=("counter",),
               detail={"epoch": 1, "steps": 80}),
        Window(1, "steps", "epoch 1 steps", 1.0, 20.0, 2.5, 610.0, methods=("counter",),
               detail={"epoch": 1, "steps": 80, "measured_steps": 8, "mean_step_energy_j": 76.25}),
    ]  # fmt: skip
    rank = make_run(f"{PARENT}.n1.step.rank0", "step", duration_s=10.0)
    tag = {"run_id": PARENT, "role": "rank", "rank": 0, "hostname": "n1", "window": "step"}
    with Store(seeded.url) as store:
        store.save(run)
        store.save_windows(PARENT, windows)
        store.save(replace(rank, host={**rank.host, "distributed": tag}))
    return TestClient(create_app(seeded.url), raise_server_exceptions=False)


def test_the_run_page_shows_windows_and_children(client: TestClient) -> None:
    page = client.get(f"/runs/{PARENT}")
    assert page.status_code == 200
    assert 'data-testid="windows"' in page.text
    assert 'data-seq="1"' in page.text
    assert 'data-energy-j="4750.0"' in page.text
    assert "8 of 80 measured" in page.text
    assert 'data-testid="children"' in page.text
    assert f'href="/runs/{PARENT}.n1.step.rank0"' in page.text
    # A run without windows or children has neither table.
    other = client.get("/runs/b7c8d9e0f1a20003")
    assert 'data-testid="windows"' not in other.text
    assert 'data-testid="children"' not in other.text


def test_the_api_gives_windows_and_children(client: TestClient) -> None:
    data = client.get(f"/api/runs/{PARENT}").json()
    assert [(w["kind"], w["energy_j"]) for w in data["windows"]] == [
        ("epoch", 4750.0),
        ("steps", 610.0),
    ]
    assert [c["run_id"] for c in data["children"]] == [f"{PARENT}.n1.step.rank0"]
    child = client.get(f"/api/runs/{PARENT}.n1.step.rank0").json()
    assert child["host"]["distributed"]["run_id"] == PARENT


def test_the_runs_list_hides_child_records(client: TestClient) -> None:
    listing = client.get("/api/runs").json()
    ids = [r["run_id"] for r in listing["runs"]]
    assert PARENT in ids
    assert not any(i.startswith(f"{PARENT}.") for i in ids)
    assert listing["count"] == len(ids) == 4
    page = client.get("/runs")
    assert f'data-run-id="{PARENT}"' in page.text
    assert f'data-run-id="{PARENT}.n1.step.rank0"' not in page.text
