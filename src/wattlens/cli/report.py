"""``wattlens report``: one self-contained HTML file (and PNG charts) of a run or an estimate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wattlens.cli.estimate import (
    BoundaryChoice,
    PrecisionChoice,
    parse_count,
    parse_input_tokens,
    parse_mfu,
    parse_range,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

app = typer.Typer(
    help=(
        "Write a self-contained HTML report (opens offline: plotly.js is embedded) of a "
        "stored run or of an estimate; --png DIR also writes each chart as PNG."
    ),
    no_args_is_help=True,
)
estimate_app = typer.Typer(
    help="Report an estimate: the options of `wattlens estimate training|inference`.",
    no_args_is_help=True,
)
app.add_typer(estimate_app, name="estimate")

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="The HTML file to write (default: in this folder)."
    ),
]
PngOption = Annotated[
    Path | None,
    typer.Option(
        "--png",
        metavar="DIR",
        help="Also write each chart as DIR/NAME.png (needs a local Chromium or Chrome; "
        "BROWSER_PATH names one).",
    ),
]


def _finish(html: str, figures: Mapping[str, Any], output: Path, png: Path | None) -> None:
    from wattlens.report import write_html, write_pngs

    path = write_html(html, output)
    typer.echo(f"report written to {path} ({len(html) / 1e6:.1f} MB, opens offline)", err=True)
    if png is not None:
        paths = write_pngs(figures, png)
        typer.echo(f"{len(paths)} charts written to {png}: " + ", ".join(p.name for p in paths),
                   err=True)  # fmt: skip


@app.command("run")
def report_run(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id or a unique prefix.")],
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report a stored run: summary with ranges, power over time per component,
    energy by component, impacts, command and host, assumptions and sources.

    Example: wattlens report run 3f2a -o run.html --png charts/
    """
    from wattlens.report import run_report, run_view
    from wattlens.store import Store

    with Store() as store:
        measurement = store.get(run_id)
    html = run_report(measurement)
    target = output or Path(f"wattlens-run-{measurement.run_id[:8]}.html")
    _finish(html, run_view(measurement)["figures"], target, png)


@estimate_app.command("training")
def report_training(
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
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report a training estimate (same inputs as `wattlens estimate training`):
    energy by boundary, the Monte Carlo distribution, what drives the range,
    impacts, assumptions and sources.

    Example: wattlens report estimate training -a "H100 SXM" --params 70B --tokens 2T -o t.html
    """
    from wattlens import estimate
    from wattlens.report import estimate_report, estimate_view

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
        pue=parse_range(pue, "--pue") if pue else None,
        location=location,
        samples=samples,
        seed=seed,
    )
    inputs = {
        "accelerator": accelerator, "count": count, "accelerator-hours": accelerator_hours,
        "days": days, "params": params, "tokens": tokens, "active params": active_params,
        "model": model, "mfu": mfu, "precision": precision.value, "boundary": boundary.value,
        "pue": pue, "location": location, "samples": samples, "seed": seed,
    }  # fmt: skip
    title = f"Training estimate on {accelerator}"
    html = estimate_report(result, title=title, inputs=inputs)
    figures = estimate_view(result, title=title)["figures"]
    _finish(html, figures, output or Path("wattlens-estimate-training.html"), png)


@estimate_app.command("inference")
def report_inference(
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
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report an inference estimate per request (same inputs as `wattlens estimate
    inference`): energy by boundary, the Monte Carlo distribution, what drives the
    range, impacts, assumptions and sources.

    Example: wattlens report estimate inference -m llama-3.1-70b --output-tokens 400
    -a "H100 SXM" --batch 64 -o inference.html
    """
    from wattlens import estimate
    from wattlens.report import estimate_report, estimate_view

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
    inputs = {
        "model": model, "params": params, "active params": active_params,
        "output tokens": output_tokens, "input tokens": input_tokens,
        "accelerator": accelerator, "count": count, "batch": batch,
        "precision": precision.value, "boundary": boundary.value, "pue": pue,
        "location": location, "samples": samples, "seed": seed,
    }  # fmt: skip
    title = f"Inference estimate per request on {accelerator}"
    html = estimate_report(result, title=title, inputs=inputs)
    figures = estimate_view(result, title=title)["figures"]
    _finish(html, figures, output or Path("wattlens-estimate-inference.html"), png)


@app.command("scenario")
def report_scenario(
    file: Annotated[Path, typer.Argument(help="A scenario file (YAML), as `wattlens scenario`.")],
    years: Annotated[
        int | None, typer.Option("--years", min=1, max=100, help="Years to project.")
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", min=100, help="Monte Carlo samples.")
    ] = None,
    levers: Annotated[
        bool,
        typer.Option("--levers/--no-levers", help="Include the file's levers, in order."),
    ] = True,
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report a scenario (the results of `wattlens scenario run`, and of `wattlens
    scenario levers` when the file has levers): per-request and daily figures, energy,
    carbon and water per year with ranges, the levers' savings, assumptions and sources.

    Example: wattlens report scenario examples/scenarios/selfhosted-8b-h100.yaml -o s.html
    """
    from wattlens.report import scenario_report, scenario_view
    from wattlens.scenario import load, run, waterfall

    loaded = load(file)
    result = run(loaded, samples=samples, years=years)
    steps = (
        waterfall(loaded, samples=samples, years=years) if levers and loaded.spec.levers else None
    )
    html = scenario_report(result, steps)
    figures = scenario_view(result, steps)["figures"]
    _finish(html, figures, output or Path(f"wattlens-scenario-{file.stem}.html"), png)
