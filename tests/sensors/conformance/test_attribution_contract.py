"""Attributed energy over consecutive and overlapping windows.

A sensor with a known process share (``attribution``) drives the meter; every
window's attributed energy must be the share of that window's energy (within
``[0, energy]``), consecutive windows must add up to the window around them,
energy from before ``begin`` must not leak in, and one unknown share makes
only the windows it falls in unknown.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from wattlens.meter import CadenceReader, Meter
from wattlens.sensors.base import Component, Reading
from wattlens.sensors.nvml import NvmlSensor

NO_SAMPLER_S = 3_600.0


class Shared:
    """One GPU with scripted energy and a scripted share of it for our processes."""

    name = "shared"
    needs_polling = False
    max_read_interval_s: float | None = None

    def __init__(self, share: float | None = 0.5) -> None:
        self.energy = 0.0
        self.share: float | None = share

    def components(self) -> list[Component]:
        return [Component("gpu:0", "gpu", "shared GPU", "counter", "shared", "test")]

    def read(self) -> Reading:
        return Reading(timestamp_s=0.0, energy_j={"gpu:0": self.energy})

    def attribution(self, pids: set[int]) -> dict[str, float | None]:
        return {"gpu:0": self.share}

    def close(self) -> None:
        pass


def meter_over(sensor: object) -> Meter:
    meter = Meter(
        sensors=[sensor],  # type: ignore[list-item]
        interval_s=NO_SAMPLER_S,
        reader=CadenceReader(threaded=False),
    )
    meter.track_pids(lambda: {1})
    return meter


def attributed(meter: Meter, name: str) -> tuple[float, float | None]:
    (component,) = meter.end(name).components
    return component.energy_j, component.attributed_energy_j


def test_consecutive_windows_are_each_credited_once() -> None:
    # F6: the interval before each end() was credited again by the next window.
    gpu = Shared()
    meter = meter_over(gpu)
    meter.begin("a")
    gpu.energy = 150.0
    assert attributed(meter, "a") == pytest.approx((150.0, 75.0))
    meter.begin("b")
    gpu.energy = 250.0
    assert attributed(meter, "b") == pytest.approx((100.0, 50.0))
    meter.close()


def test_energy_from_before_begin_does_not_leak_in() -> None:
    gpu = Shared()
    meter = meter_over(gpu)
    meter.begin("earlier")
    meter.end("earlier")
    gpu.energy = 100.0  # used before the window opens
    meter.begin("w")
    gpu.energy = 150.0
    assert attributed(meter, "w") == pytest.approx((50.0, 25.0))
    meter.close()


def test_overlapping_windows_add_up_and_stay_within_the_energy() -> None:
    gpu = Shared()
    meter = meter_over(gpu)
    meter.begin("outer")
    total = 0.0
    parts = 0.0
    for step, share in enumerate([0.5, 1.0, 0.0, 0.25]):
        gpu.share = share
        meter.begin(f"step-{step}")
        gpu.energy += 40.0
        energy, part = attributed(meter, f"step-{step}")
        assert part is not None
        assert 0.0 <= part <= energy
        assert part == pytest.approx(share * 40.0)
        parts += part
        total += share * 40.0
    energy, whole = attributed(meter, "outer")
    meter.close()
    assert energy == pytest.approx(160.0)
    assert whole == pytest.approx(parts)
    assert whole == pytest.approx(total)


def test_one_unknown_share_blanks_only_its_own_window() -> None:
    # F12: one None made every later window unknown for the meter's lifetime.
    gpu = Shared(share=None)
    meter = meter_over(gpu)
    meter.begin("unknown")
    gpu.energy = 10.0
    assert attributed(meter, "unknown") == (10.0, None)
    gpu.share = 1.0
    for i in range(2):
        meter.begin(f"later-{i}")
        gpu.energy += 100.0
        assert attributed(meter, f"later-{i}") == pytest.approx((100.0, 100.0))
    meter.close()


def test_container_gpu_share_is_unknown_not_zero(tmp_path: Path) -> None:
    # F7: host PIDs listed by NVML do not exist in the container's /proc.
    gpus = [FakeGpu(uuid="GPU-a", energy_mj=0, pids=[812345])]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={}, pid_exists=lambda pid: False)
    meter = meter_over(sensor)
    meter.begin("w")
    gpus[0].energy_mj = 60_000
    energy, part = attributed(meter, "w")
    meter.close()
    assert energy == pytest.approx(60.0)
    assert part is None


def test_library_mismatch_in_the_process_query_does_not_lose_the_run() -> None:
    # F13: NVMLLibraryMismatchError escaped Meter.end.
    from tests.fakes.fake_pynvml import driver_535_98_mismatch

    gpus = [FakeGpu(uuid="GPU-a", energy_mj=0, pids=[1])]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={})
    meter = meter_over(sensor)
    meter.begin("w")
    gpus[0].energy_mj = 5_000
    gpus[0].errors["nvmlDeviceGetComputeRunningProcesses"] = driver_535_98_mismatch()
    energy, part = attributed(meter, "w")
    assert energy == pytest.approx(5.0)
    assert part is None
    meter.close()


class Plain(Shared):
    """A second vendor's GPU with the same id and no attribution (an AMD iGPU)."""

    name = "plain"

    def components(self) -> list[Component]:
        return [Component("gpu:0", "gpu", "iGPU", "counter", "plain", "test")]

    def __getattribute__(self, item: str) -> object:
        if item == "attribution":
            raise AttributeError(item)
        return super().__getattribute__(item)


def test_a_second_sensor_with_the_same_id_gets_no_borrowed_credit() -> None:
    # F18: NVML's attributed joules were merged into an AMD gpu:0.
    ours, other = Shared(share=1.0), Plain()
    meter = Meter(sensors=[ours, other], interval_s=NO_SAMPLER_S)
    meter.track_pids(lambda: {1})
    meter.begin("w")
    ours.energy, other.energy = 300.0, 30.0
    first, second = meter.end("w").components
    meter.close()
    assert first.sensor == "shared"
    assert first.attributed_energy_j == pytest.approx(300.0)
    assert (second.sensor, second.attributed_energy_j) == ("plain", None)
