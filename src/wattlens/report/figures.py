"""Charts and tables of a run or an estimate, as plain data shared by the report and the web.

Nothing here computes a quantity of its own: every number comes from a
:class:`~wattlens.measurement.Measurement` (as stored) or an
:class:`~wattlens.estimate.Estimate`, and is only converted to a display unit
or, for long power timelines, averaged over consecutive samples (which keeps
the energy under the curve). Figures are plotly.js figure dicts
(``{"data": [...], "layout": {...}}``) so that the HTML report, the web
dashboard and the PNG export draw the same charts without importing plotly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from wattlens.units import (
    J_PER_KWH,
    format_duration,
    format_energy,
    format_mass,
    format_power,
    format_volume,
)

if TYPE_CHECKING:
    from wattlens.estimate import Estimate
    from wattlens.measurement import Measurement, TimelinePoint

#: At most this many points of a power timeline are drawn (and sent to a browser).
MAX_TIMELINE_POINTS = 5_000
MEASURED_METHODS = ("counter", "sampled")
_HIST_BINS = 60
_COLORS = {
    "counter": "#1f77b4",
    "sampled": "#17becf",
    "modeled": "#ff7f0e",
    "estimated": "#ff7f0e",
}
_BAND_KEYS = (("low", "central", "high"), ("p5", "p50", "p95"))
_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "height": 360,
}
_AXIS = {"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {**_BASE_LAYOUT, "title": {"text": title, "x": 0.01}}
    layout.update(extra)
    return layout


# -- units -----------------------------------------------------------------------------------------
def energy_unit(max_j: float) -> tuple[float, str]:
    """The display unit for energies up to ``max_j``: (joules per unit, unit name)."""
    for factor, unit in ((J_PER_KWH * 1e6, "GWh"), (J_PER_KWH * 1e3, "MWh"), (J_PER_KWH, "kWh")):
        if max_j >= factor:
            return factor, unit
    if max_j >= 3600.0:
        return 3600.0, "Wh"
    if max_j >= 1e3:
        return 1e3, "kJ"
    return 1.0, "J"


def band(value: Any) -> tuple[float, float, float] | None:
    """(low, central, high) of a number or a ``{low, central, high}``/``{p5, p50, p95}`` dict."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value), float(value), float(value)
    if isinstance(value, Mapping):
        for low, mid, high in _BAND_KEYS:
            if {low, mid, high} <= value.keys():
                return float(value[low]), float(value[mid]), float(value[high])
    return None


def band_text(value: Any, formatter: Callable[[float], str]) -> str:
    """``central (low–high)`` for a band, the number alone when it has no spread."""
    parts = band(value)
    if parts is None:
        return ""
    low, mid, high = parts
    text = formatter(mid)
    if low != mid or high != mid:
        text += f" ({formatter(low)}–{formatter(high)})"
    return text


def _money(currency: str) -> Callable[[float], str]:
    return lambda amount: f"{amount:.3g} {currency}"


# -- timelines -------------------------------------------------------------------------------------
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
        "layout": _layout(
            title,
            xaxis={**_AXIS, "title": {"text": f"time since start ({unit})"}},
            yaxis={**_AXIS, "title": {"text": "power (W)"}, "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.2},
            hovermode="x unified",
        ),
    }


# -- runs ------------------------------------------------------------------------------------------
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
                "marker": {"color": _COLORS[method]},
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
        "layout": _layout(
            "Energy by component (machine level; bars: range of modelled parts)",
            xaxis={**_AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            yaxis={**_AXIS, "autorange": "reversed"},
            barmode="group",
            legend={"title": {"text": "method"}},
            height=max(220, 90 + 45 * len(m.components)),
        ),
    }


