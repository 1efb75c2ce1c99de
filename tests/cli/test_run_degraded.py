"""`wattlens run` when a sensor fails: the result says what is partial, and is stored."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.fakes import fake_pynvml as fn
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from wattlens.sensors import discover as discover_module
from wattlens.sensors.discover import Discovery
from wattlens.sensors.nvml import NvmlSensor


@pytest.fixture
def failing_gpu(monkeypatch: pytest.MonkeyPatch) -> FakeGpu:
    gpu = FakeGpu(uuid="GPU-a", energy_mj=0, power_mw=None)
    module = FakeNvml([gpu])
    sensor = NvmlSensor(nvml_module=module, environ={})
    real_read = sensor.read
    reads = [0]

    def read() -> Any:
        reads[0] += 1
        if reads[0] > 1:  # after begin: 40 J used, then the counter is gone
            gpu.energy_mj = 40_000
            gpu.errors["nvmlDeviceGetTotalEnergyConsumption"] = fn.NVMLError_NotSupported()
        return real_read()

    sensor.read = read  # type: ignore[method-assign]
    monkeypatch.setattr(discover_module, "_default", Discovery((sensor,), ()))
    return gpu


def test_a_counter_lost_mid_run_gives_a_partial_stored_result(
    cli: Any, failing_gpu: FakeGpu
) -> None:
    # F3: the SensorError at Meter.end lost the run and replaced the child's exit code.
    result = cli("run", "--json", "--name", "lost", "--", sys.executable, "-c", "pass")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    (gpu,) = data["components"]
    assert gpu["status"] == "partial"
    assert "Not Supported" in gpu["status_reason"]
    assert any("gpu:0 is partial" in w for w in data["warnings"])
    runs = cli("runs", "ls", "--json").json()
    listed = runs["runs"] if isinstance(runs, dict) else runs
    assert data["run_id"] in {r["run_id"] for r in listed}


@pytest.mark.parametrize("store_exists", [False, True], ids=["store-save", "fast-save"])
def test_runs_show_gives_a_partial_component_its_status_and_reason(
    cli: Any, failing_gpu: FakeGpu, store_exists: bool
) -> None:
    if store_exists:
        # An existing, current store: `wattlens run` saves with sqlite3, not SQLAlchemy.
        from tests.store.test_store import make_measurement
        from wattlens.store import save

        save(make_measurement("earlier-run"))
    ran = cli("run", "--json", "--name", "lost", "--", sys.executable, "-c", "pass")
    assert ran.exit_code == 0, ran.stderr
    run_id = ran.json()["run_id"]

    shown = cli("runs", "show", run_id, "--json")
    assert shown.exit_code == 0, shown.stderr
    (gpu,) = shown.json()["components"]
    assert gpu["status"] == "partial"
    assert "Not Supported" in gpu["status_reason"]

    text = cli("runs", "show", run_id)
    assert text.exit_code == 0, text.stderr
    assert "counter, partial" in text.stdout
    _, sep, note = text.stdout.partition("\npartial: gpu:0: ")
    assert sep, text.stdout
    assert "Not Supported" in " ".join(note.split())  # the terminal may wrap the reason


def test_runs_show_says_nothing_of_status_for_measured_components(cli: Any) -> None:
    from tests.store.test_store import make_measurement
    from wattlens.store import save

    save(make_measurement("all-measured"))
    text = cli("runs", "show", "all-measured")
    assert text.exit_code == 0, text.stderr
    assert "partial" not in text.stdout
    assert "unknown" not in text.stdout
