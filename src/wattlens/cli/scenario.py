"""``wattlens scenario``: project a service or fleet from a YAML file, and its levers."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from wattlens.cli._output import Table, emit_json, stderr, stdout

if TYPE_CHECKING:
    from wattlens.scenario.loader import LoadedScenario

app = typer.Typer(
    help="Project a service or fleet over years from a scenario file; apply levers.",
    no_args_is_help=True,
)

_FILE_HELP = "Scenario file (YAML; see examples/scenarios/)."


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str], None] | None]:
    """A Rich spinner on stderr (only on a terminal); yields a callback or None."""
    if not (enabled and stderr.is_terminal):
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task("loading", total=None)

        def update(text: str) -> None:
            bar.update(task, description=escape(text))

        yield update


_SAMPLES_HELP = (
    "Monte Carlo samples, 100 to 200,000, the dashboard's cap for estimates (default: the "
    "file's, else 20,000); memory grows with the samples."
)


def _load(file: Path, samples: int | None = None) -> LoadedScenario:
    from wattlens.scenario import load
    from wattlens.scenario.schema import check_samples

    if samples is not None:
        check_samples(samples, "--samples")
    return load(file)


def _q(q: dict[str, float] | None, fmt: Callable[[float], str]) -> str:
    from wattlens.units import range_text

    if q is None:
        return "—"
    return range_text(q["p5"], q["p50"], q["p95"], fmt, labels=None)


def _money(currency: str | None) -> Callable[[float], str]:
    from functools import partial

    from wattlens.units import format_money

    return partial(format_money, currency=currency or "")


def _short(value: float) -> str:
    from wattlens.units import format_count

    return format_count(value)


def _render_run(data: dict[str, Any]) -> None:
    stdout.print(
        f"[bold]{escape(data['scenario'])}[/bold] — facility boundary, "
        f"[yellow]estimated[/yellow] (modelled, not measured); p50 (p5 – p95), "
        f"{data['samples']:,} samples",
        highlight=False,
        soft_wrap=True,
    )
    _render_per_request(data["per_request"])
    stdout.print(_first_year_table(data))
    if len(data["yearly"]) > 1:
        stdout.print(_projection_table(data["yearly"]))
    if data.get("embodied") is not None:
        from wattlens.embodied import describe_scenario

        stdout.print(escape(describe_scenario(data["embodied"])), highlight=False, soft_wrap=True)
    if data["fleet"] is not None:
        _render_fleet(data["fleet"])
    _render_parts(data)
    _footer(data)


def _render_per_request(pr: dict[str, Any] | None) -> None:
    from wattlens.units import format_energy

    if pr is None:
        return
    line = f"per request: {_q(pr['energy_j'], format_energy)}"
    if "training_it_energy_j" in pr:
        line += f"; training amortised (IT): {_q(pr['training_it_energy_j'], format_energy)}"
    stdout.print(escape(line), highlight=False)


def _first_year_table(data: dict[str, Any]) -> Table:
    """An average day next to the whole first year."""
    from wattlens.units import format_energy, format_mass, format_volume

    daily, first = data["daily"], data["yearly"][0]
    table = Table("", "per day (year 1)", f"per year ({first['year']})", box=None, pad_edge=False)
    if data["per_request"] is not None:
        table.add_row("requests", _q(daily["requests"], _short), _q(first["requests"], _short))
    table.add_row(
        "energy", _q(daily["energy_j"], format_energy), _q(first["energy_j"], format_energy)
    )
    table.add_row(
        "  of which IT", _q(daily["it_energy_j"], format_energy),
        _q(first["it_energy_j"], format_energy),
    )  # fmt: skip
    table.add_row(
        "CO2e location-based", _q(daily["co2e_location_g"], format_mass),
        _q(first["co2e_location_g"], format_mass),
    )  # fmt: skip
    table.add_row(
        "CO2e market-based", _q(daily["co2e_market_g"], format_mass),
        _q(first["co2e_market_g"], format_mass),
    )  # fmt: skip
    table.add_row(
        "water (on- + off-site)", _q(daily["water_l"]["total"], format_volume),
        _q(first["water_l"]["total"], format_volume),
    )  # fmt: skip
    cost, cost_year = daily["cost"], first["cost"]
    if cost is not None and cost_year is not None:
        fmt = _money(cost["currency"])
        table.add_row("cost", _q(cost["amount"], fmt), _q(cost_year["amount"], fmt))
        if cost["currency"] != "USD" and cost["amount_usd"] is not None:
            usd = _money("USD")
            table.add_row("  in USD", _q(cost["amount_usd"], usd), _q(cost_year["amount_usd"], usd))
    return table


def _projection_table(yearly: list[dict[str, Any]]) -> Table:
    from wattlens.units import format_energy, format_mass, format_volume

    years = Table(
        "year", "requests", "energy", "CO2e (market)", "water", "cost",
        box=None, pad_edge=False, title="projection", title_justify="left",
    )  # fmt: skip
    for row in yearly:
        c = row["cost"]
        years.add_row(
            str(row["year"]), _short(row["requests"]["p50"]),
            _q(row["energy_j"], format_energy), _q(row["co2e_market_g"], format_mass),
            _q(row["water_l"]["total"], format_volume),
            _q(c["amount"], _money(c["currency"])) if c else "—",
        )  # fmt: skip
    return years


def _render_fleet(fleet: dict[str, Any]) -> None:
    from wattlens.units import format_energy

    line = (
        f"top-down fleet: {fleet['servers']} servers x {fleet['power_per_server_w']} W x "
        f"utilisation {fleet['utilisation']} = "
        f"{_q(fleet['it_energy_per_day_j'], format_energy)} a day (IT), "
        f"{_q(fleet['facility_energy_per_day_j'], format_energy)} with PUE"
    )
    if "bottom_up_to_top_down" in fleet:
        ratio = fleet["bottom_up_to_top_down"]
        line += f"; bottom-up / top-down = {_q(ratio, lambda v: f'{v:.2f}')}"
    stdout.print(escape(line), highlight=False, soft_wrap=True)


def _render_parts(data: dict[str, Any]) -> None:
    """The training runs and request classes the totals are made of."""
    from wattlens.units import format_energy

    for run in data["training"]:
        stdout.print(
            escape(f"training {run['name']}: {_q(run['facility_energy_j'], format_energy)} "
                   f"(facility), amortised over {run['amortise_years']} year(s)"),
            highlight=False, soft_wrap=True,
        )  # fmt: skip
    for c in data["requests"]:
        what = (
            f"{c['model']} on {c['count']} x {c['accelerator']}, batch {c['batch']}, "
            f"{c['precision']}, {c['output_tokens']} output tokens"
            if c["method"] == "modelled"
            else f"given {c['energy_per_request']} ({c['boundary']} boundary)"
        )
        stdout.print(
            escape(f"  {c['name']} ({c['share']:.0%}): {what}: "
                   f"{_q(c['energy_per_request_it_j'], format_energy)} IT per request"),
            highlight=False, soft_wrap=True,
        )  # fmt: skip


def _footer(data: dict[str, Any]) -> None:
    stdout.print("[bold]assumptions[/bold]")
    for a in data["assumptions"]:
        stdout.print(f"  {escape(a)}", highlight=False, soft_wrap=True)
    if data["sources"]:
        stdout.print("[bold]sources[/bold]")
        for s in data["sources"]:
            stdout.print(f"  {escape(s)}", highlight=False, soft_wrap=True)
    for w in data["warnings"]:
        stdout.print(f"[yellow]note:[/yellow] {escape(w)}", highlight=False, soft_wrap=True)


def _render_levers(data: dict[str, Any]) -> None:
    from wattlens.units import ENERGY, format_bounds, format_energy, format_mass

    stdout.print(
        f"[bold]{escape(data['scenario'])}[/bold] — levers, one after another; year "
        f"{data['metric_year']}, facility boundary, [yellow]estimated[/yellow]; "
        "p50 (p5 – p95)",
        highlight=False,
        soft_wrap=True,
    )
    table = Table(box=None, pad_edge=False)
    table.add_column("step")
    for name in ("energy / yr", "saving", "p5 – p95", "share", "CO2e mkt / yr", "cost / yr"):
        table.add_column(name, no_wrap=name == "share")
    currency = data["currency"]
    money = _money(currency)

    def span(q: dict[str, float]) -> str:
        return format_bounds(q["p5"], q["p95"], ENERGY, q["p50"])

    base = data["baseline"]
    table.add_row(
        "baseline", format_energy(base["energy_j"]["p50"]), "", "", "",
        format_mass(base["co2e_market_g"]["p50"]),
        money(base["cost"]["p50"]) if base["cost"] else "—",
    )  # fmt: skip
    for step in data["steps"]:
        after, saving, share = step["after"], step["saving"], step["saving_share_of_baseline"]
        table.add_row(
            escape(step["lever"]), format_energy(after["energy_j"]["p50"]),
            format_energy(saving["energy_j"]["p50"]), span(saving["energy_j"]),
            f"{share['energy_j']['p50']:.0%}", format_mass(after["co2e_market_g"]["p50"]),
            money(after["cost"]["p50"]) if after["cost"] else "—",
        )  # fmt: skip
    opt, total = data["optimised"], data["total_saving"]
    table.add_row(
        "[bold]optimised[/bold]", format_energy(opt["energy_j"]["p50"]),
        format_energy(total["energy_j"]["saving"]["p50"]), span(total["energy_j"]["saving"]),
        f"{total['energy_j']['share']['p50']:.0%}", format_mass(opt["co2e_market_g"]["p50"]),
        money(opt["cost"]["p50"]) if opt["cost"] else "—",
    )  # fmt: skip
    stdout.print(table)
    stdout.print(
        escape(f"baseline {_q(base['energy_j'], format_energy)} a year; optimised "
               f"{_q(opt['energy_j'], format_energy)}"),
        highlight=False,
    )  # fmt: skip
    carbon = total["co2e_market_g"]
    stdout.print(
        escape(f"CO2e (market-based) saved: {_q(carbon['saving'], format_mass)} a year "
               f"({carbon['share']['p50']:.0%})"),
        highlight=False,
    )  # fmt: skip
    for step in data["steps"]:
        if step["basis"]:
            stdout.print(f"  [dim]{escape(step['lever'])}: {escape(step['basis'])}[/dim]",
                         highlight=False, soft_wrap=True)  # fmt: skip
        for note in step["notes"]:
            stdout.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
    _footer(data)


_RUN_JSON = (
    "JSON: {scenario, file, method, boundary: 'facility', samples, seed, years, base_year, "
    "pue, clean_energy_share, per_request: {energy_j, it_energy_j, training_it_energy_j?}, "
    "daily: {requests, energy_j, it_energy_j, co2e_location_g, co2e_market_g, water_l: "
    "{onsite, offsite, total}, cost: {currency, amount, amount_usd}}, yearly: [{year, index, "
    "requests, energy_j, it_energy_j, inference_it_energy_j, training_it_energy_j, "
    "co2e_location_g, co2e_market_g, water_l, cost}], total, requests (one per class), training, "
    "fleet, locations, assumptions, sources, catalog_rows, warnings}; every quantity is "
    "{p5, p50, p95, mean}."
)
_LEVERS_JSON = (
    "JSON: {scenario, file, metric_year, currency, baseline: {energy_j, it_energy_j, "
    "co2e_location_g, co2e_market_g, water_l, cost, cost_usd, energy_total_j}, steps: [{lever, "
    "kind, basis, after, saving, saving_share_of_baseline, notes}], optimised, total_saving: "
    "{metric: {saving, share}}, assumptions, sources, warnings}; quantities are {p5, p50, p95, "
    "mean}, savings per-sample differences."
)


@app.command("run")
def run_command(
    file: Annotated[Path, typer.Argument(help=_FILE_HELP)],
    years: Annotated[
        int | None, typer.Option("--years", min=1, max=100, help="Years to project.")
    ] = None,
    samples: Annotated[int | None, typer.Option("--samples", min=100, help=_SAMPLES_HELP)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Project a scenario: daily and yearly energy, cost, carbon and water, p5/p50/p95.

    The file (YAML) has name, sources, years, demand (requests_per_day, or users
    and requests_per_user_per_day; growth_per_year), requests (name, share, and
    model + output_tokens, or energy_per_request + boundary), hardware, location
    (a name or a list of {name, share}), pue, clean_energy_share, price,
    training, fleet and levers. Any number can be a range written "LOW..HIGH"
    (sampled uniformly), with the unit after it: "2.5..2.9 Wh", "1.1..1.4",
    "10%..30%". Units: J/kJ/MJ/Wh/kWh/MWh/GWh/TWh, W/kW/MW, "1.06 CNY/kWh";
    counts may use k, M, B, T (200M, 9B). Shares must add up to 1.

    Example: wattlens scenario run examples/scenarios/chatgpt-2023-article.yaml
    """
    from wattlens.equivalents import scenario_equivalents
    from wattlens.scenario import run

    loaded = _load(file, samples)
    with _progress(not json_output) as progress:
        data = run(loaded, samples=samples, years=years, progress=progress)
    data["equivalents"] = scenario_equivalents(data)
    if json_output:
        emit_json(data)
    else:
        _render_run(data)
        _render_equivalents(data["equivalents"])


