"""``wattlens estimate``: training and inference energy where nothing can be measured."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wattlens.bounds import (
    FIELDS,
    MAX_ACCELERATOR_HOURS,
    MAX_ACCELERATORS,
    MAX_BATCH,
    MAX_DAYS,
    MAX_HEADS,
    MAX_HIDDEN_SIZE,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_PUE,
    MAX_REQUEST_TOKENS,
    MAX_SAMPLES,
    MAX_TRAINING_TOKENS,
    MIN_MFU,
    check_samples,
)
from wattlens.cli._output import Table, emit_json, stdout
from wattlens.errors import InputValueError, UsageError

if TYPE_CHECKING:
    from wattlens.estimate import Estimate
    from wattlens.types import Range

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


def _fmt_range(q: Range) -> str:
    from wattlens.units import ENERGY, format_range

    return format_range(q.p5, q.p50, q.p95, ENERGY)


def _render(e: Estimate, title: str) -> None:
    from wattlens.estimate import InferenceEstimate, TrainingEstimate
    from wattlens.units import (
        ENERGY,
        format_bounds,
        format_count,
        format_energy,
        format_mass,
        format_money,
        format_volume,
        range_text,
    )

    stdout.print(
        f"[bold]{escape(title)}[/bold] — {e.boundary} boundary, [yellow]estimated[/yellow] "
        "(modelled, not measured)",
        highlight=False,
    )
    stdout.print(f"energy   [bold]{_fmt_range(e.energy)}[/bold]", highlight=False)
    table = Table("boundary", "p50", "p5 – p95", box=None, pad_edge=False)
    for name, q in e.energy_by_boundary.items():
        table.add_row(name, format_energy(q.p50), format_bounds(q.p5, q.p95, ENERGY, q.p50))
    stdout.print(table)
    if isinstance(e, TrainingEstimate):
        hours = e.accelerator_hours
        hours_text = range_text(hours.p5, hours.p50, hours.p95, format_count)
        stdout.print(f"accelerator-hours {hours_text}", highlight=False)
    if isinstance(e, InferenceEstimate):
        batch = format_count(e.batch.p50) if e.batch.is_point else (
            f"{format_count(e.batch.p5)}–{format_count(e.batch.p95)}")  # fmt: skip
        on_cpu = any(a.name == "cpu" for a in e.assumptions)
        devices = "CPU socket(s)" if on_cpu else "accelerator(s)"
        stdout.print(
            f"served on {e.count} {devices}, batch {batch}, "
            f"{e.precision}; per request: prefill "
            f"{format_energy(e.prefill_energy_j.p50)}, decode "
            f"{format_energy(e.decode_energy_j.p50)} ({'CPU' if on_cpu else 'accelerators'})",
            highlight=False,
        )
        for a in e.assumptions:
            if a.name == "serving stack":
                stdout.print(f"serving stack: {escape(a.value)}  [dim]{escape(a.basis)}[/dim]",
                             highlight=False, soft_wrap=True)  # fmt: skip
    impacts = e.typed_impacts
    where = escape(impacts.place.grid_name + impacts.place.origin_note())
    line = (
        f"impacts of the facility energy at {where}: "
        f"{format_mass(impacts.co2e_g.p50)} CO2e, "
        f"{format_volume(impacts.water_l.total.p50)} water (on- and off-site)"
    )
    if impacts.cost is not None:
        line += f", {format_money(impacts.cost.amount.p50, impacts.cost.currency)}"
    stdout.print(escape(line), highlight=False)
    if e.embodied is not None:
        stdout.print(escape(e.embodied.describe()), highlight=False, soft_wrap=True)
    stdout.print("[bold]what drives the range[/bold]")
    for driver, share in e.sensitivity[:4]:
        stdout.print(f"  {escape(driver):24} {share:5.0%}", highlight=False)
    stdout.print("[bold]assumptions[/bold]")
    for a in e.assumptions[:10]:
        stdout.print(f"  {escape(a.name)}: {escape(a.value)}  [dim]{escape(a.basis)}[/dim]",
                     highlight=False, soft_wrap=True)  # fmt: skip
    stdout.print(f"[dim]sources: {escape(', '.join(e.sources))}[/dim]", soft_wrap=True)
    for warning in e.warnings:
        stdout.print(f"[yellow]note:[/yellow] {escape(warning.text)}", soft_wrap=True)


_JSON_HELP = (
    "JSON: {kind, method: 'estimated', boundary, energy_j: {p5, p50, p95, mean}, "
    "energy_by_boundary_j: {accelerator|server|facility: {...}}, impacts: {location, "
    "co2e_g, water_l: {onsite, offsite, total}, cost: {currency, amount, amount_usd}}, "
    "assumptions: "
    "[{name, value, basis}], sensitivity: [{input, share}], sources, warnings, ...}."
)


class _OptionError(UsageError):
    """A bad number in an option, raised past click's own conversion errors.

    Not a ``ValueError`` (as :class:`~wattlens.errors.InputValueError` is): click turns
    those into its boxed usage message; this reaches ``wattlens.cli.main`` and prints
    the one ``error:`` / ``hint:`` pair every bad input gets.
    """


def option_name(field: str) -> str:
    """The command-line option of an estimate input (``output_tokens`` → ``--output-tokens``)."""
    return "--" + field.replace("_", "-")


def _named(field: str, message: str) -> str:
    """``message`` about ``field`` in the words of the command line: the option, named."""
    option = option_name(field)
    for name in (field, field.replace("_", " ")):
        if message.startswith(name + " "):
            return option + message[len(name) :]
    return f"{option}: {message}"


def _whole_option(field: str) -> Callable[[str | int], int]:
    """A parser for a whole-number option, checked against :mod:`wattlens.bounds`.

    Text goes through the quantity grammar, so ``--samples 2k`` and ``-n 1K`` work.
    """

    def parse(value: str | int) -> int:
        from wattlens.estimate.inputs import whole_number

        try:
            if field == "samples":
                return check_samples(
                    option_name(field), whole_number(field, value), cap=MAX_SAMPLES
                )
            number = whole_number(field, value)
        except InputValueError as exc:
            raise _OptionError(_named(field, exc.message), hint=exc.hint) from None
        if number is None:
            raise _OptionError(f"{option_name(field)} needs a number", hint=FIELDS[field].hint)
        return int(number)

    return parse


# Options shared by `wattlens estimate` and `wattlens report estimate`.
AcceleratorOpt = Annotated[
    str, typer.Option("--accelerator", "-a", help="Accelerator name (catalog).")
]
TrainCountOpt = Annotated[
    int | None,
    typer.Option(
        "--count",
        "-n",
        parser=_whole_option("count"),
        metavar="N",
        help=f"Number of accelerators, 1 to {MAX_ACCELERATORS:,}.",
    ),
]
AcceleratorHoursOpt = Annotated[
    str | None,
    typer.Option(
        "--accelerator-hours",
        help=f"Accelerator-hours of the run, at most {MAX_ACCELERATOR_HOURS:g}.",
    ),
]
DaysOpt = Annotated[
    str | None,
    typer.Option(
        "--days", help=f"Wall-clock days (with --count), X or LOW..HIGH, at most {MAX_DAYS:,}."
    ),
]
TrainParamsOpt = Annotated[
    str | None,
    typer.Option("--params", help=f"Total parameters (7e10, 70B), at most {MAX_PARAMS:g}."),
]
TokensOpt = Annotated[
    str | None,
    typer.Option("--tokens", help=f"Training tokens (2T), at most {MAX_TRAINING_TOKENS:g}."),
]
ActiveParamsOpt = Annotated[
    str | None,
    typer.Option(
        "--active-params", help=f"Active parameters per token (MoE), at most {MAX_PARAMS:g}."
    ),
]
TrainModelOpt = Annotated[
    str | None, typer.Option("--model", "-m", help="Catalog model instead of --params.")
]
MfuOpt = Annotated[
    str | None,
    typer.Option("--mfu", help=f"Model-FLOP utilisation, X or LOW:HIGH, {MIN_MFU:g} to 1."),
]
TrainPrecisionOpt = Annotated[
    PrecisionChoice, typer.Option("--precision", help="Training precision.")
]
BoundaryOpt = Annotated[BoundaryChoice, typer.Option("--boundary", help="What the energy counts.")]
PueOpt = Annotated[
    str | None, typer.Option("--pue", help=f"PUE, X or LOW:HIGH, 1 to {MAX_PUE:g} (facility).")
]
LocationOpt = Annotated[
    str | None, typer.Option("--location", "-l", help="Country, grid zone or cloud region.")
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        parser=_whole_option("samples"),
        metavar="N",
        help=f"Monte Carlo samples, 100 to {MAX_SAMPLES:,} (the cap of the dashboard "
        "and scenarios too); memory grows with the samples.",
    ),
]
SeedOpt = Annotated[
    int,
    typer.Option(
        "--seed",
        parser=_whole_option("seed"),
        metavar="N",
        help="Random seed, a whole number 0 to 2**64 - 1.",
    ),
]
OutputTokensOpt = Annotated[
    str,
    typer.Option(
        "--output-tokens",
        help=f"Generated tokens per request, N or LOW..HIGH, at most {MAX_REQUEST_TOKENS:g}.",
    ),
]
InferModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="Catalog model.")]
InferParamsOpt = Annotated[
    str | None,
    typer.Option("--params", help=f"Total parameters (8e9, 8B), at most {MAX_PARAMS:g}."),
]
InputTokensOpt = Annotated[
    str | None,
    typer.Option(
        "--input-tokens", help=f"Prompt tokens, N or LOW:HIGH, 0 to {MAX_REQUEST_TOKENS:g}."
    ),
]
InferCountOpt = Annotated[
    int | None,
    typer.Option(
        "--count",
        "-n",
        parser=_whole_option("count"),
        metavar="N",
        help=f"Accelerators per replica, 1 to {MAX_ACCELERATORS:,} (default: fit).",
    ),
]
PipelineOpt = Annotated[
    int,
    typer.Option(
        "--pipeline",
        parser=_whole_option("pipeline"),
        metavar="P",
        help="Pipeline-parallel stages (default 1); --count is stages x devices per stage.",
    ),
]
CoresOpt = Annotated[
    int | None,
    typer.Option(
        "--cores",
        parser=_whole_option("cores"),
        metavar="N",
        help="On a CPU (--accelerator names a catalog CPU): the cores serving the model "
        "(default: the whole socket).",
    ),
]
BatchOpt = Annotated[
    str | None,
    typer.Option(
        "--batch",
        help=f"Concurrent requests, whole N or LOW..HIGH, 1 to {MAX_BATCH:,} (default 64).",
    ),
]
InferPrecisionOpt = Annotated[
    PrecisionChoice, typer.Option("--precision", help="Weight precision.")
]
StackOpt = Annotated[
    str,
    typer.Option(
        "--stack",
        help="Serving stack: current (vLLM/SGLang 2025), older (2023-24 engines), hf "
        "(transformers generate), llama.cpp, or unknown (default: a range spanning them all).",
    ),
]
LayersOpt = Annotated[
    int | None,
    typer.Option(
        "--layers",
        parser=_whole_option("layers"),
        metavar="N",
        help=f"Transformer layers, 1 to {MAX_LAYERS:,}.",
    ),
]
HiddenSizeOpt = Annotated[
    int | None,
    typer.Option(
        "--hidden-size",
        parser=_whole_option("hidden_size"),
        metavar="N",
        help=f"Model width d_model, 1 to {MAX_HIDDEN_SIZE:,}.",
    ),
]
HeadsOpt = Annotated[
    int | None,
    typer.Option(
        "--heads",
        parser=_whole_option("heads"),
        metavar="N",
        help=f"Attention (query) heads, 1 to {MAX_HEADS:,}.",
    ),
]
KvHeadsOpt = Annotated[
    int | None,
    typer.Option(
        "--kv-heads",
        parser=_whole_option("kv_heads"),
        metavar="N",
        help=f"Key/value heads (grouped-query), 1 to {MAX_HEADS:,}.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
DEFAULT_SAMPLES = 20_000
DEFAULT_SEED = 20240420


def training_from_options(
    *,
    accelerator: str,
    count: int | None,
    accelerator_hours: str | None,
    days: str | float | None,
    params: str | None,
    tokens: str | None,
    active_params: str | None,
    model: str | None,
    mfu: str | None,
    precision: PrecisionChoice,
    boundary: BoundaryChoice,
    pue: str | None,
    location: str | None,
    samples: int,
    seed: int,
) -> Estimate:
    """Read the training options as typed on the command line and run the estimate."""
    from wattlens.estimate.inputs import TrainingInputs

    _check_pue_boundary(pue, boundary)
    with _options_named():
        inputs = TrainingInputs.build(
            accelerator=accelerator, count=count, accelerator_hours=accelerator_hours, days=days,
            params=params, tokens=tokens, active_params=active_params, model=model, mfu=mfu,
            precision=precision.value, boundary=boundary.value, pue=pue, location=location,
            samples=samples, seed=seed,
        )  # fmt: skip
    return inputs.run()


def inference_from_options(
    *,
    output_tokens: str,
    accelerator: str,
    model: str | None,
    params: str | None,
    active_params: str | None,
    input_tokens: str | None,
    count: int | None,
    batch: str | None,
    precision: PrecisionChoice,
    boundary: BoundaryChoice,
    pue: str | None,
    location: str | None,
    samples: int,
    seed: int,
    stack: str = "unknown",
    layers: int | None = None,
    hidden_size: int | None = None,
    heads: int | None = None,
    kv_heads: int | None = None,
    pipeline: int = 1,
    cores: int | None = None,
) -> Estimate:
    """Read the inference options as typed on the command line and run the estimate."""
    from wattlens.estimate.inputs import InferenceInputs

    if model is None and params is None:
        raise typer.BadParameter("give --model NAME or --params P", param_hint="--model")
    _check_pue_boundary(pue, boundary)
    with _options_named():
        inputs = InferenceInputs.build(
            output_tokens=output_tokens, accelerator=accelerator, model=model, params=params,
            active_params=active_params, input_tokens=input_tokens, count=count,
            pipeline=pipeline, cores=cores, batch=batch, precision=precision.value, layers=layers,
            hidden_size=hidden_size, heads=heads, kv_heads=kv_heads, stack=stack,
            boundary=boundary.value, pue=pue, location=location, samples=samples, seed=seed,
        )  # fmt: skip
    return inputs.run()


@contextmanager
def _options_named() -> Iterator[None]:
    """A bad input named as its option (``--output-tokens``), not its keyword."""
    from wattlens.estimate.inputs import FieldError

    try:
        yield
    except FieldError as exc:
        if exc.code == "missing":
            raise
        raise InputValueError(_named(exc.field, exc.message), hint=exc.hint) from None


def _check_pue_boundary(pue: str | None, boundary: BoundaryChoice) -> None:
    """PUE multiplies facility energy only: a PUE with a narrower boundary would be ignored."""
    from wattlens.errors import UsageError

    if pue is not None and pue.strip() and boundary != BoundaryChoice.facility:
        raise UsageError(
            f"--pue applies at the facility boundary; the {boundary.value} boundary excludes "
            "the data centre's overhead, so the PUE would be ignored",
            hint="add --boundary facility, or drop --pue",
        )


@app.command("training")
def training_command(
    accelerator: AcceleratorOpt,
    count: TrainCountOpt = None,
    accelerator_hours: AcceleratorHoursOpt = None,
    days: DaysOpt = None,
    params: TrainParamsOpt = None,
    tokens: TokensOpt = None,
    active_params: ActiveParamsOpt = None,
    model: TrainModelOpt = None,
    mfu: MfuOpt = None,
    precision: TrainPrecisionOpt = PrecisionChoice.bf16,
    boundary: BoundaryOpt = BoundaryChoice.facility,
    pue: PueOpt = None,
    location: LocationOpt = None,
    samples: SamplesOpt = DEFAULT_SAMPLES,
    seed: SeedOpt = DEFAULT_SEED,
    json_output: JsonOpt = False,
) -> None:
    """Estimate the energy of a training run.

    Routes (give exactly one): --accelerator-hours H; --count N --days D; or
    --params P (or --model NAME) with --tokens T and optionally --mfu LOW:HIGH.
    Compute is 6 x active parameters x tokens (Kaplan et al. 2020); power is a
    range around TDP plus host overhead per accelerator; facility adds PUE.

    Example: wattlens estimate training -a "V100 SXM2 32GB" -n 10000 --days 14.8 --pue 1.1
    """
    result = training_from_options(
        accelerator=accelerator, count=count, accelerator_hours=accelerator_hours, days=days,
        params=params, tokens=tokens, active_params=active_params, model=model, mfu=mfu,
        precision=precision, boundary=boundary, pue=pue, location=location, samples=samples,
        seed=seed,
    )  # fmt: skip
    if json_output:
        emit_json(result.to_dict())
    else:
        _render(result, f"Training estimate on {accelerator}")


@app.command("inference")
def inference_command(
    output_tokens: OutputTokensOpt,
    accelerator: AcceleratorOpt,
    model: InferModelOpt = None,
    params: InferParamsOpt = None,
    active_params: ActiveParamsOpt = None,
    input_tokens: InputTokensOpt = None,
    count: InferCountOpt = None,
    pipeline: PipelineOpt = 1,
    cores: CoresOpt = None,
    batch: BatchOpt = None,
    precision: InferPrecisionOpt = PrecisionChoice.bf16,
    stack: StackOpt = "unknown",
    layers: LayersOpt = None,
    hidden_size: HiddenSizeOpt = None,
    heads: HeadsOpt = None,
    kv_heads: KvHeadsOpt = None,
    boundary: BoundaryOpt = BoundaryChoice.server,
    pue: PueOpt = None,
    location: LocationOpt = None,
    samples: SamplesOpt = DEFAULT_SAMPLES,
    seed: SeedOpt = DEFAULT_SEED,
    json_output: JsonOpt = False,
) -> None:
    """Estimate the energy of one LLM request (prefill + decode).

    Prefill is compute-bound; decode steps are the larger of memory time
    (weights + KV cache) and compute time (a roofline), shared by the batch.
    Boundaries: accelerator (chips), server (+ host; default), facility (x PUE).
    Closed models use the catalog's flagged parameter ranges.

    Example: wattlens estimate inference -m llama-3.1-70b --output-tokens 400
    -a "H100 SXM" --batch 64
    """
    result = inference_from_options(
        output_tokens=output_tokens, accelerator=accelerator, model=model, params=params,
        active_params=active_params, input_tokens=input_tokens, count=count, batch=batch,
        precision=precision, boundary=boundary, pue=pue, location=location, samples=samples,
        seed=seed, stack=stack, layers=layers, hidden_size=hidden_size, heads=heads,
        kv_heads=kv_heads, pipeline=pipeline, cores=cores,
    )  # fmt: skip
    if json_output:
        emit_json(result.to_dict())
    else:
        _render(result, f"Inference estimate per request on {accelerator}")


training_command.__doc__ = (training_command.__doc__ or "") + "\n\n" + _JSON_HELP
inference_command.__doc__ = (inference_command.__doc__ or "") + "\n\n" + _JSON_HELP
