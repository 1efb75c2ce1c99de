"""The fallback when no hardware sensor exists: CPU and RAM energy modelled openly.

The model (every component labelled ``modeled``, always with a range):

CPU
    ``E = busy CPU-seconds × W per thread × k``.
    *Busy CPU-seconds* come from ``/proc/stat`` for the machine and from
    ``os.times()`` for the measured process tree. *W per thread* is the
    catalog TDP of the detected CPU divided by its hardware threads; for a
    CPU the catalog does not know, the **per-thread rule**: the median of
    ``tdp_w / threads`` over catalog CPUs of the same vendor and segment
    (server when the name says EPYC or Xeon), with the 10th–90th percentile
    of that spread widening the range. This is the usage × TDP-per-core model
    of Green Algorithms (Lannelongue, Grealey & Inouye 2021, *Advanced
    Science* 8:2100707, eq. 1), per hardware thread. *k* is 1 at the centre
    and spans [0.5, 1.5]: an explicit assumption, not a fitted constant. TDP
    is a sustained-load design figure; real draw sits below it at partial load
    and above it in turbo (AMD's PPT limit is 1.35 × TDP on AM4/AM5 desktop
    parts; Intel's PL2 exceeds PL1 for short bursts).
    Idle power is not included: it is not caused by the workload and no
    sensor here can see it.

RAM
    ``E = ∫ memory in use (GiB) dt × 0.3725 W/GiB × k`` with the same *k*
    band, 0.3725 W/GB being Green Algorithms' memory figure (same paper,
    from Micron's DDR4 power calculator). The machine's memory in use is
    ``MemTotal - MemAvailable``; the process tree's share is its resident
    memory (the peak of reaped children). The integral is a trapezoid between
    reads, and the sensor asks the meter for a read at least every
    :data:`RAM_READ_INTERVAL_S` seconds while a window is open, so it follows
    the memory curve instead of joining the window's two edges.

CPU time needs no such cadence: machine busy time and the process tree's CPU
time are cumulative counters, exact at the window edges.

Compare: CodeCarbon's fallback uses a constant share of TDP and a flat RAM
wattage; carbontracker a generic CPU power; both report a point value.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wattlens.sensors import procfs
from wattlens.sensors.base import Component, Reading

if TYPE_CHECKING:
    from wattlens.catalog import Catalog

#: Green Algorithms (Lannelongue et al. 2021), memory power per GB.
RAM_W_PER_GIB = 0.3725
RAM_SOURCE = "Lannelongue, Grealey & Inouye 2021, Green Algorithms, Adv. Sci. 8:2100707"
#: Band around the centre for both CPU and RAM (see module docstring).
K_LOW = 0.5
K_HIGH = 1.5
_GIB = 1024**3
#: Longest step of the RAM integral. Memory in use changes over seconds (data loading,
#: checkpoints, evaluation); a step of a few seconds follows it at the cost of one
#: read of /proc/meminfo (tens of microseconds) per step.
RAM_READ_INTERVAL_S = 5.0


@dataclass(frozen=True)
class CpuProfile:
    """Watts per busy hardware thread for this machine's CPU, with the basis."""

    model_name: str
    logical_cpus: int
    w_per_thread: float
    w_per_thread_low: float
    w_per_thread_high: float
    catalog_ids: tuple[str, ...]
    basis: str
    rule: str
    """``catalog`` (the CPU is in the catalog) or ``per-thread-rule``."""


def resolve_cpu_profile(
    model_name: str | None, logical_cpus: int, catalog: Catalog | None = None
) -> CpuProfile:
    """Find W per thread for a CPU: its catalog row, or the documented per-thread rule."""
    import statistics

    from wattlens.catalog import Cpu, get_catalog
    from wattlens.errors import AmbiguousNameError, UnknownNameError

    catalog = catalog or get_catalog()
    name = model_name or "unknown CPU"
    if model_name:
        try:
            cpu = catalog.get_typed("cpus", model_name, Cpu)
        except (UnknownNameError, AmbiguousNameError):
            cpu = None
        threads = cpu and (cpu.threads or cpu.cores)
        if cpu is not None and cpu.tdp_w and threads:
            per = cpu.tdp_w / threads
            return CpuProfile(
                model_name=name,
                logical_cpus=logical_cpus,
                w_per_thread=per,
                w_per_thread_low=per,
                w_per_thread_high=per,
                catalog_ids=(f"cpus/{cpu.id}",),
                basis=f"TDP {cpu.tdp_w:g} W / {threads} threads of {cpu.name} ({cpu.source})",
                rule="catalog",
            )
    rows = [r for r in catalog.rows("cpus") if isinstance(r, Cpu) and r.tdp_w and r.threads]
    lowered = name.casefold()
    vendor = "amd" if "amd" in lowered else "intel" if "intel" in lowered else None
    segment = "server" if ("epyc" in lowered or "xeon" in lowered) else None
    subset = [
        r
        for r in rows
        if (vendor is None or r.vendor.casefold() == vendor)
        and (segment is None or r.segment == segment)
    ] or rows
    per_thread = [r.tdp_w / r.threads for r in subset if r.tdp_w and r.threads]
    deciles = statistics.quantiles(per_thread, n=10, method="inclusive")
    scope = " ".join(p for p in (vendor and vendor.upper(), segment) if p) or "all"
    return CpuProfile(
        model_name=name,
        logical_cpus=logical_cpus,
        w_per_thread=statistics.median(per_thread),
        w_per_thread_low=deciles[0],
        w_per_thread_high=deciles[8],
        catalog_ids=tuple(f"cpus/{r.id}" for r in subset),
        basis=(
            f"{name!r} is not in the catalog: per-thread rule, median TDP/thread of "
            f"{len(per_thread)} catalog CPUs ({scope}), 10th-90th percentile as range"
        ),
        rule="per-thread-rule",
    )


