"""``wattlens estimate``: training and inference energy where nothing can be measured."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from wattlens.cli._output import emit_json, stdout

if TYPE_CHECKING:
    from wattlens.estimate import Estimate

app = typer.Typer(
    help="Estimate training or inference energy from first principles, with ranges.",
    no_args_is_help=True,
)


class BoundaryChoice(StrEnum):
    accelerator = "accelerator"
    server = "server"
    facility = "facility"


class PrecisionChoice(StrEnum):
    fp32 = "fp32"
    tf32 = "tf32"
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"


_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}


def parse_count(text: str, what: str) -> float:
    """A positive count: ``1.75e11``, ``175e9``, ``175B``, ``2T``, ``3.5M``, ``1_000``."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    match = re.fullmatch(r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmMbBgGtT]?)", cleaned)
    if not match:
        raise typer.BadParameter(
            f"{text!r} is not a number (write e.g. 7e10, 70B or 2T)", param_hint=what
        )
    value = float(match.group(1)) * _SUFFIX.get(match.group(2).lower(), 1.0)
    if value <= 0:
        raise typer.BadParameter(f"must be positive, got {text!r}", param_hint=what)
    return value


def parse_range(text: str, what: str) -> float | tuple[float, float]:
    """``X`` or ``LOW:HIGH``."""
    if ":" in text:
        low_text, high_text = text.split(":", 1)
        low, high = parse_count(low_text, what), parse_count(high_text, what)
        if low > high:
            raise typer.BadParameter(f"LOW is above HIGH in {text!r}", param_hint=what)
        return (low, high)
    return parse_count(text, what)


def _fmt_quantiles(q: dict[str, float]) -> str:
    from wattlens.units import format_energy

    low, high = format_energy(q["p5"]), format_energy(q["p95"])
    return f"{format_energy(q['p50'])}  (p5 {low} – p95 {high})"


def _render(e: Estimate, title: str) -> None:
    from wattlens.units import format_mass, format_volume

    stdout.print(
        f"[bold]{escape(title)}[/bold] — {e.boundary} boundary, [yellow]estimated[/yellow] "
        "(modelled, not measured)",
        highlight=False,
    )
    stdout.print(f"energy   [bold]{_fmt_quantiles(e.energy_j)}[/bold]", highlight=False)
    table = Table("boundary", "p50", "p5 – p95", box=None, pad_edge=False)
    from wattlens.units import format_energy

    for name, q in e.energy_by_boundary_j.items():
        table.add_row(name, format_energy(q["p50"]),
                      f"{format_energy(q['p5'])} – {format_energy(q['p95'])}")  # fmt: skip
    stdout.print(table)
    extra = e.extra
    if "accelerator_hours" in extra:
        hours = extra["accelerator_hours"]
        stdout.print(f"accelerator-hours {hours['p50']:.3g} (p5 {hours['p5']:.3g} – p95 "
                     f"{hours['p95']:.3g})", highlight=False)  # fmt: skip
    if "count" in extra and "batch" in extra:
        stdout.print(
            f"served on {extra['count']} accelerator(s), batch {extra['batch']:g}, "
            f"{extra['precision']}; per request: prefill "
            f"{format_energy(extra['prefill_energy_j']['p50'])}, decode "
            f"{format_energy(extra['decode_energy_j']['p50'])} (accelerators)",
            highlight=False,
        )
    impacts = e.impacts
    loc = impacts["location"]
    line = (
        f"impacts of the facility energy at {loc['grid_name']}: "
        f"{format_mass(impacts['co2e_g']['p50'])} CO2e, "
        f"{format_volume(impacts['water_l']['total']['p50'])} water (on- and off-site)"
    )
    if impacts.get("cost"):
        line += f", {impacts['cost']['amount']['p50']:.3g} {impacts['cost']['currency']}"
    stdout.print(escape(line), highlight=False)
    stdout.print("[bold]what drives the range[/bold]")
    for name, share in e.sensitivity[:4]:
        stdout.print(f"  {escape(name):24} {share:5.0%}", highlight=False)
    stdout.print("[bold]assumptions[/bold]")
    for a in e.assumptions[:10]:
        stdout.print(f"  {escape(a.name)}: {escape(a.value)}  [dim]{escape(a.basis)}[/dim]",
                     highlight=False, soft_wrap=True)  # fmt: skip
    stdout.print(f"[dim]sources: {escape(', '.join(e.sources))}[/dim]", soft_wrap=True)
    for warning in e.warnings:
        stdout.print(f"[yellow]note:[/yellow] {escape(warning)}", soft_wrap=True)


