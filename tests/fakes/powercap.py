"""A temporary powercap sysfs tree, as the kernel lays it out under /sys/class/powercap.

Layout (Documentation/power/powercap/powercap.rst)::

    root/intel-rapl:0/{name,energy_uj,max_energy_range_uj}
    root/intel-rapl:0/intel-rapl:0:0/{name=core,...}
    root/intel-rapl:0/intel-rapl:0:1/{name=dram,...}

Shapes of real machines:

- :meth:`FakePowercap.add_multi_die_package`: one zone per die. On multi-die
  AMD parts (Zen 1/2 EPYC, Threadripper) every ``package-N-die-M`` zone
  mirrors the one socket counter (mlco2/codecarbon#1274); on Cascade Lake-AP
  the dies have distinct counters (``mirrored=False``).
- :meth:`FakePowercap.add_flat_links`: the real ``/sys/class/powercap`` is
  flat, with a top-level symlink for every zone and subzone
  (``intel-rapl:0:0``).
- :meth:`FakePowercap.add_mmio_duplicate`: client parts expose the package
  counter a second time under ``intel-rapl-mmio`` (powercap/powercap#3).

Tests run as root, and root ignores file modes, so "permission denied" is
simulated by :meth:`FakePowercap.reader`, which raises :class:`PermissionError`
for denied paths; pass it to ``RaplSensor(reader=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# 2**32 energy units of 61.035 µJ: the value most Intel parts report.
DEFAULT_MAX_RANGE_UJ = 262_143_328_850


@dataclass
class _Zone:
    path: Path
    max_range_uj: int


class FakePowercap:
    """Build and drive a fake powercap tree rooted at ``root``."""

    def __init__(self, root: Path, *, prefix: str = "intel-rapl") -> None:
        self.root = root
        self.prefix = prefix
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / prefix).mkdir(exist_ok=True)  # the control-type directory
        self.zones: dict[str, _Zone] = {}
        """Component id (``cpu:package-0``) or zone name -> zone."""
        self.mirrors: dict[str, list[Path]] = {}
        """Component id -> further zones that mirror the same counter."""
        self.denied: set[Path] = set()
        self._next_top = 0

    def _write_zone(self, path: Path, name: str, energy_uj: int, max_range_uj: int) -> None:
        path.mkdir(parents=True)
        (path / "name").write_text(name + "\n")
        (path / "energy_uj").write_text(f"{energy_uj}\n")
        (path / "max_energy_range_uj").write_text(f"{max_range_uj}\n")
        (path / "enabled").write_text("1\n")

    def add_top_zone(
        self, name: str, *, energy_uj: int = 0, max_range_uj: int = DEFAULT_MAX_RANGE_UJ
    ) -> Path:
        """Add a top-level zone (``package-N`` or ``psys``) at the next zone number."""
        path = self.root / f"{self.prefix}:{self._next_top}"
        self._next_top += 1
        self._write_zone(path, name, energy_uj, max_range_uj)
        return path

    def add_package(
        self,
        package: int,
        *,
        energy_uj: int = 0,
        max_range_uj: int = DEFAULT_MAX_RANGE_UJ,
        dram: bool = True,
        dram_energy_uj: int = 0,
        dram_max_range_uj: int = 65_532_610_987,
        core: bool = True,
        uncore: bool = False,
    ) -> Path:
        """Add ``package-N`` with the usual subzones; register ``cpu:``/``dram:`` ids."""
        path = self.add_top_zone(
            f"package-{package}", energy_uj=energy_uj, max_range_uj=max_range_uj
        )
        self.zones[f"cpu:package-{package}"] = _Zone(path, max_range_uj)
        sub = 0
        for present, name, start, top in (
            (core, "core", 0, max_range_uj),
            (uncore, "uncore", 0, max_range_uj),
            (dram, "dram", dram_energy_uj, dram_max_range_uj),
        ):
            if not present:
                continue
            sub_path = path / f"{path.name}:{sub}"
            sub += 1
            self._write_zone(sub_path, name, start, top)
            key = f"dram:package-{package}" if name == "dram" else f"{name}:package-{package}"
            self.zones[key] = _Zone(sub_path, top)
        return path

    def add_multi_die_package(
        self,
        package: int,
        dies: int,
        *,
        mirrored: bool = True,
        energy_uj: int = 0,
        max_range_uj: int = 65_532_610_987,
    ) -> list[Path]:
        """Add ``package-N-die-M`` zones (dies in reverse order, as enumeration may be).

        Mirrored dies all read one socket counter, registered as ``cpu:package-N``;
        distinct dies count separately, registered as ``cpu:package-N-die-M``
        and started from different values, as counters since boot are.
        """
        paths: dict[int, Path] = {}
        for die in reversed(range(dies)):
            start = energy_uj if mirrored else energy_uj + die * 7_000_000_000
            name = f"package-{package}-die-{die}"
            paths[die] = self.add_top_zone(name, energy_uj=start, max_range_uj=max_range_uj)
            if not mirrored:
                self.zones[f"cpu:{name}"] = _Zone(paths[die], max_range_uj)
        if mirrored:
            self.zones[f"cpu:package-{package}"] = _Zone(paths[0], max_range_uj)
            self.mirrors[f"cpu:package-{package}"] = [paths[d] for d in range(1, dies)]
        return [paths[d] for d in range(dies)]

    def add_flat_links(self) -> None:
        """Add the top-level symlinks of every subzone, as the real class directory has."""
        for top in sorted(self.root.glob(f"{self.prefix}:*")):
            for sub in sorted(top.glob(f"{top.name}:*")):
                (self.root / sub.name).symlink_to(sub)

    def add_mmio_duplicate(self, key: str) -> Path:
        """Expose a zone's counter again as ``intel-rapl-mmio:N`` (a second interface)."""
        source = self.zones[key]
        path = self.root / f"intel-rapl-mmio:{len(list(self.root.glob('intel-rapl-mmio:*')))}"
        name = (source.path / "name").read_text().strip()
        self._write_zone(path, name, self.energy_uj(key), source.max_range_uj)
        return path

    def energy_uj(self, key: str) -> int:
        return int((self.zones[key].path / "energy_uj").read_text())

    def set_energy_uj(self, key: str, value: int) -> None:
        for path in (self.zones[key].path, *self.mirrors.get(key, ())):
            (path / "energy_uj").write_text(f"{value}\n")

    def advance(self, key: str, delta_uj: int) -> int:
        """Add energy to a zone's counter, wrapping at its max range as RAPL does."""
        zone = self.zones[key]
        value = (self.energy_uj(key) + delta_uj) % zone.max_range_uj
        self.set_energy_uj(key, value)
        return value

    def deny(self, key: str) -> None:
        """Make a zone's ``energy_uj`` unreadable through :meth:`reader`."""
        self.denied.add(self.zones[key].path / "energy_uj")

    def deny_all_energy(self) -> None:
        """Make every ``energy_uj`` unreadable, as for a non-root user since CVE-2020-8694."""
        self.denied.update(self.root.rglob("energy_uj"))

    def reader(self, path: Path) -> str:
        """Read like ``Path.read_text``, but fail for denied files like a non-root read would."""
        if path in self.denied:
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_text(encoding="ascii")
