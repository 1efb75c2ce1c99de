"""Writing stored runs as CSV (one row per run), JSON (full records) or CodeCarbon CSV."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from wattlens.store.rows import EXPORT_COLUMNS

if TYPE_CHECKING:
    from wattlens.measurement import Measurement

__all__ = [
    "CODECARBON_COLUMNS",
    "CODECARBON_FORMAT_VERSION",
    "write_codecarbon",
    "write_csv",
    "write_json",
]


def write_csv(summaries: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Run summaries as CSV with a header of :data:`EXPORT_COLUMNS`; returns the row count.

    ``command`` is JSON text, ``methods`` joined by ``;``, unknown values empty.
    """
    writer = csv.DictWriter(
        out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    count = 0
    for s in summaries:
        writer.writerow(
            {
                **s,
                "command": json.dumps(s["command"]) if s["command"] is not None else None,
                "methods": ";".join(s["methods"]),
            }
        )
        count += 1
    return count


def write_json(measurements: Iterable[Measurement], out: IO[str]) -> int:
    """``{"count": n, "runs": [...]}`` of full :meth:`Measurement.to_dict` records."""
    records = [m.to_dict() for m in measurements]
    out.write(json.dumps({"count": len(records), "runs": records}, indent=2, ensure_ascii=False))
    out.write("\n")
    return len(records)


#: The CodeCarbon release whose ``emissions.csv`` columns are written (the fields of its
#: ``codecarbon.output_methods.emissions_data.EmissionsData``, in their order).
CODECARBON_FORMAT_VERSION = "3.3.2"
CODECARBON_COLUMNS: tuple[str, ...] = (
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
    "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
    "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
    "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
)  # fmt: skip
_J_PER_KWH = 3.6e6


def codecarbon_row(m: Measurement) -> dict[str, Any]:
    """One run as a CodeCarbon ``EmissionsData`` row, in CodeCarbon's units.

    Like CodeCarbon: energies in kWh and powers in W with the PUE applied (its tracker
    multiplies both by the PUE), ``emissions`` in kg CO2e (location-based, from that energy),
    ``emissions_rate`` in kg/s, ``water_consumed`` in litres of on-site water (CodeCarbon
    counts WUE x energy only; the off-site water of electricity generation is in wattlens'
    own exports), ``tracking_mode`` ``machine`` (wattlens' component energies are machine
    level). What wattlens does not record (country ISO-3 code, coordinates, Python version,
    RAM size, utilisation) is empty, never guessed.
    """
    from datetime import datetime

    from wattlens.impacts import apply_pue
    from wattlens.units import j_to_kwh

    impacts = m.typed_impacts
    pue = m.pue if m.pue is not None else 1.0
    by_kind: dict[str, tuple[float, float]] = {}
    for c in m.components:
        energy, power = by_kind.get(c.kind, (0.0, 0.0))
        by_kind[c.kind] = (energy + c.energy_j, power + c.avg_power_w)

    def kind_energy(kind: str) -> float:
        return j_to_kwh(apply_pue(by_kind.get(kind, (0.0, 0.0))[0], pue))

    def kind_power(kind: str) -> float:
        return float(apply_pue(by_kind.get(kind, (0.0, 0.0))[1], pue))

    energy_kwh = j_to_kwh(apply_pue(m.energy_j, pue))
    emissions_kg = impacts.co2e_g.p50 / 1000.0
    onsite_l = impacts.water_l.onsite.p50
    place = impacts.place
    region_row = _cloud_region(place.region_id)
    grid_kind = _grid_kind(place.grid_id)
    gpus = [c.name for c in m.components if c.kind == "gpu"]
    gpu_model = "".join(f"{n} x {name}" for name, n in Counter(gpus).items())
    ended = datetime.fromisoformat(m.ended_at.replace("Z", "+00:00"))
    return {
        # CodeCarbon writes its local time without an offset; this is the run's end in UTC.
        "timestamp": ended.strftime("%Y-%m-%dT%H:%M:%S"),
        "project_name": m.name,
        "run_id": m.run_id,
        "experiment_id": None,
        "duration": m.duration_s,
        "emissions": emissions_kg,
        "emissions_rate": emissions_kg / m.duration_s if m.duration_s > 0 else 0.0,
        "cpu_power": kind_power("cpu"),
        "gpu_power": kind_power("gpu"),
        "ram_power": kind_power("ram"),
        "cpu_energy": kind_energy("cpu"),
        "gpu_energy": kind_energy("gpu"),
        "ram_energy": kind_energy("ram"),
        "energy_consumed": energy_kwh,
        "water_consumed": onsite_l,
        "country_name": place.grid_name if grid_kind == "country" else None,
        "country_iso_code": None,
        "region": place.grid_name if grid_kind in ("region", "subnational", "zone") else None,
        "cloud_provider": region_row[0] if region_row else None,
        "cloud_region": region_row[1] if region_row else None,
        "os": m.host.get("platform"),
        "python_version": None,
        "codecarbon_version": CODECARBON_FORMAT_VERSION,
        "cpu_count": m.host.get("logical_cpus"),
        "cpu_model": m.host.get("cpu_model"),
        "gpu_count": len(gpus),
        "gpu_model": gpu_model,
        "longitude": None,
        "latitude": None,
        "ram_total_size": None,
        "tracking_mode": "machine",
        "cpu_utilization_percent": None,
        "gpu_utilization_percent": None,
        "ram_utilization_percent": None,
        "ram_used_gb": None,
        "on_cloud": "Y" if region_row else "N",
        "pue": pue,
        # Litres per kWh of the IT energy, as CodeCarbon's WUE multiplies it.
        "wue": onsite_l / energy_kwh if energy_kwh > 0 else 0.0,
    }


def _cloud_region(region_id: str | None) -> tuple[str, str] | None:
    """(provider, region code) of a cloud-region catalog row."""
    if region_id is None:
        return None
    from wattlens.catalog import Region, get_catalog
    from wattlens.errors import WattlensError

    try:
        row = get_catalog().get_typed("regions", region_id, Region)
    except WattlensError:
        return None
    return row.provider, row.region


def _grid_kind(grid_id: str) -> str | None:
    from wattlens.catalog import Grid, get_catalog
    from wattlens.errors import WattlensError

    try:
        return get_catalog().get_typed("grids", grid_id, Grid).kind
    except WattlensError:
        return None


def write_codecarbon(measurements: Iterable[Measurement], out: IO[str]) -> int:
    """Runs as CodeCarbon's ``emissions.csv`` (see :func:`codecarbon_row`); returns the count.

    The header is :data:`CODECARBON_COLUMNS`; empty cells are values wattlens does not know.
    """
    writer = csv.DictWriter(out, fieldnames=list(CODECARBON_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for m in measurements:
        writer.writerow(codecarbon_row(m))
        count += 1
    return count
