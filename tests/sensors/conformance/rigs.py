"""One rig per backend: a real sensor over its fake, and the hands to drive the fake.

A rig loads a component with a known energy over a known time, makes its
reads fail and recover, and (where the hardware can) makes its counter wrap
or step back, so that the same contract tests run over every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes import fake_amdsmi as fa
from tests.fakes import fake_pynvml as fn
from tests.fakes.fake_amdsmi import FakeAmdGpu, FakeAmdSmi
from tests.fakes.fake_pynvml import FakeGpu, FakeNvml
from tests.fakes.powercap import FakePowercap
from wattlens.sensors.amdsmi import AmdSmiSensor
from wattlens.sensors.base import Sensor
from wattlens.sensors.nvml import NvmlSensor
from wattlens.sensors.rapl import RaplSensor

AMD_API_FAILED = 7  # AMDSMI_STATUS_API_FAILED: not transient, so no retry hides it


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    name: str
    sensor: Sensor
    clock: Clock
    method: str
    """``counter`` (energy survives a failed read) or ``sampled`` (it is approximated)."""
    load: Callable[[str, float, float], None]
    """Add ``joules`` to a component over ``seconds`` (moves the clock)."""
    fail: Callable[[str], None]
    recover: Callable[[str], None]
    wrap_j: float | None = None
    """Energy of one counter wrap, where the counter wraps."""
    glitch: Callable[[str], None] | None = None
    """Step the counter back a little, as glitching hardware does."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.sensor.components()]


def _rapl(tmp: Path, *, mirrored: bool) -> Rig:
    tree = FakePowercap(tmp / "powercap")
    max_range = 10_000_000_000  # 10 kJ: wraps within a test
    if mirrored:
        tree.add_multi_die_package(0, 2, energy_uj=max_range - 5_000_000, max_range_uj=max_range)
    else:
        tree.add_package(
            0,
            energy_uj=max_range - 5_000_000,
            max_range_uj=max_range,
            dram_energy_uj=123,
            dram_max_range_uj=max_range,
        )
    sensor = RaplSensor(tree.root, reader=tree.reader)
    clock = Clock()

    def load(cid: str, joules: float, seconds: float) -> None:
        tree.advance(cid, round(joules * 1e6))
        clock.now += seconds

    def fail(cid: str) -> None:
        tree.deny(cid)

    def recover(cid: str) -> None:
        tree.denied.discard(tree.zones[cid].path / "energy_uj")

    name = "rapl-amd-multi-die" if mirrored else "rapl"
    return Rig(name, sensor, clock, "counter", load, fail, recover, wrap_j=max_range / 1e6)


def _nvml(tmp: Path, *, counter: bool) -> Rig:
    clock = Clock()
    gpus = [
        FakeGpu(uuid=f"GPU-{i}", energy_mj=5_000_000 if counter else None, power_mw=0)
        for i in range(2)
    ]
    sensor = NvmlSensor(nvml_module=FakeNvml(gpus), environ={}, clock=clock)
    fn_name = "nvmlDeviceGetTotalEnergyConsumption" if counter else "nvmlDeviceGetPowerUsage"

    def gpu(cid: str) -> FakeGpu:
        return gpus[int(cid.split(":")[1])]

    def load(cid: str, joules: float, seconds: float) -> None:
        g = gpu(cid)
        if not counter:
            sensor.read()  # close the segment at the old powers
        for other in gpus:
            other.power_mw = 0  # idle unless loaded
        g.power_mw = round(joules / seconds * 1e3)
        if counter:
            assert g.energy_mj is not None
            g.energy_mj += round(joules * 1e3)
        else:
            sensor.read()  # the power steps now; the trapezoid is exact for a step
        clock.now += seconds

    def fail(cid: str) -> None:
        gpu(cid).errors[fn_name] = fn.NVMLError(fn.NVML_ERROR_UNKNOWN)

    def recover(cid: str) -> None:
        gpu(cid).errors.pop(fn_name, None)

    def glitch(cid: str) -> None:
        g = gpu(cid)
        assert g.energy_mj is not None
        g.energy_mj -= 20_000
        clock.now += 0.001

    name = "nvml-counter" if counter else "nvml-sampled"
    return Rig(
        name,
        sensor,
        clock,
        "counter" if counter else "sampled",
        load,
        fail,
        recover,
        glitch=glitch if counter else None,
        closers=[sensor.close],
    )