_JSON_HELP = (
    "JSON: {kind, method: 'estimated', boundary, energy_j: {p5, p50, p95, mean}, "
    "energy_by_boundary_j: {accelerator|server|facility: {...}}, impacts: {location, "
    "co2e_g, water_l: {onsite, offsite, total}, cost: {currency, amount, amount_usd}}, "
    "assumptions: "
    "[{name, value, basis}], sensitivity: [{input, share}], sources, warnings, ...}."
)


@app.command("training")
def training_command(
    accelerator: Annotated[
        str, typer.Option("--accelerator", "-a", help="Accelerator name (catalog).")
    ],
    count: Annotated[
        int | None, typer.Option("--count", "-n", min=1, help="Number of accelerators.")
    ] = None,
    accelerator_hours: Annotated[
        str | None, typer.Option("--accelerator-hours", help="Accelerator-hours of the run.")
    ] = None,
    days: Annotated[
        float | None, typer.Option("--days", help="Wall-clock days (with --count).")
    ] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Total parameters (7e10, 70B).")
    ] = None,
    tokens: Annotated[str | None, typer.Option("--tokens", help="Training tokens (2T).")] = None,
    active_params: Annotated[
        str | None, typer.Option("--active-params", help="Active parameters per token (MoE).")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Catalog model instead of --params.")
    ] = None,
    mfu: Annotated[
        str | None, typer.Option("--mfu", help="Model-FLOP utilisation, X or LOW:HIGH in (0, 1].")
    ] = None,
    precision: Annotated[
        PrecisionChoice, typer.Option("--precision", help="Training precision.")
    ] = PrecisionChoice.bf16,
    boundary: Annotated[
        BoundaryChoice, typer.Option("--boundary", help="What the energy counts.")
    ] = BoundaryChoice.facility,
    pue: Annotated[str | None, typer.Option("--pue", help="PUE, X or LOW:HIGH.")] = None,
    location: Annotated[
        str | None, typer.Option("--location", "-l", help="Country, grid zone or cloud region.")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=100, help="Monte Carlo samples.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20240420,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Estimate the energy of a training run.

    Routes (give exactly one): --accelerator-hours H; --count N --days D; or
    --params P (or --model NAME) with --tokens T and optionally --mfu LOW:HIGH.
    Compute is 6 x active parameters x tokens (Kaplan et al. 2020); power is a
    range around TDP plus host overhead per accelerator; facility adds PUE.

    Example: wattlens estimate training -a "V100 SXM2 32GB" -n 10000 --days 14.8 --pue 1.1
    """
    from wattlens import estimate

    pue_value = parse_range(pue, "--pue") if pue else None
    result = estimate.training(
        accelerator=accelerator,
        count=count,
        accelerator_hours=(
            parse_count(accelerator_hours, "--accelerator-hours") if accelerator_hours else None
        ),
        days=days,
        params=parse_count(params, "--params") if params else None,
        tokens=parse_count(tokens, "--tokens") if tokens else None,
        active_params=parse_count(active_params, "--active-params") if active_params else None,
        model=model,
        mfu=parse_mfu(mfu),
        precision=precision.value,
        boundary=boundary.value,
        pue=pue_value,
        location=location,
        samples=samples,
        seed=seed,
    )
    if json_output:
        emit_json(result.to_dict())
    else:
        _render(result, f"Training estimate on {accelerator}")


def parse_mfu(text: str | None) -> float | tuple[float, float] | None:
    """Parse ``--mfu``: ``X`` gives a float, ``LOW:HIGH`` a pair, None stays None.

    Raises:
        typer.BadParameter: The text is not a number or LOW:HIGH.
    """
    if text is None:
        return None
    try:
        if ":" in text:
            low, high = (float(v) for v in text.split(":", 1))
            return (low, high)
        return float(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a number or LOW:HIGH", param_hint="--mfu"
        ) from None


@app.command("inference")
def inference_command(
    output_tokens: Annotated[
        str, typer.Option("--output-tokens", help="Generated tokens per request.")
    ],
    accelerator: Annotated[
        str, typer.Option("--accelerator", "-a", help="Accelerator name (catalog).")
    ],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Catalog model.")] = None,
    params: Annotated[
        str | None, typer.Option("--params", help="Total parameters (8e9, 8B).")
    ] = None,
    active_params: Annotated[
        str | None, typer.Option("--active-params", help="Active parameters per token (MoE).")
    ] = None,
    input_tokens: Annotated[
        str | None, typer.Option("--input-tokens", help="Prompt tokens, N or LOW:HIGH.")
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, help="Accelerators per replica (default: fit)."),
    ] = None,
    batch: Annotated[
        float | None, typer.Option("--batch", help="Concurrent requests (default 64).")
    ] = None,
    precision: Annotated[
        PrecisionChoice, typer.Option("--precision", help="Weight precision.")
    ] = PrecisionChoice.bf16,
    boundary: Annotated[
        BoundaryChoice, typer.Option("--boundary", help="What the energy counts.")
    ] = BoundaryChoice.server,
    pue: Annotated[str | None, typer.Option("--pue", help="PUE, X or LOW:HIGH.")] = None,
    location: Annotated[
        str | None, typer.Option("--location", "-l", help="Country, grid zone or cloud region.")
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", min=100, help="Monte Carlo samples.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20240420,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Estimate the energy of one LLM request (prefill + decode).

    Prefill is compute-bound; decode steps are the larger of memory time
    (weights + KV cache) and compute time (a roofline), shared by the batch.
    Boundaries: accelerator (chips), server (+ host; default), facility (x PUE).
    Closed models use the catalog's flagged parameter ranges.

    Example: wattlens estimate inference -m llama-3.1-70b --output-tokens 400
    -a "H100 SXM" --batch 64
    """
    from wattlens import estimate

    if model is None and params is None:
        raise typer.BadParameter("give --model NAME or --params P", param_hint="--model")
    result = estimate.inference(
        output_tokens=parse_count(output_tokens, "--output-tokens"),
        accelerator=accelerator,
        model=model,
        params=parse_count(params, "--params") if params else None,
        active_params=parse_count(active_params, "--active-params") if active_params else None,
        input_tokens=parse_input_tokens(input_tokens),
        count=count,
        batch=batch,
        precision=precision.value,
        boundary=boundary.value,
        pue=parse_range(pue, "--pue") if pue else None,
        location=location,
        samples=samples,
        seed=seed,
    )
    if json_output:
        emit_json(result.to_dict())
    else:
        _render(result, f"Inference estimate per request on {accelerator}")


def parse_input_tokens(text: str | None) -> Any:
    """Parse ``--input-tokens``: ``N`` or ``LOW:HIGH`` (as :func:`parse_range`); ``0`` is 0.0.

    None stays None (the estimate's default range of prompt lengths).

    Raises:
        typer.BadParameter: The text is not a count or a range.
    """
    if text is None:
        return None
    if text.strip() == "0":
        return 0.0
    return parse_range(text, "--input-tokens")


training_command.__doc__ = (training_command.__doc__ or "") + "\n\n" + _JSON_HELP
inference_command.__doc__ = (inference_command.__doc__ or "") + "\n\n" + _JSON_HELP
