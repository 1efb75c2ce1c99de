"""Discovery rules that span backends: unique ids, superchips, unmeasured GPUs."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.fake_amdsmi import FakeAmdGpu, FakeAmdSmi
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from tests.fakes.powercap import FakePowercap
from wattlens.sensors.discover import discover


def test_two_vendors_never_share_a_component_id(tmp_path: Path) -> None:
    # F18: an AMD iGPU and an NVIDIA dGPU were both gpu:0.
    found = discover(
        rapl_root=tmp_path / "none",
        nvml_module=FakeNvml([FakeGpu(uuid="GPU-a")]),
        amdsmi_module=FakeAmdSmi([FakeAmdGpu(market_name="AMD Radeon Graphics")]),
        use_model=False,
        dev_root=tmp_path,
    )
    ids = [c.id for s in found.sensors for c in s.components()]
    assert ids == ["gpu:0", "gpu:amd:0"]
    assert len(set(ids)) == len(ids)


def test_amd_alone_keeps_plain_ids(tmp_path: Path) -> None:
    found = discover(
        rapl_root=tmp_path / "none",
        nvml_module=FakeNvml([]),
        amdsmi_module=FakeAmdSmi([FakeAmdGpu()]),
        use_model=False,
        dev_root=tmp_path,
    )
    assert [c.id for s in found.sensors for c in s.components()] == ["gpu:0"]


def test_superchip_module_is_not_joined_by_a_cpu_and_ram_model(tmp_path: Path) -> None:
    # F9: Grace has no RAPL, so the model added CPU and RAM on top of the module counter.
    found = discover(
        rapl_root=tmp_path / "none",
        nvml_module=FakeNvml([FakeGpu(name="NVIDIA GH200 480GB", uuid="GPU-a")]),
        amdsmi_module=FakeAmdSmi([]),
        dev_root=tmp_path,
    )
    kinds = [c.kind for s in found.sensors for c in s.components()]
    assert kinds == ["module"]
    assert "model" not in {p.backend for p in found.probes}


def test_rapl_cpu_with_a_module_still_adds_nothing(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, dram=False)
    found = discover(
        rapl_root=tree.root,
        rapl_reader=tree.reader,
        nvml_module=FakeNvml([FakeGpu(name="NVIDIA GB200", uuid="GPU-a")]),
        amdsmi_module=FakeAmdSmi([]),
        dev_root=tmp_path,
    )
    assert "ram" not in [c.id for s in found.sensors for c in s.components()]


def test_gpu_nodes_without_a_backend_are_a_warning(tmp_path: Path) -> None:
    # F16: with ROCm PyTorch, AMD SMI can list no GPU although /dev/kfd exists.
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "kfd").touch()
    (dev / "nvidia0").touch()
    found = discover(
        rapl_root=tmp_path / "none",
        nvml_module=FakeNvml([]),
        amdsmi_module=FakeAmdSmi([]),
        use_model=False,
        dev_root=dev,
    )
    assert any(w.startswith("AMD GPUs are present but not measured") for w in found.warnings)
    assert any(w.startswith("NVIDIA GPUs are present but not measured") for w in found.warnings)


def test_no_gpu_nodes_no_warning(tmp_path: Path) -> None:
    found = discover(
        rapl_root=tmp_path / "none",
        nvml_module=FakeNvml([]),
        amdsmi_module=FakeAmdSmi([]),
        use_model=False,
        dev_root=tmp_path,
    )
    assert found.warnings == ()


def test_mi300a_apu_next_to_rapl_warns_that_cpu_energy_may_be_counted_twice(
    tmp_path: Path,
) -> None:
    # MI300A puts CPU cores and GPU in one package; its socket energy and RAPL's
    # package were summed with nothing said.
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, dram=False)
    found = discover(
        rapl_root=tree.root,
        rapl_reader=tree.reader,
        nvml_module=FakeNvml([]),
        amdsmi_module=FakeAmdSmi([FakeAmdGpu(market_name="AMD Instinct MI300A")]),
        use_model=False,
        dev_root=tmp_path,
    )
    assert found.warnings == (
        "gpu:0 (AMD Instinct MI300A) is an APU: AMD SMI does not document whether its socket "
        "energy includes the CPU cores that cpu:package-0 also counts, so CPU energy may be "
        "counted twice",
    )


def test_mi300x_next_to_rapl_is_no_apu(tmp_path: Path) -> None:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, dram=False)
    found = discover(
        rapl_root=tree.root,
        rapl_reader=tree.reader,
        nvml_module=FakeNvml([]),
        amdsmi_module=FakeAmdSmi([FakeAmdGpu(market_name="AMD Instinct MI300X")]),
        use_model=False,
        dev_root=tmp_path,
    )
    assert found.warnings == ()
