"""Discovery and attribution over faithful fakes: the documented probe order and fallbacks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from tests.fakes.powercap import FakePowercap
from wattlens.meter import Meter
from wattlens.sensors.discover import discover


def test_rapl_counters_replace_the_model(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0)
    found = discover(rapl_root=tree.root, rapl_reader=tree.reader, nvml_module=FakeNvml([]))
    backends = {p.backend: p for p in found.probes}
    assert backends["rapl"].available
    assert "model" not in backends  # CPU and DRAM are both counted: nothing to model
    ids = {c.id: c.method for s in found.sensors for c in s.components()}
    assert ids == {"cpu:package-0": "counter", "dram:package-0": "counter"}


def test_rapl_without_dram_models_only_ram(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, dram=False)
    found = discover(rapl_root=tree.root, rapl_reader=tree.reader, nvml_module=FakeNvml([]))
    methods = {c.id: c.method for s in found.sensors for c in s.components()}
    assert methods == {"cpu:package-0": "counter", "ram": "modeled"}


def test_permission_denied_names_the_fix_and_falls_back(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0)
    tree.deny_all_energy()
    found = discover(rapl_root=tree.root, rapl_reader=tree.reader, nvml_module=FakeNvml([]))
    rapl = next(p for p in found.probes if p.backend == "rapl")
    assert not rapl.available
    assert rapl.fix is not None
    assert "udev" in rapl.fix or "chmod" in rapl.fix
    methods = {c.id: c.method for s in found.sensors for c in s.components()}
    assert methods == {"cpu": "modeled", "ram": "modeled"}


def test_gpu_counters_and_process_attribution(tmp_path: Path) -> None:
    me = os.getpid()
    nvml = FakeNvml(
        [
            FakeGpu(uuid="GPU-aaaa", energy_mj=0, pids=[me]),
            FakeGpu(uuid="GPU-bbbb", energy_mj=0, pids=[1]),  # a live process not ours
        ]
    )
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0)
    found = discover(rapl_root=tree.root, rapl_reader=tree.reader, nvml_module=nvml)
    gpus = [c for s in found.sensors for c in s.components() if c.kind == "gpu"]
    assert [(c.id, c.method) for c in gpus] == [("gpu:0", "counter"), ("gpu:1", "counter")]

    meter = Meter(found.sensors, interval_s=0.01)
    meter.track_pids(lambda: {me})
    meter.begin("w")
    nvml.gpus[0].energy_mj = 50_000  # from 0: 50 J on the GPU our process runs on
    nvml.gpus[1].energy_mj = 20_000  # from 0: 20 J on a GPU used by someone else
    tree.advance("cpu:package-0", 3_000_000)
    result = meter.end("w")
    meter.close()
    by_id = {c.id: c for c in result.components}
    assert by_id["gpu:0"].energy_j == pytest.approx(50.0)
    assert by_id["gpu:0"].attributed_energy_j == pytest.approx(50.0)
    assert by_id["gpu:1"].energy_j == pytest.approx(20.0)
    assert by_id["gpu:1"].attributed_energy_j == pytest.approx(0.0)
    assert by_id["cpu:package-0"].energy_j == pytest.approx(3.0)
    assert result.methods == ["counter"]


def test_doctor_reports_every_backend(cli: Any) -> None:
    result = cli("doctor", "--json")
    assert result.exit_code == 0
    data = result.json()
    backends = [b["backend"] for b in data["backends"]]
    assert backends[:3] == ["nvml", "amdsmi", "rapl"]  # the documented probe order
    for backend in data["backends"]:
        assert backend["reason"]
    if not Path("/sys/class/powercap").exists():
        rapl = data["backends"][2]
        assert not rapl["available"]
        assert "powercap" in rapl["reason"]
        assert data["methods"]["cpu"] == "modeled"
        assert data["fully_measured"] is False
    human = cli("doctor")
    assert human.exit_code == 0
    assert "rapl" in human.stdout


def test_model_without_proc_is_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattlens.sensors import procfs

    def no_proc(*args: object) -> object:
        raise FileNotFoundError(2, "No such file or directory", "/proc/stat")

    monkeypatch.setattr(procfs, "machine_cpu_times", no_proc)
    found = discover(rapl_root=tmp_path / "none", nvml_module=FakeNvml([]))
    model = next(p for p in found.probes if p.backend == "model")
    assert not model.available
    assert "/proc" in model.reason
    assert found.sensors == ()
