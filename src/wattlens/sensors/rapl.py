"""CPU package and DRAM energy from Linux powercap RAPL counters.

The kernel's powercap framework (Documentation/power/powercap/powercap.rst)
publishes one *zone* per RAPL domain under ``/sys/class/powercap``::

    intel-rapl:0/            name = package-0, energy_uj, max_energy_range_uj
    intel-rapl:0/intel-rapl:0:0/   name = core
    intel-rapl:0/intel-rapl:0:1/   name = uncore
    intel-rapl:0/intel-rapl:0:2/   name = dram
    intel-rapl:1/            name = package-1 (second socket) or psys

AMD processors use the same ``intel-rapl`` names on Linux (the
``intel_rapl_msr`` driver reads AMD's RAPL MSRs since Linux 5.8 for
Family 17h, later kernels adding newer families, and registers them under
``intel-rapl`` too). ``amd-rapl`` directories are accepted as well, though no
mainline kernel registers that control type.

What is reported, and why:

- ``cpu:package-N``: the package zone. It already contains its ``core``
  (PP0) and ``uncore`` (PP1, the integrated GPU) subzones, so reporting those
  as well would count their energy twice (Intel SDM vol. 3B, "RAPL
  Interfaces": PP0 and PP1 are sub-domains of the package domain).
  On multi-die packages the kernel makes one zone per die
  (``package-0-die-1``). On Cascade Lake-AP the die counters are distinct and
  each becomes a component (``cpu:package-0-die-1``); on multi-die AMD parts
  (Zen 1/2 EPYC and Threadripper) every die zone mirrors the one socket
  counter, so summing them multiplies the CPU energy by the die count
  (mlco2/codecarbon#1274, fixed there by dropping the mirrors). Die zones of
  one package that read the same value (within :data:`MIRROR_TOLERANCE_UJ`)
  are one counter: reported once, as ``cpu:package-N``.
- ``dram:package-N``: the ``dram`` subzone, which is *not* included in the
  package domain.
- Not reported: ``psys`` (the whole SoC platform, which contains the package,
  so it would double count) and ``intel-rapl-mmio`` zones (a second interface
  to the same package counter on client parts, Documentation/power/powercap).

After the first read a zone that cannot be read is held at its last
energy and counted in ``Reading.faults`` instead of failing the read.

Each read takes the counters through :class:`~wattlens.sensors.wrap.WrapAccumulator`
with the zone's ``max_energy_range_uj``; see :mod:`wattlens.sensors.wrap` for
how often a counter must be read.

Since the PLATYPUS disclosure (CVE-2020-8694, November 2020) ``energy_uj`` is
readable by root only: a :class:`~wattlens.errors.SensorPermissionError`
names the fix (:data:`PERMISSION_HINT`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Component, Probe, Reading
from wattlens.sensors.counters import CounterSpec, FaultLog
from wattlens.sensors.wrap import WrapAccumulator, counter_read_interval_s

DEFAULT_ROOT = Path("/sys/class/powercap")

Reader = Callable[[Path], str]
"""Reads one sysfs file as text; injectable so tests can raise PermissionError as root."""

PERMISSION_HINT = (
    "energy_uj is readable by root only since the PLATYPUS fix (CVE-2020-8694). "
    "Either run as root, or grant read access to a trusted group: "
    "`sudo groupadd -r powercap && sudo usermod -aG powercap $USER`, then create "
    "/etc/udev/rules.d/99-powercap.rules with the line "
    '`SUBSYSTEM=="powercap", KERNEL=="*rapl:*", ACTION=="add", '
    'RUN+="/bin/chgrp powercap /sys%p/energy_uj", '
    'RUN+="/bin/chmod g+r /sys%p/energy_uj"` and apply it with '
    "`sudo udevadm trigger --subsystem-match=powercap --action=add` (log in again for the "
    "group). On a single-user machine, a quick alternative that resets at boot: "
    "`sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj "
    "/sys/class/powercap/intel-rapl:*/intel-rapl:*/energy_uj`. "
    "Security trade-off: fine-grained energy readings are a power side channel "
    "(PLATYPUS recovered cryptographic keys from them), so give access only to users "
    "you trust, never world-readable on shared machines."
)

# Zone directory names: ``intel-rapl:0`` (package) and ``intel-rapl:0:2`` (subzone).
# ``intel-rapl-mmio:0`` deliberately does not match (see the module docstring).
_PACKAGE_DIR = re.compile(r"^(?:intel|amd)-rapl:(\d+)$")
# Multi-die packages (e.g. Cascade Lake-AP) get one zone per die, named
# ``package-0-die-1`` (drivers/powercap/intel_rapl_common.c, rapl_init_domains).
_PACKAGE_NAME = re.compile(r"^package-(\d+)(?:-die-(\d+))?$")


MIRROR_TOLERANCE_UJ = 1_000_000
"""Two die zones read back to back within 1 J are one mirrored counter: a
socket drawing 500 W adds 1 J in 2 ms, far longer than two sysfs reads, while
distinct dies' counters differ by their whole history since boot."""


