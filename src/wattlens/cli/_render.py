"""Human summaries of measurements (JSON is in Measurement.to_dict)."""

from __future__ import annotations

import shlex

from rich.console import Console

from wattlens.cli._output import Table, fmt_number, fmt_range
from wattlens.cli._safe_text import safe
from wattlens.measurement import WARNING_MODELLED, Measurement
from wattlens.types import Impacts, WarningItem
from wattlens.units import (
    format_duration,
    format_energy,
    format_mass,
    format_money,
    format_power,
    format_volume,
)


def _range(low: float, central: float, high: float) -> str:
    return fmt_range(low, central, high)


def _impact_figures(impacts: Impacts) -> str:
    """Central carbon, water and cost, for one line."""
    text = (
        f"{format_mass(impacts.co2e_g.p50)} CO2e, {format_volume(impacts.water_l.total.p50)} water"
    )
    if impacts.cost is not None:
        text += f", {format_money(impacts.cost.amount.p50, impacts.cost.currency)}"
    return text


def render_measurement(m: Measurement, console: Console, *, saved_as: str | None = None) -> None:
    """Print a measurement for people: totals, components with method, impacts, caveats."""
    head = shlex.join(m.command) if m.command else m.name
    status = m.status if m.exit_code is None else f"{m.status}, exit {m.exit_code}"
    took = format_duration(m.duration_s)
    console.print(
        f"[bold]wattlens[/bold] {safe(head)}  [dim]({status}, {took})[/dim]",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(show_header=True, box=None, pad_edge=False)
    for column in ("component", "method", "energy", "avg power", "process tree"):
        table.add_column(column)
    for c in m.components:
        energy = _range(
            c.energy_low_j if c.energy_low_j is not None else c.energy_j,
            c.energy_j,
            c.energy_high_j if c.energy_high_j is not None else c.energy_j,
        )
        share = "" if c.attributed_energy_j is None else format_energy(c.attributed_energy_j)
        table.add_row(
            safe(f"{c.id} ({c.name})"), c.method, energy, format_power(c.avg_power_w), share
        )
    total = _range(m.energy_low_j, m.energy_j, m.energy_high_j)
    attributed = m.attributed_energy_j
    table.add_row(
        f"[bold]total ({safe(m.extent_words)})[/bold]",
        "+".join(m.methods),
        f"[bold]{total}[/bold]",
        format_power(m.avg_power_w),
        "" if attributed is None else format_energy(attributed),
    )
    console.print(table)
    if m.peak_power_w is not None:
        console.print(f"peak power {format_power(m.peak_power_w)}", highlight=False)
    impacts = m.typed_impacts
    place = impacts.place
    where = safe(place.grid_name + place.origin_note())
    line = (
        f"impacts for the {safe(m.scope_words)}, at {where} "
        f"({fmt_number(place.co2e_g_per_kwh)} gCO2e/kWh), PUE "
        f"{fmt_number(impacts.pue or 1.0)}: {_impact_figures(impacts)}"
    )
    if m.scope != "machine":
        line += f"; {safe(m.extent_words)}: {_impact_figures(m.typed_machine_impacts)}"
    console.print(line, highlight=False, soft_wrap=True)
    if m.embodied is not None:
        console.print(safe(m.embodied.describe()), highlight=False, soft_wrap=True)
    if m.is_modeled:
        modeled = ", ".join(c.id for c in m.components if c.method == "modeled")
        console.print(
            f"[yellow]Modelled, not measured:[/yellow] {modeled} — no hardware energy sensor "
            "covers them here; the range shows the model's uncertainty (`wattlens doctor`).",
            highlight=False,
            soft_wrap=True,
        )
    for warning in m.warnings:
        # The modelled-components warning is said above, in more words.
        if not (isinstance(warning, WarningItem) and warning.code == WARNING_MODELLED):
            console.print(
                f"[yellow]warning:[/yellow] {safe(warning)}", highlight=False, soft_wrap=True
            )
    if saved_as:
        console.print(f"[dim]{safe(saved_as)}[/dim]", highlight=False, soft_wrap=True)
