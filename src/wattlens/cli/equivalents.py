"""``wattlens equivalents``: an energy or a water volume in everyday terms."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from wattlens.cli._output import Table, emit_json, stdout
from wattlens.units import format_count, format_percent


def parse_energy(text: str) -> float:
    """``500000 kWh``, ``1.3 GWh``, ``megawatt hours``, ``50万千瓦时`` → joules (the one grammar).

    A range (``2.5..2.9 Wh``) gives its midpoint.

    Raises:
        InputValueError: The text is not an energy, or it is negative.
    """
    from wattlens.errors import InputValueError
    from wattlens.quantity import parse

    quantity = parse(text, kind="energy", what="ENERGY")
    if quantity.low < 0:
        raise InputValueError(
            f"ENERGY {text!r} is negative", hint="write e.g. '500000 kWh', '1.3 GWh', '2e9 J'"
        )
    return quantity.value


def equivalents(
    energy: Annotated[
        str | None, typer.Argument(help="An energy: '500000 kWh', '1.3 GWh'.")
    ] = None,
    water_l: Annotated[
        float | None, typer.Option("--water-l", min=0, help="A water volume in litres.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Express an energy (and optionally water) as households, searches, car km, pools, countries.

    Every comparison comes from the catalog's `equivalents` rows, each with its
    source and year (`wattlens catalog ls equivalents`).

    JSON: {"energy_j", "water_l", "comparisons": [{id, label, value, unit, source, year}]}.

    Example: wattlens equivalents "500000 kWh"
    """
    from wattlens.equivalents import express_energy, express_water

    if energy is None and water_l is None:
        raise typer.BadParameter("give an ENERGY or --water-l", param_hint="ENERGY")
    energy_j = parse_energy(energy) if energy is not None else None
    comparisons = []
    if energy_j is not None:
        comparisons.extend(express_energy(energy_j))
    if water_l is not None:
        comparisons.extend(express_water(water_l))
    if json_output:
        emit_json({"energy_j": energy_j, "water_l": water_l,
                   "comparisons": [c.to_dict() for c in comparisons]})  # fmt: skip
        return
    table = Table("is as much as", "value", "source (year)")
    table.columns[0].overflow = "fold"
    table.columns[1].no_wrap = True
    table.columns[1].justify = "right"
    table.columns[2].overflow = "fold"
    for c in comparisons:
        table.add_row(escape(c.label), value_text(c.value, c.unit),
                      escape(f"{c.source[:60]} ({c.year})"))  # fmt: skip
    stdout.print(table)


def value_text(value: float, unit: str) -> str:
    """A comparison's value for people: ``46.7 years``, ``17,040 days``, ``0.000424 %``."""
    if unit == "fraction":
        return format_percent(value)
    return format_count(value, unit)
