"""The fallback model: golden values from a fake /proc and the catalog's own rows."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from wattlens.catalog import Catalog, Cpu
from wattlens.sensors import procfs
from wattlens.sensors.model import (
    K_HIGH,
    K_LOW,
    RAM_W_PER_GIB,
    CpuProfile,
    ModelSensor,
    machine_cpu_profile,
    resolve_cpu_profile,
)

GIB = 1024**3


class FakeProc:
    """A minimal /proc with stat and meminfo that tests can advance."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ticks = {"user": 1000, "nice": 0, "system": 500, "idle": 9000, "iowait": 10,
                      "irq": 0, "softirq": 0, "steal": 300}  # fmt: skip
        self.used_kib = 4 * 1024 * 1024
        self.write()

    def write(self) -> None:
        t = self.ticks
        line = (f"cpu  {t['user']} {t['nice']} {t['system']} {t['idle']} {t['iowait']} "
                f"{t['irq']} {t['softirq']} {t['steal']} 0 0\n")  # fmt: skip
        (self.root / "stat").write_text(line + "cpu0 1 2 3 4 5 6 7 8 0 0\n")
        total = 16 * 1024 * 1024
        (self.root / "meminfo").write_text(
            f"MemTotal:       {total} kB\nMemFree:  1 kB\n"
            f"MemAvailable:   {total - self.used_kib} kB\n"
        )

    def busy(self, seconds: float) -> None:
        self.ticks["user"] += round(seconds * procfs._CLK_TCK)
        self.write()


PROFILE = CpuProfile(
    model_name="Test CPU",
    logical_cpus=8,
    w_per_thread=2.0,
    w_per_thread_low=1.0,
    w_per_thread_high=3.0,
    catalog_ids=("cpus/test",),
    basis="test",
    rule="catalog",
)


def test_machine_cpu_times_exclude_steal(tmp_path: Path) -> None:
    FakeProc(tmp_path)
    times = procfs.machine_cpu_times(tmp_path)
    assert times.busy_s == pytest.approx(1500 / procfs._CLK_TCK)
    assert times.total_s == pytest.approx((1500 + 9010 + 300) / procfs._CLK_TCK)
    assert procfs.memory_used_bytes(tmp_path) == 4 * GIB


def test_cpu_energy_is_busy_seconds_times_watts_per_thread(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path)
    now = [0.0]
    tree = [10.0]
    sensor = ModelSensor(
        PROFILE,
        proc=tmp_path,
        tree_cpu_s=lambda: tree[0],
        tree_rss_bytes=lambda: GIB,
        clock=lambda: now[0],
    )
    before = sensor.read()
    proc.busy(6.0)  # the machine was busy 6 CPU-seconds ...
    tree[0] += 4.0  # ... 4 of them in the measured process tree
    now[0] = 10.0
    after = sensor.read()
    cpu = after.energy_j["cpu"] - before.energy_j["cpu"]
    assert cpu == pytest.approx(6.0 * 2.0)
    assert after.energy_low_j["cpu"] - before.energy_low_j["cpu"] == pytest.approx(6 * 1.0 * K_LOW)
    assert after.energy_high_j["cpu"] - before.energy_high_j["cpu"] == pytest.approx(
        6 * 3.0 * K_HIGH
    )
    assert after.attributed_j["cpu"] - before.attributed_j["cpu"] == pytest.approx(4.0 * 2.0)
    # RAM: 4 GiB in use for 10 s at 0.3725 W/GiB; the tree holds 1 GiB of it.
    ram = after.energy_j["ram"] - before.energy_j["ram"]
    assert ram == pytest.approx(4 * 10 * RAM_W_PER_GIB)
    assert after.attributed_j["ram"] - before.attributed_j["ram"] == pytest.approx(
        1 * 10 * RAM_W_PER_GIB
    )
    assert {c.method for c in sensor.components()} == {"modeled"}


def test_known_cpu_uses_its_catalog_tdp(catalog: Catalog) -> None:
    row = catalog.get_typed("cpus", "AMD EPYC 7763 64-Core Processor", Cpu)
    assert row.tdp_w is not None
    assert row.threads is not None
    profile = resolve_cpu_profile("AMD EPYC 7763 64-Core Processor", 128, catalog)
    assert profile.rule == "catalog"
    assert profile.w_per_thread == pytest.approx(row.tdp_w / row.threads)
    assert profile.catalog_ids == (f"cpus/{row.id}",)


def test_unknown_cpu_uses_documented_per_thread_rule(catalog: Catalog) -> None:
    # Virtual machines often report only the family ("AMD EPYC"): never a silent guess.
    profile = resolve_cpu_profile("AMD EPYC", 2, catalog)
    assert profile.rule == "per-thread-rule"
    rows = [
        r
        for r in catalog.rows("cpus")
        if isinstance(r, Cpu) and r.vendor.casefold() == "amd" and r.segment == "server"
        and r.tdp_w and r.threads
    ]  # fmt: skip
    expected = statistics.median(r.tdp_w / r.threads for r in rows if r.tdp_w and r.threads)
    assert profile.w_per_thread == pytest.approx(expected)
    assert profile.w_per_thread_low <= profile.w_per_thread <= profile.w_per_thread_high
    assert len(profile.catalog_ids) == len(rows)
    assert "per-thread rule" in profile.basis


def test_profile_is_cached_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from wattlens.sensors import model

    first = machine_cpu_profile()
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "wattlens" / "cpu-profile.json"
    assert cache.is_file()

    def no_catalog(*args: object) -> CpuProfile:
        raise AssertionError("the cached profile must be used")

    monkeypatch.setattr(model, "resolve_cpu_profile", no_catalog)
    assert machine_cpu_profile() == first
    # A change of the catalog setting invalidates the cache.
    monkeypatch.setenv("WATTLENS_CATALOG", "/nonexistent")
    with pytest.raises(AssertionError, match="cached profile"):
        machine_cpu_profile()
