"""Measurement windows over sensors: named, nestable, overlapping, cheap.

A window is two readings of every sensor: one at ``begin``, one at ``end``;
its energy is the difference. Opening a window costs one read per sensor
(microseconds for counters and the model), so a window per training step is
fine.

Between the edges, two kinds of background reads exist, each only when needed:

- the **sampler** (one thread per meter, every ``interval_s``) when a power
  timeline is asked for, a sensor integrates power samples (``needs_polling``)
  or a sensor attributes energy per process;
- the **cadence reader** (:class:`CadenceReader`, one low-rate thread for the
  whole process) while any open window covers a sensor that declares
  ``max_read_interval_s``: a wrapping RAPL counter must be read more often
  than it wraps, the modelled RAM integral needs points along the window. It
  reads each such sensor at its own interval (minutes for RAPL, seconds for
  the model) and stops when the last window over it ends.

With 64-bit counters and no timeline, nothing runs between begin and end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal

from wattlens.errors import UsageError
from wattlens.measurement import (
    WARNING_MODELLED,
    WARNING_NOTHING_MEASURED,
    ComponentEnergy,
    Measurement,
    RunStatus,
    ScopeChoice,
    TimelinePoint,
    choose_scope,
)
from wattlens.sensors.base import Component, Reading, Sensor
from wattlens.store.ids import new_run_id
from wattlens.types import WarningItem

DEFAULT_INTERVAL_S = 0.5
READER_LINGER_S = 1.0
"""How long the idle cadence reader waits for a new window before its thread exits, so
that back-to-back windows (one per training step) share one thread."""
WARNING_MISSED_READS = "missed-reads"
WARNING_PARTIAL = "partial-reading"
WARNING_SENSOR = "sensor-note"
WARNING_SHORT_WINDOW = "short-window"
SHORT_WINDOW_UPDATES = 10
"""A window shorter than this many updates of a counter is flagged as quantised."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class _Held:
    sensor: Sensor
    interval_s: float
    holders: int
    due_s: float
    last_read_s: float
    released_s: float = 0.0
    failures: int = 0
    late: int = 0
    last_error: str = ""