def _amd(tmp: Path, *, kind: str) -> Rig:
    clock = Clock()
    if kind == "sampled":
        gpus = [
            FakeAmdGpu(market_name="AMD Instinct MI250X", energy_ticks=None, power_w=0,
                       current_supported=False)
            for _ in range(2)
        ]  # fmt: skip
        module = FakeAmdSmi(gpus, version="6.1")  # raw 0xFFFF for unsupported fields
    else:
        bits = 32 if kind == "counter-32" else 64
        start = 2**32 - 1_000_000 if bits == 32 else 2**40
        gpus = [
            FakeAmdGpu(
                market_name="AMD Radeon RX 7900 XTX",
                energy_ticks=start,
                counter_bits=bits,
                power_w=0,  # idle: the counter is checked against power once
            )
            for _ in range(2)
        ]
        module = FakeAmdSmi(gpus)
    sensor = AmdSmiSensor(amdsmi_module=module, clock=clock, environ={})
    fn_name = "amdsmi_get_power_info" if kind == "sampled" else "amdsmi_get_energy_count"

    def gpu(cid: str) -> FakeAmdGpu:
        return gpus[int(cid.split(":")[1])]

    def load(cid: str, joules: float, seconds: float) -> None:
        g = gpu(cid)
        if kind == "sampled":
            sensor.read()  # close the segment at the old powers
        for other in gpus:
            other.power_w = 0  # idle unless loaded
        g.power_w = round(joules / seconds)  # whole watts, as the library reports
        if kind == "sampled":
            sensor.read()
        else:
            g.add_energy_j(joules)
        clock.now += seconds

    def fail(cid: str) -> None:
        gpu(cid).errors[fn_name] = fa.AmdSmiLibraryException(AMD_API_FAILED)

    def recover(cid: str) -> None:
        gpu(cid).errors.pop(fn_name, None)

    def glitch(cid: str) -> None:
        g = gpu(cid)
        assert g.energy_ticks is not None
        g.energy_ticks -= 1_000_000 if g.energy_ticks > 2**32 else 10
        clock.now += 0.001

    wrap_j = 2**32 * 15.3e-6 if kind == "counter-32" else None
    return Rig(
        f"amdsmi-{kind}",
        sensor,
        clock,
        "sampled" if kind == "sampled" else "counter",
        load,
        fail,
        recover,
        wrap_j=wrap_j,
        glitch=None if kind == "sampled" else glitch,
        closers=[sensor.close],
    )


BUILDERS: dict[str, Callable[[Path], Rig]] = {
    "rapl": lambda tmp: _rapl(tmp, mirrored=False),
    "rapl-amd-multi-die": lambda tmp: _rapl(tmp, mirrored=True),
    "nvml-counter": lambda tmp: _nvml(tmp, counter=True),
    "nvml-sampled": lambda tmp: _nvml(tmp, counter=False),
    "amdsmi-counter-64": lambda tmp: _amd(tmp, kind="counter-64"),
    "amdsmi-counter-32": lambda tmp: _amd(tmp, kind="counter-32"),
    "amdsmi-sampled": lambda tmp: _amd(tmp, kind="sampled"),
}
WRAPPING = ["rapl", "rapl-amd-multi-die", "amdsmi-counter-32"]
GLITCHING = ["nvml-counter", "amdsmi-counter-64", "amdsmi-counter-32"]
