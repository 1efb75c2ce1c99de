"""Measurement windows over sensors: named, nestable, overlapping, cheap.

A window is two readings of every sensor: one at ``begin``, one at ``end``;
its energy is the difference. Opening a window costs one read per sensor
(microseconds for counters and the model), so a window per training step is
fine. A background thread runs only when a power timeline is asked for or a
sensor integrates power samples (``needs_polling``); with counters and no
timeline, nothing runs between begin and end.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType

from wattlens.errors import UsageError, WattlensError
from wattlens.measurement import ComponentEnergy, Measurement, RunStatus, TimelinePoint
from wattlens.sensors.base import Component, Reading, Sensor

DEFAULT_INTERVAL_S = 0.5


def new_run_id() -> str:
    """A time-ordered unique id: 12 hex digits of milliseconds + 20 random hex digits."""
    millis = int(time.time() * 1000)
    return f"{millis:012x}{uuid.uuid4().hex[:20]}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class _Window:
    name: str
    started_at: str
    start_s: float
    readings: list[Reading]
    tree_cpu_s: float
    machine_busy_s: float | None


class Meter:
    """Measures energy over named windows.

    Args:
        sensors: what to read; default: the sensors :func:`discover` finds.
        timeline: sample power in a background thread and attach a timeline
            to each window's result.
        interval_s: sampling interval for the timeline and power-only sensors.
        location: where the energy is used (country, grid zone or cloud
            region) for the impacts; default the world average.
        pue: facility overhead to apply to the impacts; default 1.0 (none).
        clock: monotonic clock (inject for tests).

    Example::

        meter = Meter()
        meter.begin("epoch-3")
        ...
        result = meter.end("epoch-3")
    """

    def __init__(
        self,
        sensors: Sequence[Sensor] | None = None,
        *,
        timeline: bool = False,
        interval_s: float = DEFAULT_INTERVAL_S,
        location: str | None = None,
        pue: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval_s <= 0:
            raise UsageError(f"interval must be positive, got {interval_s}")
        if pue is not None and pue < 1.0:
            raise UsageError(
                f"PUE must be at least 1.0, got {pue}", hint="PUE = facility / IT energy"
            )
        if sensors is None:
            from wattlens.sensors.discover import default_discovery

            sensors = default_discovery().sensors
        self.sensors: tuple[Sensor, ...] = tuple(sensors)
        self._components: list[list[Component]] = [s.components() for s in self.sensors]
        self.timeline_enabled = timeline
        self.interval_s = interval_s
        self.location = location
        self.pue = pue
        self._clock = clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._points: list[tuple[float, dict[str, float]]] = []
        self._last: list[Reading] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._polling = any(s.needs_polling for s in self.sensors)
        # Per-process shares that only the hardware can tell (NVML): sampled by the
        # background thread while the process tree runs, accumulated as joules.
        self._attributors = [s for s in self.sensors if hasattr(s, "attribution")]
        self._pids: Callable[[], set[int]] = _own_process_tree
        self._attr_cum: dict[str, float] = {}
        self._attr_unknown: set[str] = set()
        if self._attributors:
            self._polling = True

    def track_pids(self, provider: Callable[[], set[int]]) -> None:
        """Attribute per-process energy (GPUs) to the process ids ``provider`` returns."""
        self._pids = provider

    # -- reading ---------------------------------------------------------
    def _read_all(self) -> list[Reading]:
        with self._read_lock:
            readings = [sensor.read() for sensor in self.sensors]
        if not self._attr_cum:
            return readings
        merged = []
        for reading in readings:
            extra = {k: v for k, v in self._attr_cum.items() if k in reading.energy_j}
            merged.append(
                replace(reading, attributed_j={**reading.attributed_j, **extra})
                if extra
                else reading
            )
        return merged

    def _attribute(self, before: list[Reading], after: list[Reading]) -> None:
        """Credit the tracked processes with their share of each GPU's energy delta."""
        try:
            pids = self._pids()
        except Exception:  # the tree may vanish between listing and reading
            return
        for sensor in self._attributors:
            index = self.sensors.index(sensor)
            try:
                shares = sensor.attribution(pids)
            except WattlensError:
                shares = {}
            for cid, energy in after[index].energy_j.items():
                delta = max(energy - before[index].energy_j.get(cid, energy), 0.0)
                share = shares.get(cid)
                if share is None:
                    self._attr_unknown.add(cid)
                    continue
                self._attr_cum[cid] = self._attr_cum.get(cid, 0.0) + share * delta

    def _sample(self) -> None:
        readings = self._read_all()
        now = self._clock()
        if self._attributors and self._last is not None:
            self._attribute(self._last, readings)
        if self.timeline_enabled and self._last is not None:
            power: dict[str, float] = {}
            for before, after in zip(self._last, readings, strict=True):
                dt = after.timestamp_s - before.timestamp_s
                for cid, energy in after.energy_j.items():
                    if dt > 0 and cid in before.energy_j:
                        power[cid] = max(energy - before.energy_j[cid], 0.0) / dt
            with self._lock:
                self._points.append((now, power))
        self._last = readings

    def _run_sampler(self) -> None:
        # Fixed deadlines, not a sleep after each read: reads waiting for the GIL
        # would otherwise stretch every interval and lower the sampling rate.
        deadline = self._clock() + self.interval_s
        while not self._stop.wait(max(deadline - self._clock(), 0.0)):
            self._sample()
            deadline += self.interval_s
            now = self._clock()
            if deadline < now:  # fell behind (suspended, overloaded): skip, don't burst
                deadline = now + self.interval_s

    def _ensure_sampler(self) -> None:
        if (self.timeline_enabled or self._polling) and self._thread is None:
            self._last = self._read_all()
            self._thread = threading.Thread(
                target=self._run_sampler, name="wattlens-sampler", daemon=True
            )
            self._thread.start()

    # -- windows ---------------------------------------------------------
    def begin(self, name: str) -> None:
        """Open a window. Names are unique among open windows."""
        with self._lock:
            if name in self._windows:
                raise UsageError(
                    f"a window named {name!r} is already open",
                    hint="end it first, or use a different name",
                )
        self._ensure_sampler()
        started_at = _now_iso()
        readings = self._read_all()
        start_s = self._clock()
        tree, busy = _cpu_times()
        with self._lock:
            self._windows[name] = _Window(name, started_at, start_s, readings, tree, busy)

    def cancel(self, name: str) -> None:
        """Discard an open window without a result."""
        with self._lock:
            self._windows.pop(name, None)

    @property
    def open_windows(self) -> list[str]:
        with self._lock:
            return list(self._windows)

    def end(
        self,
        name: str,
        *,
        command: Sequence[str] | None = None,
        exit_code: int | None = None,
        status: RunStatus = "completed",
        run_id: str | None = None,
        extra_warnings: Sequence[str] = (),
    ) -> Measurement:
        """Close a window and return its measurement."""
        if self._attributors and self._last is not None:
            self._attribute(self._last, self._read_all())
        readings = self._read_all()
        end_s = self._clock()
        ended_at = _now_iso()
        tree, busy = _cpu_times()
        with self._lock:
            window = self._windows.pop(name, None)
            if window is None:
                raise UsageError(
                    f"no open window named {name!r}",
                    hint=f"open windows: {', '.join(self._windows) or 'none'}",
                )
            points = [(t, p) for t, p in self._points if window.start_s <= t <= end_s]
        duration = max(end_s - window.start_s, 0.0)
        cpu_share = None
        if busy is not None and window.machine_busy_s is not None and busy > window.machine_busy_s:
            cpu_share = min(max((tree - window.tree_cpu_s) / (busy - window.machine_busy_s), 0), 1)
        components = self._energies(window.readings, readings, duration, points, cpu_share)
        timeline = (
            tuple(TimelinePoint(round(t - window.start_s, 6), p) for t, p in points)
            if self.timeline_enabled
            else None
        )
        warnings = list(extra_warnings)
        if not components:
            warnings.append(
                "no sensor and no model could cover this machine: nothing was measured "
                "(see `wattlens doctor`)"
            )
        if any(c.method == "modeled" for c in components):
            warnings.append(
                "modelled components: no hardware energy sensor covers them; see `wattlens doctor`"
            )
        return Measurement(
            run_id=run_id or new_run_id(),
            name=name,
            started_at=window.started_at,
            ended_at=ended_at,
            duration_s=duration,
            components=components,
            command=tuple(command) if command is not None else None,
            exit_code=exit_code,
            status=status,
            timeline=timeline,
            host=_host(),
            warnings=tuple(warnings),
            location=self.location,
            pue=self.pue,
        )

    def _energies(
        self,
        start: list[Reading],
        end: list[Reading],
        duration: float,
        points: list[tuple[float, dict[str, float]]],
        cpu_share: float | None,
    ) -> tuple[ComponentEnergy, ...]:
        out: list[ComponentEnergy] = []
        for components, before, after in zip(self._components, start, end, strict=True):
            for c in components:
                energy = max(after.energy_j.get(c.id, 0.0) - before.energy_j.get(c.id, 0.0), 0.0)
                low = high = None
                if c.id in after.energy_low_j and c.id in before.energy_low_j:
                    low = max(after.energy_low_j[c.id] - before.energy_low_j[c.id], 0.0)
                if c.id in after.energy_high_j and c.id in before.energy_high_j:
                    high = max(after.energy_high_j[c.id] - before.energy_high_j[c.id], 0.0)
                attributed = None
                if c.id in self._attr_unknown:
                    attributed = None
                elif c.id in after.attributed_j:
                    share = after.attributed_j[c.id] - before.attributed_j.get(c.id, 0.0)
                    # The tree cannot use more than the whole component.
                    attributed = min(max(share, 0.0), energy)
                elif c.kind == "cpu" and cpu_share is not None:
                    # Counter CPUs (RAPL): the tree's share of the machine's busy CPU time.
                    attributed = energy * cpu_share
                peaks = [p[c.id] for _, p in points if c.id in p]
                out.append(
                    ComponentEnergy(
                        id=c.id,
                        kind=c.kind,
                        name=c.name,
                        method=c.method,
                        sensor=c.sensor,
                        basis=c.basis,
                        energy_j=energy,
                        avg_power_w=energy / duration if duration > 0 else 0.0,
                        peak_power_w=max(peaks) if peaks else None,
                        energy_low_j=low,
                        energy_high_j=high,
                        attributed_energy_j=attributed,
                        catalog_ids=c.catalog_ids,
                    )
                )
        return tuple(out)

    # -- lifetime ----------------------------------------------------------
    def close(self) -> None:
        """Stop the sampler. Sensors stay open: they may be shared by other meters."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Meter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _cpu_times() -> tuple[float, float | None]:
    """CPU seconds of this process tree, and busy CPU seconds of the machine (Linux)."""
    from wattlens.sensors import procfs

    try:
        busy: float | None = procfs.machine_cpu_times().busy_s
    except (OSError, ValueError, IndexError):
        busy = None
    return procfs.process_tree_cpu_s(), busy


def _own_process_tree() -> set[int]:
    import psutil

    me = psutil.Process()
    return {me.pid, *(child.pid for child in me.children(recursive=True))}


_HOST: dict[str, object] | None = None


def _host() -> dict[str, object]:
    global _HOST  # noqa: PLW0603 - host facts do not change within a process
    if _HOST is None:
        from wattlens.sensors.procfs import cpu_model_name

        _HOST = {
            "hostname": socket.gethostname(),
            "cpu_model": cpu_model_name(),
            "logical_cpus": os.cpu_count(),
            "platform": os.uname().sysname.lower() if hasattr(os, "uname") else "unknown",
        }
    return dict(_HOST)
