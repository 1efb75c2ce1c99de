"""A measured run's view (report and dashboard page), its power timeline, and runs compared.

Every number comes from a :class:`~wattlens.measurement.Measurement` as stored;
long power timelines are averaged over consecutive samples, which keeps the
energy under the curve.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wattlens.report.views.common import (
    AXIS,
    COLORS,
    MEASURED_METHODS,
    band_text,
    cell,
    energy_unit,
    figure_layout,
    impact_rows,
    impacts_figure,
)
from wattlens.units import format_duration, format_energy, format_power

if TYPE_CHECKING:
    from wattlens.measurement import Measurement, TimelinePoint

#: At most this many points of a power timeline are drawn (and sent to a browser).
MAX_TIMELINE_POINTS = 5_000


def downsample_timeline(
    points: Sequence[TimelinePoint] | None, max_points: int = MAX_TIMELINE_POINTS
) -> dict[str, Any]:
    """A power timeline reduced to at most ``max_points`` points.

    Consecutive samples are averaged in equal buckets (time and each
    component's power), which keeps the energy under every curve; a component
    missing from a sample does not count in its bucket.

    Returns:
        ``{"t_s": [...], "power_w": {component: [...]}, "points": n,
        "source_points": N, "bucket_size": k}``; empty lists without a timeline.
    """
    import numpy as np

    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    points = points or ()
    n = len(points)
    components: list[str] = []
    for p in points:
        components.extend(c for c in p.power_w if c not in components)
    if n == 0:
        return {"t_s": [], "power_w": {}, "points": 0, "source_points": 0, "bucket_size": 1}
    t = np.fromiter((p.t_s for p in points), dtype=float, count=n)
    power = {
        c: np.fromiter((p.power_w.get(c, math.nan) for p in points), dtype=float, count=n)
        for c in components
    }
    bucket = max(1, math.ceil(n / max_points))
    if bucket == 1:
        t_out = t
        power_out = power
    else:
        starts = np.arange(0, n, bucket)
        counts = np.minimum(starts + bucket, n) - starts
        t_out = np.add.reduceat(t, starts) / counts
        power_out = {}
        for c, values in power.items():
            present = ~np.isnan(values)
            sums = np.add.reduceat(np.where(present, values, 0.0), starts)
            seen = np.add.reduceat(present.astype(float), starts)
            mean = np.full(len(starts), math.nan)
            np.divide(sums, seen, out=mean, where=seen > 0)
            power_out[c] = mean
    return {
        "t_s": [round(float(v), 6) for v in t_out],
        "power_w": {
            c: [None if math.isnan(v) else round(float(v), 6) for v in values]
            for c, values in power_out.items()
        },
        "points": len(t_out),
        "source_points": n,
        "bucket_size": bucket,
    }


def timeline_figure(
    series: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Power over time, one line per component, from :func:`downsample_timeline` output."""
    labels = labels or {}
    t = series["t_s"]
    span = (t[-1] - t[0]) if len(t) > 1 else 0.0
    factor, unit = (3600.0, "h") if span > 7200 else (60.0, "min") if span > 600 else (1.0, "s")
    x = [v / factor for v in t] if factor != 1.0 else list(t)
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": labels.get(c, c),
            "x": x,
            "y": values,
            "line": {"width": 1.5},
            "hovertemplate": "%{y:.4~g} W<extra>" + labels.get(c, c) + "</extra>",
        }
        for c, values in series["power_w"].items()
    ]
    title = "Power over time, per component"
    if series.get("bucket_size", 1) > 1:
        title += (
            f" (mean of every {series['bucket_size']} samples: "
            f"{series['points']:,} of {series['source_points']:,} points)"
        )
    return {
        "data": data,
        "layout": figure_layout(
            title,
            xaxis={**AXIS, "title": {"text": f"time since start ({unit})"}},
            yaxis={**AXIS, "title": {"text": "power (W)"}, "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.2},
            hovermode="x unified",
        ),
    }


def is_measured(m: Measurement) -> bool:
    """Whether every component of a run was read from a sensor (no modelled part)."""
    return all(c.method in MEASURED_METHODS for c in m.components)


def run_method_label(m: Measurement) -> str:
    """How a run's energy is known, in words."""
    modeled = [c.id for c in m.components if c.method == "modeled"]
    if not modeled:
        return "measured (" + ", ".join(m.methods) + ")"
    if len(modeled) == len(m.components):
        return "modelled, not measured (" + ", ".join(modeled) + ")"
    return "partly modelled: " + ", ".join(modeled) + " modelled, the rest measured"


def component_energy_figure(m: Measurement) -> dict[str, Any]:
    """Energy of each component (machine level), ranges as error bars, coloured by method."""
    peak = max([c.energy_high_j or c.energy_j for c in m.components] or [0.0])
    factor, unit = energy_unit(peak)
    data = []
    for method in ("counter", "sampled", "modeled"):
        comps = [c for c in m.components if c.method == method]
        if not comps:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": method,
                "y": [c.id for c in comps],
                "x": [c.energy_j / factor for c in comps],
                "marker": {"color": COLORS[method]},
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        ((c.energy_high_j or c.energy_j) - c.energy_j) / factor for c in comps
                    ],
                    "arrayminus": [
                        (c.energy_j - (c.energy_low_j or c.energy_j)) / factor for c in comps
                    ],
                    "visible": any(c.energy_low_j is not None for c in comps),
                },
                "hovertemplate": "%{y}: %{x:.4~g} " + unit + "<extra>" + method + "</extra>",
            }
        )
    return {
        "data": data,
        "layout": figure_layout(
            "Energy by component (machine level; bars: range of modelled parts)",
            xaxis={**AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            yaxis={**AXIS, "autorange": "reversed"},
            barmode="group",
            legend={"title": {"text": "method"}},
            height=max(220, 90 + 45 * len(m.components)),
        ),
    }


def _summary(m: Measurement) -> list[tuple[str, str]]:
    energy = {"low": m.energy_low_j, "central": m.energy_j, "high": m.energy_high_j}
    summary = [
        ("method", run_method_label(m)),
        ("energy", band_text(energy, format_energy)),
        ("boundary", "the machine's components listed below (IT energy; facility adds PUE)"),
        ("duration", format_duration(m.duration_s)),
        ("average power", format_power(m.avg_power_w)),
    ]
    if m.peak_power_w is not None:
        summary.append(("peak power", format_power(m.peak_power_w)))
    if m.attributed_energy_j is not None:
        summary.append(("process tree's share", format_energy(m.attributed_energy_j)))
    summary.append(("impacts for", m.scope_words))
    summary.extend(impact_rows(m.impacts))
    if m.scope != "machine":
        machine = impact_rows(m.machine_impacts)
        summary.extend((f"machine: {label}", text) for label, text in machine)
    return summary


def _component_rows(m: Measurement) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "method": c.method,
            "measured": c.method in MEASURED_METHODS,
            "energy": band_text(
                {
                    "low": c.energy_low_j if c.energy_low_j is not None else c.energy_j,
                    "central": c.energy_j,
                    "high": c.energy_high_j if c.energy_high_j is not None else c.energy_j,
                },
                format_energy,
            ),
            "energy_j": c.energy_j,
            "attributed": (
                "" if c.attributed_energy_j is None else format_energy(c.attributed_energy_j)
            ),
            "avg_power": format_power(c.avg_power_w),
            "peak_power": "" if c.peak_power_w is None else format_power(c.peak_power_w),
            "sensor": c.sensor,
            "basis": c.basis,
            "catalog_ids": list(c.catalog_ids),
        }
        for c in m.components
    ]


