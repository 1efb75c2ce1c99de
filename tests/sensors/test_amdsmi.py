"""AmdSmiSensor against a faithful fake of the amdsmi package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fakes import fake_amdsmi as fa
from tests.fakes.fake_amdsmi import FakeAmdGpu, FakeAmdSmi
from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.amdsmi import AmdSmiSensor, probe_amdsmi
from wattlens.sensors.base import Sensor


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_nothing_imports_amdsmi_at_import_time() -> None:
    code = "import sys, wattlens.sensors.amdsmi; print('amdsmi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_counter_and_power_only_gpus() -> None:
    module = FakeAmdSmi(
        [
            FakeAmdGpu(market_name="AMD Instinct MI300X", energy_ticks=1_000),
            FakeAmdGpu(market_name="N/A", energy_ticks=None, power_w=210),
        ]
    )
    sensor = AmdSmiSensor(amdsmi_module=module)
    assert isinstance(sensor, Sensor)
    assert module.init_flags == fa.AmdSmiInitFlags.INIT_AMD_GPUS
    comps = sensor.components()
    assert [(c.id, c.name, c.method) for c in comps] == [
        ("gpu:0", "AMD Instinct MI300X", "counter"),
        ("gpu:1", "AMD GPU", "sampled"),
    ]
    assert {c.sensor for c in comps} == {"amdsmi"}
    assert sensor.needs_polling


@pytest.mark.parametrize("legacy", [False, True])
def test_counter_deltas_are_ticks_times_resolution(legacy: bool) -> None:
    gpu = FakeAmdGpu(energy_ticks=7, counter_resolution_uj=15.25, legacy_energy_key=legacy)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    assert not sensor.needs_polling
    before = sensor.read()
    gpu.energy_ticks += 4_000_000  # × 15.25 µJ = 61 J
    after = sensor.read()
    assert after.energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(61.0, abs=1e-6)
    assert after.power_w == {"gpu:0": 300.0}


def test_sampled_integration_equals_trapezoid_of_the_power_trace() -> None:
    clock = Clock()
    gpu = FakeAmdGpu(energy_ticks=None, power_w=100)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]), clock=clock)
    start = sensor.read().energy_j["gpu:0"]
    expected, previous = 0.0, 100.0
    for dt, watts in [(1.0, 200), (0.5, 200), (3.0, 40)]:
        clock.now += dt
        gpu.power_w = watts
        expected += (previous + watts) / 2 * dt
        previous = watts
        assert sensor.read().energy_j["gpu:0"] - start == pytest.approx(expected)
    assert expected == pytest.approx(150 + 100 + 360)


def test_unsupported_power_fields_are_ignored() -> None:
    gpu = FakeAmdGpu(energy_ticks=0, power_w="N/A")
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    assert sensor.read().power_w == {}


def test_gpu_with_neither_energy_nor_power_is_skipped_and_none_left_is_an_error() -> None:
    module = FakeAmdSmi([FakeAmdGpu(energy_ticks=None, power_w=None)])
    with pytest.raises(SensorError, match="no AMD GPU") as info:
        AmdSmiSensor(amdsmi_module=module)
    assert "gpu:0" in (info.value.hint or "")
    assert not module.initialised  # shut down again after the failure


@pytest.mark.parametrize(
    ("code", "kind", "hint_word"),
    [
        (fa.AMDSMI_STATUS_NO_PERM, SensorPermissionError, "render"),
        (fa.AMDSMI_STATUS_DRIVER_NOT_LOADED, SensorError, "amdgpu"),
        (fa.AMDSMI_STATUS_FAIL_LOAD_MODULE, SensorError, "ROCm"),
        (99, SensorError, None),
    ],
)
def test_errors_are_translated_with_hints(
    code: int, kind: type[SensorError], hint_word: str | None
) -> None:
    module = FakeAmdSmi([FakeAmdGpu()], init_error=fa.AmdSmiLibraryException(code))
    with pytest.raises(kind) as info:
        AmdSmiSensor(amdsmi_module=module)
    assert type(info.value) is kind
    if hint_word is None:
        assert info.value.hint is None
    else:
        assert hint_word in (info.value.hint or "")


def test_error_while_reading_is_translated() -> None:
    gpu = FakeAmdGpu()
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    gpu.errors["amdsmi_get_energy_count"] = fa.AmdSmiLibraryException(fa.AMDSMI_STATUS_NO_PERM)
    with pytest.raises(SensorPermissionError):
        sensor.read()


def test_close_shuts_down_once() -> None:
    module = FakeAmdSmi([FakeAmdGpu()])
    sensor = AmdSmiSensor(amdsmi_module=module)
    sensor.close()
    sensor.close()  # a second shutdown would raise NOT_INIT in the fake
    assert not module.initialised


def test_probe_lists_gpus() -> None:
    probe = probe_amdsmi(FakeAmdSmi([FakeAmdGpu(), FakeAmdGpu(energy_ticks=None)]))
    assert probe.available
    assert "gpu:0 AMD Instinct MI300X (counter)" in probe.reason
    assert "gpu:1 AMD Instinct MI300X (sampled)" in probe.reason


def test_probe_without_amdsmi_says_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "amdsmi", None)
    probe = probe_amdsmi()
    assert not probe.available
    assert probe.fix is not None
    assert "wattlens[amd]" in probe.fix


def test_probe_driver_not_loaded() -> None:
    error = fa.AmdSmiLibraryException(fa.AMDSMI_STATUS_DRIVER_NOT_LOADED)
    probe = probe_amdsmi(FakeAmdSmi([], init_error=error))
    assert not probe.available
    assert probe.fix is not None
    assert "modprobe amdgpu" in probe.fix


def test_probe_no_gpus() -> None:
    probe = probe_amdsmi(FakeAmdSmi([]))
    assert not probe.available
    assert "no AMD GPU" in probe.reason
