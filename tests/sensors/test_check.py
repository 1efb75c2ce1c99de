"""``doctor --check`` logic: stuck, implausible and failing counters, and the update period."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fakes import fake_pynvml as fn
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml, add_mj
from tests.fakes.powercap import FakePowercap
from wattlens.sensors.check import check_sensors
from wattlens.sensors.nvml import NvmlSensor
from wattlens.sensors.rapl import RaplSensor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def driven(clock: Clock, step: Callable[[int], None]) -> Callable[[float], None]:
    """A sleep that moves the clock and lets the fake hardware advance."""
    calls = [0]

    def sleep(seconds: float) -> None:
        clock.now += seconds
        calls[0] += 1
        step(calls[0])

    return sleep


def nvml_rig(gpu: FakeGpu) -> tuple[NvmlSensor, Clock]:
    clock = Clock()
    return NvmlSensor(nvml_module=FakeNvml([gpu]), environ={}, clock=clock), clock


def test_healthy_gpu_counter_passes_and_its_update_period_is_measured() -> None:
    gpu = FakeGpu(energy_mj=0, power_mw=300_000)
    sensor, clock = nvml_rig(gpu)

    def step(n: int) -> None:
        if n % 10 == 0:  # the driver refreshes the counter every 10 reads (100 ms)
            add_mj(gpu, 30_000)

    (result,) = check_sensors(
        [sensor], seconds=2.0, clock=clock, sleep=driven(clock, step), load_cpu=False
    )
    assert result.ok, result.problems
    assert result.update_period_s == pytest.approx(0.1)
    assert result.avg_power_w == pytest.approx(300.0, rel=0.06)
    assert result.max_power_w == pytest.approx(700.0)


def test_stuck_gpu_counter_under_load_is_flagged() -> None:
    sensor, clock = nvml_rig(FakeGpu(energy_mj=5_000, power_mw=250_000))
    (result,) = check_sensors(
        [sensor], seconds=1.0, clock=clock, sleep=driven(clock, lambda n: None), load_cpu=False
    )
    assert not result.ok
    assert any("stuck" in p and "250 W" in p for p in result.problems)


def test_idle_gpu_without_energy_change_is_not_flagged() -> None:
    sensor, clock = nvml_rig(FakeGpu(energy_mj=5_000, power_mw=2_000))
    (result,) = check_sensors(
        [sensor], seconds=1.0, clock=clock, sleep=driven(clock, lambda n: None), load_cpu=False
    )
    assert result.ok


def test_power_above_twice_the_limit_is_implausible() -> None:
    gpu = FakeGpu(energy_mj=0, power_mw=None, power_limit_mw=700_000)
    sensor, clock = nvml_rig(gpu)
    (result,) = check_sensors(
        [sensor],
        seconds=1.0,
        clock=clock,
        sleep=driven(clock, lambda n: add_mj(gpu, 20_000)),  # 20 J per 10 ms = 2 kW
        load_cpu=False,
    )
    assert any("twice the power limit" in p for p in result.problems)


def test_counter_disagreeing_with_reported_power_is_flagged() -> None:
    gpu = FakeGpu(energy_mj=0, power_mw=300_000, power_limit_mw=None)
    sensor, clock = nvml_rig(gpu)
    (result,) = check_sensors(
        [sensor],
        seconds=1.0,
        clock=clock,
        sleep=driven(clock, lambda n: add_mj(gpu, 15_000)),  # 1.5 kW by the counter
        load_cpu=False,
    )
    assert any("hardware reports 300 W" in p for p in result.problems)


def test_failed_reads_during_the_check_are_flagged() -> None:
    gpu = FakeGpu(energy_mj=0, power_mw=100_000)
    sensor, clock = nvml_rig(gpu)

    def step(n: int) -> None:
        add_mj(gpu, 1_000)
        if n == 3:
            gpu.fail_next["nvmlDeviceGetTotalEnergyConsumption"] = [fn.NVMLError_GpuIsLost()]

    (result,) = check_sensors(
        [sensor], seconds=0.5, clock=clock, sleep=driven(clock, step), load_cpu=False
    )
    assert result.faults == 1
    assert any("GPU is lost" in p for p in result.problems)


def test_stuck_cpu_counter_under_a_busy_core_is_flagged(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, dram=False, energy_uj=1_000)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    clock = Clock()
    (stuck,) = check_sensors(
        [sensor], seconds=0.2, clock=clock, sleep=driven(clock, lambda n: None)
    )
    assert any("CPU core was busy" in p for p in stuck.problems)
    (moving,) = check_sensors(
        [sensor],
        seconds=0.2,
        clock=clock,
        sleep=driven(clock, lambda n: tree.set_energy_uj("cpu:package-0", 1_000 + 50_000 * n)),
    )
    assert moving.ok