def _read_text(path: Path) -> str:
    return path.read_text(encoding="ascii")


@dataclass(frozen=True)
class _Zone:
    component: Component
    energy_path: Path
    max_range_uj: int
    notes: tuple[str, ...] = ()


class RaplSensor:
    """Cumulative energy of every CPU package and its DRAM from powercap RAPL.

    Args:
        root: The powercap class directory (``/sys/class/powercap``); tests
            pass a fake tree.
        reader: Reads one sysfs file as text (default: ``Path.read_text``).

    Raises:
        SensorError: If ``root`` holds no RAPL package zone or a zone is malformed.
        SensorPermissionError: If ``energy_uj`` cannot be read; the hint names the fix.
    """

    name = "rapl"
    needs_polling = False
    max_read_interval_s: float | None
    """Half the shortest wrap period of any zone at that zone's highest power."""

    def __init__(self, root: Path = DEFAULT_ROOT, *, reader: Reader | None = None) -> None:
        self.root = root
        self._read_file: Reader = reader if reader is not None else _read_text
        self._lock = threading.Lock()
        self._zones = _discover(root, self._read_file)
        if not self._zones:
            raise SensorError(
                f"no RAPL package zone under {root}",
                hint="RAPL needs an Intel (Sandy Bridge or later) or AMD (Zen, kernel >= 5.8) "
                "CPU and the intel_rapl_common / intel_rapl_msr kernel modules: "
                "`sudo modprobe intel_rapl_msr`; virtual machines rarely expose it",
            )
        self._accumulators = {z.component.id: WrapAccumulator(z.max_range_uj) for z in self._zones}
        self.max_read_interval_s = min(
            counter_read_interval_s(
                z.max_range_uj, zone_max_power_w(z.energy_path.parent, self._read_file)
            )
            for z in self._zones
        )
        self.notes: list[str] = [n for z in self._zones for n in z.notes]
        """What discovery decided about the zones (mirrored dies), for ``wattlens doctor``."""
        self._faults = FaultLog()
        # A first read now both proves we may read the counters (failing early, with
        # the fix, instead of at the first window edge) and anchors the accumulators.
        self._read(strict=True)

    def components(self) -> list[Component]:
        """The package and DRAM components, ordered by package then CPU before DRAM."""
        return [z.component for z in self._zones]

    def counter_specs(self) -> list[CounterSpec]:
        """Width, resolution and update period of each zone's counter."""
        return [
            CounterSpec(
                z.component.id,
                f"counter: {z.energy_path}",
                32,
                # 32-bit registers in hardware energy units scaled to µJ: the range
                # over 2**32 is one unit (wrap.py).
                z.max_range_uj / 2**32 / 1e6,
                1e-3,
                "about 1 ms (Hähnel et al. 2012, 'Measuring energy consumption for "
                "short code paths using RAPL')",
                z.component.kind == "cpu",
                self._published_max_power_w(z),
            )
            for z in self._zones
        ]

    def _published_max_power_w(self, zone: _Zone) -> float | None:
        watts = zone_max_power_w(zone.energy_path.parent, self._read_file)
        return None if watts == FALLBACK_MAX_POWER_W else watts

    def read(self) -> Reading:
        """Read every counter now.

        Returns:
            Cumulative energy in joules per component, corrected for wrap-around;
            a zone that cannot be read is held and counted in ``faults``.
        """
        return self._read(strict=False)

    def _read(self, *, strict: bool) -> Reading:
        with self._lock:
            energy_j: dict[str, float] = {}
            timestamp_s = time.monotonic()
            for zone in self._zones:
                cid = zone.component.id
                accumulator = self._accumulators[cid]
                try:
                    raw_uj = _read_int(zone.energy_path, self._read_file)
                    try:
                        total_uj = accumulator.update(raw_uj)
                    except ValueError as exc:  # a value above max_energy_range_uj
                        raise SensorError(f"{zone.energy_path}: {exc}") from exc
                except SensorError as exc:
                    if strict:
                        raise
                    self._faults.record_error(cid, exc)
                    total_uj = accumulator.total
                energy_j[cid] = total_uj / 1e6
            return Reading(
                timestamp_s=timestamp_s, energy_j=energy_j, faults=self._faults.snapshot()
            )

    def close(self) -> None:
        """Nothing to release: each read opens and closes its files."""


