"""A scenario's view (report and dashboard): daily and total figures, the years, the levers.

Every number comes from the JSON of ``wattlens scenario run`` (and ``scenario
levers``); nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from wattlens.report.views.common import (
    AXIS,
    energy_unit,
    figure_layout,
    money,
    quantile_text,
)
from wattlens.units import format_count, format_energy, format_mass, format_volume

_METHOD = "estimated (modelled, not measured)"


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
        "layout": figure_layout(
            title + " (p50; bars p5–p95)",
            xaxis={**AXIS, "title": {"text": "year"}, "type": "category"},
            yaxis={**AXIS, "title": {"text": unit_name}, "rangemode": "tozero"},
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
        "layout": figure_layout(
            f"Levers, applied in order: facility energy in {waterfall['metric_year']} "
            "(p50; bars p5–p95)",
            xaxis={**AXIS, "title": {"text": "after lever"}},
            yaxis={**AXIS, "title": {"text": f"energy ({unit})"}, "rangemode": "tozero"},
            showlegend=False,
        ),
    }


def _summary(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    daily = result["daily"]
    summary: list[tuple[str, str]] = [
        ("method", _METHOD),
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
        ("requests per day (first year)", quantile_text(daily["requests"], format_count))
    )
    summary.append(("energy per day", quantile_text(daily["energy_j"], format_energy)))
    summary.append(
        ("carbon per day (location)", quantile_text(daily["co2e_location_g"], format_mass))
    )
    summary.append(("carbon per day (market)", quantile_text(daily["co2e_market_g"], format_mass)))
    summary.append(("water per day", quantile_text(daily["water_l"]["total"], format_volume)))
    if daily.get("cost"):
        cost = daily["cost"]
        summary.append(("cost per day", quantile_text(cost["amount"], money(cost["currency"]))))
    total = result["total"]
    summary.append(("energy, all years", quantile_text(total["energy_j"], format_energy)))
    summary.append(("carbon, all years", quantile_text(total["co2e_location_g"], format_mass)))
    summary.append(("water, all years", quantile_text(total["water_l"], format_volume)))
    if total.get("cost"):
        cost = total["cost"]
        summary.append(("cost, all years", quantile_text(cost["amount"], money(cost["currency"]))))
    return summary


def _figures(
    yearly: Sequence[Mapping[str, Any]], waterfall: Mapping[str, Any] | None
) -> dict[str, dict[str, Any]]:
    energy_max = max(row["energy_j"]["p95"] for row in yearly)
    carbon_max = max(r["co2e_location_g"]["p95"] for r in yearly)
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
            (1e3, "kg CO2e") if carbon_max >= 1e3 else (1.0, "g CO2e"),
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
    return figures


def _request_text(c: Mapping[str, Any]) -> str:
    """What a request class is, from the fields its file sets (a field not set is left out)."""
    if c.get("method") == "given" or c.get("energy_per_request") is not None:
        what = f"given {c.get('energy_per_request')}"
        if c.get("boundary"):
            what += f" ({c['boundary']} boundary)"
    else:
        hardware = " x ".join(str(c[k]) for k in ("count", "accelerator") if c.get(k) is not None)
        parts = [
            " on ".join(p for p in (str(c.get("model") or ""), hardware) if p),
            f"batch {c['batch']}" if c.get("batch") is not None else "",
            str(c.get("precision") or ""),
            f"{c['output_tokens']} output tokens" if c.get("output_tokens") is not None else "",
        ]
        what = ", ".join(p for p in parts if p)
    energy = c.get("energy_per_request_it_j")
    if energy:
        what += ("; " if what else "") + (
            f"{quantile_text(energy, format_energy)} IT energy per request"
        )
    return what or "not set"


def _request_rows(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(c.get("name")), _request_text(c)) for c in result.get("requests") or ()]


def _lever_rows(waterfall: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    rows = []
    for step in (waterfall or {}).get("steps") or ():
        shares = step.get("saving_share_of_baseline") or {}
        parts = [
            f"{label} saves {quantile_text(shares[key], lambda v: f'{v:.0%}')}"
            for key, label in (("energy_j", "energy"), ("co2e_market_g", "carbon (market)"),
                               ("water_l", "water"), ("cost", "cost"))
            if shares.get(key)
        ]  # fmt: skip
        rows.append((str(step["lever"]), "; ".join(parts) + " of the baseline"))
    return rows


def scenario_view(
    result: Mapping[str, Any], waterfall: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A scenario's report, from ``wattlens scenario run`` (and ``levers``) JSON."""
    assumptions = [str(a) for a in result.get("assumptions") or ()]
    if waterfall is not None:
        assumptions.extend(
            str(a) for a in waterfall.get("assumptions") or () if str(a) not in assumptions
        )
    return {
        "kind": "scenario",
        "title": f"Scenario: {result['scenario']}",
        "measured": False,
        "method_label": _METHOD,
        "summary": _summary(result),
        "inputs": _request_rows(result),
        "levers": _lever_rows(waterfall),
        "description": result.get("description") or "",
        "assumptions": assumptions,
        "sources": [*result.get("sources", ()), *result.get("catalog_rows", ())],
        "warnings": list(
            dict.fromkeys([*result.get("warnings", ()), *((waterfall or {}).get("warnings") or ())])
        ),
        "figures": _figures(result["yearly"], waterfall),
    }
