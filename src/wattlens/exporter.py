"""A Prometheus exporter: the meter's energy as counters that Prometheus scrapes.

The exporter keeps one measurement window of its :class:`~wattlens.meter.Meter`
open at all times and, every ``interval`` (:meth:`Exporter.update`), closes it
and adds its energy to running totals. Consecutive windows are chained: the
next one opens just before the previous one closes, so no energy between
updates is lost; they overlap by the time between those two reads (a few
microseconds with counter sensors). A scrape reads those totals and never
touches a sensor, so it is cheap and does not depend on how often, or by how
many servers, the endpoint is scraped.

Metrics (``host`` is this machine's name; ``run`` is added to every series
when the exporter is given one):

- ``wattlens_energy_joules_total{component,device,host,method}``: energy since
  the exporter started. ``component`` is the kind (``gpu``, ``cpu``, ``dram``,
  ``ram``, ``module``, ``other``), ``device`` the component id (``gpu:0``,
  ``cpu:package-0``), ``method`` ``measured`` (hardware counter or power
  samples) or ``modelled`` (utilisation x catalog figures).
- ``wattlens_energy_range_joules_total{…,bound}``: the low and high bounds of
  a modelled component's energy (``bound`` is ``low`` or ``high``).
- ``wattlens_power_watts{component,device,host,method}``: average power over
  the last update interval.
- ``wattlens_component_up{component,device,host,method}``: 1 when every read of
  the component in the last interval succeeded, else 0 (its energy is then
  held at its last good read).
- ``wattlens_component_info{component,device,host,method,name,sensor}``: 1, with
  what the component is and which backend reads it.
- ``wattlens_window_energy_joules_total{component,device,host,method,window}``,
  ``wattlens_window_duration_seconds_total{host,window}`` and
  ``wattlens_windows_total{host,window}``: measurement windows handed to
  :meth:`Exporter.record` (one per training step, per request batch …),
  summed by window name. At most ``max_windows`` distinct names get their own
  label value; later names are summed under ``window="other"``, so a name per
  step cannot grow Prometheus without bound.
- ``wattlens_exporter_updates_total{host}`` and
  ``wattlens_exporter_last_update_timestamp_seconds{host}``: how fresh the
  numbers are.

Each exporter has its own ``prometheus_client`` registry (:attr:`Exporter.registry`);
nothing is registered in the library's global one.
"""

from __future__ import annotations

import errno
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

from wattlens.errors import UsageError, WattlensError
from wattlens.measurement import ComponentEnergy, Measurement
from wattlens.sensors.base import Component, Method

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import CollectorRegistry

    from wattlens.meter import Meter

DEFAULT_PORT = 9464
DEFAULT_INTERVAL_S = 1.0
DEFAULT_MAX_WINDOWS = 32
OTHER_WINDOW = "other"
MAX_LABEL_CHARS = 128
"""Longest label value: a longer window name is cut, a longer host or run label refused
(Prometheus keeps every distinct value in memory)."""

_PROMETHEUS_HINT = "install the prometheus extra: pip install 'wattlens[prometheus]'"
_COMPONENT_LABELS = ("component", "device", "host", "method")


def method_label(method: Method) -> str:
    """``measured`` for hardware counters and power samples, ``modelled`` for models."""
    return "modelled" if method == "modeled" else "measured"


@dataclass
class _Series:
    """Running totals of one component."""

    component: Component
    energy_j: float = 0.0
    low_j: float | None = None
    high_j: float | None = None
    power_w: float | None = None
    up: bool = True

    def add(self, energy: ComponentEnergy) -> None:
        self.energy_j += energy.energy_j
        if energy.energy_low_j is not None and energy.energy_high_j is not None:
            self.low_j = (self.low_j or 0.0) + energy.energy_low_j
            self.high_j = (self.high_j or 0.0) + energy.energy_high_j
        self.power_w = energy.avg_power_w
        self.up = energy.status == "measured"


@dataclass
class _WindowTotals:
    count: int = 0
    duration_s: float = 0.0
    energy_j: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """Joules per (component kind, device, method label)."""