class CadenceReader:
    """Reads the sensors that need a read cadence, from one low-rate thread.

    A sensor is *held* by every open window over it (:meth:`hold`,
    :meth:`release`); while held, it is read whenever its
    ``max_read_interval_s`` has passed since the reader last read it. The
    reading itself is thrown away: what matters is the sensor's own state
    (a wrap accumulator sees every wrap, a RAM integral gets its points),
    which every later window edge reads.

    The thread starts with the first hold. Reads stop with the last release;
    the idle thread exits when it next wakes (at most one interval later)
    once :data:`READER_LINGER_S` have passed without a new hold. Holding and
    releasing a sensor the thread already knows neither wakes nor starts a
    thread, so a window per training step costs no thread switch.

    Args:
        clock: monotonic clock in seconds (inject for tests).
        threaded: run the background thread; ``False`` leaves the reads to
            :meth:`run_due` (tests drive a simulated clock that way).
        linger_s: how long a released sensor stays known to the reader.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        threaded: bool = True,
        linger_s: float = READER_LINGER_S,
    ) -> None:
        self._clock = clock
        self._threaded = threaded
        self._linger_s = linger_s
        self._cond = threading.Condition()
        self._held: dict[int, _Held] = {}
        self._thread: threading.Thread | None = None
        self._wake_at = float("inf")

    @property
    def thread(self) -> threading.Thread | None:
        """The running reader thread, if any."""
        with self._cond:
            return self._thread

    def held(self) -> list[Sensor]:
        """The sensors being read now."""
        with self._cond:
            return [entry.sensor for entry in self._held.values() if entry.holders > 0]

    def hold(self, sensor: Sensor) -> bool:
        """Read ``sensor`` at its cadence until a matching :meth:`release`.

        Returns:
            Whether the sensor is held (``False`` when it declares no cadence).
        """
        interval = getattr(sensor, "max_read_interval_s", None)
        if interval is None:
            return False
        with self._cond:
            now = self._clock()
            entry = self._held.get(id(sensor))
            if entry is None:
                # The window that holds it reads it right away: the first read is due later.
                entry = _Held(sensor, float(interval), 1, now + interval, now)
                self._held[id(sensor)] = entry
            else:
                if entry.holders <= 0:  # not read while released: start afresh
                    entry.due_s, entry.last_read_s = now + entry.interval_s, now
                entry.holders += 1
            if self._threaded:
                # A thread inherited through fork() does not run in this process.
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="wattlens-reader", daemon=True
                    )
                    self._thread.start()
                elif entry.due_s < self._wake_at:
                    self._cond.notify()
        return True

    def release(self, sensor: Sensor) -> None:
        """Drop one hold of ``sensor``; it is no longer read once nobody holds it."""
        with self._cond:
            entry = self._held.get(id(sensor))
            if entry is not None and entry.holders > 0:
                entry.holders -= 1
                if entry.holders == 0:
                    entry.released_s = self._clock()

    def trouble(self, sensor: Sensor) -> tuple[int, int, str]:
        """Failed reads, late reads (more than twice the interval apart) and the last error."""
        with self._cond:
            entry = self._held.get(id(sensor))
            return (entry.failures, entry.late, entry.last_error) if entry else (0, 0, "")

    def run_due(self) -> float | None:
        """Read every held sensor whose time has come.

        Returns:
            Seconds until the reader next has something to do, or ``None`` when
            it knows no sensor any more.
        """
        with self._cond:
            due = self._take_due()
        self._read(due)
        with self._cond:
            return self._wait_s()

    def _take_due(self) -> list[_Held]:
        now = self._clock()
        for key, entry in list(self._held.items()):
            if entry.holders <= 0 and now - entry.released_s >= self._linger_s:
                del self._held[key]
        return [e for e in self._held.values() if e.holders > 0 and e.due_s <= now]

    def _wait_s(self) -> float | None:
        if not self._held:
            return None
        wake = min(
            e.due_s if e.holders > 0 else e.released_s + self._linger_s for e in self._held.values()
        )
        return max(wake - self._clock(), 0.0)

    def _read(self, due: list[_Held]) -> None:
        for entry in due:
            error = ""
            try:
                step = getattr(entry.sensor, "keep_up", None)
                if step is not None:
                    step()
                else:
                    entry.sensor.read()
            except Exception as exc:  # keep reading the others; the window edge reports it
                error = f"{type(exc).__name__}: {exc}"
            now = self._clock()
            with self._cond:
                if error:
                    entry.failures += 1
                    entry.last_error = error
                if now - entry.last_read_s > 2 * entry.interval_s:
                    entry.late += 1
                entry.last_read_s = now
                entry.due_s = now + entry.interval_s

    def _run(self) -> None:
        with self._cond:
            while True:
                due = self._take_due()
                if due:
                    self._cond.release()
                    try:
                        self._read(due)
                    finally:
                        self._cond.acquire()
                    continue
                wait = self._wait_s()
                if wait is None:
                    self._thread = None
                    self._wake_at = float("inf")
                    return
                self._wake_at = self._clock() + wait
                self._cond.wait(wait)
                self._wake_at = float("inf")


_shared_reader: CadenceReader | None = None
_shared_reader_lock = threading.Lock()


def _forget_shared_reader() -> None:
    global _shared_reader, _shared_reader_lock
    _shared_reader, _shared_reader_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    # The parent's reader thread does not exist in a forked child, and its locks may
    # have been held at the fork: the child starts its own reader.
    os.register_at_fork(after_in_child=_forget_shared_reader)


def shared_reader() -> CadenceReader:
    """The process-wide cadence reader that every :class:`Meter` uses by default."""
    global _shared_reader  # noqa: PLW0603 - one reader thread per process
    with _shared_reader_lock:
        if _shared_reader is None:
            _shared_reader = CadenceReader()
        return _shared_reader


@dataclass
class _Window:
    name: str
    started_at: str
    start_s: float
    readings: list[Reading]
    tree_cpu_s: float
    machine_busy_s: float | None
    reader: CadenceReader | None = None
    held: tuple[Sensor, ...] = ()
    trouble: tuple[tuple[int, int, str], ...] = ()
    unknown: dict[tuple[int, str], int] = field(default_factory=dict)
    """Intervals without a known process share, per component, at begin."""


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
        reader: reads the sensors that declare ``max_read_interval_s`` while a
            window is open; default the process-wide :func:`shared_reader`.
        devices: report only these component ids (``("gpu:1",)``); a sensor
            with none of them is not read at all. Default: every component.
            One rank of a distributed job measures its own GPUs this way
            (see :mod:`wattlens.distributed`).
        scope: what each window's impacts are computed on: ``workload`` (the
            process tree's share), ``machine``, or ``auto`` (the default):
            ``workload`` when other load used the machine's CPUs (see
            :func:`wattlens.measurement.choose_scope`), else ``machine``.

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
        reader: CadenceReader | None = None,
        devices: Collection[str] | None = None,
        scope: ScopeChoice = "auto",
    ) -> None:
        if interval_s <= 0:
            raise UsageError(f"interval must be positive, got {interval_s}")
        if pue is not None and pue < 1.0:
            raise UsageError(
                f"PUE must be at least 1.0, got {pue}", hint="PUE = facility / IT energy"
            )
        discovered: tuple[str, ...] = ()
        if sensors is None:
            from wattlens.sensors.discover import default_discovery

            found = default_discovery()
            sensors, discovered = found.sensors, found.warnings
        self.devices: frozenset[str] | None = None if devices is None else frozenset(devices)
        """The component ids this meter reports (``None``: all of them)."""
        self.sensors, self._components = _select(tuple(sensors), self.devices)
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
        self._attr_cum: dict[tuple[int, str], float] = {}
        # Intervals whose share was unknown, per component: a window compares the counts
        # at its edges, so one unknown share blanks only the windows it falls in.
        self._attr_unknown: dict[tuple[int, str], int] = {}
        self._attr_lock = threading.Lock()
        # The last good reading of each sensor and the meter's count of its failed reads:
        # a sensor that raises degrades its own components to `partial`, not the window.
        self._good: list[Reading | None] = [None] * len(self.sensors)
        self._read_faults: list[tuple[int, str]] = [(0, "")] * len(self.sensors)
        self._notes = [*discovered, *(w for s in self.sensors for w in getattr(s, "warnings", ()))]
        self._update_periods = {
            cid: period
            for cid, period in _update_periods(self.sensors).items()
            if self.devices is None or cid in self.devices
        }
        if self._attributors:
            self._polling = True
        self._sampler_lock = threading.Lock()
        # Counter CPUs (RAPL) get the process tree's share of busy CPU time; a modelled
        # CPU attributes its own energy and needs no such count at the window edges.
        self._cpu_share_needed = any(
            c.kind == "cpu" and c.method != "modeled" for group in self._components for c in group
        )
        if scope not in ("auto", "workload", "machine"):
            raise UsageError(f"unknown scope {scope!r}", hint="use 'auto', 'workload' or 'machine'")
        self.scope: ScopeChoice = scope
        # Deciding the scope (and saying why) needs the busy CPU times at the window edges.
        self._cpu_times_needed = self._cpu_share_needed or scope != "machine"
        self._reader = reader
        # Sensors whose numbers need reads between the edges; the meter's own sampler
        # covers those it reads often enough, the cadence reader the rest.
        sampled = self.timeline_enabled or self._polling
        self._cadenced = tuple(
            s
            for s in self.sensors
            if (need := getattr(s, "max_read_interval_s", None)) is not None
            and not (sampled and self.interval_s <= need)
        )

    def track_pids(self, provider: Callable[[], set[int]]) -> None:
        """Attribute per-process energy (GPUs) to the process ids ``provider`` returns."""
        self._pids = provider

    # -- reading ---------------------------------------------------------
    def _read_all(self) -> list[Reading]:
        return self._merge(self._read_raw())

    def _read_raw(self) -> list[Reading]:
        with self._read_lock:
            return [self._read_one(i, sensor) for i, sensor in enumerate(self.sensors)]

    def _read_one(self, index: int, sensor: Sensor) -> Reading:
        """One sensor's reading; if it raises, its last good one with every component faulted."""
        count, reason = self._read_faults[index]
        try:
            reading = sensor.read()
        except Exception as exc:  # a failing sensor must not lose the window or the run
            count, reason = count + 1, f"the {sensor.name} sensor failed: {exc}"
            self._read_faults[index] = (count, reason)
            good = self._good[index] or Reading(timestamp_s=self._clock(), energy_j={})
            reading = replace(good, power_w={})
        else:
            self._good[index] = reading
        if count == 0:
            return reading
        faults = dict(reading.faults)
        for component in self._components[index]:
            held, why = faults.get(component.id, (0, ""))
            faults[component.id] = (held + count, why or reason)
        return replace(reading, faults=faults)

    def _edge_read(self) -> list[Reading]:
        """A window edge: credit the tracked processes up to now, then read with their share."""
        if not self._attributors:
            return self._read_all()
        with self._attr_lock:
            readings = self._read_raw()
            if self._last is not None:
                self._attribute(self._last, readings)
            self._last = readings
        return self._merge(readings)

    def _merge(self, readings: list[Reading]) -> list[Reading]:
        if not self._attr_cum:
            return readings
        merged = []
        for index, reading in enumerate(readings):
            extra = {cid: v for (i, cid), v in self._attr_cum.items() if i == index}
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
            except Exception:  # e.g. pynvml's NVMLLibraryMismatchError: the share is unknown
                shares = {}
            for cid, energy in after[index].energy_j.items():
                delta = max(energy - before[index].energy_j.get(cid, energy), 0.0)
                share = shares.get(cid)
                if share is None:
                    if delta > 0:
                        key = (index, cid)
                        self._attr_unknown[key] = self._attr_unknown.get(key, 0) + 1
                    continue
                self._attr_cum[index, cid] = self._attr_cum.get((index, cid), 0.0) + share * delta

    def _sample(self) -> None:
        with self._attr_lock:  # each interval is credited once, by a sample or an edge
            previous = self._last
            readings = self._read_raw()
            if self._attributors and previous is not None:
                self._attribute(previous, readings)
            self._last = readings
        now = self._clock()
        if self.timeline_enabled and previous is not None:
            power: dict[str, float] = {}
            for before, after in zip(previous, readings, strict=True):
                dt = after.timestamp_s - before.timestamp_s
                for cid, energy in after.energy_j.items():
                    if dt > 0 and cid in before.energy_j:
                        power[cid] = max(energy - before.energy_j[cid], 0.0) / dt
            with self._lock:
                self._points.append((now, power))

    def _run_sampler(self) -> None:
        # Fixed deadlines, not a sleep after each read: reads waiting for the GIL
        # would otherwise stretch every interval and lower the sampling rate.
        deadline = self._clock() + self.interval_s
        while not self._stop.wait(max(deadline - self._clock(), 0.0)):
            # One failed sample must not end the sampling; the window edges report errors.
            with contextlib.suppress(Exception):
                self._sample()
            deadline += self.interval_s
            now = self._clock()
            if deadline < now:  # fell behind (suspended, overloaded): skip, don't burst
                deadline = now + self.interval_s

    def _ensure_sampler(self) -> None:
        # A GPU whose counter stopped falls back to power samples: it needs polling now.
        if not (
            self.timeline_enabled or self._polling or any(s.needs_polling for s in self.sensors)
        ):
            return
        with self._sampler_lock:  # two windows opening at once start one sampler
            if self._thread is None:
                self._last = self._read_all()
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run_sampler, name="wattlens-sampler", daemon=True
                )
                self._thread.start()

    def _hold(
        self,
    ) -> tuple[CadenceReader | None, tuple[Sensor, ...], tuple[tuple[int, int, str], ...]]:
        """Have the cadence reader read this meter's cadenced sensors; their state now."""
        if not self._cadenced:
            return None, (), ()
        # Looked up at each window, not kept: a forked child gets its own shared reader.
        reader = self._reader or shared_reader()
        held = tuple(s for s in self._cadenced if reader.hold(s))
        return reader, held, tuple(reader.trouble(s) for s in held)

    def _release(self, window: _Window) -> list[str]:
        """Drop a window's holds; say what went wrong with the reads it needed."""
        warnings: list[str] = []
        reader = window.reader
        if not window.held or reader is None:
            return warnings
        for sensor, (failed0, late0, _) in zip(window.held, window.trouble, strict=True):
            failed, late, error = reader.trouble(sensor)
            reader.release(sensor)
            need = getattr(sensor, "max_read_interval_s", None) or 0.0
            if failed > failed0:
                warnings.append(
                    f"{failed - failed0} periodic read(s) of the {sensor.name} sensor failed "
                    f"(last: {error}): energy between its reads may be under-counted"
                )
            if late > late0:
                warnings.append(
                    f"the {sensor.name} sensor needs a read every {need:.3g} s, but "
                    f"{late - late0} gap(s) between its reads lasted more than twice that "
                    "(process stopped or starved of CPU): energy may be under-counted"
                )
        window.held = ()
        return warnings

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
        reader, held, trouble = self._hold()
        try:
            started_at = _now_iso()
            readings = self._edge_read()
            start_s = self._clock()
            tree, busy = _cpu_times() if self._cpu_times_needed else (0.0, None)
        except BaseException:
            self._release(_Window(name, "", 0.0, [], 0.0, None, reader, held, trouble))
            raise
        window = _Window(name, started_at, start_s, readings, tree, busy, reader, held, trouble,
                         dict(self._attr_unknown))  # fmt: skip
        with self._lock:
            self._windows[name] = window

    def cancel(self, name: str) -> None:
        """Discard an open window without a result."""
        with self._lock:
            window = self._windows.pop(name, None)
        if window is not None:
            self._release(window)

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
        readings = self._edge_read()
        end_s = self._clock()
        ended_at = _now_iso()
        tree, busy = _cpu_times() if self._cpu_times_needed else (0.0, None)
        window, points = self._pop_window(name, end_s)
        read_warnings = self._release(window)
        duration = max(end_s - window.start_s, 0.0)
        cpu_share = _cpu_share(window, tree, busy)
        components = self._energies(
            window.readings,
            readings,
            duration,
            points,
            cpu_share if self._cpu_share_needed else None,
            unknown_at_begin=window.unknown,
        )
        scope, scope_reason = choose_scope(
            self.scope, cpu_share, any(c.attributed_energy_j is not None for c in components)
        )
        unshared = [c.id for c in components if c.attributed_energy_j is None]
        if scope == "workload" and unshared:
            # No per-process split is invented: such a component counts in full.
            scope_reason += (
                f"; {', '.join(unshared)}: no per-process share known, the machine's "
                "energy is counted"
            )
        timeline = (
            tuple(TimelinePoint(round(t - window.start_s, 6), p) for t, p in points)
            if self.timeline_enabled
            else None
        )
        warnings = [
            *extra_warnings,
            *self._window_warnings(components, duration, read_warnings),
        ]
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
            scope=scope,
            scope_reason=scope_reason,
            workload_cpu_share=cpu_share,
        )

    def _pop_window(
        self, name: str, end_s: float
    ) -> tuple[_Window, list[tuple[float, dict[str, float]]]]:
        """Remove the window, with the sampled power points that fall inside it."""
        with self._lock:
            window = self._windows.pop(name, None)
            if window is None:
                raise UsageError(
                    f"no open window named {name!r}",
                    hint=f"open windows: {', '.join(self._windows) or 'none'}",
                )
            points = [(t, p) for t, p in self._points if window.start_s <= t <= end_s]
        return window, points

    def _window_warnings(
        self, components: Sequence[ComponentEnergy], duration: float, read_warnings: list[str]
    ) -> list[WarningItem]:
        warnings = [WarningItem(WARNING_MISSED_READS, text) for text in read_warnings]
        warnings.extend(WarningItem(WARNING_SENSOR, text) for text in self._notes)
        warnings.extend(
            WarningItem(
                WARNING_PARTIAL,
                f"{c.id} is {c.status}: {c.status_reason}; its energy is counted up to its "
                "last good read",
            )
            for c in components
            if c.status != "measured"
        )
        short = self._short_window_warning(duration)
        if short is not None:
            warnings.append(short)
        if not components and self.devices is None:
            warnings.append(
                WarningItem(
                    WARNING_NOTHING_MEASURED,
                    "no sensor and no model could cover this machine: nothing was measured "
                    "(see `wattlens doctor`)",
                )
            )
        if any(c.method == "modeled" for c in components):
            warnings.append(
                WarningItem(
                    WARNING_MODELLED,
                    "modelled components: no hardware energy sensor covers them; "
                    "see `wattlens doctor`",
                )
            )
        return warnings

    def _short_window_warning(self, duration: float) -> WarningItem | None:
        """A window shorter than a few counter updates measures the counter's steps."""
        short = {
            c: p for c, p in self._update_periods.items() if duration < SHORT_WINDOW_UPDATES * p
        }
        if not short:
            return None
        period = max(short.values())
        return WarningItem(
            WARNING_SHORT_WINDOW,
            f"the window lasted {duration:.3g} s, less than {SHORT_WINDOW_UPDATES} "
            f"updates of the energy counter of {', '.join(short)} (every ~{period:.3g} s): "
            "its energy moves in steps of one update, so sum many windows or measure "
            f"at least {SHORT_WINDOW_UPDATES * period:.3g} s",
        )

    def _energies(
        self,
        start: list[Reading],
        end: list[Reading],
        duration: float,
        points: list[tuple[float, dict[str, float]]],
        cpu_share: float | None,
        *,
        unknown_at_begin: dict[tuple[int, str], int] | None = None,
    ) -> tuple[ComponentEnergy, ...]:
        unknown_at_begin = unknown_at_begin or {}
        out: list[ComponentEnergy] = []
        for index, (components, before, after) in enumerate(
            zip(self._components, start, end, strict=True)
        ):
            for c in components:
                energy = max(after.energy_j.get(c.id, 0.0) - before.energy_j.get(c.id, 0.0), 0.0)
                low = high = None
                if c.id in after.energy_low_j and c.id in before.energy_low_j:
                    low = max(after.energy_low_j[c.id] - before.energy_low_j[c.id], 0.0)
                if c.id in after.energy_high_j and c.id in before.energy_high_j:
                    high = max(after.energy_high_j[c.id] - before.energy_high_j[c.id], 0.0)
                attributed = None
                status, reason = _status(c.id, before, after)
                key = (index, c.id)
                if self._attr_unknown.get(key, 0) > unknown_at_begin.get(key, 0):
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
                        status=status,
                        status_reason=reason,
                    )
                )
        return tuple(out)

    # -- lifetime ----------------------------------------------------------
    def close(self) -> None:
        """Stop the background reads. Sensors stay open: they may be shared by other meters.

        Windows still open keep their begin readings and can be ended, but are
        no longer read between the edges.
        """
        with self._lock:
            windows = list(self._windows.values())
        for window in windows:
            self._release(window)
        with self._sampler_lock:
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


