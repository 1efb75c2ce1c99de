"""Sample every sensor for a few seconds and flag counters that cannot be right.

What ``wattlens doctor --check`` runs. Each component is read every
``interval_s`` for ``seconds`` while one CPU core is kept busy, and flagged
when:

- its energy did not increase although it was under load (a CPU package
  while the core spins, a GPU that reports power): a stuck counter, as seen
  on MI100 (ROCm/amdsmi#38) and MI210 (ROCm/rocm_smi_lib#180);
- its average power is above twice its power limit: a misread unit or a
  sentinel read as a value (0xFFFF read as 65 535 W);
- its counter and the hardware's own power readings disagree by more than a
  factor of two while the GPU draws more than 10 W;
- reads failed during the check.

The time between changes of the value is measured too: the counter's real
update period, which decides how short a useful window can be.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wattlens.sensors.base import Reading, Sensor
from wattlens.sensors.counters import counter_specs

BUSY_GPU_W = 10.0
"""Reported power above which a GPU is taken as drawing, not idle."""


@dataclass(frozen=True)
class ComponentCheck:
    """What sampling one component showed."""

    component_id: str
    duration_s: float
    energy_j: float
    avg_power_w: float
    reported_power_w: float | None
    """Mean of the power the hardware reported during the check, where it does."""
    max_power_w: float | None
    update_period_s: float | None
    """Median time between changes of the energy value; None with fewer than two changes."""
    faults: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _spin(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        x = (x + 1) % 1_000_003


def check_sensors(
    sensors: Sequence[Sensor],
    *,
    seconds: float = 3.0,
    interval_s: float = 0.01,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    load_cpu: bool = True,
) -> list[ComponentCheck]:
    """Sample each sensor for ``seconds`` and say what looks wrong, per component.

    Args:
        sensors: The sensors to check.
        seconds: How long to sample.
        interval_s: Time between reads (short, to see the update period).
        clock: Monotonic seconds (inject for tests).
        sleep: Waits between reads (inject for tests, to drive fakes).
        load_cpu: Keep one core busy so that a CPU counter must increase.
    """
    stop = threading.Event()
    spinner = threading.Thread(target=_spin, args=(stop,), daemon=True) if load_cpu else None
    if spinner is not None:
        spinner.start()
    try:
        series = _sample(sensors, seconds, interval_s, clock, sleep)
    finally:
        stop.set()
        if spinner is not None:
            spinner.join(timeout=1)
    out: list[ComponentCheck] = []
    for sensor, readings in zip(sensors, series, strict=True):
        specs = counter_specs(sensor)
        for component in sensor.components():
            spec = specs.get(component.id)
            out.append(
                _judge(
                    component.id,
                    component.kind,
                    component.method,
                    readings,
                    spec.max_power_w if spec is not None else None,
                    cpu_loaded=load_cpu,
                )
            )
    return out


def _sample(
    sensors: Sequence[Sensor],
    seconds: float,
    interval_s: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[list[Reading]]:
    series: list[list[Reading]] = [[s.read()] for s in sensors]
    start = clock()
    while clock() - start < seconds:
        sleep(interval_s)
        for sensor, readings in zip(sensors, series, strict=True):
            readings.append(sensor.read())
    return series


def _judge(
    cid: str,
    kind: str,
    method: str,
    readings: list[Reading],
    max_power_w: float | None,
    *,
    cpu_loaded: bool,
) -> ComponentCheck:
    first, last = readings[0], readings[-1]
    duration = max(last.timestamp_s - first.timestamp_s, 0.0)
    energy = last.energy_j.get(cid, 0.0) - first.energy_j.get(cid, 0.0)
    avg = energy / duration if duration > 0 else 0.0
    powers = [r.power_w[cid] for r in readings if cid in r.power_w]
    reported = statistics.fmean(powers) if powers else None
    changes = [
        b.timestamp_s
        for a, b in itertools.pairwise(readings)
        if b.energy_j.get(cid) != a.energy_j.get(cid)
    ]
    periods = [t1 - t0 for t0, t1 in itertools.pairwise(changes)]
    update = statistics.median(periods) if periods else None
    faults = last.faults.get(cid, (0, ""))[0] - first.faults.get(cid, (0, ""))[0]
    problems: list[str] = []
    if faults > 0:
        problems.append(f"{faults} reads failed: {last.faults[cid][1]}")
    if method != "modeled" and energy <= 0:
        if kind == "cpu" and cpu_loaded:
            problems.append("energy did not increase while a CPU core was busy: stuck counter")
        elif reported is not None and reported > BUSY_GPU_W:
            problems.append(
                f"energy did not increase while the hardware reports {reported:.0f} W: "
                "stuck counter"
            )
    if max_power_w is not None and avg > 2 * max_power_w:
        problems.append(
            f"average power {avg:.0f} W is above twice the power limit "
            f"({max_power_w:.0f} W): implausible"
        )
    if (
        method == "counter"
        and reported is not None
        and reported > BUSY_GPU_W
        and energy > 0
        and not 0.5 <= avg / reported <= 2.0
    ):
        problems.append(f"the counter gives {avg:.0f} W but the hardware reports {reported:.0f} W")
    return ComponentCheck(
        cid, duration, energy, avg, reported, max_power_w, update, faults, tuple(problems)
    )
