"""An estimate's view (report and dashboard page): energy by boundary, its distribution,
what drives the range, and the impacts.

Every number comes from an :class:`~wattlens.estimate.Estimate`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from wattlens.report.views.common import (
    AXIS,
    cell,
    energy_unit,
    figure_layout,
    impact_rows,
    impacts_figure,
    quantile_text,
)
from wattlens.units import format_count, format_duration, format_energy

if TYPE_CHECKING:
    from wattlens.estimate import Estimate

_HIST_BINS = 60


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
        "layout": figure_layout(
            "Energy by boundary (p50; bars p5–p95; the requested boundary is darker)",
            xaxis={**AXIS, "title": {"text": "boundary"}},
            yaxis={**AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
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
        "layout": figure_layout(
            f"Uncertainty: {values.size:,} Monte Carlo samples at the {boundary} boundary",
            xaxis={**AXIS, "title": {"text": f"energy ({unit})"}},
            yaxis={**AXIS, "title": {"text": "samples"}},
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
        "layout": figure_layout(
            "What drives the range (share of the spread explained)",
            xaxis={**AXIS, "title": {"text": "share (%)"}, "rangemode": "tozero"},
            yaxis={**AXIS, "autorange": "reversed"},
            showlegend=False,
            height=max(220, 90 + 30 * len(names)),
        ),
    }


_EXTRA_LABELS: dict[str, tuple[str, Callable[[float], str]]] = {
    "accelerator_hours": ("accelerator-hours", format_count),
    "duration_s": ("duration", format_duration),
    "prefill_energy_j": ("prefill energy (accelerators)", format_energy),
    "decode_energy_j": ("decode energy (accelerators)", format_energy),
    "time_per_request_s": ("time per request", format_duration),
}


def _summary(e: Estimate) -> list[tuple[str, str]]:
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
            summary.append((key.replace("_", " "), cell(value)))
    summary.extend(impact_rows(e.impacts))
    return summary


def _figures(e: Estimate) -> dict[str, dict[str, Any]]:
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
    return figures


def estimate_view(
    e: Estimate, *, title: str, inputs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Everything an estimate's report or page shows, as plain data (texts, rows, figures)."""
    # The model's inputs are in assumption_rows; these are the impacts' own.
    assumptions = [str(a) for a in e.impacts.get("assumptions") or ()]
    sources = list(dict.fromkeys([*e.sources, *(e.impacts.get("sources") or ())]))
    return {
        "kind": "estimate",
        "title": title,
        "measured": False,
        "method_label": "estimated (modelled, not measured)",
        "summary": _summary(e),
        "inputs": [(str(k), cell(v)) for k, v in (inputs or {}).items() if v not in (None, "")],
        "assumption_rows": [
            {"name": a.name, "value": a.value, "basis": a.basis} for a in e.assumptions
        ],
        "sensitivity": [(k, f"{v:.0%}") for k, v in e.sensitivity],
        "assumptions": assumptions,
        "sources": sources,
        "warnings": list(e.warnings),
        "figures": _figures(e),
    }
