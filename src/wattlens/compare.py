"""Runs side by side: each run's figures with their ratios to a baseline run.

The records of ``wattlens runs compare --json`` and of the dashboard's
``/api/compare``; nothing is computed but the ratios of stored values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.measurement import Measurement


def ratio(value: float | None, base: float | None) -> float | None:
    """``value / base``; None where either is unknown or the base is zero."""
    if value is None or base is None or base == 0:
        return None
    return value / base


def compare_record(m: Measurement, base: Measurement) -> dict[str, Any]:
    """One run's record of ``wattlens runs compare --json``, with its ratios to ``base``.

    Ratios are None where the baseline is zero or lacks the component.
    """
    base_components = {c.id: c for c in base.components}
    components: dict[str, dict[str, Any]] = {}
    for c in m.components:
        base_c = base_components.get(c.id)
        components[c.id] = {
            "name": c.name,
            "method": c.method,
            "energy_j": c.energy_j,
            "energy_low_j": c.energy_low_j,
            "energy_high_j": c.energy_high_j,
            "avg_power_w": c.avg_power_w,
            "energy_ratio": ratio(c.energy_j, base_c.energy_j if base_c else None),
        }
    return {
        "run_id": m.run_id,
        "name": m.name,
        "status": m.status,
        "started_at": m.started_at,
        "duration_s": m.duration_s,
        "energy_j": m.energy_j,
        "energy_low_j": m.energy_low_j,
        "energy_high_j": m.energy_high_j,
        "attributed_energy_j": m.attributed_energy_j,
        "avg_power_w": m.avg_power_w,
        "peak_power_w": m.peak_power_w,
        "methods": m.methods,
        "duration_ratio": ratio(m.duration_s, base.duration_s),
        "energy_ratio": ratio(m.energy_j, base.energy_j),
        "avg_power_ratio": ratio(m.avg_power_w, base.avg_power_w),
        "components": components,
    }
