"""A temporary run store with a few realistic runs, for the report and dashboard tests."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint
from wattlens.store import Store

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def make_run(
    run_id: str,
    name: str,
    *,
    started_at: str = "2026-03-01T12:00:00+00:00",
    duration_s: float = 60.0,
    gpu_w: float = 300.0,
    modeled: bool = False,
    hz: float = 0.0,
    location: str | None = "FR",
) -> Measurement:
    """A run: a counter GPU and RAPL CPU, or modelled CPU and RAM; a timeline at ``hz``."""
    if modeled:
        components = (
            ComponentEnergy(
                id="cpu", kind="cpu", name="AMD EPYC", method="modeled", sensor="model",
                basis="busy CPU-seconds x W per thread", energy_j=40.0 * duration_s,
                avg_power_w=40.0, energy_low_j=20.0 * duration_s,
                energy_high_j=60.0 * duration_s, catalog_ids=("cpus/amd-epyc-7763",),
            ),
            ComponentEnergy(
                id="ram", kind="ram", name="memory in use", method="modeled", sensor="model",
                basis="GiB in use x 0.3725 W/GiB", energy_j=3.0 * duration_s, avg_power_w=3.0,
                energy_low_j=1.5 * duration_s, energy_high_j=4.5 * duration_s,
            ),
        )  # fmt: skip
    else:
        components = (
            ComponentEnergy(
                id="gpu:0", kind="gpu", name="NVIDIA H100 80GB HBM3", method="counter",
                sensor="nvml", basis="nvmlDeviceGetTotalEnergyConsumption",
                energy_j=gpu_w * duration_s, avg_power_w=gpu_w, peak_power_w=gpu_w * 1.4,
                attributed_energy_j=gpu_w * duration_s * 0.95,
                catalog_ids=("accelerators/nvidia-h100-sxm",),
            ),
            ComponentEnergy(
                id="cpu:package-0", kind="cpu", name="AMD EPYC 7763", method="counter",
                sensor="rapl", basis="intel-rapl:0 energy_uj", energy_j=120.0 * duration_s,
                avg_power_w=120.0,
            ),
        )  # fmt: skip
    timeline = None
    if hz > 0:
        n = int(duration_s * hz)
        timeline = tuple(
            TimelinePoint(
                t_s=i / hz,
                power_w={
                    "gpu:0": gpu_w * (1 + 0.3 * math.sin(i / (5 * hz))),
                    "cpu:package-0": 120.0 + 10 * math.cos(i / (7 * hz)),
                },
            )
            for i in range(n)
        )
    return Measurement(
        run_id=run_id,
        name=name,
        started_at=started_at,
        ended_at=started_at,
        duration_s=duration_s,
        components=components,
        command=("python", "train.py", "--epochs", "3"),
        exit_code=0,
        timeline=timeline,
        host={"hostname": "node-7", "cpu_count": 64, "os": "Linux"},
        warnings=("cpu, ram modelled: no hardware energy sensor",) if modeled else (),
        location=location,
        pue=1.2 if not modeled else None,
    )


@dataclass
class Seeded:
    url: str
    ids: dict[str, str]


RUNS = (
    make_run("a1b2c3d4e5f60001", "train-small", hz=10.0, duration_s=120.0, gpu_w=250.0),
    make_run(
        "a1b2c3d4e5f60002", "train-large", started_at="2026-03-02T08:30:00+00:00",
        duration_s=600.0, gpu_w=650.0, hz=2.0,
    ),
    make_run(
        "b7c8d9e0f1a20003", "laptop-eval", started_at="2026-03-03T18:00:00+00:00",
        duration_s=30.0, modeled=True, location=None,
    ),
)  # fmt: skip


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Seeded:
    """A SQLite store holding :data:`RUNS`; ``WATTLENS_DB`` points at it (the CLI reads it)."""
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    with Store(url) as store:
        for run in RUNS:
            store.save(run)
    monkeypatch.setenv("WATTLENS_DB", url)
    return Seeded(url, {r.name: r.run_id for r in RUNS})
