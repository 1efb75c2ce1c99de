"""GPU energy counters as the drivers really deliver them, and their faults.

The vendors' counters are not the clean monotonic registers their documents
suggest:

- **Sentinels.** An unsupported AMD accumulator reads ``UINT32_MAX`` or
  ``UINT64_MAX`` with a success status (rocm_smi pre-fills unsupported
  ``gpu_metrics`` fields with max-uint, ``rocm_smi_gpu_metrics.cc``
  ``init_max_uint_types``; SMU 13.0.7 with PMFW >= 82.20 reports
  ``UINT_MAX``, amd-gfx patch of 2026-02-26).
- **32-bit wraps.** Several Radeon SMU metrics tables declare
  ``uint32_t EnergyAccumulator`` (``SmuMetrics_NV12_t``, the SMU 13.0.7
  table), which the kernel copies unchanged into the 64-bit
  ``gpu_metrics.energy_accumulator``: it wraps at 2**32 ticks (about
  65.7 kJ at 15.3 µJ a tick).
- **Backward glitches.** AMD counters were seen going back
  (4 750 896 266 -> 4 736 943 791 ticks, ROCm/amdsmi#115). An NVML driver
  reload resets the counter, but it also invalidates every handle, so a
  decrease read through a live handle is a glitch too.

:class:`GpuCounter` turns raw values into a cumulative total under these
rules and says, for each anomaly, what it did. A decrease is never booked as
the whole raw counter: it adds the new raw value only when that is
physically possible in the time since the last read (at most
:data:`MAX_PLAUSIBLE_W`), otherwise nothing.

:class:`FaultLog` counts the reads that could not establish a component's
energy; readings carry its snapshot (``Reading.faults``) so that a window
knows whether a fault happened between its begin and its end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from wattlens.errors import SensorError
from wattlens.sensors.base import Component, Reading

UINT32_MAX = 0xFFFF_FFFF
UINT64_MAX = 0xFFFF_FFFF_FFFF_FFFF
SENTINELS = frozenset({UINT32_MAX, UINT64_MAX})

MAX_PLAUSIBLE_W = 3_000.0
"""A ceiling on one GPU's power: the largest boards draw about 1.4 kW
(AMD Instinct MI355X, 1400 W typical board power; NVIDIA B300, 1.4 kW);
anything above twice that is a misread, not a load."""


@dataclass(frozen=True)
class CounterSpec:
    """What one component's energy source can resolve (``wattlens doctor``)."""

    component_id: str
    source: str
    """``counter``, ``sampled`` or ``modeled``, and the query behind it."""
    width_bits: int | None
    """Bits of the hardware counter before it wraps; None when not a counter."""
    resolution_j: float | None
    """The smallest energy step the source reports, in joules."""
    update_period_s: float | None
    """How often the hardware refreshes the value, where documented; None: unknown."""
    update_source: str
    """Where ``update_period_s`` comes from (or why it is unknown)."""
    attribution: bool
    """Whether the energy can be split between processes."""
    max_power_w: float | None = None
    """The highest power the hardware says the component may draw (its power limit)."""


def counter_specs(sensor: object) -> dict[str, CounterSpec]:
    """A sensor's counter specifications by component id (empty when it declares none)."""
    getter = getattr(sensor, "counter_specs", None)
    if getter is None:
        return {}
    return {spec.component_id: spec for spec in getter()}


class FaultLog:
    """Per component: how many reads could not establish its energy, and the last reason.

    Thread-safe; :meth:`snapshot` is what a reading carries.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, tuple[int, str]] = {}

    def record(self, component_id: str, reason: str) -> None:
        with self._lock:
            count = self._faults.get(component_id, (0, ""))[0]
            self._faults[component_id] = (count + 1, reason)

    def record_error(self, component_id: str, exc: SensorError) -> None:
        """Count a failed read, with the error's message and its hint as the reason."""
        self.record(component_id, f"{exc.message} ({exc.hint})" if exc.hint else exc.message)

    def snapshot(self) -> dict[str, tuple[int, str]]:
        with self._lock:
            return dict(self._faults)


