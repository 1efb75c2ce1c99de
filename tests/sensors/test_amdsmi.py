"""AmdSmiSensor against a faithful fake of the amdsmi package."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fakes import fake_amdsmi as fa
from tests.fakes.fake_amdsmi import FakeAmdGpu, FakeAmdSmi, add_ticks
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
    add_ticks(gpu, 4_000_000)  # × 15.25 µJ = 61 J
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


def test_error_while_reading_is_translated_into_a_fault() -> None:
    gpu = FakeAmdGpu()
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    gpu.errors["amdsmi_get_energy_count"] = fa.AmdSmiLibraryException(fa.AMDSMI_STATUS_NO_PERM)
    count, reason = sensor.read().faults["gpu:0"]
    assert count == 1
    assert "render" in reason  # the hint of the permission error


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


@pytest.mark.parametrize("version", ["6.1", "6.2", "6.3", "6.4", "7.0"])
def test_mi200_power_only_gpu_integrates_the_average_in_every_library_version(
    version: str,
) -> None:
    # F5: amdsmi 6.0/6.1 fill unsupported fields with 0xFFFF, which read as 65 535 W.
    clock = Clock()
    gpu = FakeAmdGpu(energy_ticks=None, power_w=210, current_supported=False)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu], version=version), clock=clock)
    start = sensor.read().energy_j["gpu:0"]
    clock.now += 10.0
    reading = sensor.read()
    assert reading.power_w == {"gpu:0": 210.0}
    assert reading.energy_j["gpu:0"] - start == pytest.approx(2_100.0)


@pytest.mark.parametrize("version", ["6.1", "6.2", "6.3", "6.4", "7.0"])
def test_counter_is_read_in_every_library_version(version: str) -> None:
    gpu = FakeAmdGpu(market_name="AMD Radeon PRO W7900", energy_ticks=5, power_w=None)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu], version=version))
    before = sensor.read()
    gpu.energy_ticks = 5 + 1_000_000  # × 15.3 µJ
    assert sensor.read().energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(15.3)


def test_power_above_the_plausible_ceiling_is_rejected() -> None:
    gpu = FakeAmdGpu(energy_ticks=None, power_w=65_535)
    with pytest.raises(SensorError, match="no AMD GPU"):
        AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))


def test_32_bit_accumulator_wraps_are_counted() -> None:
    # F4: RDNA SMU tables hold a uint32 accumulator; each wrap used to drop ~65.7 kJ.
    clock = Clock()
    gpu = FakeAmdGpu(
        market_name="AMD Radeon RX 7900 XTX", energy_ticks=4_000_000_000, counter_bits=32
    )
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]), clock=clock)
    assert sensor.max_read_interval_s is not None
    # 2**32 × 15.3 µJ at the 750 W limit, halved: about 43.8 s.
    assert sensor.max_read_interval_s == pytest.approx(2**32 * 15.3e-6 / 750 / 2)
    start = sensor.read().energy_j["gpu:0"]
    total = 0.0
    for _ in range(5):  # 5 × 40 s at 300 W = 60 kJ, across one wrap
        clock.now += 40.0
        gpu.add_energy_j(12_000.0)
        total += 12_000.0
        sensor.read()
    reading = sensor.read()
    assert reading.energy_j["gpu:0"] - start == pytest.approx(total, rel=1e-6)
    assert "gpu:0" not in reading.faults


def test_64_bit_counter_needs_no_cadence() -> None:
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([FakeAmdGpu(energy_ticks=2**40)]))
    assert sensor.max_read_interval_s is None


@pytest.mark.parametrize("sentinel", [0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF])
def test_sentinel_counter_is_not_a_counter(sentinel: int) -> None:
    # F4: the unsupported accumulator reads max-uint with a success status.
    gpu = FakeAmdGpu(energy_ticks=sentinel, power_w=250)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    (comp,) = sensor.components()
    assert comp.method == "sampled"
    assert any(f"{sentinel:#x}" in n for n in sensor.notes)


def test_sentinel_mid_run_is_a_fault_not_a_jump() -> None:
    gpu = FakeAmdGpu(energy_ticks=1_000)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    before = sensor.read()
    gpu.energy_ticks = 0xFFFFFFFF
    after = sensor.read()
    assert after.energy_j == before.energy_j
    assert "not supported" in after.faults["gpu:0"][1]


def test_backward_glitch_adds_nothing() -> None:
    # F11, with the values of ROCm/amdsmi#115: it used to add 72.5 kJ at once.
    clock = Clock()
    gpu = FakeAmdGpu(market_name="AMD Instinct MI210", energy_ticks=4_750_896_266, power_w=None)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]), clock=clock)
    before = sensor.read()
    clock.now += 0.5
    gpu.energy_ticks = 4_736_943_791
    after = sensor.read()
    assert after.energy_j["gpu:0"] == before.energy_j["gpu:0"]
    assert "went back" in after.faults["gpu:0"][1]


def test_stuck_counter_is_replaced_by_integrated_power() -> None:
    # F4: stuck counters (MI100, ROCm/amdsmi#38) used to read 0 J as a "counter".
    clock = Clock()
    gpu = FakeAmdGpu(market_name="AMD Instinct MI100", energy_ticks=123_456, power_w=200)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]), clock=clock)
    start = sensor.read().energy_j["gpu:0"]
    for _ in range(6):
        clock.now += 1.0
        reading = sensor.read()  # 6 s × 200 W = 1.2 kJ of power; the counter never moves
    assert reading.energy_j["gpu:0"] - start == pytest.approx(1_200.0)
    assert "stuck" in reading.faults["gpu:0"][1]
    assert sensor.needs_polling


def test_a_working_counter_passes_the_check() -> None:
    clock = Clock()
    gpu = FakeAmdGpu(energy_ticks=0, power_w=200, counter_resolution_uj=10.0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]), clock=clock)
    for _ in range(12):
        clock.now += 0.5
        add_ticks(gpu, 10_000_000)  # 100 J per 0.5 s
        sensor.read()
    assert sensor.components()[0].method == "counter"
    assert sensor.read().faults == {}


def test_mi300_counter_uses_the_kernel_resolution() -> None:
    # F19: the kernel counts MI300 energy in 2^-16 J; the library says 15.3 µJ.
    gpu = FakeAmdGpu(market_name="AMD Instinct MI300X", energy_ticks=0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    before = sensor.read()
    gpu.energy_ticks = 65_536_000
    assert sensor.read().energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(1000.0)
    assert "15.259" in sensor.components()[0].basis


def test_power_query_errors_never_fail_a_counter_gpu() -> None:
    # F15: ROCm 6.0/6.1 return the power-cap query's status after filling in power.
    gpu = FakeAmdGpu(energy_ticks=0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    gpu.errors["amdsmi_get_power_info"] = fa.AmdSmiLibraryException(fa.AMDSMI_STATUS_INIT_ERROR)
    gpu.energy_ticks = 1_000_000
    reading = sensor.read()
    assert reading.faults == {}
    assert reading.power_w == {}


@pytest.mark.parametrize("code", [fa.AMDSMI_STATUS_BUSY, fa.AMDSMI_STATUS_RETRY])
def test_busy_and_retry_are_retried(code: int) -> None:
    # F16: a suspended Navi GPU answers BUSY (ROCm/rocm-systems#8024).
    gpu = FakeAmdGpu(energy_ticks=0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    gpu.fail_next["amdsmi_get_energy_count"] = [fa.AmdSmiLibraryException(code)]
    gpu.energy_ticks = 2_000_000
    reading = sensor.read()
    assert reading.faults == {}
    assert reading.energy_j["gpu:0"] > 0


def test_lost_init_is_reopened_and_read_again() -> None:
    # F16: NOT_INIT used to be fatal ("create a new sensor").
    gpu = FakeAmdGpu(market_name="AMD Instinct MI210", energy_ticks=0)
    module = FakeAmdSmi([gpu])
    sensor = AmdSmiSensor(amdsmi_module=module)
    before = sensor.read()
    module.lose_init()
    gpu.energy_ticks = 1_000_000
    reading = sensor.read()
    assert reading.faults == {}
    assert reading.energy_j["gpu:0"] - before.energy_j["gpu:0"] == pytest.approx(15.3)
    assert module.init_count == 2


def four_gpus() -> list[FakeAmdGpu]:
    return [FakeAmdGpu(market_name=f"AMD Instinct MI210 #{i}", energy_ticks=0) for i in range(4)]


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, ["#0", "#1", "#2", "#3"]),
        ({"HIP_VISIBLE_DEVICES": "2"}, ["#2"]),
        ({"CUDA_VISIBLE_DEVICES": "3,1"}, ["#3", "#1"]),
        ({"ROCR_VISIBLE_DEVICES": "1,2,3", "HIP_VISIBLE_DEVICES": "1"}, ["#2"]),
        ({"HIP_VISIBLE_DEVICES": "0,9,1"}, ["#0"]),
    ],
)
def test_visibility_variables_pick_and_renumber(env: dict[str, str], names: list[str]) -> None:
    # F8: every GPU of the node used to be billed to the job.
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(four_gpus()), environ=env)
    comps = sensor.components()
    assert [c.id for c in comps] == [f"gpu:{i}" for i in range(len(names))]
    assert [c.name.split()[-1] for c in comps] == names


def test_uuid_visibility_entries_are_a_warning_not_a_guess() -> None:
    env = {"ROCR_VISIBLE_DEVICES": "GPU-4f2d"}
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(four_gpus()), environ=env)
    assert len(sensor.components()) == 4
    assert any("ROCR_VISIBLE_DEVICES" in w for w in sensor.warnings)


def test_gpus_follow_hip_order_where_it_differs_from_amd_smi_order() -> None:
    gpus = four_gpus()
    for gpu, hip in zip(gpus, [1, 0, 3, 2], strict=True):
        gpu.hip_id = hip
    sensor = AmdSmiSensor(
        amdsmi_module=FakeAmdSmi(gpus, version="6.4"), environ={"HIP_VISIBLE_DEVICES": "0"}
    )
    assert [c.name for c in sensor.components()] == ["AMD Instinct MI210 #1"]


def test_id_prefix_keeps_two_vendors_apart() -> None:
    # F18: an AMD iGPU and an NVIDIA dGPU were both gpu:0.
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([FakeAmdGpu()]), id_prefix="gpu:amd")
    assert [c.id for c in sensor.components()] == ["gpu:amd:0"]


def test_import_output_of_amdsmi_is_silenced(
    tmp_path: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # F21: amdsmi prints at import when libamd_smi.so is missing; --json must stay clean.
    from pathlib import Path

    from wattlens.sensors.amdsmi import _load_amdsmi

    root = Path(str(tmp_path))
    (root / "amdsmi.py").write_text("print('Unable to find amdsmi library')\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "amdsmi", raising=False)
    try:
        module = _load_amdsmi()
    finally:
        sys.modules.pop("amdsmi", None)  # the stand-in must not outlive this test
    assert module.__name__ == "amdsmi"
    assert "Unable" not in capfd.readouterr().out


def test_counter_specs() -> None:
    gpus = [
        FakeAmdGpu(energy_ticks=2**40, counter_resolution_uj=15.625),
        FakeAmdGpu(energy_ticks=None),
    ]
    specs = AmdSmiSensor(amdsmi_module=FakeAmdSmi(gpus)).counter_specs()
    assert specs[0].width_bits == 64
    assert specs[0].resolution_j == pytest.approx(15.625e-6)
    assert specs[1].width_bits is None


def test_mi250x_secondary_die_is_labelled_not_a_silent_zero() -> None:
    # F21: Aldebaran reports the package on the primary die; the secondary reads 0 J and
    # 0 W (aldebaran_ppt.c, ROCm/rocm_smi_lib#160) and was listed as a GPU that used 0 J.
    primary = FakeAmdGpu(market_name="AMD Instinct MI250X", energy_ticks=10_000, power_w=300)
    secondary = FakeAmdGpu(market_name="AMD Instinct MI250X", energy_ticks=0, power_w=0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([primary, secondary]))
    first, second = sensor.components()
    assert "secondary die" not in first.basis
    assert "secondary die" in second.basis
    assert "primary die" in second.basis
    (warning,) = sensor.warnings
    assert warning.startswith("gpu:1 (AMD Instinct MI250X) is the secondary die")
    add_ticks(primary, 65_536)
    reading = sensor.read()
    assert reading.energy_j["gpu:1"] == 0.0  # kept as read, and now said to be so


def test_an_idle_mi300x_at_zero_is_not_taken_for_a_secondary_die() -> None:
    gpu = FakeAmdGpu(market_name="AMD Instinct MI300X", energy_ticks=0, power_w=0)
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi([gpu]))
    assert "secondary die" not in sensor.components()[0].basis
    assert sensor.warnings == []


def _cpx_node(n: int = 8) -> list[FakeAmdGpu]:
    socket = FakeAmdGpu(compute_partition="CPX", energy_ticks=5_000_000)
    return [socket] + [
        FakeAmdGpu(compute_partition="CPX", energy_ticks=None, socket=socket) for _ in range(n - 1)
    ]


def test_cpx_partitions_reading_one_socket_counter_are_counted_once() -> None:
    # An MI300X in CPX mode is 8 AMD SMI devices; where they read the socket's counter,
    # the socket's energy was counted 8 times.
    gpus = _cpx_node()
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(gpus))
    (only,) = sensor.components()
    assert only.id == "gpu:0"
    assert "shared by 8 partitions" in only.basis
    before = sensor.read()
    add_ticks(gpus[0], 65_536_000)  # 1 kJ on the socket
    after = sensor.read()
    total = sum(after.energy_j.values()) - sum(before.energy_j.values())
    assert total == pytest.approx(1000.0)
    assert sum("counted once, in gpu:0" in n for n in sensor.notes) == 7
    (warning,) = sensor.warnings
    assert "shared by 8 partitions" in warning


def test_one_visible_cpx_partition_says_its_energy_is_the_whole_socket() -> None:
    gpus = _cpx_node()
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(gpus), environ={"HIP_VISIBLE_DEVICES": "3"})
    (only,) = sensor.components()
    assert "AMD SMI processor 3" in only.basis
    (warning,) = sensor.warnings
    assert warning.startswith("gpu:0 (AMD Instinct MI300X) is a CPX partition")
    assert "partitions this job may not use" in warning


def test_dpx_partitions_with_their_own_counters_are_kept_with_a_warning() -> None:
    gpus = [
        FakeAmdGpu(compute_partition="DPX", energy_ticks=1_000),
        FakeAmdGpu(compute_partition="DPX", energy_ticks=2_000),
    ]
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(gpus))
    assert [c.id for c in sensor.components()] == ["gpu:0", "gpu:1"]
    assert len(sensor.warnings) == 2
    assert all("does not document" in w for w in sensor.warnings)


def test_spx_and_unpartitioned_gpus_say_nothing_of_partitions() -> None:
    gpus = [FakeAmdGpu(compute_partition="SPX", energy_ticks=1_000), FakeAmdGpu(energy_ticks=7)]
    sensor = AmdSmiSensor(amdsmi_module=FakeAmdSmi(gpus))
    assert sensor.warnings == []
    assert not any("partition" in c.basis for c in sensor.components())
