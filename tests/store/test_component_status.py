"""A component's status (measured, partial, unknown) and its reason survive the store.

The status lives in each component of the run's ``result`` JSON, which both
save paths write from the same row builder, so no column or revision carries
it; runs saved before components had a status read back as ``measured``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from tests.store.test_migrations import OLD_DB, OLD_IDS
from tests.store.test_store import make_measurement
from wattlens.measurement import Measurement
from wattlens.store import SCHEMA_VERSION, Store, save, save_sqlite_fast

REASON = "gpu:0: NVML nvmlDeviceGetTotalEnergyConsumption: Not Supported"


def _degraded(run_id: str, name: str = "train") -> Measurement:
    m = make_measurement(run_id, name=name)
    gpu, cpu = m.components
    partial = dataclasses.replace(gpu, status="partial", status_reason=REASON)
    unknown = dataclasses.replace(
        cpu, energy_j=0.0, avg_power_w=0.0, status="unknown", status_reason="cpu lost"
    )
    return dataclasses.replace(m, components=(partial, unknown))


def _statuses(m: Measurement) -> dict[str, tuple[str, str | None]]:
    return {c.id: (c.status, c.status_reason) for c in m.components}


EXPECTED = {"gpu:0": ("partial", REASON), "cpu:package-0": ("unknown", "cpu lost")}


def test_store_save_keeps_partial_and_unknown_with_their_reasons(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    with Store(url) as store:
        store.save(_degraded("degraded-store"))
    with Store(url) as store:
        back = store.get("degraded-store")
    assert _statuses(back) == EXPECTED
    assert back.energy_j == 3000.0  # the partial GPU keeps what was measured


def test_fast_sqlite_save_keeps_partial_and_unknown_with_their_reasons(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    save(make_measurement("first"), url)  # creates the store through Store
    assert save_sqlite_fast(_degraded("degraded-fast"), url) is True
    with Store(url) as store:
        back = store.get("degraded-fast")
    assert _statuses(back) == EXPECTED


def test_runs_of_release_0_1_0_read_back_as_measured(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    shutil.copyfile(OLD_DB, path)
    with sqlite3.connect(path) as conn:
        stored = [json.loads(r[0]) for r in conn.execute("SELECT result FROM runs")]
    # The fixture's components were written without a status.
    assert all("status" not in c for r in stored for c in r["components"])
    with Store(f"sqlite:///{path}") as store:
        assert store.schema_version == SCHEMA_VERSION
        runs = [store.get(run_id) for run_id in OLD_IDS]
    components = [c for m in runs for c in m.components]
    assert components
    assert {(c.status, c.status_reason) for c in components} == {("measured", None)}
    assert all(
        c["status"] == "measured" and c["status_reason"] is None
        for m in runs
        for c in m.to_dict()["components"]
    )


@pytest.mark.skipif(
    not os.environ.get("WATTLENS_TEST_POSTGRES_URL"),
    reason="set WATTLENS_TEST_POSTGRES_URL to a PostgreSQL database to run this",
)
def test_postgresql_store_keeps_partial_and_unknown_with_their_reasons() -> None:
    url = os.environ["WATTLENS_TEST_POSTGRES_URL"]
    tag = f"t{uuid.uuid4().hex[:10]}"
    with Store(url) as store:
        store.save(_degraded(f"{tag}-degraded", name=tag))
        try:
            back = store.get(f"{tag}-degraded")
        finally:
            store.delete(f"{tag}-degraded")
    assert _statuses(back) == EXPECTED
