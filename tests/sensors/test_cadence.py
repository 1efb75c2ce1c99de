"""Every sensor declares how often it must be read (``max_read_interval_s``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.powercap import DEFAULT_MAX_RANGE_UJ, FakePowercap
from wattlens.sensors.base import Sensor
from wattlens.sensors.fake import FakeSensor, ReplaySensor
from wattlens.sensors.model import RAM_READ_INTERVAL_S, CpuProfile, ModelSensor
from wattlens.sensors.rapl import FALLBACK_MAX_POWER_W, RaplSensor, zone_max_power_w
from wattlens.sensors.wrap import READS_PER_WRAP, counter_read_interval_s, max_read_interval_s

PROFILE = CpuProfile("Test CPU", 8, 2.0, 1.0, 3.0, ("cpus/test",), "test", "catalog")


def test_counter_interval_is_half_the_wrap_period_at_full_power() -> None:
    # The package: 262143328850 µJ at 350 W wraps every ~749 s.
    assert max_read_interval_s(DEFAULT_MAX_RANGE_UJ, 350.0) == pytest.approx(749.0, abs=0.5)
    assert READS_PER_WRAP == 2
    assert counter_read_interval_s(DEFAULT_MAX_RANGE_UJ, 350.0) == pytest.approx(374.5, abs=0.3)


def test_rapl_cadence_uses_the_zones_published_power(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path)
    package = tree.add_package(0, dram=False)
    (package / "constraint_0_max_power_uw").write_text("270000000\n")  # TDP 270 W
    (package / "constraint_0_power_limit_uw").write_text("270000000\n")  # PL1
    (package / "constraint_1_power_limit_uw").write_text("324000000\n")  # PL2 = 1.2 x PL1
    (package / "constraint_2_power_limit_uw").write_text("0\n")  # unset: ignored
    (package / "constraint_1_max_power_uw").write_text("garbage\n")  # unreadable: ignored
    assert zone_max_power_w(package) == pytest.approx(324.0)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    assert sensor.max_read_interval_s == pytest.approx(DEFAULT_MAX_RANGE_UJ / 1e6 / 324.0 / 2)


def test_rapl_without_power_figures_uses_the_documented_bound(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path)
    tree.add_package(0)  # package range 262 kJ, DRAM range 65.5 kJ, no constraint files
    sensor = RaplSensor(tree.root, reader=tree.reader)
    # The DRAM zone's smaller range wraps first at the same conservative 1000 W bound.
    dram_range = tree.zones["dram:package-0"].max_range_uj
    assert FALLBACK_MAX_POWER_W == 1000.0
    assert sensor.max_read_interval_s == pytest.approx(dram_range / 1e6 / 1000.0 / 2)
    assert 30 < (sensor.max_read_interval_s or 0) < 40


def test_model_needs_a_cadence_for_ram_only(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("cpu  1 0 1 1 0 0 0 0 0 0\n")
    (tmp_path / "meminfo").write_text("MemTotal: 100 kB\nMemAvailable: 50 kB\n")
    with_ram = ModelSensor(PROFILE, proc=tmp_path)
    cpu_only = ModelSensor(PROFILE, proc=tmp_path, include_ram=False)
    assert with_ram.max_read_interval_s == RAM_READ_INTERVAL_S
    # Busy CPU time is a cumulative counter: the window edges are exact.
    assert cpu_only.max_read_interval_s is None


@pytest.mark.parametrize(
    "sensor",
    [FakeSensor({"gpu:0": 1.0}), ReplaySensor([(0, {"gpu:0": 1.0}), (1, {"gpu:0": 1.0})])],
)
def test_sensors_without_wrap_declare_no_cadence(sensor: Sensor) -> None:
    assert isinstance(sensor, Sensor)
    assert sensor.max_read_interval_s is None
