"""The sensor contract.

A :class:`Sensor` reports **cumulative energy** (joules since an arbitrary
origin) for each of its components. Counter-backed sensors (NVML total
energy, RAPL ``energy_uj``) read a hardware counter; power-only sensors
integrate power samples each time they are polled (``needs_polling``), and
the meter polls them from a background thread; modelled sensors compute
energy from utilisation and catalog figures. Windows are differences of two
readings, so many windows can share one sensor at no extra cost.

Some sensors are only right if they are read often enough: a wrapping counter
must be read more than once per wrap (two wraps between reads look like one),
and modelled RAM energy integrates memory in use between reads. Such a sensor
declares ``max_read_interval_s``; while any measurement window is open over
it, the meter reads it at least that often (see :mod:`wattlens.meter`). Where
a full read does more than those reads need, the sensor may also offer
``keep_up()``, which the meter then calls instead of ``read()`` between the
window edges (the model integrates RAM without listing the process tree).

Every component states its ``method``:

- ``counter``: read from a hardware energy counter;
- ``sampled``: integrated from power samples;
- ``modeled``: computed from a model (TDP × utilisation, W/GB …), with a range.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Method = Literal["counter", "sampled", "modeled"]
ComponentKind = Literal["gpu", "cpu", "dram", "ram", "module", "other"]
"""``module``: a superchip whose one counter covers GPU, CPU and memory (GH200, GB200)."""


@dataclass(frozen=True)
class Component:
    """One thing whose energy is reported: a GPU, a CPU package, DRAM, modelled RAM."""

    id: str
    """Stable within a machine: ``gpu:0``, ``cpu:package-0``, ``dram:package-0``, ``ram``."""
    kind: ComponentKind
    name: str
    """What it is, as the hardware names it (``NVIDIA H100 80GB HBM3``)."""
    method: Method
    sensor: str
    """Which backend reads it: ``nvml``, ``amdsmi``, ``rapl``, ``model``, ``fake``, ``replay``."""
    basis: str
    """What the number rests on, in words (counter name, model and its inputs)."""
    catalog_ids: tuple[str, ...] = ()
    """Catalog rows the number rests on (``cpus/epyc-7763``)."""


@dataclass(frozen=True)
class Reading:
    """Cumulative energy of each component at one instant.

    ``energy_j`` is cumulative since the sensor's origin and already corrected
    for counter wrap-around. For modelled components ``energy_low_j`` and
    ``energy_high_j`` bound it. ``attributed_j`` is the share of the energy
    attributable to the measured process tree, where the sensor can tell.
    """

    timestamp_s: float
    """``time.monotonic()`` when read."""
    energy_j: dict[str, float]
    energy_low_j: dict[str, float] = field(default_factory=dict)
    energy_high_j: dict[str, float] = field(default_factory=dict)
    attributed_j: dict[str, float] = field(default_factory=dict)
    power_w: dict[str, float] = field(default_factory=dict)
    """Instantaneous power where the hardware reports it."""
    faults: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Per component: reads since the sensor started that could not establish its
    energy (held at the last good value), and the latest reason."""


@runtime_checkable
class Sensor(Protocol):
    """What every backend implements."""

    name: str
    needs_polling: bool
    """True when energy is integrated from power samples: the meter must poll."""
    max_read_interval_s: float | None
    """The longest the meter may leave between two reads while a window is open, in
    seconds, with the sensor's safety margin already applied; ``None`` when reads at
    the window edges alone are exact (64-bit counters, cumulative times)."""

    def components(self) -> list[Component]:
        """The components this sensor reports, in a stable order."""
        ...

    def read(self) -> Reading:
        """Read cumulative energy now. Must be cheap: it is called every window edge."""
        ...

    def close(self) -> None:
        """Release the backend (shut NVML down, close files)."""
        ...


@dataclass(frozen=True)
class Probe:
    """Why a backend was or was not used, for ``wattlens doctor``."""

    backend: str
    available: bool
    reason: str
    fix: str | None = None
    components: tuple[Component, ...] = ()


def start_sensor(
    backend: str, label: str, start: Callable[[], Sensor]
) -> tuple[Sensor | None, Probe]:
    """Start a sensor and describe it as a :class:`Probe`; never raises.

    The started sensor is returned so that discovery uses it instead of
    starting the backend a second time.

    Args:
        backend: the probe's backend name (``nvml``, ``amdsmi``).
        label: how to name the library in an unexpected error (``NVML``).
        start: builds the sensor; may raise :class:`~wattlens.errors.SensorError`.
    """
    from wattlens.errors import SensorError

    try:
        sensor = start()
    except SensorError as exc:
        return None, Probe(backend=backend, available=False, reason=exc.message, fix=exc.hint)
    except Exception as exc:  # a probe must never raise; say what happened instead
        return None, Probe(backend=backend, available=False, reason=f"{label} failed: {exc!r}")
    components = tuple(sensor.components())
    listed = ", ".join(f"{c.id} {c.name} ({c.method})" for c in components)
    notes = "".join(f"; {n}" for n in getattr(sensor, "notes", ()))
    return sensor, Probe(backend, True, f"found {listed}{notes}", components=components)


def probe_and_close(opened: tuple[Sensor | None, Probe]) -> Probe:
    """The probe of a just-started sensor, which is closed again (for ``doctor``)."""
    from dataclasses import replace

    from wattlens.errors import SensorError

    sensor, probe = opened
    if sensor is not None:
        try:
            sensor.close()
        except SensorError as exc:
            probe = replace(probe, reason=f"{probe.reason}; {exc.message}")
    return probe