class GpuCounter:
    """Cumulative ticks of one GPU energy accumulator, with wraps and glitches handled.

    Args:
        tick_j: joules per counter tick (1e-3 for NVML's millijoules).
        may_wrap_32: whether the counter may be a 32-bit field in a 64-bit
            slot (AMD): a drop from above 2**31 to a lower value below 2**32
            is then a wrap.
        sentinels: whether max-uint values mean "not supported" (AMD); an
            NVML millijoule counter passes through ``UINT32_MAX`` like any value.
    """

    def __init__(
        self, tick_j: float, *, may_wrap_32: bool = False, sentinels: bool = False
    ) -> None:
        self.tick_j = tick_j
        self.may_wrap_32 = may_wrap_32
        self.sentinels = sentinels
        self._last: int | None = None
        self._last_time_s: float | None = None
        self._total = 0
        self.wraps = 0
        self.glitches = 0

    @property
    def total_j(self) -> float:
        return self._total * self.tick_j

    def update(self, raw: int, now_s: float) -> str | None:
        """Feed a raw value read at ``now_s``; return a note when it was not a plain step.

        Raises:
            ValueError: If ``raw`` is a sentinel (the counter is not supported).
        """
        if raw < 0 or (self.sentinels and raw in SENTINELS):
            raise ValueError(f"the counter reads {raw:#x}, the driver's 'not supported' value")
        if self._last is None or self._last_time_s is None:
            self._last, self._last_time_s, self._total = raw, now_s, raw
            return None
        previous, dt = self._last, max(now_s - self._last_time_s, 0.0)
        self._last, self._last_time_s = raw, now_s
        if raw >= previous:
            self._total += raw - previous
            return None
        # A 32-bit field wraps at 2**32; two wraps between reads cannot be told from one
        # (the reader's cadence, max_read_interval_s, prevents that).
        if self.may_wrap_32 and previous > 2**31 and previous <= UINT32_MAX:
            step = raw + 2**32 - previous
            if step * self.tick_j <= MAX_PLAUSIBLE_W * max(dt, 1.0):
                self._total += step
                self.wraps += 1
                return None
        self.glitches += 1
        # After a reset the new raw value is what was used since, if that is possible.
        if raw * self.tick_j <= MAX_PLAUSIBLE_W * dt:
            self._total += raw
            return f"the counter went back ({previous} -> {raw}): read as a reset"
        return f"the counter went back ({previous} -> {raw}): ignored as a glitch"


class PowerIntegral:
    """Energy from power samples by the trapezoid rule ``(P_prev + P_now) / 2 × Δt``.

    Exact for power that changes linearly between samples; otherwise as good
    as the sampling is dense. Not thread-safe: the sensor's lock guards it.

    Args:
        start_j: the energy to count on from (a counter's total when a GPU falls
            back from its counter to power samples).
    """

    def __init__(self, start_j: float = 0.0) -> None:
        self.total_j = start_j
        self.start_s: float | None = None
        self._last_w: float | None = None
        self._last_s: float | None = None

    def add(self, watts: float, now_s: float) -> None:
        """Add the sample ``watts`` taken at ``now_s`` (monotonic seconds)."""
        if self._last_w is not None and self._last_s is not None:
            self.total_j += (self._last_w + watts) / 2 * (now_s - self._last_s)
        else:
            self.start_s = now_s
        self._last_w, self._last_s = watts, now_s


class Part(Protocol):
    """One device of a sensor: its component and its energy so far."""

    component: Component

    @property
    def energy_j(self) -> float: ...


P = TypeVar("P", bound=Part)


def read_parts(
    parts: Sequence[P],
    read_one: Callable[[P, float], float | None],
    faults: FaultLog,
    now_s: float,
    *,
    strict: bool,
) -> Reading:
    """Read every part at one instant; a part that fails is held and counted in ``faults``.

    Args:
        parts: The devices, in component order.
        read_one: Advances one part's energy to ``now_s``; returns its power (W)
            where known; raises :class:`~wattlens.errors.SensorError` when it cannot.
        faults: Where failed reads are counted.
        now_s: The instant of the reading (the parts are read within microseconds).
        strict: Raise instead of holding (the first read, which proves the sensor works).
    """
    energy_j: dict[str, float] = {}
    power_w: dict[str, float] = {}
    for part in parts:
        cid = part.component.id
        try:
            watts = read_one(part, now_s)
        except SensorError as exc:
            if strict:
                raise
            faults.record_error(cid, exc)
            watts = None
        if watts is not None:
            power_w[cid] = watts
        energy_j[cid] = part.energy_j
    return Reading(timestamp_s=now_s, energy_j=energy_j, power_w=power_w, faults=faults.snapshot())