@dataclass(frozen=True)
class MetricsServer:
    """A running ``/metrics`` endpoint (:meth:`Exporter.serve`)."""

    host: str
    port: int
    """The bound port (the one the system chose when asked for port 0)."""
    _server: WSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/metrics"

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class Exporter:
    """Exposes a meter's energy to Prometheus.

    The exporter opens its first window when it is created: its counters count
    from then on. Call :meth:`update` to move the totals forward (or
    :meth:`start` to have a thread do it every interval), :meth:`serve` to
    listen for scrapes, and :meth:`close` at the end.

    Args:
        meter: what to read; the exporter opens and closes its own windows on
            it, which may overlap the caller's.
        host_label: value of the ``host`` label; default this machine's name.
        run: value of a ``run`` label on every series (one per exporter, so
            it stays low-cardinality); ``None``: no ``run`` label.
        max_windows: how many distinct window names :meth:`record` gives their
            own label value before summing the rest under ``other``.
        clock: wall clock for the last-update timestamp (inject for tests).

    Example::

        meter = Meter()
        with Exporter(meter) as exporter:
            exporter.serve(port=9464)
            exporter.start(interval_s=1.0)
            train()
    """

    def __init__(
        self,
        meter: Meter,
        *,
        host_label: str | None = None,
        run: str | None = None,
        max_windows: int = DEFAULT_MAX_WINDOWS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_windows < 0:
            raise UsageError(f"max_windows must be 0 or more, got {max_windows}")
        host = socket.gethostname() if host_label is None else host_label
        self.host = _label_value("host label", host)
        self.run = None if run is None else _label_value("run label", run)
        self.meter = meter
        self.max_windows = max_windows
        self._clock = clock
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._series: dict[str, _Series] = {}
        for sensor in meter.sensors:
            for component in sensor.components():
                self._series.setdefault(component.id, _Series(component))
        self._windows: dict[str, _WindowTotals] = {}
        self.updates = 0
        self.last_update_s: float | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._servers: list[MetricsServer] = []
        self._names = (f"wattlens-exporter-{id(self):x}-a", f"wattlens-exporter-{id(self):x}-b")
        self._open = 0
        self._closed = False
        self.registry = _registry(self)
        meter.begin(self._names[0])

    # -- totals ------------------------------------------------------------
    def update(self) -> Measurement:
        """Close the current window, add its energy to the totals and open the next.

        Returns:
            The closed window's measurement (the energy just added).
        """
        with self._update_lock:
            if self._closed:
                raise UsageError("the exporter is closed", hint="create a new Exporter")
            return self._roll(reopen=True)

    def _roll(self, *, reopen: bool) -> Measurement:
        current = self._names[self._open]
        following = self._open ^ 1
        if reopen:
            # Open the next window first: its begin read comes just before the current one's
            # end read, so no energy falls between them (they overlap by about one read).
            self.meter.begin(self._names[following])
        try:
            measurement = self.meter.end(current)
        except BaseException:
            if reopen:
                self.meter.cancel(self._names[following])
            raise
        self._open = following
        with self._lock:
            for energy in measurement.components:
                series = self._series.get(energy.id)
                if series is None:
                    continue
                series.add(energy)
            self.updates += 1
            self.last_update_s = self._clock()
        return measurement

    def totals_j(self) -> dict[str, float]:
        """Energy per component id since the exporter started, as exported now."""
        with self._lock:
            return {cid: s.energy_j for cid, s in self._series.items()}

    def record(self, measurement: Measurement) -> None:
        """Add a finished window of the caller's (``meter.end(...)``) to the window metrics."""
        label = measurement.name[:MAX_LABEL_CHARS] or "unnamed"
        with self._lock:
            totals = self._windows.get(label)
            if totals is None:
                if len(self._windows) >= self.max_windows and label != OTHER_WINDOW:
                    label = OTHER_WINDOW
                totals = self._windows.setdefault(label, _WindowTotals())
            totals.count += 1
            totals.duration_s += measurement.duration_s
            for energy in measurement.components:
                key = (energy.kind, energy.id, method_label(energy.method))
                totals.energy_j[key] = totals.energy_j.get(key, 0.0) + energy.energy_j

    @contextmanager
    def window(self, name: str) -> Iterator[None]:
        """Measure a block as a window of the exporter's meter and :meth:`record` it."""
        self.meter.begin(name)
        try:
            yield
        except BaseException:
            self.meter.cancel(name)
            raise
        self.record(self.meter.end(name))

    # -- background updates and serving -----------------------------------
    def start(self, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        """Call :meth:`update` every ``interval_s`` seconds from a daemon thread."""
        if not (math.isfinite(interval_s) and interval_s > 0):
            raise UsageError(f"the update interval must be positive, got {interval_s}")
        if self._closed:
            raise UsageError("the exporter is closed", hint="create a new Exporter")
        if self._thread is not None:
            raise UsageError("the exporter is already updating", hint="call start() once")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(interval_s,), name="wattlens-exporter", daemon=True
        )
        self._thread.start()

    def _run(self, interval_s: float) -> None:
        deadline = time.monotonic() + interval_s
        while not self._stop.wait(max(deadline - time.monotonic(), 0.0)):
            try:
                self.update()
            except Exception as exc:  # keep serving the last totals; the error is kept
                self.last_error = f"{type(exc).__name__}: {exc}"
            deadline += interval_s
            now = time.monotonic()
            if deadline < now:  # fell behind (suspended): skip, don't burst
                deadline = now + interval_s

    def serve(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> MetricsServer:
        """Serve the metrics at ``http://host:port/metrics`` from a daemon thread.

        Raises:
            UsageError: the address cannot be bound (port in use, unknown host).
            WattlensError: prometheus-client is not installed.
        """
        try:
            from prometheus_client import start_http_server
        except ImportError as exc:
            raise WattlensError(
                f"the exporter needs prometheus-client ({exc.name} is missing)",
                hint=_PROMETHEUS_HINT,
            ) from exc
        try:
            server, thread = start_http_server(port, addr=host.strip("[]"), registry=self.registry)
        except OSError as exc:
            raise _listen_error(host, port, exc) from exc
        bound = MetricsServer(host, int(server.server_port), server, thread)
        self._servers.append(bound)
        return bound

    def close(self) -> None:
        """Stop updating and serving; the last window's energy is added first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        with self._update_lock:
            if not self._closed:
                self._closed = True
                with suppress(WattlensError):
                    self._roll(reopen=False)
        for server in self._servers:
            server.close()
        self._servers.clear()

    def __enter__(self) -> Exporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- exposition ----------------------------------------------------------
    def collect(self) -> Iterator[Metric]:
        """The metric families of a scrape, from the totals (no sensor is read)."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        run = () if self.run is None else (self.run,)
        run_label = () if self.run is None else ("run",)
        labels = [*_COMPONENT_LABELS, *run_label]
        energy = CounterMetricFamily(
            "wattlens_energy_joules",
            "Energy used by each component since the exporter started, in joules.",
            labels=labels,
            unit="joules",
        )
        bounds = CounterMetricFamily(
            "wattlens_energy_range_joules",
            "Low and high bounds of a modelled component's energy since the exporter started.",
            labels=[*labels, "bound"],
            unit="joules",
        )
        power = GaugeMetricFamily(
            "wattlens_power_watts",
            "Average power of each component over the last update interval, in watts.",
            labels=labels,
            unit="watts",
        )
        up = GaugeMetricFamily(
            "wattlens_component_up",
            "1 when every read of the component in the last update interval succeeded, else 0.",
            labels=labels,
        )
        info = GaugeMetricFamily(
            "wattlens_component_info",
            "What each component is and which sensor backend reads it (value 1).",
            labels=[*labels, "name", "sensor"],
        )
        window_energy = CounterMetricFamily(
            "wattlens_window_energy_joules",
            "Energy of recorded measurement windows, summed by window name, in joules.",
            labels=[*labels, "window"],
            unit="joules",
        )
        window_seconds = CounterMetricFamily(
            "wattlens_window_duration_seconds",
            "Duration of recorded measurement windows, summed by window name, in seconds.",
            labels=["host", *run_label, "window"],
            unit="seconds",
        )
        window_count = CounterMetricFamily(
            "wattlens_windows",
            "Number of recorded measurement windows, by window name.",
            labels=["host", *run_label, "window"],
        )
        updates = CounterMetricFamily(
            "wattlens_exporter_updates",
            "Number of times the exporter has read its meter.",
            labels=["host", *run_label],
        )
        last_update = GaugeMetricFamily(
            "wattlens_exporter_last_update_timestamp_seconds",
            "Unix time of the exporter's last read of its meter.",
            labels=["host", *run_label],
            unit="seconds",
        )
        with self._lock:
            for series in self._series.values():
                c = series.component
                values = [c.kind, c.id, self.host, method_label(c.method), *run]
                energy.add_metric(values, series.energy_j)
                if series.low_j is not None and series.high_j is not None:
                    bounds.add_metric([*values, "low"], series.low_j)
                    bounds.add_metric([*values, "high"], series.high_j)
                if series.power_w is not None:
                    power.add_metric(values, series.power_w)
                up.add_metric(values, 1.0 if series.up else 0.0)
                info.add_metric([*values, c.name, c.sensor], 1.0)
            for name, totals in self._windows.items():
                for (kind, device, method), joules in totals.energy_j.items():
                    window_energy.add_metric([kind, device, self.host, method, *run, name], joules)
                window_seconds.add_metric([self.host, *run, name], totals.duration_s)
                window_count.add_metric([self.host, *run, name], totals.count)
            updates.add_metric([self.host, *run], self.updates)
            if self.last_update_s is not None:
                last_update.add_metric([self.host, *run], self.last_update_s)
        yield from (energy, bounds, power, up, info)
        yield from (window_energy, window_seconds, window_count, updates, last_update)

    def exposition(self) -> str:
        """The text a scrape of ``/metrics`` returns (Prometheus text format 0.0.4)."""
        from prometheus_client import generate_latest

        return generate_latest(self.registry).decode()


class _Collector:
    """Adapts an exporter to prometheus-client's collector interface."""

    def __init__(self, exporter: Exporter) -> None:
        self._exporter = exporter

    def collect(self) -> Iterator[Metric]:
        return self._exporter.collect()


def _registry(exporter: Exporter) -> CollectorRegistry:
    try:
        from prometheus_client.registry import CollectorRegistry
    except ImportError as exc:
        raise WattlensError(
            f"the exporter needs prometheus-client ({exc.name} is missing)",
            hint=_PROMETHEUS_HINT,
        ) from exc
    # auto_describe: the registry learns the metric names from one collect at
    # registration, so that a second collector exposing the same names is refused.
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Collector(exporter))
    return registry


def _label_value(what: str, value: str) -> str:
    if not value.strip():
        raise UsageError(f"the {what} is empty", hint=f"give a non-empty {what}")
    if len(value) > MAX_LABEL_CHARS:
        raise UsageError(
            f"the {what} is {len(value)} characters long; at most {MAX_LABEL_CHARS} are allowed",
            hint=f"give a shorter {what}",
        )
    return value


def _listen_error(host: str, port: int, exc: OSError) -> UsageError:
    reason = exc.strerror or str(exc)
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        hint = (
            f"another program listens on port {port}: choose another --port, or stop it "
            f"(`ss -ltnp 'sport = :{port}'` names it)"
        )
    elif exc.errno in (errno.EACCES, errno.EPERM):
        hint = "ports below 1024 need privileges: choose a --port of 1024 or more"
    elif isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        hint = "give an address of this machine: --host 127.0.0.1, or 0.0.0.0 for every interface"
    else:
        hint = "choose another --host or --port"
    return UsageError(f"cannot listen on {where}: {reason}", hint=hint)