def _figures(m: Measurement, max_points: int, include_timeline: bool) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    labels = {c.id: f"{c.id} ({c.method})" for c in m.components}
    if m.timeline and include_timeline:
        figures["power"] = timeline_figure(downsample_timeline(m.timeline, max_points), labels)
    if m.components:
        figures["energy_by_component"] = component_energy_figure(m)
    impacts_fig = impacts_figure(m.impacts, "IT energy × PUE at the location")
    if impacts_fig:
        figures["impacts"] = impacts_fig
    return figures


def run_view(
    m: Measurement,
    *,
    max_points: int = MAX_TIMELINE_POINTS,
    include_timeline: bool = True,
    timeline_points: int | None = None,
) -> dict[str, Any]:
    """Everything a run's report or page shows, as plain data (texts, rows, figures).

    ``include_timeline=False`` leaves the power chart out (the dashboard fetches it).
    ``timeline_points`` is the number of timeline points of a run loaded without
    them (``Store.get(run_id, timeline=False)``, ``Store.timeline_count``).
    """
    impacts = m.impacts
    sources = list(impacts.get("sources") or [])
    for c in m.components:
        sources.extend(i for i in c.catalog_ids if i not in sources)
    n_points = len(m.timeline) if m.timeline else (timeline_points or 0)
    return {
        "kind": "run",
        "title": f"Run {m.name}",
        "run_id": m.run_id,
        "measured": is_measured(m),
        "method_label": run_method_label(m),
        "summary": _summary(m),
        "components": _component_rows(m),
        "run": [
            ("run id", m.run_id),
            ("name", m.name),
            ("status", m.status),
            ("command", " ".join(m.command) if m.command else ""),
            ("exit code", "" if m.exit_code is None else str(m.exit_code)),
            ("started (UTC)", m.started_at),
            ("ended (UTC)", m.ended_at),
            ("timeline", f"{n_points:,} points" if n_points else "none recorded"),
        ],
        "host": [(str(k), cell(v)) for k, v in sorted(m.host.items())],
        "assumptions": [str(a) for a in impacts.get("assumptions") or ()],
        "sources": sources,
        "warnings": list(m.warnings),
        "figures": _figures(m, max_points, include_timeline),
    }


def compare_figure(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Energy of each component, grouped by run, from ``runs compare`` records."""
    component_ids: list[str] = []
    for r in records:
        component_ids.extend(cid for cid in r["components"] if cid not in component_ids)
    peak = max([float(r["energy_j"]) for r in records] or [0.0])
    factor, unit = energy_unit(
        max((c["energy_j"] for r in records for c in r["components"].values()), default=peak)
    )
    labels = [f"{r['name']} ({str(r['run_id'])[:8]})" for r in records]
    data = [
        {
            "type": "bar",
            "name": cid,
            "x": labels,
            "y": [
                r["components"][cid]["energy_j"] / factor if cid in r["components"] else None
                for r in records
            ],
            "hovertemplate": cid + ": %{y:.4~g} " + unit + "<extra></extra>",
        }
        for cid in component_ids
    ]
    return {
        "data": data,
        "layout": figure_layout(
            "Energy by component, per run",
            barmode="group",
            xaxis={**AXIS, "title": {"text": "run"}},
            yaxis={**AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            legend={"title": {"text": "component"}},
        ),
    }