def machine_cpu_profile() -> CpuProfile:
    """This machine's CPU profile, cached on disk so measuring starts in milliseconds.

    The cache (:mod:`wattlens._cache`) is keyed by the CPU's name and count and
    invalidated by any change to the catalog files.
    """
    from wattlens import _cache

    model_name = procfs.cpu_model_name()
    logical = os.cpu_count() or 1
    key = f"{model_name}|{logical}"
    cached = _cache.load("cpu-profile", key)
    if isinstance(cached, dict):
        try:
            return CpuProfile(**{**cached, "catalog_ids": tuple(cached["catalog_ids"])})
        except (TypeError, KeyError):
            pass
    profile = resolve_cpu_profile(model_name, logical)
    _cache.store("cpu-profile", key, asdict(profile))
    return profile


class ModelSensor:
    """Modelled CPU and RAM energy from utilisation (see the module docstring)."""

    name = "model"
    needs_polling = False

    def __init__(
        self,
        profile: CpuProfile | None = None,
        *,
        include_cpu: bool = True,
        include_ram: bool = True,
        proc: Path = Path("/proc"),
        tree_cpu_s: Callable[[], float] = procfs.process_tree_cpu_s,
        tree_rss_bytes: Callable[[], int] = procfs.process_tree_rss_bytes,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.profile = profile or machine_cpu_profile()
        self._include_cpu = include_cpu
        self._include_ram = include_ram
        self._proc = proc
        self._tree_cpu_s = tree_cpu_s
        self._tree_rss_bytes = tree_rss_bytes
        self._clock = clock
        self.max_read_interval_s: float | None = RAM_READ_INTERVAL_S if include_ram else None
        self._lock = threading.Lock()
        self._last_t: float | None = None
        self._last_used = 0
        self._last_rss = 0
        self._ram_gib_s = 0.0
        self._ram_tree_gib_s = 0.0

    def components(self) -> list[Component]:
        parts: list[Component] = []
        p = self.profile
        if self._include_cpu:
            parts.append(
                Component(
                    id="cpu",
                    kind="cpu",
                    name=p.model_name,
                    method="modeled",
                    sensor="model",
                    basis=(
                        f"busy CPU-seconds x {p.w_per_thread:.3g} W/thread "
                        f"(range {p.w_per_thread_low * K_LOW:.3g}-"
                        f"{p.w_per_thread_high * K_HIGH:.3g}); {p.basis}"
                    ),
                    catalog_ids=p.catalog_ids if p.rule == "catalog" else ("cpus/*",),
                )
            )
        if self._include_ram:
            parts.append(
                Component(
                    id="ram",
                    kind="ram",
                    name="memory in use",
                    method="modeled",
                    sensor="model",
                    basis=(
                        f"GiB in use x {RAM_W_PER_GIB} W/GiB ({RAM_SOURCE}), "
                        f"range x{K_LOW}-x{K_HIGH}"
                    ),
                )
            )
        return parts

    def read(self) -> Reading:
        with self._lock:
            now = self._clock()
            energy: dict[str, float] = {}
            low: dict[str, float] = {}
            high: dict[str, float] = {}
            attributed: dict[str, float] = {}
            p = self.profile
            if self._include_cpu:
                busy = procfs.machine_cpu_times(self._proc).busy_s
                tree = self._tree_cpu_s()
                energy["cpu"] = busy * p.w_per_thread
                low["cpu"] = busy * p.w_per_thread_low * K_LOW
                high["cpu"] = busy * p.w_per_thread_high * K_HIGH
                attributed["cpu"] = tree * p.w_per_thread
            if self._include_ram:
                self._integrate_ram(now)
                energy["ram"] = self._ram_gib_s * RAM_W_PER_GIB
                low["ram"] = energy["ram"] * K_LOW
                high["ram"] = energy["ram"] * K_HIGH
                attributed["ram"] = self._ram_tree_gib_s * RAM_W_PER_GIB
            return Reading(
                timestamp_s=now,
                energy_j=energy,
                energy_low_j=low,
                energy_high_j=high,
                attributed_j=attributed,
            )

    def keep_up(self) -> None:
        """What the meter's cadence reads need: a point of the RAM integral, nothing else.

        Cheaper than :meth:`read`, which also lists the live process tree for
        its CPU time, a cumulative count that needs no points in between.
        """
        if self._include_ram:
            with self._lock:
                self._integrate_ram(self._clock())

    def _integrate_ram(self, now: float) -> None:
        used = procfs.memory_used_bytes(self._proc)
        rss = self._tree_rss_bytes()
        if self._last_t is not None:
            dt = now - self._last_t
            # Trapezoid between reads: window edges and the meter's cadence reads.
            self._ram_gib_s += (used + self._last_used) / 2 / _GIB * dt
            self._ram_tree_gib_s += (rss + self._last_rss) / 2 / _GIB * dt
        self._last_t, self._last_used, self._last_rss = now, used, rss

    def close(self) -> None:
        return None
