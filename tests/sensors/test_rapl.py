"""RaplSensor against a fake powercap tree: exact joules, wrap-around, permissions."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.powercap import FakePowercap
from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Sensor
from wattlens.sensors.rapl import RaplSensor, probe_rapl


@pytest.fixture
def tree(tmp_path: Path) -> FakePowercap:
    return FakePowercap(tmp_path / "powercap")


def test_two_packages_with_dram_are_discovered_in_order(tree: FakePowercap) -> None:
    tree.add_package(1, uncore=True)
    tree.add_package(0)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    assert isinstance(sensor, Sensor)
    comps = sensor.components()
    assert [c.id for c in comps] == [
        "cpu:package-0",
        "dram:package-0",
        "cpu:package-1",
        "dram:package-1",
    ]
    assert [c.kind for c in comps] == ["cpu", "dram", "cpu", "dram"]
    assert {c.method for c in comps} == {"counter"}
    assert {c.sensor for c in comps} == {"rapl"}
    # The package zone named package-1 was created first, as intel-rapl:0.
    assert str(tree.root / "intel-rapl:0" / "energy_uj") in comps[2].basis
    assert str(tree.root / "intel-rapl:0" / "intel-rapl:0:2" / "energy_uj") in comps[3].basis
    assert not sensor.needs_polling


def test_core_uncore_and_psys_are_not_components(tree: FakePowercap) -> None:
    tree.add_package(0, core=True, uncore=True, dram=False)
    tree.add_top_zone("psys")
    sensor = RaplSensor(tree.root, reader=tree.reader)
    assert [c.id for c in sensor.components()] == ["cpu:package-0"]


def test_distinct_die_counters_get_one_component_per_die(tree: FakePowercap) -> None:
    # Cascade Lake-AP: each die has its own counter.
    tree.add_multi_die_package(0, 2, mirrored=False)
    ids = [c.id for c in RaplSensor(tree.root, reader=tree.reader).components()]
    assert ids == ["cpu:package-0-die-0", "cpu:package-0-die-1"]


def test_mirrored_die_zones_are_counted_once(tree: FakePowercap) -> None:
    # F2: AMD multi-die sockets mirror one counter in every die zone; summing them
    # reported 136 J for a socket that used 68 J (this test asserted that before).
    tree.add_multi_die_package(0, 2)
    tree.add_multi_die_package(1, 4, energy_uj=5_000_000_000)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    assert [c.id for c in sensor.components()] == ["cpu:package-0", "cpu:package-1"]
    assert "counted once" in sensor.components()[0].basis
    assert any("package-1-die-3" in n for n in sensor.notes)
    before = sensor.read()
    tree.advance("cpu:package-0", 68_000_000)
    tree.advance("cpu:package-1", 12_000_000)
    after = sensor.read()
    total = sum(after.energy_j.values()) - sum(before.energy_j.values())
    assert total == pytest.approx(80.0)


def test_flat_links_and_mmio_duplicates_are_not_counted(tree: FakePowercap) -> None:
    tree.add_package(0, uncore=True)
    tree.add_flat_links()
    tree.add_mmio_duplicate("cpu:package-0")
    assert (tree.root / "intel-rapl:0:0").is_symlink()
    sensor = RaplSensor(tree.root, reader=tree.reader)
    assert [c.id for c in sensor.components()] == ["cpu:package-0", "dram:package-0"]


def test_amd_rapl_prefix_is_accepted(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap", prefix="amd-rapl")
    tree.add_package(0, dram=False)
    assert [c.id for c in RaplSensor(tree.root, reader=tree.reader).components()] == [
        "cpu:package-0"
    ]


def test_energy_deltas_equal_what_the_tree_advanced(tree: FakePowercap) -> None:
    tree.add_package(0, energy_uj=1_000_000)
    tree.add_package(1, energy_uj=5)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    before = sensor.read()
    tree.advance("cpu:package-0", 42_500_000)  # 42.5 J
    tree.advance("dram:package-0", 3_250_000)  # 3.25 J
    tree.advance("cpu:package-1", 7)
    after = sensor.read()
    delta = {k: after.energy_j[k] - before.energy_j[k] for k in after.energy_j}
    assert delta == pytest.approx(
        {
            "cpu:package-0": 42.5,
            "dram:package-0": 3.25,
            "cpu:package-1": 7e-6,
            "dram:package-1": 0.0,
        },
        abs=1e-9,
    )
    assert after.timestamp_s >= before.timestamp_s


def test_wrap_around_across_the_max_range(tree: FakePowercap) -> None:
    max_range = 1_000_000_000  # 1 kJ, small to wrap in a test
    tree.add_package(0, energy_uj=max_range - 2_000_000, max_range_uj=max_range, dram=False)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    start = sensor.read().energy_j["cpu:package-0"]
    total_uj = 0
    for step_uj in (1_500_000, 700_000_000, 600_000_000, 999_999_999):  # each < one wrap
        tree.advance("cpu:package-0", step_uj)
        total_uj += step_uj
        now = sensor.read().energy_j["cpu:package-0"]
        assert now - start == pytest.approx(total_uj / 1e6, abs=1e-9)
    assert tree.energy_uj("cpu:package-0") < max_range  # it really did wrap, several times


def test_permission_denied_names_the_fix(tree: FakePowercap) -> None:
    tree.add_package(0)
    tree.deny_all_energy()
    with pytest.raises(SensorPermissionError) as info:
        RaplSensor(tree.root, reader=tree.reader)
    assert "permission denied" in info.value.message
    hint = info.value.hint or ""
    assert "CVE-2020-8694" in hint
    assert 'SUBSYSTEM=="powercap"' in hint
    assert "chmod" in hint
    assert "resets at boot" in hint
    assert "side channel" in hint


def test_permission_lost_after_start_is_a_fault_and_other_zones_still_count(
    tree: FakePowercap,
) -> None:
    tree.add_package(0)
    sensor = RaplSensor(tree.root, reader=tree.reader)
    before = sensor.read()
    tree.deny("dram:package-0")
    tree.advance("cpu:package-0", 9_000_000)
    after = sensor.read()
    assert after.energy_j["cpu:package-0"] - before.energy_j["cpu:package-0"] == pytest.approx(9)
    assert after.energy_j["dram:package-0"] == before.energy_j["dram:package-0"]
    count, reason = after.faults["dram:package-0"]
    assert count == 1
    assert "permission denied" in reason
    assert "CVE-2020-8694" in reason


def test_counter_specs_give_width_and_energy_unit(tree: FakePowercap) -> None:
    tree.add_package(0)
    specs = RaplSensor(tree.root, reader=tree.reader).counter_specs()
    assert [s.width_bits for s in specs] == [32, 32]
    assert specs[0].resolution_j == pytest.approx(61.035e-6, rel=1e-4)
    assert specs[0].attribution
    assert not specs[1].attribution


def test_garbage_counter_is_a_sensor_error(tree: FakePowercap) -> None:
    tree.add_package(0, dram=False)
    (tree.zones["cpu:package-0"].path / "energy_uj").write_text("oops\n")
    with pytest.raises(SensorError, match="integer"):
        RaplSensor(tree.root, reader=tree.reader)


def test_counter_above_its_range_is_a_sensor_error(tree: FakePowercap) -> None:
    tree.add_package(0, dram=False, max_range_uj=1_000)
    tree.set_energy_uj("cpu:package-0", 1_001)
    with pytest.raises(SensorError, match="outside"):
        RaplSensor(tree.root, reader=tree.reader)


def test_no_package_zone_is_a_sensor_error(tree: FakePowercap) -> None:
    tree.add_top_zone("psys")
    with pytest.raises(SensorError, match="no RAPL package zone") as info:
        RaplSensor(tree.root, reader=tree.reader)
    assert "modprobe" in (info.value.hint or "")


def test_default_reader_reads_real_files(tree: FakePowercap) -> None:
    tree.add_package(0, energy_uj=123_456, dram=False)
    assert RaplSensor(tree.root).read().energy_j == {"cpu:package-0": 0.123456}


def test_probe_reports_found_components(tree: FakePowercap) -> None:
    tree.add_package(0)
    probe = probe_rapl(tree.root, reader=tree.reader)
    assert probe.available
    assert [c.id for c in probe.components] == ["cpu:package-0", "dram:package-0"]
    assert "cpu:package-0" in probe.reason


def test_probe_without_powercap_dir(tmp_path: Path) -> None:
    probe = probe_rapl(tmp_path / "missing")
    assert not probe.available
    assert "does not exist" in probe.reason
    assert probe.fix is not None


def test_probe_without_zones(tree: FakePowercap) -> None:
    probe = probe_rapl(tree.root, reader=tree.reader)
    assert not probe.available
    assert "no RAPL package zone" in probe.reason


def test_probe_permission_denied_says_skipped_with_fix(tree: FakePowercap) -> None:
    tree.add_package(0)
    tree.deny_all_energy()
    probe = probe_rapl(tree.root, reader=tree.reader)
    assert not probe.available
    assert "permission denied" in probe.reason
    assert probe.fix is not None
    assert "udev" in probe.fix