# Used when a zone publishes no power figure: twice the highest package TDP in the
# catalog (500 W: Intel Xeon 6980P, AMD EPYC 9965, catalog/data/cpus.csv), leaving room
# for short-term limits above TDP (Intel PL2, AMD PPT).
FALLBACK_MAX_POWER_W = 1000.0
_POWER_FILE = re.compile(r"^(?:constraint_\d+_(?:max_power|power_limit)_uw|max_power_range_uw)$")


def zone_max_power_w(path: Path, reader: Reader | None = None) -> float:
    """The highest power a powercap zone says it may draw, in watts.

    The largest of the zone's ``constraint_N_max_power_uw``, its
    ``constraint_N_power_limit_uw`` (long-term PL1, short-term PL2, peak PL4)
    and ``max_power_range_uw`` (Documentation/power/powercap/powercap.rst);
    :data:`FALLBACK_MAX_POWER_W` when it publishes none.
    """
    read = reader if reader is not None else _read_text
    found = []
    try:
        names = [entry.name for entry in path.iterdir() if _POWER_FILE.match(entry.name)]
    except OSError:
        names = []
    for name in names:
        try:
            value = int(read(path / name).strip())
        except (OSError, ValueError):
            continue  # unreadable or not a number: this figure does not count
        if value > 0:
            found.append(value / 1e6)
    return max(found, default=FALLBACK_MAX_POWER_W)


def _read_int(path: Path, read: Reader) -> int:
    try:
        text = read(path)
    except PermissionError as exc:
        raise SensorPermissionError(
            f"cannot read {path}: permission denied", hint=PERMISSION_HINT
        ) from exc
    except OSError as exc:
        raise SensorError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return int(text.strip())
    except ValueError as exc:
        raise SensorError(f"{path} does not hold an integer: {text.strip()!r}") from exc


def _read_name(path: Path, read: Reader) -> str:
    try:
        return read(path / "name").strip()
    except OSError as exc:
        raise SensorError(f"cannot read {path / 'name'}: {exc.strerror or exc}") from exc


def _zone(
    path: Path,
    *,
    component_id: str,
    kind: Literal["cpu", "dram"],
    name: str,
    max_range_uj: int,
) -> _Zone:
    component = Component(
        id=component_id,
        kind=kind,
        name=name,
        method="counter",
        sensor="rapl",
        basis=f"RAPL counter {path / 'energy_uj'} (wraps at {max_range_uj} µJ)",
    )
    return _Zone(component, path / "energy_uj", max_range_uj)


