"""What every view shares: the chart layout, display units, and texts of ranges and impacts.

Figures are plotly.js figure dicts (``{"data": [...], "layout": {...}}``) so that
the HTML report, the web dashboard and the PNG export draw the same charts
without importing plotly. Nothing here computes a quantity of its own: numbers
are only converted to a display unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from wattlens.units import (
    J_PER_KWH,
    format_energy,
    format_mass,
    format_money,
    format_number,
    format_volume,
    range_text,
)

MEASURED_METHODS = ("counter", "sampled")
COLORS = {
    "counter": "#1f77b4",
    "sampled": "#17becf",
    "modeled": "#ff7f0e",
    "estimated": "#ff7f0e",
}
_BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
    "font": {"family": "system-ui, sans-serif", "size": 13},
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "height": 360,
}
AXIS = {"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True}


def figure_layout(title: str, **extra: Any) -> dict[str, Any]:
    """A figure's layout: the shared look, ``title``, and ``extra`` keys."""
    result: dict[str, Any] = {**_BASE_LAYOUT, "title": {"text": title, "x": 0.01}}
    result.update(extra)
    return result


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
    from wattlens.types import read_range

    r = read_range(value)
    return None if r is None else (r.p5, r.p50, r.p95)


def band_text(value: Any, formatter: Callable[[float], str]) -> str:
    """``central unit (low–high unit)`` in one unit, the number alone when it has no spread."""
    parts = band(value)
    if parts is None:
        return ""
    low, mid, high = parts
    return range_text(low, mid, high, formatter, labels=None)


def quantile_text(q: Mapping[str, float], formatter: Callable[[float], str]) -> str:
    """``p50 unit (p5 low – p95 high unit)`` of a quantile dict, in one unit."""
    return range_text(q["p5"], q["p50"], q["p95"], formatter)


def money(currency: str) -> Callable[[float], str]:
    """A formatter of amounts in ``currency`` (plain decimals, no exponent)."""
    return partial(format_money, currency=currency)


def cell(value: Any) -> str:
    """A table cell: lists joined, numbers plain (no exponent), empty for unknown."""
    return format_number(value)


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
    layout = figure_layout(
        f"Impacts ({label}): central value, bars show the range", showlegend=False
    )
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
            **AXIS,
            "domain": [i * width + 0.06, (i + 1) * width - 0.04],
            "anchor": f"y{suffix}",
        }
        layout[f"yaxis{suffix}"] = {
            **AXIS,
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
            text += f" ({format_number(float(place['co2e_g_per_kwh']))} gCO2e/kWh)"
        from wattlens.types import origin_note

        text += origin_note(place.get("origin"), place.get("origin_detail"))
        rows.append(("location", text))
    if impacts.get("pue") is not None:
        rows.append(("PUE", format_number(float(impacts["pue"]))))
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
        rows.append(("cost", band_text(cost["amount"], money(currency))))
        if cost.get("amount_usd") is not None and currency != "USD":
            rows.append(("cost in USD", band_text(cost["amount_usd"], money("USD"))))
    elif "cost" in impacts:
        rows.append(("cost", "unknown (no electricity price for this place in the catalog)"))
    return rows


def figure_titles(figures: Mapping[str, Mapping[str, Any]]) -> Iterable[tuple[str, str]]:
    """(name, title) of each figure, in order."""
    for name, fig in figures.items():
        yield name, str(fig.get("layout", {}).get("title", {}).get("text", name))