#: The comparisons a person reads first; `--json` carries every one.
_HEADLINE = ("household-us", "household-eu", "country-electricity-ie", "ev-km", "olympic-pool")


def _render_equivalents(items: list[dict[str, Any]]) -> None:
    shown = [
        i for i in items
        if i["id"] in _HEADLINE and i["unit"] in ("years", "km", "fraction", "times")
    ]  # fmt: skip
    if not shown:
        return

    from wattlens.units import format_count as num

    parts = []
    for item in shown:
        value = item["value"]
        if item["unit"] == "fraction":
            parts.append(f"{value:.2%} of {item['label'].removeprefix('share of a year of ')}")
        elif item["unit"] == "years":
            parts.append(f"{num(value)} x {item['label'].removesuffix(': years')} (a year)")
        else:
            parts.append(f"{num(value)} {item['unit']} of {item['label']}")
    stdout.print(
        escape("the first year is as much as: " + "; ".join(parts)),
        soft_wrap=True,
        highlight=False,
    )


@app.command("levers")
def levers_command(
    file: Annotated[Path, typer.Argument(help=_FILE_HELP)],
    years: Annotated[
        int | None, typer.Option("--years", min=1, max=100, help="Years to project.")
    ] = None,
    samples: Annotated[int | None, typer.Option("--samples", min=100, help=_SAMPLES_HELP)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Apply the file's levers one after another: a waterfall from baseline to optimised.

    Lever kinds (each item of `levers:` is `- kind: ...` with its fields; label and
    basis are optional): hardware (accelerator, count), quantise (precision),
    batch (batch), shorter_outputs (factor), model (model, count), efficiency
    (factor, basis), pue (pue), clean_energy (share), relocate (location). The
    first six take `requests: [names]` to change some request classes only.
    Each saving is against the state before the lever, per sample.

    Example: wattlens scenario levers examples/scenarios/selfhosted-8b-h100.yaml
    """
    from wattlens.scenario import waterfall

    loaded = _load(file, samples)
    with _progress(not json_output) as progress:
        data = waterfall(loaded, samples=samples, years=years, progress=progress)
    if json_output:
        emit_json(data)
    else:
        _render_levers(data)


run_command.__doc__ = inspect.cleandoc(run_command.__doc__ or "") + "\n\n" + _RUN_JSON
levers_command.__doc__ = inspect.cleandoc(levers_command.__doc__ or "") + "\n\n" + _LEVERS_JSON