def impacts_figure(impacts: Mapping[str, Any], label: str) -> dict[str, Any] | None:
    """Carbon, water and cost side by side, each with its range (None without impacts)."""
    panels: list[tuple[str, tuple[float, float, float], str]] = []
    carbon = band(impacts.get("co2e_g"))
    if carbon:
        panels.append(("carbon", carbon, "g CO2e"))
    water = impacts.get("water_l")
    water_band = band(water.get("total")) if isinstance(water, Mapping) else band(water)
    if water_band:
        panels.append(("water", water_band, "L"))
    cost = impacts.get("cost")
    if isinstance(cost, Mapping) and band(cost.get("amount")):
        cost_band = band(cost.get("amount"))
        assert cost_band is not None
        panels.append(("cost", cost_band, str(cost.get("currency") or "")))
    if not panels:
        return None
    width = 1.0 / len(panels)
    data: list[dict[str, Any]] = []
    layout = _layout(f"Impacts ({label}): central value, bars show the range", showlegend=False)
    for i, (name, (low, mid, high), unit) in enumerate(panels):
        suffix = "" if i == 0 else str(i + 1)
        data.append(
            {
                "type": "bar",
                "x": [name],
                "y": [mid],
                "xaxis": f"x{suffix}",
                "yaxis": f"y{suffix}",
                "marker": {"color": ("#2ca02c", "#1f77b4", "#9467bd")[i % 3]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [high - mid],
                    "arrayminus": [mid - low],
                },
                "hovertemplate": f"{name}: %{{y:.4~g}} {unit}<extra></extra>",
            }
        )
        layout[f"xaxis{suffix}"] = {
            **_AXIS,
            "domain": [i * width + 0.06, (i + 1) * width - 0.04],
            "anchor": f"y{suffix}",
        }
        layout[f"yaxis{suffix}"] = {
            **_AXIS,
            "anchor": f"x{suffix}",
            "title": {"text": unit},
            "rangemode": "tozero",
            "exponentformat": "power",
        }
    return {"data": data, "layout": layout}


