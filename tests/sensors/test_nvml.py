"""NvmlSensor against a faithful fake of nvidia-ml-py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fakes import fake_pynvml as fn
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml, add_mj
from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Sensor
from wattlens.sensors.nvml import NvmlSensor, probe_nvml, visible_nvml_indices

UUIDS = [
    "GPU-aaaaaaaa-0000-0000-0000-000000000000",
    "GPU-bbbbbbbb-0000-0000-0000-000000000000",
    "GPU-cccccccc-0000-0000-0000-000000000000",
]


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def three_gpus() -> list[FakeGpu]:
    return [
        FakeGpu(name=b"NVIDIA H100 80GB HBM3", uuid=UUIDS[0], energy_mj=10_000),
        FakeGpu(name="NVIDIA A100-SXM4-40GB", uuid=UUIDS[1], energy_mj=0),
        FakeGpu(name="Tesla P100-PCIE-16GB", uuid=UUIDS[2], energy_mj=None, power_mw=50_000),
    ]


def sensor_for(gpus: list[FakeGpu], visible: str | None = None, **kw: object) -> NvmlSensor:
    env = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    return NvmlSensor(nvml_module=FakeNvml(gpus), environ=env, **kw)  # type: ignore[arg-type]


def test_nothing_imports_pynvml_at_import_time() -> None:
    code = "import sys, wattlens.sensors.nvml; print('pynvml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_counter_and_power_only_gpus() -> None:
    sensor = sensor_for(three_gpus())
    assert isinstance(sensor, Sensor)
    comps = sensor.components()
    assert [c.id for c in comps] == ["gpu:0", "gpu:1", "gpu:2"]
    assert [c.name for c in comps] == [
        "NVIDIA H100 80GB HBM3",  # bytes from old nvidia-ml-py are decoded
        "NVIDIA A100-SXM4-40GB",
        "Tesla P100-PCIE-16GB",
    ]
    assert [c.method for c in comps] == ["counter", "counter", "sampled"]
    assert {c.sensor for c in comps} == {"nvml"}
    assert "nvmlDeviceGetTotalEnergyConsumption" in comps[0].basis
    assert "nvmlDeviceGetPowerUsage" in comps[2].basis
    assert sensor.needs_polling  # one GPU is power-only


def test_all_counter_gpus_need_no_polling() -> None:
    assert not sensor_for(three_gpus()[:2]).needs_polling


def test_counter_energy_deltas_are_exact_joules() -> None:
    gpus = three_gpus()[:2]
    sensor = sensor_for(gpus)
    before = sensor.read()
    add_mj(gpus[0], 123_456)  # 123.456 J
    add_mj(gpus[1], 1)  # 1 mJ
    gpus[0].power_mw = 412_345
    after = sensor.read()
    assert after.energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(123.456, abs=1e-9)
    assert after.energy_j["gpu:1"] - before.energy_j["gpu:1"] == pytest.approx(0.001, abs=1e-12)
    assert after.power_w["gpu:0"] == pytest.approx(412.345)


def test_counter_reset_adds_the_new_value_only_when_physically_possible() -> None:
    clock = Clock()
    gpus = [FakeGpu(uuid=UUIDS[0], energy_mj=900_000)]
    sensor = sensor_for(gpus, clock=clock)
    first = sensor.read().energy_j["gpu:0"]
    clock.now += 10.0
    gpus[0].energy_mj = 2_500  # reset, then 2.5 J in 10 s: possible
    second = sensor.read()
    assert second.energy_j["gpu:0"] - first == pytest.approx(2.5)
    assert second.faults["gpu:0"][0] == 1
    assert "went back" in second.faults["gpu:0"][1]


def test_backward_glitch_does_not_add_the_whole_raw_counter() -> None:
    # F11: 72.5 kJ back in 1 ms is no reset; it used to add all 72.5 kJ at once.
    clock = Clock()
    gpus = [FakeGpu(uuid=UUIDS[0], energy_mj=72_686_713)]
    sensor = sensor_for(gpus, clock=clock)
    first = sensor.read().energy_j["gpu:0"]
    clock.now += 0.001
    gpus[0].energy_mj = 72_473_240
    assert sensor.read().energy_j["gpu:0"] == first
    clock.now += 1.0
    add_mj(gpus[0], 300)  # counting resumes from the glitched value
    assert sensor.read().energy_j["gpu:0"] - first == pytest.approx(0.3)


def test_sampled_integration_equals_trapezoid_of_the_power_trace() -> None:
    clock = Clock()
    gpus = [FakeGpu(uuid=UUIDS[0], energy_mj=None, power_mw=100_000)]
    sensor = sensor_for(gpus, clock=clock)
    start = sensor.read().energy_j["gpu:0"]  # t = 1000 s, 100 W
    trace = [(0.5, 150_000), (1.0, 300_000), (0.25, 300_000), (2.0, 50_000)]  # (dt s, mW)
    expected = 0.0
    previous_w = 100.0
    for dt, mw in trace:
        clock.now += dt
        gpus[0].power_mw = mw
        reading = sensor.read()
        expected += (previous_w + mw / 1e3) / 2 * dt
        previous_w = mw / 1e3
        assert reading.energy_j["gpu:0"] - start == pytest.approx(expected, rel=1e-12)
        assert reading.power_w["gpu:0"] == pytest.approx(mw / 1e3)
        assert reading.timestamp_s == clock.now
    # 0.5*(100+150)/2 + 1*(150+300)/2 + 0.25*300 + 2*(300+50)/2 = 62.5+225+75+350
    assert expected == pytest.approx(712.5)


@pytest.mark.parametrize(
    ("visible", "expected_uuids"),
    [
        ("2,0", [UUIDS[2], UUIDS[0]]),
        ("1", [UUIDS[1]]),
        (UUIDS[1], [UUIDS[1]]),
        ("GPU-cccc", [UUIDS[2]]),  # a unique UUID prefix, as CUDA accepts
        (f"{UUIDS[2]},0", [UUIDS[2], UUIDS[0]]),
        ("0,7,1", [UUIDS[0]]),  # CUDA stops at the first invalid entry
        ("1,1", [UUIDS[1]]),
    ],
)
def test_cuda_visible_devices_picks_and_renumbers(visible: str, expected_uuids: list[str]) -> None:
    sensor = sensor_for(three_gpus(), visible)
    comps = sensor.components()
    assert [c.id for c in comps] == [f"gpu:{i}" for i in range(len(expected_uuids))]
    for comp, uuid in zip(comps, expected_uuids, strict=True):
        assert uuid in comp.basis


def test_cuda_visible_devices_ignores_mig_entries_with_a_note() -> None:
    notes: list[str] = []
    assert visible_nvml_indices("MIG-1234,1", UUIDS, notes) == [1]
    assert any("MIG-1234" in n and "MIG" in n for n in notes)


@pytest.mark.parametrize("visible", ["", "-1", "NoDevFiles"])
def test_cuda_visible_devices_hiding_everything_is_a_sensor_error(visible: str) -> None:
    with pytest.raises(SensorError, match="no NVIDIA GPU") as info:
        sensor_for(three_gpus(), visible)
    assert "CUDA_VISIBLE_DEVICES" in info.value.message


def test_gpu_with_neither_energy_nor_power_is_skipped_with_a_note() -> None:
    gpus = [*three_gpus()[:1], FakeGpu(uuid=UUIDS[1], energy_mj=None, power_mw=None)]
    sensor = sensor_for(gpus)
    assert [c.id for c in sensor.components()] == ["gpu:0"]
    assert any("gpu:1" in n for n in sensor.notes)


@pytest.mark.parametrize(
    ("error", "kind", "hint_word"),
    [
        (fn.NVMLError_LibraryNotFound(), SensorError, "libnvidia-ml"),
        (fn.NVMLError_DriverNotLoaded(), SensorError, "nvidia-smi"),
        (fn.NVMLError_NoPermission(), SensorPermissionError, "/dev/nvidia"),
        (fn.NVMLError_LibRmVersionMismatch(), SensorError, "reboot"),
        (fn.NVMLError(fn.NVML_ERROR_UNKNOWN), SensorError, None),
    ],
)
def test_init_errors_are_translated_with_hints(
    error: Exception, kind: type[SensorError], hint_word: str | None
) -> None:
    with pytest.raises(kind) as info:
        NvmlSensor(nvml_module=FakeNvml(three_gpus(), init_error=error), environ={})
    assert type(info.value) is kind
    assert isinstance(info.value.__cause__, fn.NVMLError)
    if hint_word is None:
        assert info.value.hint is None
    else:
        assert hint_word in (info.value.hint or "")


def test_gpu_lost_while_reading_holds_its_energy_and_counts_a_fault() -> None:
    gpus = three_gpus()[:2]
    sensor = sensor_for(gpus)
    before = sensor.read()
    add_mj(gpus[0], 5_000)
    add_mj(gpus[1], 7_000)
    gpus[0].errors["nvmlDeviceGetTotalEnergyConsumption"] = fn.NVMLError_GpuIsLost()
    after = sensor.read()  # used to raise and lose the other GPU too
    assert after.energy_j["gpu:0"] == before.energy_j["gpu:0"]
    assert after.energy_j["gpu:1"] - before.energy_j["gpu:1"] == pytest.approx(7.0)
    count, reason = after.faults["gpu:0"]
    assert count == 1
    assert "GPU is lost" in reason
    assert "Xid" in reason
    assert "gpu:1" not in after.faults


def test_transient_error_is_a_fault_and_the_counter_catches_up() -> None:
    gpus = three_gpus()[:1]
    sensor = sensor_for(gpus)
    before = sensor.read()
    gpus[0].fail_next["nvmlDeviceGetTotalEnergyConsumption"] = [fn.NVMLError(fn.NVML_ERROR_UNKNOWN)]
    add_mj(gpus[0], 4_000)
    assert sensor.read().energy_j["gpu:0"] == before.energy_j["gpu:0"]
    add_mj(gpus[0], 1_000)
    after = sensor.read()
    assert after.energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(5.0)
    assert after.faults["gpu:0"][0] == 1


def test_counter_not_supported_mid_run_falls_back_to_power() -> None:
    clock = Clock()
    gpus = [FakeGpu(uuid=UUIDS[0], energy_mj=0, power_mw=200_000)]
    sensor = sensor_for(gpus, clock=clock)
    assert not sensor.needs_polling
    clock.now += 1.0
    add_mj(gpus[0], 150_000)
    assert sensor.read().energy_j["gpu:0"] == pytest.approx(150.0)
    gpus[0].errors["nvmlDeviceGetTotalEnergyConsumption"] = fn.NVMLError_NotSupported()
    clock.now += 2.0
    switched = sensor.read()
    assert switched.energy_j["gpu:0"] == pytest.approx(150.0)
    assert "power samples" in switched.faults["gpu:0"][1]
    assert sensor.needs_polling
    clock.now += 2.0
    assert sensor.read().energy_j["gpu:0"] == pytest.approx(150.0 + 400.0)


def test_power_query_errors_never_fail_a_counter_gpu() -> None:
    # F15: power is a courtesy on counter GPUs; any error there used to fail the read.
    class BoomError(RuntimeError):
        pass

    gpus = three_gpus()[:2]
    sensor = sensor_for(gpus)
    gpus[0].errors["nvmlDeviceGetPowerUsage"] = fn.NVMLError(fn.NVML_ERROR_UNKNOWN)
    gpus[1].errors["nvmlDeviceGetPowerUsage"] = BoomError()
    add_mj(gpus[0], 1_000)
    reading = sensor.read()
    assert reading.power_w == {}
    assert reading.faults == {}
    assert reading.energy_j["gpu:0"] == pytest.approx(11.0)


def test_non_nvml_errors_from_the_energy_query_are_not_swallowed() -> None:
    class BoomError(RuntimeError):
        pass

    gpus = three_gpus()[:1]
    sensor = sensor_for(gpus)
    gpus[0].errors["nvmlDeviceGetTotalEnergyConsumption"] = BoomError()
    with pytest.raises(BoomError):
        sensor.read()


def test_implausible_power_of_a_sampled_gpu_is_a_fault() -> None:
    clock = Clock()
    gpus = [FakeGpu(uuid=UUIDS[0], energy_mj=None, power_mw=100_000)]
    sensor = sensor_for(gpus, clock=clock)
    clock.now += 1.0
    gpus[0].power_mw = 65_535_000
    reading = sensor.read()
    assert reading.energy_j["gpu:0"] == 0.0
    assert "not plausible" in reading.faults["gpu:0"][1]


def test_close_shuts_nvml_down_once() -> None:
    module = FakeNvml(three_gpus())
    sensor = NvmlSensor(nvml_module=module, environ={})
    assert module.init_count == 1
    sensor.close()
    sensor.close()
    assert module.init_count == 0
    assert module.calls.count("nvmlShutdown") == 1


def test_failed_discovery_still_shuts_nvml_down() -> None:
    module = FakeNvml(three_gpus())
    with pytest.raises(SensorError):
        NvmlSensor(nvml_module=module, environ={"CUDA_VISIBLE_DEVICES": ""})
    assert module.init_count == 0


def test_failed_first_read_still_shuts_nvml_down() -> None:
    module = FakeNvml(three_gpus())
    module.gpus[1].errors["nvmlDeviceGetTotalEnergyConsumption"] = fn.NVMLError_GpuIsLost()
    with pytest.raises(SensorError, match="GPU is lost"):
        NvmlSensor(nvml_module=module, environ={})
    assert module.init_count == 0


@pytest.fixture
def attribution_gpus() -> list[FakeGpu]:
    return [
        FakeGpu(uuid=UUIDS[0], pids=[]),  # idle
        FakeGpu(uuid=UUIDS[1], pids=[100, 101]),  # all ours
        FakeGpu(uuid=UUIDS[2], pids=[200]),  # someone else's
        FakeGpu(  # shared: ours 100 has 30+10 SM-%, theirs 200 has 60
            uuid="GPU-dddd",
            pids=[100, 200],
            util_samples=[(100, 10, 30), (200, 11, 60), (100, 12, 10)],
        ),
        FakeGpu(uuid="GPU-eeee", pids=[101, 300], util_samples=None),  # shared, no samples
    ]


def test_attribution_rules(attribution_gpus: list[FakeGpu]) -> None:
    sensor = sensor_for(attribution_gpus, pid_exists=lambda pid: True)
    shares = sensor.attribution({100, 101})
    assert shares == {
        "gpu:0": 0.0,
        "gpu:1": 1.0,
        "gpu:2": 0.0,
        "gpu:3": pytest.approx(40 / 100),
        "gpu:4": None,
    }
    # No new sample since the last call -> NOT_FOUND: the last measured share holds
    # (F12: it used to read None, which blanked attribution).
    assert sensor.attribution({100, 101})["gpu:3"] == pytest.approx(0.4)
    attribution_gpus[3].util_samples = [(100, 20, 5), (200, 21, 15)]
    assert sensor.attribution({100})["gpu:3"] == pytest.approx(0.25)


def test_probe_lists_gpus_and_counters() -> None:
    probe = probe_nvml(FakeNvml(three_gpus()), environ={})
    assert probe.available
    assert [c.id for c in probe.components] == ["gpu:0", "gpu:1", "gpu:2"]
    assert "gpu:2 Tesla P100-PCIE-16GB (sampled)" in probe.reason
    assert "(counter)" in probe.reason


def test_probe_without_pynvml_says_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    probe = probe_nvml()
    assert not probe.available
    assert "not installed" in probe.reason
    assert probe.fix is not None
    assert "wattlens[nvidia]" in probe.fix


def test_probe_library_not_found() -> None:
    probe = probe_nvml(FakeNvml([], init_error=fn.NVMLError_LibraryNotFound()), environ={})
    assert not probe.available
    assert "Library Not Found" in probe.reason
    assert probe.fix is not None
    assert "driver" in probe.fix


def test_probe_no_gpus() -> None:
    probe = probe_nvml(FakeNvml([]), environ={})
    assert not probe.available
    assert "no NVIDIA GPU" in probe.reason


def test_probe_never_raises_on_unexpected_errors() -> None:
    module = FakeNvml(three_gpus())
    module.gpus[0].errors["nvmlDeviceGetName"] = RuntimeError("weird")
    probe = probe_nvml(module, environ={})
    assert not probe.available
    assert "weird" in probe.reason


def test_library_mismatch_in_the_process_query_is_an_unknown_share() -> None:
    # F13: NVMLLibraryMismatchError is not an NVMLError and used to escape.
    gpus = [FakeGpu(uuid=UUIDS[0], pids=[1])]
    sensor = sensor_for(gpus)
    gpus[0].errors["nvmlDeviceGetComputeRunningProcesses"] = fn.driver_535_98_mismatch()
    assert sensor.attribution({1}) == {"gpu:0": None}


def test_host_pids_seen_from_a_container_are_unknown_not_zero() -> None:
    # F7: NVML lists host PIDs; in a container they are not in /proc.
    gpus = [FakeGpu(uuid=UUIDS[0], pids=[812345]), FakeGpu(uuid=UUIDS[1], pids=[4242])]
    visible = {4242}
    sensor = sensor_for(gpus, pid_exists=lambda pid: pid in visible)
    assert sensor.attribution({7, 8}) == {"gpu:0": None, "gpu:1": 0.0}


def test_utilisation_pids_of_another_namespace_are_unknown() -> None:
    # Process list in the container's namespace, samples in the host's (HAMi-core#112).
    gpus = [FakeGpu(uuid=UUIDS[0], pids=[7, 300], util_samples=[(812345, 5, 90), (9999, 6, 10)])]
    sensor = sensor_for(gpus, pid_exists=lambda pid: True)
    assert sensor.attribution({7}) == {"gpu:0": None}


def test_devices_the_cgroup_hides_are_skipped_and_not_numbered() -> None:
    # F14: "Insufficient Permissions" on one device used to lose every GPU.
    gpus = three_gpus()[:2]
    gpus[0].open_error = fn.NVMLError_NoPermission()
    sensor = sensor_for(gpus)
    comps = sensor.components()
    assert [c.id for c in comps] == ["gpu:0"]
    assert UUIDS[1] in comps[0].basis
    assert any("NVML device 0" in n and "Insufficient Permissions" in n for n in sensor.notes)


def test_mig_instance_measures_its_parent_gpu_shared_and_unattributed() -> None:
    # F17: a MIG-only CUDA_VISIBLE_DEVICES used to measure nothing and say nothing.
    gpus = three_gpus()[:2]
    gpus[1].mig_uuids = ["MIG-1111", "MIG-2222"]
    gpus[1].pids = [1]
    sensor = sensor_for(gpus, "MIG-2222")
    comps = sensor.components()
    assert [c.id for c in comps] == ["gpu:0"]
    assert UUIDS[1] in comps[0].basis
    assert "MIG" in comps[0].basis
    assert any("MIG" in w and "gpu:0" in w for w in sensor.warnings)
    assert sensor.attribution({1}) == {"gpu:0": None}


def test_unknown_mig_instance_stops_the_list_with_a_note() -> None:
    sensor = sensor_for(three_gpus(), "0,MIG-9999,1")
    assert [c.id for c in sensor.components()] == ["gpu:0"]
    assert any("MIG-9999" in n for n in sensor.notes)


def test_gpu_in_mig_mode_is_flagged_even_without_a_mig_entry() -> None:
    gpus = three_gpus()[:1]
    gpus[0].mig_uuids = ["MIG-1111"]
    gpus[0].pids = [1]
    sensor = sensor_for(gpus)
    assert sensor.attribution({1}) == {"gpu:0": None}
    assert sensor.warnings


def test_superchip_counter_is_a_module_not_a_gpu() -> None:
    # F9: GH200's counter covers GPU, CPU and memory.
    sensor = sensor_for([FakeGpu(name="NVIDIA GH200 480GB", uuid=UUIDS[0])])
    (comp,) = sensor.components()
    assert comp.kind == "module"
    assert "CPU" in comp.basis
    assert any("superchip" in w for w in sensor.warnings)


def test_mixed_models_without_pci_bus_order_warn() -> None:
    assert sensor_for(three_gpus()).warnings
    env = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    sensor = NvmlSensor(nvml_module=FakeNvml(three_gpus()), environ=env)
    assert sensor.warnings == []


def test_counter_specs_state_width_resolution_and_update_period() -> None:
    specs = {s.component_id: s for s in sensor_for(three_gpus()).counter_specs()}
    assert specs["gpu:0"].width_bits == 64
    assert specs["gpu:0"].resolution_j == pytest.approx(1e-3)
    assert specs["gpu:0"].update_period_s == pytest.approx(0.1)
    assert specs["gpu:0"].attribution
    assert specs["gpu:2"].width_bits is None
    assert specs["gpu:2"].source.startswith("sampled")


@pytest.mark.parametrize("driver", ["535.98", "535.43"])
def test_broken_process_queries_of_r535_drivers_give_unknown_shares(driver: str) -> None:
    gpus = [FakeGpu(uuid=UUIDS[0], pids=[os.getpid()])]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus, driver=driver), environ={})
    assert sensor.attribution({os.getpid()}) == {"gpu:0": None}


def test_gb200_modules_sharing_one_grace_cpu_are_said_to_share_it() -> None:
    # Two GB200 GPUs share one Grace CPU; each module counter was reported as if it were
    # the only one, with nothing said of the CPU both may include.
    gpus = [FakeGpu(name="NVIDIA GB200", uuid=f"GPU-{i}") for i in "ab"]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={})
    assert [c.kind for c in sensor.components()] == ["module", "module"]
    shared = [w for w in sensor.warnings if "Grace CPU" in w]
    assert shared == [
        "gpu:0 and gpu:1 are GPU modules of superchips that pair two GPUs with one Grace CPU: "
        "NVML does not document which module's energy includes the shared CPU and its "
        "memory, so the module total may count the CPU twice, or bill a one-GPU job "
        "for a CPU it shares"
    ]


def test_one_visible_gb200_says_its_grace_cpu_is_shared() -> None:
    gpus = [FakeGpu(name="NVIDIA GB200", uuid=f"GPU-{i}") for i in "ab"]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={"CUDA_VISIBLE_DEVICES": "1"})
    (shared,) = [w for w in sensor.warnings if "Grace CPU" in w]
    assert shared.startswith("gpu:0 is a GPU module of a superchip that pairs two GPUs")


def test_gh200_has_its_own_grace_cpu() -> None:
    sensor = NvmlSensor(
        nvml_module=FakeNvml([FakeGpu(name="NVIDIA GH200 480GB", uuid="GPU-a")]), environ={}
    )
    assert not any("pairs two GPUs" in w for w in sensor.warnings)
