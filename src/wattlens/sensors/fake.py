"""Test doubles shipped as public API: scripted and replayed sensors.

Users test their own code with these (no GPU needed), and wattlens's tests
use the same classes::

    from wattlens.sensors.fake import FakeSensor
    meter = Meter(sensors=[FakeSensor({"gpu:0": 300.0})])

:class:`FakeSensor` draws a constant power per component (or follows a
function of elapsed time); :class:`ReplaySensor` replays a recorded power
timeline, such as one stored by ``wattlens run --timeline``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from wattlens.sensors.base import Component, ComponentKind, Method, Reading


class _Point(Protocol):
    @property
    def t_s(self) -> float: ...
    @property
    def power_w(self) -> Mapping[str, float]: ...


class _Recorded(Protocol):
    """A stored run (a ``wattlens.measurement.Measurement``), described by shape: the
    measurement layer sits above the sensors, which never import it."""

    @property
    def run_id(self) -> str: ...
    @property
    def timeline(self) -> Sequence[_Point] | None: ...


_KINDS: tuple[ComponentKind, ...] = ("gpu", "cpu", "dram", "ram")


def _kind_of(component_id: str) -> ComponentKind:
    prefix = component_id.split(":", 1)[0]
    for kind in _KINDS:
        if prefix == kind:
            return kind
    return "other"


class FakeSensor:
    """A sensor with scripted energy: constant power, or a cumulative-energy function.

    Args:
        power_w: constant power per component id (``{"gpu:0": 300.0}``);
            the component kind is taken from the id's prefix.
        energy_j: alternatively, a function of elapsed seconds returning the
            cumulative joules per component (exact, for any shape of load).
        method: the method to report (default ``counter``).
        clock: monotonic clock in seconds (inject one to make tests exact).
        attributed_share: fraction of each component's energy attributed to
            the measured process tree (``None``: not known).
        max_read_interval_s: the read cadence to declare (``None``: none needed).
    """

    def __init__(
        self,
        power_w: Mapping[str, float] | None = None,
        *,
        energy_j: Callable[[float], Mapping[str, float]] | None = None,
        method: Method = "counter",
        clock: Callable[[], float] = time.monotonic,
        attributed_share: float | None = None,
        name: str = "fake",
        needs_polling: bool = False,
        max_read_interval_s: float | None = None,
    ) -> None:
        if (power_w is None) == (energy_j is None):
            raise ValueError("give exactly one of power_w or energy_j")
        if power_w is not None:
            constant = dict(power_w)
            self._energy: Callable[[float], Mapping[str, float]] = lambda t: {
                k: p * t for k, p in constant.items()
            }
            self._power: dict[str, float] | None = constant
        else:
            assert energy_j is not None
            self._energy = energy_j
            self._power = None
        self._ids = list(self._energy(0.0))
        self._clock = clock
        self._origin = clock()
        self._method = method
        self._share = attributed_share
        self.name = name
        self.needs_polling = needs_polling
        self.max_read_interval_s = max_read_interval_s
        self.closed = False
        self.reads = 0

    def components(self) -> list[Component]:
        return [
            Component(
                id=cid,
                kind=_kind_of(cid),
                name=f"fake {cid}",
                method=self._method,
                sensor=self.name,
                basis="scripted by FakeSensor",
            )
            for cid in self._ids
        ]

    def read(self) -> Reading:
        now = self._clock()
        self.reads += 1
        energy = dict(self._energy(now - self._origin))
        attributed = (
            {k: v * self._share for k, v in energy.items()} if self._share is not None else {}
        )
        return Reading(
            timestamp_s=now,
            energy_j=energy,
            attributed_j=attributed,
            power_w=dict(self._power) if self._power else {},
        )

    def close(self) -> None:
        self.closed = True


class ReplaySensor:
    """Replays a recorded power timeline: ``[(t_s, {component: power_w}), ...]``.

    Energy is the trapezoid integral of the piecewise-linear power up to the
    elapsed time since the sensor was created; after the last sample the
    last power holds. Components keep their recorded ids; the method is
    ``sampled`` and the sensor ``replay``.
    """

    name = "replay"
    needs_polling = False
    max_read_interval_s: float | None = None

    def __init__(
        self,
        trace: Sequence[tuple[float, Mapping[str, float]]],
        *,
        clock: Callable[[], float] = time.monotonic,
        source: str = "a recorded trace",
    ) -> None:
        if len(trace) < 2:
            raise ValueError("a replay trace needs at least two samples")
        times = [float(t) for t, _ in trace]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("replay trace times must increase strictly")
        self._ids = sorted({k for _, p in trace for k in p})
        self._t = [t - times[0] for t in times]
        self._p = [{k: float(p.get(k, 0.0)) for k in self._ids} for _, p in trace]
        # Cumulative energy at each sample, for O(log n) reads.
        self._cum: list[dict[str, float]] = [dict.fromkeys(self._ids, 0.0)]
        for i in range(1, len(self._t)):
            dt = self._t[i] - self._t[i - 1]
            prev = self._cum[-1]
            self._cum.append(
                {k: prev[k] + (self._p[i][k] + self._p[i - 1][k]) / 2 * dt for k in self._ids}
            )
        self._clock = clock
        self._origin = clock()
        self._source = source
        self._lock = threading.Lock()

    @classmethod
    def from_measurement(cls, measurement: _Recorded, **kwargs: Any) -> ReplaySensor:
        """Replay the timeline of a stored measurement (``wattlens run --timeline``)."""
        if not measurement.timeline:
            raise ValueError(f"run {measurement.run_id} has no timeline: record with --timeline")
        trace = [(p.t_s, p.power_w) for p in measurement.timeline]
        return cls(trace, source=f"run {measurement.run_id}", **kwargs)

    @classmethod
    def from_json(cls, path: str | Path, **kwargs: Any) -> ReplaySensor:
        """Replay a JSON file: a list of ``{"t_s", "power_w": {...}}`` or a run's JSON."""
        data = json.loads(Path(path).read_text())
        points = data["timeline"] if isinstance(data, dict) else data
        trace = [(float(p["t_s"]), dict(p["power_w"])) for p in points]
        return cls(trace, source=str(path), **kwargs)

    def energy_at(self, elapsed_s: float) -> dict[str, float]:
        """Cumulative energy per component at an elapsed time, in joules."""
        if elapsed_s <= 0:
            return dict.fromkeys(self._ids, 0.0)
        i = bisect.bisect_right(self._t, elapsed_s) - 1
        base = self._cum[i]
        if i >= len(self._t) - 1:
            last = self._p[-1]
            return {k: base[k] + last[k] * (elapsed_s - self._t[-1]) for k in self._ids}
        t0, t1 = self._t[i], self._t[i + 1]
        frac = (elapsed_s - t0) / (t1 - t0)
        out = {}
        for k in self._ids:
            p0, p1 = self._p[i][k], self._p[i + 1][k]
            p_at = p0 + (p1 - p0) * frac
            out[k] = base[k] + (p0 + p_at) / 2 * (elapsed_s - t0)
        return out

    def components(self) -> list[Component]:
        return [
            Component(
                id=cid,
                kind=_kind_of(cid),
                name=f"replayed {cid}",
                method="sampled",
                sensor="replay",
                basis=f"replayed from {self._source}",
            )
            for cid in self._ids
        ]

    def read(self) -> Reading:
        with self._lock:
            now = self._clock()
            return Reading(timestamp_s=now, energy_j=self.energy_at(now - self._origin))

    def close(self) -> None:
        return None
