"""A measurement as table rows, and a row as a run summary; standard library only.

The store (SQLAlchemy) and the fast save of ``wattlens run`` (sqlite3) write
the rows built here, so both write exactly the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.measurement import Measurement

__all__ = [
    "EXPORT_COLUMNS",
    "normalize_time",
    "parent_of",
    "run_row",
    "summary",
    "timeline_rows",
]

#: Columns of the CSV export and keys of every summary dict (see :meth:`Store.list_runs`).
EXPORT_COLUMNS: tuple[str, ...] = (
    "run_id",
    "name",
    "status",
    "command",
    "exit_code",
    "started_at",
    "ended_at",
    "duration_s",
    "energy_j",
    "energy_low_j",
    "energy_high_j",
    "attributed_energy_j",
    "avg_power_w",
    "peak_power_w",
    "methods",
    "location",
    "co2e_g",
    "water_l",
    "cost_amount",
    "cost_currency",
)


def normalize_time(value: str | datetime) -> str:
    """An ISO 8601 instant as UTC with microseconds, so that text order is time order.

    A naive time is taken as UTC. Text that does not parse is kept as it is.
    """
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        instant = value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _central(value: Any) -> float | None:
    """The central value of an impact quantity, tolerant of its shape.

    A number is itself; a band dict gives its ``central`` (or ``p50``,
    ``mean``, ``value``); a dict of parts gives its ``total`` or ``amount``.
    Anything else gives None.
    """
    from wattlens.types import read_range

    band = read_range(value)
    if band is not None:
        return band.p50
    if isinstance(value, dict):
        for key in ("central", "p50", "mean", "value", "total", "amount"):
            if key in value:
                return _central(value[key])
    return None


def _impact_columns(impacts: Any, location: str | None) -> dict[str, Any]:
    """Headline impact columns from ``Measurement.impacts``, tolerant of its shape.

    Reads ``co2e_g`` and ``water_l`` (its ``total``) as their central values,
    ``cost`` as ``amount`` and ``currency``, and the location the user gave
    (else the grid the impacts used). Missing or unrecognised parts give None
    (NULL), never an error.
    """
    out: dict[str, Any] = {
        "location": location,
        "co2e_g": None,
        "water_l": None,
        "cost_amount": None,
        "cost_currency": None,
    }
    if not isinstance(impacts, dict):
        return out
    if out["location"] is None:
        place = impacts.get("location")
        if isinstance(place, dict):
            place = place.get("grid_id") or place.get("query")
        out["location"] = str(place) if place is not None else None
    out["co2e_g"] = _central(impacts.get("co2e_g"))
    out["water_l"] = _central(impacts.get("water_l"))
    cost = impacts.get("cost")
    if isinstance(cost, dict):
        out["cost_amount"] = _central(cost.get("amount"))
        currency = cost.get("currency")
    else:
        out["cost_amount"] = _central(cost if cost is not None else impacts.get("cost_amount"))
        currency = impacts.get("cost_currency")
    out["cost_currency"] = str(currency) if currency is not None else None
    return out


def parent_of(run_id: str, host: Any) -> str | None:
    """The run a record belongs to, from its ``host``; None for a top-level run.

    A rank or node record of a distributed run names its run in
    ``host.distributed.run_id``; a per-epoch record of a training run (as
    stored before windows) names it in ``host.training.run_id`` next to
    ``host.training.epoch``. A record that names itself is top-level.
    """
    if not isinstance(host, dict):
        return None
    tag = host.get("distributed")
    if isinstance(tag, dict):
        parent = tag.get("run_id")
        if isinstance(parent, str) and parent and parent != run_id:
            return parent
    training = host.get("training")
    if isinstance(training, dict) and training.get("epoch") is not None:
        parent = training.get("run_id")
        if isinstance(parent, str) and parent and parent != run_id:
            return parent
    return None


def run_row(m: Measurement) -> dict[str, Any]:
    """The ``runs`` row of a measurement; ``result`` is its JSON form without the timeline."""
    result = m.to_dict()
    had_timeline = result.pop("timeline") is not None
    result["timeline"] = [] if had_timeline else None  # filled from the timeline table
    return {
        "run_id": m.run_id,
        "name": m.name,
        "status": m.status,
        "command": json.dumps(list(m.command)) if m.command is not None else None,
        "exit_code": m.exit_code,
        "started_at": normalize_time(m.started_at),
        "ended_at": normalize_time(m.ended_at) if m.ended_at else None,
        "duration_s": float(m.duration_s),
        "energy_j": float(m.energy_j),
        "energy_low_j": float(m.energy_low_j),
        "energy_high_j": float(m.energy_high_j),
        "attributed_energy_j": m.attributed_energy_j,
        "avg_power_w": float(m.avg_power_w),
        "peak_power_w": m.peak_power_w,
        "methods": ",".join(m.methods),
        **_impact_columns(result.get("impacts"), m.location),
        "host": json.dumps(m.host, sort_keys=True, default=str),
        "result": json.dumps(result, default=str),
        # How many rows timeline_rows writes: checked before reading the running totals.
        "timeline_row_count": sum(len(p.power_w) for p in m.timeline or ()),
        "parent_id": parent_of(m.run_id, m.host),
    }


def timeline_rows(m: Measurement) -> list[dict[str, Any]]:
    """The ``timeline`` rows of a measurement: one per (point, component).

    Each row also carries its component's running totals up to and including it
    (``cum_power_w``, ``cum_t_s``, ``cum_n``): the mean over any span of points is
    then a difference of two rows, which lets :meth:`Store.timeline` reduce a long
    timeline by reading one row per bucket instead of every row.
    """
    rows: list[dict[str, Any]] = []
    totals: dict[str, tuple[float, float, int]] = {}
    for seq, point in enumerate(m.timeline or ()):
        t_s = float(point.t_s)
        for component, power_w in point.power_w.items():
            power, times, count = totals.get(component, (0.0, 0.0, 0))
            power, times, count = power + float(power_w), times + t_s, count + 1
            totals[component] = (power, times, count)
            rows.append(
                {
                    "run_id": m.run_id,
                    "seq": seq,
                    "t_s": t_s,
                    "component": component,
                    "power_w": float(power_w),
                    "cum_power_w": power,
                    "cum_t_s": times,
                    "cum_n": count,
                }
            )
    return rows


def summary(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    """A run summary (the keys of :data:`EXPORT_COLUMNS`) from its ``runs`` row."""
    out = {c: mapping[c] for c in EXPORT_COLUMNS}
    out["command"] = json.loads(out["command"]) if out["command"] is not None else None
    out["methods"] = [m for m in (out["methods"] or "").split(",") if m]
    return out