def impact_rows(impacts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, text) rows of carbon, water and cost with ranges, and where."""
    rows: list[tuple[str, str]] = []
    place = impacts.get("location")
    if isinstance(place, Mapping):
        text = str(place.get("grid_name") or place.get("grid_id") or place.get("query"))
        if place.get("co2e_g_per_kwh") is not None:
            text += f" ({place['co2e_g_per_kwh']:g} gCO2e/kWh)"
        rows.append(("location", text))
    if impacts.get("pue") is not None:
        rows.append(("PUE", f"{impacts['pue']:g}"))
    if impacts.get("facility_energy_j") is not None:
        rows.append(("facility energy", band_text(impacts["facility_energy_j"], format_energy)))
    if impacts.get("co2e_g") is not None:
        rows.append(("carbon (CO2e)", band_text(impacts["co2e_g"], format_mass)))
    water = impacts.get("water_l")
    if isinstance(water, Mapping) and "total" in water:
        rows.append(("water", band_text(water["total"], format_volume)))
        for part in ("onsite", "offsite"):
            if isinstance(water.get(part), Mapping):
                measure = water.get(f"{part}_measure")
                label = f"water {part}" + (f" ({measure})" if measure else "")
                rows.append((label, band_text(water[part], format_volume)))
    elif water is not None:
        rows.append(("water", band_text(water, format_volume)))
    cost = impacts.get("cost")
    if isinstance(cost, Mapping) and cost.get("amount") is not None:
        currency = str(cost.get("currency") or "")
        rows.append(("cost", band_text(cost["amount"], _money(currency))))
        if cost.get("amount_usd") is not None and currency != "USD":
            rows.append(("cost in USD", band_text(cost["amount_usd"], _money("USD"))))
    elif "cost" in impacts:
        rows.append(("cost", "unknown (no electricity price for this place in the catalog)"))
    return rows


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
    summary = [
        ("method", run_method_label(m)),
        (
            "energy",
            band_text(
                {"low": m.energy_low_j, "central": m.energy_j, "high": m.energy_high_j},
                format_energy,
            ),
        ),
        ("boundary", "the machine's components listed below (IT energy; facility adds PUE)"),
        ("duration", format_duration(m.duration_s)),
        ("average power", format_power(m.avg_power_w)),
    ]
    if m.peak_power_w is not None:
        summary.append(("peak power", format_power(m.peak_power_w)))
    if m.attributed_energy_j is not None:
        summary.append(("process tree's share", format_energy(m.attributed_energy_j)))
    summary.extend(impact_rows(impacts))
    components = [
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
    figures: dict[str, dict[str, Any]] = {}
    labels = {c.id: f"{c.id} ({c.method})" for c in m.components}
    if m.timeline and include_timeline:
        figures["power"] = timeline_figure(downsample_timeline(m.timeline, max_points), labels)
    if m.components:
        figures["energy_by_component"] = component_energy_figure(m)
    impacts_fig = impacts_figure(impacts, "IT energy × PUE at the location")
    if impacts_fig:
        figures["impacts"] = impacts_fig
    sources = list(impacts.get("sources") or [])
    n_points = len(m.timeline) if m.timeline else (timeline_points or 0)
    for c in m.components:
        sources.extend(i for i in c.catalog_ids if i not in sources)
    return {
        "kind": "run",
        "title": f"Run {m.name}",
        "run_id": m.run_id,
        "measured": is_measured(m),
        "method_label": run_method_label(m),
        "summary": summary,
        "components": components,
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
        "host": [(str(k), _cell(v)) for k, v in sorted(m.host.items())],
        "assumptions": [str(a) for a in impacts.get("assumptions") or ()],
        "sources": sources,
        "warnings": list(m.warnings),
        "figures": figures,
    }


def _cell(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


# -- estimates -------------------------------------------------------------------------------------
def quantile_text(q: Mapping[str, float], formatter: Callable[[float], str]) -> str:
    """``p50 (p5 – p95)`` of a quantile dict."""
    return f"{formatter(q['p50'])} (p5 {formatter(q['p5'])} – p95 {formatter(q['p95'])})"


def boundary_figure(e: Estimate) -> dict[str, Any]:
    """Energy at each boundary: median, with p5–p95 as error bars."""
    names = list(e.energy_by_boundary_j)
    factor, unit = energy_unit(max(q["p95"] for q in e.energy_by_boundary_j.values()))
    qs = [e.energy_by_boundary_j[n] for n in names]
    return {
        "data": [
            {
                "type": "bar",
                "x": names,
                "y": [q["p50"] / factor for q in qs],
                "marker": {"color": ["#ff7f0e" if n == e.boundary else "#fdd0a2" for n in names]},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(q["p95"] - q["p50"]) / factor for q in qs],
                    "arrayminus": [(q["p50"] - q["p5"]) / factor for q in qs],
                },
                "hovertemplate": "%{x}: p50 %{y:.4~g} " + unit + "<extra></extra>",
            }
        ],
        "layout": _layout(
            "Energy by boundary (p50; bars p5–p95; the requested boundary is darker)",
            xaxis={**_AXIS, "title": {"text": "boundary"}},
            yaxis={**_AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            showlegend=False,
        ),
    }


def histogram_figure(e: Estimate, boundary: str | None = None) -> dict[str, Any] | None:
    """The Monte Carlo distribution of the energy at a boundary, with p5, p50 and p95 marked."""
    import numpy as np

    boundary = boundary or e.boundary
    samples = e.samples_j.get(boundary)
    if samples is None:
        return None
    values = np.asarray(samples, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return None
    q = e.energy_by_boundary_j[boundary]
    factor, unit = energy_unit(float(q["p95"]))
    counts, edges = np.histogram(values / factor, bins=_HIST_BINS)
    centres = (edges[:-1] + edges[1:]) / 2
    shapes = []
    annotations = []
    for key, dash in (("p5", "dot"), ("p50", "solid"), ("p95", "dot")):
        x = q[key] / factor
        shapes.append(
            {
                "type": "line",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": "#d62728", "dash": dash, "width": 1.5},
            }
        )
        annotations.append(
            {
                "x": x,
                "y": 1.02,
                "yref": "paper",
                "text": key,
                "showarrow": False,
                "yanchor": "bottom",
            }
        )
    return {
        "data": [
            {
                "type": "bar",
                "x": [float(v) for v in centres],
                "y": [int(v) for v in counts],
                "width": float(edges[1] - edges[0]),
                "marker": {"color": "#ff7f0e", "line": {"width": 0}},
                "hovertemplate": "%{x:.4~g} " + unit + ": %{y} samples<extra></extra>",
            }
        ],
        "layout": _layout(
            f"Uncertainty: {values.size:,} Monte Carlo samples at the {boundary} boundary",
            xaxis={**_AXIS, "title": {"text": f"energy ({unit})"}},
            yaxis={**_AXIS, "title": {"text": "samples"}},
            shapes=shapes,
            annotations=annotations,
            bargap=0,
            showlegend=False,
        ),
    }


def sensitivity_figure(e: Estimate) -> dict[str, Any] | None:
    """Share of the spread each uncertain input explains."""
    if not e.sensitivity:
        return None
    names = [k for k, _ in e.sensitivity]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": [v * 100 for _, v in e.sensitivity],
                "marker": {"color": "#8c564b"},
                "hovertemplate": "%{y}: %{x:.3~g} %<extra></extra>",
            }
        ],
        "layout": _layout(
            "What drives the range (share of the spread explained)",
            xaxis={**_AXIS, "title": {"text": "share (%)"}, "rangemode": "tozero"},
            yaxis={**_AXIS, "autorange": "reversed"},
            showlegend=False,
            height=max(220, 90 + 30 * len(names)),
        ),
    }


_EXTRA_LABELS = {
    "accelerator_hours": ("accelerator-hours", lambda v: f"{v:.4g}"),
    "duration_s": ("duration", format_duration),
    "prefill_energy_j": ("prefill energy (accelerators)", format_energy),
    "decode_energy_j": ("decode energy (accelerators)", format_energy),
    "time_per_request_s": ("time per request", format_duration),
}


def estimate_view(
    e: Estimate, *, title: str, inputs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Everything an estimate's report or page shows, as plain data (texts, rows, figures)."""
    summary: list[tuple[str, str]] = [
        ("method", "estimated (modelled, not measured)"),
        ("boundary", e.boundary),
        ("energy", quantile_text(e.energy_j, format_energy)),
    ]
    for name, q in e.energy_by_boundary_j.items():
        summary.append((f"energy at {name} boundary", quantile_text(q, format_energy)))
    for key, value in e.extra.items():
        if key in _EXTRA_LABELS and isinstance(value, Mapping):
            label, formatter = _EXTRA_LABELS[key]
            summary.append((label, quantile_text(value, formatter)))
        elif key in ("count", "batch", "precision", "output_tokens"):
            summary.append((key.replace("_", " "), _cell(value)))
    summary.extend(impact_rows(e.impacts))
    figures: dict[str, dict[str, Any]] = {"energy_by_boundary": boundary_figure(e)}
    hist = histogram_figure(e)
    if hist:
        figures["uncertainty"] = hist
    sens = sensitivity_figure(e)
    if sens:
        figures["sensitivity"] = sens
    impacts_fig = impacts_figure(e.impacts, "facility energy at the location")
    if impacts_fig:
        figures["impacts"] = impacts_fig
    # The model's inputs are in assumption_rows; these are the impacts' own.
    assumptions = [str(a) for a in e.impacts.get("assumptions") or ()]
    sources = list(dict.fromkeys([*e.sources, *(e.impacts.get("sources") or ())]))
    return {
        "kind": "estimate",
        "title": title,
        "measured": False,
        "method_label": "estimated (modelled, not measured)",
        "summary": summary,
        "inputs": [(str(k), _cell(v)) for k, v in (inputs or {}).items() if v not in (None, "")],
        "assumption_rows": [
            {"name": a.name, "value": a.value, "basis": a.basis} for a in e.assumptions
        ],
        "sensitivity": [(k, f"{v:.0%}") for k, v in e.sensitivity],
        "assumptions": assumptions,
        "sources": sources,
        "warnings": list(e.warnings),
        "figures": figures,
    }