def _select(
    sensors: tuple[Sensor, ...], devices: frozenset[str] | None
) -> tuple[tuple[Sensor, ...], list[list[Component]]]:
    """The sensors to read and the components to report, kept to ``devices`` when given."""
    if devices is None:
        return sensors, [s.components() for s in sensors]
    listed = {c.id for s in sensors for c in s.components()}
    unknown = sorted(devices - listed)
    if unknown:
        raise UsageError(
            f"no sensor reports {', '.join(unknown)}",
            hint=f"the components here are: {', '.join(sorted(listed)) or 'none'}",
        )
    kept = [(s, [c for c in s.components() if c.id in devices]) for s in sensors]
    kept = [(s, components) for s, components in kept if components]
    return tuple(s for s, _ in kept), [components for _, components in kept]


def _cpu_share(window: _Window, tree: float, busy: float | None) -> float | None:
    """The process tree's share of the CPU time the whole machine was busy during the window."""
    if busy is None or window.machine_busy_s is None or busy <= window.machine_busy_s:
        return None
    return min(max((tree - window.tree_cpu_s) / (busy - window.machine_busy_s), 0), 1)


def _status(
    cid: str, before: Reading, after: Reading
) -> tuple[Literal["measured", "partial", "unknown"], str | None]:
    """Whether a window's reads of a component all went well, from the readings' faults."""
    failed_before = before.faults.get(cid, (0, ""))[0]
    failed, reason = after.faults.get(cid, (0, ""))
    if cid not in before.energy_j or cid not in after.energy_j:
        return "unknown", reason or "no reading"
    if failed > failed_before:
        return "partial", f"{failed - failed_before} read(s) failed (last: {reason})"
    return "measured", None


def _update_periods(sensors: Sequence[Sensor]) -> dict[str, float]:
    """Each component's documented counter update period, where the sensor gives one."""
    from wattlens.sensors.counters import counter_specs

    return {
        cid: spec.update_period_s
        for sensor in sensors
        for cid, spec in counter_specs(sensor).items()
        if spec.update_period_s is not None
    }


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
