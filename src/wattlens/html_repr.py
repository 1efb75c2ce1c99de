"""Rich HTML of results for notebooks: ``Measurement._repr_html_`` and ``Estimate._repr_html_``.

Jupyter shows an object's ``_repr_html_`` in place of its ``repr``. The tables say which
numbers were measured and which were modelled, give every computed range rather than a
point, and list the sources and warnings. Every text that comes from outside the code
(run names, commands, locations, catalog sources, warnings) is escaped: a run called
``<script>`` shows as text. Plain standard library, so measuring stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING, Any

from wattlens.units import (
    format_duration,
    format_energy,
    format_mass,
    format_money,
    format_power,
    format_volume,
    range_text,
)

if TYPE_CHECKING:
    from wattlens.types import Impacts, Range

__all__ = ["estimate_html", "measurement_html"]

#: One style block per result, scoped to its class, instead of a style on every cell.
_CSS = (
    "<style>.wattlens-result table{border-collapse:collapse;margin:0.3em 0;font-size:0.9em;"
    "font-variant-numeric:tabular-nums}.wattlens-result th,.wattlens-result td{"
    "padding:0.15em 0.8em 0.15em 0;text-align:left;vertical-align:top}</style>"
)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def _rows(pairs: Iterable[tuple[str, str]]) -> str:
    """Two-column table; both cells are already-escaped HTML."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in pairs)
    return f"<table>{body}</table>"


def _grid(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table with a header row; cells are already-escaped HTML."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _range(r: Range, formatter: Callable[[float], str], measured: bool) -> str:
    # A measurement's band is low-high around a reading, an estimate's a p5-p95 quantile range.
    labels = ("low", "high") if measured else ("p5", "p95")
    return _text(range_text(r.p5, r.p50, r.p95, formatter, labels=labels))


def _list(title: str, items: Iterable[object]) -> str:
    entries = [f"<li>{_text(i)}</li>" for i in items]
    if not entries:
        return ""
    return f"<div><b>{_text(title)}</b><ul style='margin:0.1em 0'>{''.join(entries)}</ul></div>"


def _impacts_rows(impacts: Impacts, measured: bool) -> list[tuple[str, str]]:
    place = impacts.place
    where = f"{place.query} (grid {place.grid_name}, {place.co2e_g_per_kwh:g} gCO2e/kWh)"
    rows = [("location", _text(where + place.origin_note()))]
    if impacts.pue is not None:
        rows.append(("PUE", _text(f"{impacts.pue:g}")))
    if impacts.facility_energy_j is not None:
        rows.append(("facility energy", _range(impacts.facility_energy_j, format_energy, measured)))
    rows.append(("carbon (location-based)", _range(impacts.co2e_g, format_mass, measured)))
    if measured:
        rows.append(("carbon (market-based)", _range(impacts.co2e_market_g, format_mass, True)))
    rows.append(("water", _range(impacts.water_l.total, format_volume, measured)))
    cost = impacts.cost
    if cost is not None:
        amount = cost.amount
        text = range_text(
            amount.p5,
            amount.p50,
            amount.p95,
            lambda v: format_money(v, cost.currency),
            labels=("low", "high") if measured else ("p5", "p95"),
        )
        rows.append(("cost", _text(text)))
    return rows


# The results import this module for their ``_repr_html_``; importing them back, even for
# types, would be a cycle: the arguments are typed by duck.
def measurement_html(m: Any) -> str:
    """A :class:`~wattlens.measurement.Measurement` as an HTML fragment: totals, components
    with their methods, impacts."""
    method = (
        "modelled (no hardware energy sensor: see <code>wattlens doctor</code>)"
        if m.methods == ["modeled"]
        else "measured"
        if not m.is_modeled
        else "partly modelled"
    )
    title = f"wattlens measurement <code>{_text(m.name)}</code> · {method}"
    energy = _range_from(m.energy_low_j, m.energy_j, m.energy_high_j)
    summary: list[tuple[str, str]] = [
        ("run id", f"<code>{_text(m.run_id)}</code>"),
        ("status", _text(m.status)),
        ("duration", _text(format_duration(m.duration_s))),
        ("energy", _range(energy, format_energy, True)),
        ("average power", _text(format_power(m.avg_power_w))),
        ("methods", _text(", ".join(m.methods) or "none")),
        ("impacts for", _text(m.scope_words)),
    ]
    if m.command:
        summary.insert(1, ("command", f"<code>{_text(' '.join(m.command))}</code>"))
    if m.attributed_energy_j is not None:
        summary.append(("this process tree", _text(format_energy(m.attributed_energy_j))))
    components = _grid(
        ("component", "kind", "method", "sensor", "energy", "average power"),
        (
            (
                _text(c.name or c.id),
                _text(c.kind),
                # The method is the first thing a reader must not miss: bold when modelled.
                f"<b>{_text(c.method)}</b>" if c.method == "modeled" else _text(c.method),
                _text(c.sensor),
                _range(
                    _range_from(
                        c.energy_j if c.energy_low_j is None else c.energy_low_j,
                        c.energy_j,
                        c.energy_j if c.energy_high_j is None else c.energy_high_j,
                    ),
                    format_energy,
                    True,
                ),
                _text(format_power(c.avg_power_w)),
            )
            for c in m.components
        ),
    )
    impacts = m.typed_impacts
    return (
        f'{_CSS}<div class="wattlens-result wattlens-measurement"><div><b>{title}</b></div>'
        f"{_rows(summary)}{components}{_rows(_impacts_rows(impacts, True))}"
        f"{_list('sources', impacts.sources)}"
        f"{_list('warnings', m.warnings)}</div>"
    )


def estimate_html(e: Any) -> str:
    """An :class:`~wattlens.estimate.Estimate` as an HTML fragment: energy ranges by boundary,
    impacts, assumptions."""
    title = f"wattlens {_text(e.kind)} estimate · modelled ({_text(e.method)}), not measured"
    unit = " per request" if e.kind == "inference" else ""
    summary: list[tuple[str, str]] = [
        (f"energy ({_text(e.boundary)}){unit}", _range(e.energy, format_energy, False)),
    ]
    summary += [
        (f"at {_text(b)} boundary", _range(r, format_energy, False))
        for b, r in e.energy_by_boundary.items()
        if b != e.boundary
    ]
    assumptions = _grid(
        ("input", "value", "basis"),
        ((_text(a.name), _text(a.value), _text(a.basis)) for a in e.assumptions),
    )
    drivers = ", ".join(f"{name} {share:.0%}" for name, share in e.sensitivity)
    if drivers:
        summary.append(("spread driven by", _text(drivers)))
    sources = list(dict.fromkeys([*e.sources, *e.typed_impacts.sources]))
    return (
        f'{_CSS}<div class="wattlens-result wattlens-estimate"><div><b>{title}</b></div>'
        f"{_rows(summary)}{_rows(_impacts_rows(e.typed_impacts, False))}"
        f"<div><b>assumptions</b></div>{assumptions}"
        f"{_list('sources', sources)}{_list('warnings', e.warnings)}</div>"
    )


def _range_from(low: float, central: float, high: float) -> Range:
    from wattlens.types import Range

    return Range.bounds(low, central, high)