def figure_titles(figures: Mapping[str, Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    """(name, title) of each figure, in order."""
    for name, fig in figures.items():
        yield name, str(fig.get("layout", {}).get("title", {}).get("text", name))


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
        "layout": _layout(
            "Energy by component, per run",
            barmode="group",
            xaxis={**_AXIS, "title": {"text": "run"}},
            yaxis={**_AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            legend={"title": {"text": "component"}},
        ),
    }


# -- scenarios -------------------------------------------------------------------------------------
def _yearly_band_figure(
    yearly: Sequence[Mapping[str, Any]],
    series: Sequence[tuple[str, Callable[[Mapping[str, Any]], Mapping[str, float] | None]]],
    title: str,
    unit: tuple[float, str],
) -> dict[str, Any]:
    """p50 per year with its p5–p95 band, for one or more quantities of the same unit."""
    factor, unit_name = unit
    years = [str(row["year"]) for row in yearly]
    data: list[dict[str, Any]] = []
    for i, (name, pick) in enumerate(series):
        qs = [pick(row) for row in yearly]
        if any(q is None for q in qs):
            continue
        color = ("#ff7f0e", "#2ca02c", "#1f77b4")[i % 3]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": years,
                "y": [q["p50"] / factor for q in qs if q],
                "line": {"color": color},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(q["p95"] - q["p50"]) / factor for q in qs if q],
                    "arrayminus": [(q["p50"] - q["p5"]) / factor for q in qs if q],
                    "color": color,
                },
                "hovertemplate": name + " %{x}: p50 %{y:.4~g} " + unit_name + "<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title + " (p50; bars p5–p95)",
            xaxis={**_AXIS, "title": {"text": "year"}, "type": "category"},
            yaxis={**_AXIS, "title": {"text": unit_name}, "rangemode": "tozero"},
            legend={"orientation": "h", "y": -0.25},
        ),
    }


