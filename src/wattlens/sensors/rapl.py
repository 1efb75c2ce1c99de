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
Family 17h, later kernels adding newer families); an
``amd-rapl`` control type is accepted too, where present.

What is reported, and why:

- ``cpu:package-N``: the package zone. It already contains its ``core``
  (PP0) and ``uncore`` (PP1, the integrated GPU) subzones, so reporting those
  as well would count their energy twice (Intel SDM vol. 3B, "RAPL
  Interfaces": PP0 and PP1 are sub-domains of the package domain).
  On multi-die packages the kernel makes one zone per die and the id
  follows its name: ``cpu:package-0-die-1``.
- ``dram:package-N``: the ``dram`` subzone, which is *not* included in the
  package domain.
- Not reported: ``psys`` (the whole SoC platform, which contains the package,
  so it would double count) and ``intel-rapl-mmio`` zones (a second interface
  to the same package counter on client parts, Documentation/power/powercap).

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
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Component, Probe, Reading
from wattlens.sensors.wrap import WrapAccumulator

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


def _read_text(path: Path) -> str:
    return path.read_text(encoding="ascii")


@dataclass(frozen=True)
class _Zone:
    component: Component
    energy_path: Path
    max_range_uj: int


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
        # A first read now both proves we may read the counters (failing early, with
        # the fix, instead of at the first window edge) and anchors the accumulators.
        self.read()

    def components(self) -> list[Component]:
        """The package and DRAM components, ordered by package then CPU before DRAM."""
        return [z.component for z in self._zones]

    def read(self) -> Reading:
        """Read every counter now.

        Returns:
            Cumulative energy in joules per component, corrected for wrap-around.

        Raises:
            SensorPermissionError: If a counter is not readable.
            SensorError: If a counter file vanished or holds garbage.
        """
        with self._lock:
            energy_j: dict[str, float] = {}
            timestamp_s = time.monotonic()
            for zone in self._zones:
                raw_uj = _read_int(zone.energy_path, self._read_file)
                try:
                    total_uj = self._accumulators[zone.component.id].update(raw_uj)
                except ValueError as exc:  # a value above max_energy_range_uj
                    raise SensorError(f"{zone.energy_path}: {exc}") from exc
                energy_j[zone.component.id] = total_uj / 1e6
            return Reading(timestamp_s=timestamp_s, energy_j=energy_j)

    def close(self) -> None:
        """Nothing to release: each read opens and closes its files."""


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


def _discover(root: Path, read: Reader) -> list[_Zone]:
    """Find package zones and their DRAM subzones, sorted by package number."""
    if not root.is_dir():
        return []
    found: list[tuple[tuple[int, int], _Zone | None, _Zone | None]] = []
    for entry in sorted(root.iterdir()):
        if not _PACKAGE_DIR.match(entry.name) or not entry.is_dir():
            continue
        match = _PACKAGE_NAME.match(_read_name(entry, read))
        if match is None:
            continue  # psys: it contains the packages, so it would double count
        package = match.group(0)
        cpu = _zone(
            entry,
            component_id=f"cpu:{package}",
            kind="cpu",
            name=f"CPU {package}",
            max_range_uj=_read_int(entry / "max_energy_range_uj", read),
        )
        dram: _Zone | None = None
        for sub in sorted(entry.iterdir()):
            if not sub.name.startswith(entry.name + ":") or not sub.is_dir():
                continue
            # core and uncore are inside the package domain (Intel SDM 3B, RAPL): skip.
            if _read_name(sub, read) == "dram":
                dram = _zone(
                    sub,
                    component_id=f"dram:{package}",
                    kind="dram",
                    name=f"DRAM {package}",
                    max_range_uj=_read_int(sub / "max_energy_range_uj", read),
                )
        found.append(((int(match.group(1)), int(match.group(2) or 0)), cpu, dram))
    found.sort(key=lambda item: item[0])
    return [zone for _, cpu, dram in found for zone in (cpu, dram) if zone is not None]


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
