"""Counter wrap-around correction.

Hardware energy counters are finite registers. Intel and AMD RAPL counters
are 32-bit in hardware energy units; the kernel's powercap driver scales them
to micro-joules and publishes the largest value the counter reaches in
``max_energy_range_uj`` (Documentation/power/powercap/powercap.rst). When the
counter passes that value it starts again near zero. NVML's total-energy
counter is a 64-bit count of millijoules (``nvmlDeviceGetTotalEnergyConsumption``)
and does not wrap in practice (2**64 mJ is about 1.8e13 kJ), but it restarts
at zero when the driver is reloaded.

:func:`unwrap_delta` is the pure rule for one step and
:class:`WrapAccumulator` holds the state (last raw value, running total)
behind a lock, so the meter's sampler thread and a window edge on the main
thread can read the same counter.

A limit no software can lift: **several wraps between two reads look like
one**, so a counter must be read more often than once per wrap period.
:func:`max_read_interval_s` gives that period. For example a package counter
with ``max_energy_range_uj = 262143328850`` (about 262 kJ, a common value on
Intel server parts) drawing 350 W wraps every 262143 J / 350 W ≈ 749 s
(12.5 minutes); a counter with a 65.5 kJ range at the same power wraps in
about 3 minutes. A wrapping sensor therefore declares
:func:`counter_read_interval_s` as its ``max_read_interval_s``, and the meter
reads it at least that often while a window is open, even when nobody asked
for a power timeline.
"""

from __future__ import annotations

import threading


def unwrap_delta(previous: int, current: int, max_range: int | None) -> int:
    """Energy consumed between two raw counter values, correcting one wrap.

    Args:
        previous: The earlier raw counter value (counter units, e.g. µJ).
        current: The later raw counter value (same units).
        max_range: The largest value the counter reaches before wrapping
            (RAPL ``max_energy_range_uj``), or ``None`` for a counter that
            does not wrap (NVML's 64-bit mJ counter).

    Returns:
        The non-negative increase, in counter units. For a wrapping counter a
        decrease is read as exactly one wrap: ``current + max_range - previous``.
        RAPL's true modulus is ``max_range`` plus one hardware energy unit
        (15.3-61 µJ depending on the part), so each wrap may under-count by
        that much: negligible against the hundreds of kilojoules per wrap.
        For a non-wrapping counter a decrease means the counter was reset
        (driver reload), and ``current`` is what was consumed since the reset.

    Raises:
        ValueError: If a value is negative or larger than ``max_range``.
    """
    if previous < 0 or current < 0:
        raise ValueError(f"counter values must be >= 0, got {previous} and {current}")
    if max_range is not None:
        if max_range <= 0:
            raise ValueError(f"max_range must be > 0, got {max_range}")
        if previous > max_range or current > max_range:
            raise ValueError(
                f"counter value above its range: {max(previous, current)} > {max_range}"
            )
    if current >= previous:
        return current - previous
    if max_range is None:
        return current
    return current + max_range - previous


def max_read_interval_s(max_range_uj: float, power_w: float) -> float:
    """The longest time between reads that still detects every wrap.

    A counter of range ``max_range_uj`` filled at ``power_w`` wraps after
    ``max_range_uj / 1e6 / power_w`` seconds; two wraps between reads cannot
    be told from one, so reads must come more often than that.

    Args:
        max_range_uj: The counter's range in micro-joules (``max_energy_range_uj``).
        power_w: The highest power the counted domain can draw, in watts
            (use the package's TDP or power limit, not its average).

    Returns:
        The wrap period in seconds.

    Raises:
        ValueError: If either argument is not positive.
    """
    if max_range_uj <= 0 or power_w <= 0:
        raise ValueError(f"max_range_uj and power_w must be > 0, got {max_range_uj}, {power_w}")
    return max_range_uj / 1e6 / power_w


READS_PER_WRAP = 2
"""Reads per wrap period at full power: a read late by up to half a wrap period
(a scheduler stall, a busy interpreter) still leaves at most one wrap between reads."""


def counter_read_interval_s(max_range_uj: float, max_power_w: float) -> float:
    """How often a wrapping counter must be read: half its wrap period at full power.

    Args:
        max_range_uj: The counter's range in micro-joules (``max_energy_range_uj``).
        max_power_w: An upper bound of the counted domain's power, in watts.

    Returns:
        The longest interval between reads, in seconds, with the
        :data:`READS_PER_WRAP` margin applied.
    """
    return max_read_interval_s(max_range_uj, max_power_w) / READS_PER_WRAP


class WrapAccumulator:
    """Turn successive raw readings of one counter into a monotonic total.

    The total starts at the first raw value, so until the first wrap it equals
    the hardware counter; afterwards it keeps growing where the counter falls
    back. Thread-safe: :meth:`update` holds a lock while it reads and writes
    the state.

    Args:
        max_range: The counter's wrap value (counter units), or ``None`` for a
            counter that does not wrap but may reset.
    """

    def __init__(self, max_range: int | None) -> None:
        self.max_range = max_range
        self._lock = threading.Lock()
        self._last: int | None = None
        self._total = 0

    def update(self, raw: int) -> int:
        """Feed a raw counter value; return the cumulative, wrap-corrected total.

        Args:
            raw: The counter value just read, in counter units.

        Returns:
            The cumulative total in counter units, never smaller than the
            previous return value.
        """
        with self._lock:
            if self._last is None:
                if self.max_range is not None and not 0 <= raw <= self.max_range:
                    raise ValueError(f"counter value {raw} outside [0, {self.max_range}]")
                self._total = raw
            else:
                self._total += unwrap_delta(self._last, raw, self.max_range)
            self._last = raw
            return self._total

    @property
    def total(self) -> int:
        """The last cumulative total returned by :meth:`update` (0 before the first)."""
        with self._lock:
            return self._total