def waterfall_figure(waterfall: Mapping[str, Any]) -> dict[str, Any]:
    """Facility energy of the first year: the baseline, after each lever, optimised."""
    labels = ["baseline"] + [str(s["lever"]) for s in waterfall["steps"]]
    qs = [waterfall["baseline"]["energy_j"]] + [s["after"]["energy_j"] for s in waterfall["steps"]]
    factor, unit = energy_unit(max(q["p95"] for q in qs))
    return {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": [q["p50"] / factor for q in qs],
                "marker": {"color": ["#7f7f7f"] + ["#2ca02c"] * (len(qs) - 1)},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(q["p95"] - q["p50"]) / factor for q in qs],
                    "arrayminus": [(q["p50"] - q["p5"]) / factor for q in qs],
                },
                "hovertemplate": "%{x}: p50 %{y:.4~g} " + unit + "<extra></extra>",
            }
        ],
        "layout": _layout(
            f"Levers, applied in order: facility energy in {waterfall['metric_year']} "
            "(p50; bars p5–p95)",
            xaxis={**_AXIS, "title": {"text": "after lever"}},
            yaxis={**_AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            showlegend=False,
        ),
    }


def scenario_view(
    result: Mapping[str, Any], waterfall: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A scenario's report, from ``wattlens scenario run`` (and ``levers``) JSON."""
    daily = result["daily"]
    summary: list[tuple[str, str]] = [
        ("method", "estimated (modelled, not measured)"),
        ("boundary", str(result.get("boundary", "facility"))),
        (
            "years",
            f"{result['years']}"
            + (f" from {result['base_year']}" if result.get("base_year") else ""),
        ),
    ]
    per_request = result.get("per_request") or {}
    if per_request.get("energy_j"):
        summary.append(
            ("energy per request", quantile_text(per_request["energy_j"], format_energy))
        )
    summary.append(
        ("requests per day (first year)", quantile_text(daily["requests"], lambda v: f"{v:,.0f}"))
    )
    summary.append(("energy per day", quantile_text(daily["energy_j"], format_energy)))
    summary.append(
        ("carbon per day (location)", quantile_text(daily["co2e_location_g"], format_mass))
    )
    summary.append(("carbon per day (market)", quantile_text(daily["co2e_market_g"], format_mass)))
    summary.append(("water per day", quantile_text(daily["water_l"]["total"], format_volume)))
    if daily.get("cost"):
        cost = daily["cost"]
        summary.append(("cost per day", quantile_text(cost["amount"], _money(cost["currency"]))))
    total = result["total"]
    summary.append(("energy, all years", quantile_text(total["energy_j"], format_energy)))
    summary.append(("carbon, all years", quantile_text(total["co2e_location_g"], format_mass)))
    summary.append(("water, all years", quantile_text(total["water_l"], format_volume)))
    if total.get("cost"):
        cost = total["cost"]
        summary.append(("cost, all years", quantile_text(cost["amount"], _money(cost["currency"]))))
    yearly = result["yearly"]
    energy_max = max(row["energy_j"]["p95"] for row in yearly)
    figures: dict[str, dict[str, Any]] = {
        "energy_by_year": _yearly_band_figure(
            yearly,
            [("facility", lambda r: r["energy_j"]), ("IT", lambda r: r["it_energy_j"])],
            "Energy per year",
            energy_unit(energy_max),
        ),
        "carbon_by_year": _yearly_band_figure(
            yearly,
            [
                ("location-based", lambda r: r["co2e_location_g"]),
                ("market-based", lambda r: r["co2e_market_g"]),
            ],
            "Carbon per year",
            (1e3, "kg CO2e")
            if max(r["co2e_location_g"]["p95"] for r in yearly) >= 1e3
            else (1.0, "g CO2e"),
        ),
        "water_by_year": _yearly_band_figure(
            yearly,
            [
                ("total", lambda r: r["water_l"]["total"]),
                ("on-site", lambda r: r["water_l"]["onsite"]),
                ("off-site", lambda r: r["water_l"]["offsite"]),
            ],
            "Water per year",
            (1.0, "L"),
        ),
    }
    if waterfall is not None and waterfall.get("steps"):
        figures["levers"] = waterfall_figure(waterfall)
    inputs = [
        (
            str(c.get("name")),
            f"{c.get('model')} on {c.get('count')} x {c.get('accelerator')}, batch "
            f"{c.get('batch')}, {c.get('precision')}; "
            f"{quantile_text(c['energy_per_request_it_j'], format_energy)} IT energy per request",
        )
        for c in result.get("requests") or ()
    ]
    lever_rows = []
    if waterfall is not None:
        for step in waterfall.get("steps") or ():
            shares = step.get("saving_share_of_baseline") or {}
            parts = [
                f"{label} saves {quantile_text(shares[key], lambda v: f'{v:.0%}')}"
                for key, label in (("energy_j", "energy"), ("co2e_market_g", "carbon (market)"),
                                   ("water_l", "water"), ("cost", "cost"))
                if shares.get(key)
            ]  # fmt: skip
            lever_rows.append((str(step["lever"]), "; ".join(parts) + " of the baseline"))
    assumptions = [str(a) for a in result.get("assumptions") or ()]
    if waterfall is not None:
        assumptions.extend(
            str(a) for a in waterfall.get("assumptions") or () if str(a) not in assumptions
        )
    return {
        "kind": "scenario",
        "title": f"Scenario: {result['scenario']}",
        "measured": False,
        "method_label": "estimated (modelled, not measured)",
        "summary": summary,
        "inputs": inputs,
        "levers": lever_rows,
        "description": result.get("description") or "",
        "assumptions": assumptions,
        "sources": [*result.get("sources", ()), *result.get("catalog_rows", ())],
        "warnings": list(
            dict.fromkeys([*result.get("warnings", ()), *((waterfall or {}).get("warnings") or ())])
        ),
        "figures": figures,
    }