def _dram(entry: Path, package: str, read: Reader) -> _Zone | None:
    for sub in sorted(entry.iterdir()):
        if not sub.name.startswith(entry.name + ":") or not sub.is_dir():
            continue
        # core and uncore are inside the package domain (Intel SDM 3B, RAPL): skip.
        if _read_name(sub, read) == "dram":
            return _zone(
                sub,
                component_id=f"dram:{package}",
                kind="dram",
                name=f"DRAM {package}",
                max_range_uj=_read_int(sub / "max_energy_range_uj", read),
            )
    return None


def _collapse_mirrors(dies: list[tuple[int, Path, str]], read: Reader) -> list[_Zone]:
    """One zone for die zones that mirror one socket counter, else one per die."""
    values = [_read_int(path / "energy_uj", read) for _, path, _ in dies]
    ranges = {_read_int(path / "max_energy_range_uj", read) for _, path, _ in dies}
    package = dies[0][2].split("-die-")[0]
    if len(dies) > 1 and len(ranges) == 1 and max(values) - min(values) <= MIRROR_TOLERANCE_UJ:
        _, path, _ = dies[0]
        names = ", ".join(name for _, _, name in dies)
        zone = _zone(
            path,
            component_id=f"cpu:{package}",
            kind="cpu",
            name=f"CPU {package}",
            max_range_uj=ranges.pop(),
        )
        note = f"{names} read the same counter: counted once as cpu:{package}"
        basis = f"{zone.component.basis}; {note}"
        return [_Zone(replace(zone.component, basis=basis), zone.energy_path, zone.max_range_uj,
                      (note,))]  # fmt: skip
    return [
        _zone(
            path,
            component_id=f"cpu:{name}",
            kind="cpu",
            name=f"CPU {name}",
            max_range_uj=_read_int(path / "max_energy_range_uj", read),
        )
        for _, path, name in dies
    ]


def _discover(root: Path, read: Reader) -> list[_Zone]:
    """Find package zones and their DRAM subzones, sorted by package number."""
    if not root.is_dir():
        return []
    packages: dict[int, list[tuple[int, Path, str]]] = {}
    for entry in sorted(root.iterdir()):
        if not _PACKAGE_DIR.match(entry.name) or not entry.is_dir():
            continue
        match = _PACKAGE_NAME.match(_read_name(entry, read))
        if match is None:
            continue  # psys: it contains the packages, so it would double count
        die = int(match.group(2)) if match.group(2) is not None else -1
        packages.setdefault(int(match.group(1)), []).append((die, entry, match.group(0)))
    zones: list[_Zone] = []
    for number in sorted(packages):
        dies = sorted(packages[number], key=lambda d: d[0])
        cpus = _collapse_mirrors(dies, read)
        for cpu in cpus:
            zones.append(cpu)
            package = cpu.component.id.removeprefix("cpu:")
            dram = _dram(cpu.energy_path.parent, package, read)
            if dram is not None:
                zones.append(dram)
    return zones


def probe_rapl(root: Path = DEFAULT_ROOT, *, reader: Reader | None = None) -> Probe:
    """Say whether RAPL can be used here and why not; never raises.

    Args:
        root: The powercap class directory.
        reader: Reads one sysfs file as text (for tests).

    Returns:
        A :class:`~wattlens.sensors.base.Probe` for ``wattlens doctor``.
    """
    if not root.is_dir():
        return Probe(
            backend="rapl",
            available=False,
            reason=f"{root} does not exist (not Linux, or no powercap support in this kernel)",
            fix="RAPL is Linux-only; on Linux: `sudo modprobe intel_rapl_msr`",
        )
    try:
        sensor = RaplSensor(root, reader=reader)
    except SensorPermissionError as exc:
        return Probe(backend="rapl", available=False, reason=exc.message, fix=exc.hint)
    except SensorError as exc:
        return Probe(backend="rapl", available=False, reason=exc.message, fix=exc.hint)
    except OSError as exc:  # e.g. the tree changed under us while listing it
        return Probe(backend="rapl", available=False, reason=f"cannot list {root}: {exc}")
    components = tuple(sensor.components())
    sensor.close()
    return Probe(
        backend="rapl",
        available=True,
        reason="found " + ", ".join(c.id for c in components),
        components=components,
    )
