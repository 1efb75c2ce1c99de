"""`wattlens runs export --format codecarbon`: CodeCarbon's emissions.csv, read by its own code."""

from __future__ import annotations

import csv
import dataclasses
import importlib
import math
from pathlib import Path
from typing import Any

import pytest

from wattlens.measurement import ComponentEnergy, Measurement
from wattlens.store import Store
from wattlens.store.export import CODECARBON_COLUMNS, codecarbon_row

J_PER_KWH = 3.6e6


def _run(
    run_id: str, *, location: str | None, pue: float | None, name: str = "train"
) -> Measurement:
    def part(cid: str, kind: Any, name: str, energy_j: float) -> ComponentEnergy:
        return ComponentEnergy(id=cid, kind=kind, name=name, method="counter", sensor="test",
                               basis="test", energy_j=energy_j,
                               avg_power_w=energy_j / 3600.0)  # fmt: skip

    return Measurement(
        run_id=run_id,
        name=name,
        started_at="2026-03-01T12:00:00+00:00",
        ended_at="2026-03-01T13:00:00+00:00",
        duration_s=3600.0,
        components=(
            part("gpu:0", "gpu", "NVIDIA H100 80GB HBM3", 2 * J_PER_KWH),
            part("gpu:1", "gpu", "NVIDIA H100 80GB HBM3", 1 * J_PER_KWH),
            part("cpu:package-0", "cpu", "AMD EPYC 7763", 0.5 * J_PER_KWH),
            part("ram", "ram", "RAM", 0.1 * J_PER_KWH),
        ),
        host={"cpu_model": "AMD EPYC 7763", "logical_cpus": 128, "platform": "linux"},
        location=location,
        pue=pue,
    )


@pytest.fixture
def exported(cli: Any, tmp_path: Path) -> tuple[Path, list[Measurement]]:
    runs = [
        _run("aaaa1111cloud", location="aws-us-east-1", pue=1.2),
        _run("bbbb2222world", location=None, pue=None, name='eval, "quoted"'),
    ]
    with Store() as store:
        for m in runs:
            store.save(m)
    target = tmp_path / "emissions.csv"
    result = cli("runs", "export", "--format", "codecarbon", "-o", target)
    assert result.exit_code == 0, result.stderr
    assert "exported 2 runs" in result.stderr
    return target, runs


def test_columns_are_codecarbons_emissions_data_fields() -> None:
    codecarbon = importlib.import_module("codecarbon.output_methods.emissions_data")
    fields = [f.name for f in dataclasses.fields(codecarbon.EmissionsData)]
    assert list(CODECARBON_COLUMNS) == fields


def test_pandas_reads_back_the_stored_values(exported: tuple[Path, list[Measurement]]) -> None:
    pd = importlib.import_module("pandas")
    target, runs = exported
    frame = pd.read_csv(target)
    assert list(frame.columns) == list(CODECARBON_COLUMNS)
    cloud = frame[frame.run_id == "aaaa1111cloud"].iloc[0]
    stored = runs[0]
    # kWh with the PUE applied, as CodeCarbon's tracker applies it: 3.6 kWh IT x 1.2.
    assert cloud.energy_consumed == pytest.approx(3.6 * 1.2)
    assert cloud.gpu_energy == pytest.approx(3.0 * 1.2)
    assert cloud.cpu_energy == pytest.approx(0.5 * 1.2)
    assert cloud.ram_energy == pytest.approx(0.1 * 1.2)
    assert cloud.gpu_power == pytest.approx(3000.0 * 1.2)  # W: 3 kWh over one hour
    # kg CO2e: the stored run's location-based carbon, and the US grid factor times the energy.
    assert cloud.emissions == pytest.approx(stored.typed_impacts.co2e_g.p50 / 1000)
    grid = stored.typed_impacts.place.co2e_g_per_kwh
    assert cloud.emissions == pytest.approx(3.6 * 1.2 * grid / 1000)
    assert cloud.emissions_rate == pytest.approx(cloud.emissions / 3600.0)
    assert cloud.duration == 3600.0
    assert cloud.water_consumed == pytest.approx(stored.typed_impacts.water_l.onsite.p50)
    assert cloud.wue == pytest.approx(cloud.water_consumed / cloud.energy_consumed)
    assert (cloud.cloud_provider, cloud.cloud_region, cloud.on_cloud) == ("aws", "us-east-1", "Y")
    assert cloud.country_name == "United States"
    assert cloud.pue == 1.2
    assert (cloud.gpu_count, cloud.gpu_model) == (2, "2 x NVIDIA H100 80GB HBM3")
    assert (cloud.cpu_count, cloud.cpu_model) == (128, "AMD EPYC 7763")
    assert cloud.timestamp == "2026-03-01T13:00:00"
    assert cloud.tracking_mode == "machine"
    # Unknown is empty, never a guessed value.
    assert math.isnan(cloud.latitude)
    assert math.isnan(cloud.ram_total_size)
    world = frame[frame.run_id == "bbbb2222world"].iloc[0]
    assert world.project_name == 'eval, "quoted"'
    assert world.energy_consumed == pytest.approx(3.6)
    assert world.pue == 1.0
    assert world.on_cloud == "N"
    assert math.isnan(world.cloud_provider)


def test_codecarbons_file_output_appends_to_the_export(
    exported: tuple[Path, list[Measurement]],
) -> None:
    """CodeCarbon's own writer takes the file as its own: same header set, no backup."""
    importlib.import_module("pandas")
    emissions_data = importlib.import_module("codecarbon.output_methods.emissions_data")
    file_output = importlib.import_module("codecarbon.output_methods.file")
    target, _ = exported
    with target.open(newline="") as handle:
        first = next(csv.DictReader(handle))
    values: dict[str, Any] = {k: (v if v != "" else None) for k, v in first.items()}
    record = emissions_data.EmissionsData(**{**values, "run_id": "cccc3333codecarbon"})
    writer = file_output.FileOutput(target.name, str(target.parent), on_csv_write="append")
    assert writer.has_valid_headers(record)
    writer.out(record, None)
    assert not list(target.parent.glob("*.bak"))
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["run_id"] for r in rows] == ["aaaa1111cloud", "bbbb2222world", "cccc3333codecarbon"]
    assert rows[2]["energy_consumed"] == rows[0]["energy_consumed"]


def test_row_of_a_run_without_components_has_zero_energy() -> None:
    m = dataclasses.replace(_run("dddd", location="FR", pue=None), components=())
    row = codecarbon_row(m)
    assert row["energy_consumed"] == 0.0
    assert row["emissions"] == 0.0
    assert row["wue"] == 0.0
    assert row["country_name"] == "France"
