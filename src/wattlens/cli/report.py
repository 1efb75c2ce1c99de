"""``wattlens report``: one self-contained HTML file (and PNG charts) of a run or an estimate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wattlens.cli import estimate as est

if TYPE_CHECKING:
    from collections.abc import Mapping

    from wattlens.estimate import Estimate

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
    accelerator: est.AcceleratorOpt,
    count: est.TrainCountOpt = None,
    accelerator_hours: est.AcceleratorHoursOpt = None,
    days: est.DaysOpt = None,
    params: est.TrainParamsOpt = None,
    tokens: est.TokensOpt = None,
    active_params: est.ActiveParamsOpt = None,
    model: est.TrainModelOpt = None,
    mfu: est.MfuOpt = None,
    precision: est.TrainPrecisionOpt = est.PrecisionChoice.bf16,
    boundary: est.BoundaryOpt = est.BoundaryChoice.facility,
    pue: est.PueOpt = None,
    location: est.LocationOpt = None,
    samples: est.SamplesOpt = est.DEFAULT_SAMPLES,
    seed: est.SeedOpt = est.DEFAULT_SEED,
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report a training estimate (same inputs as `wattlens estimate training`):
    energy by boundary, the Monte Carlo distribution, what drives the range,
    impacts, assumptions and sources.

    Example: wattlens report estimate training -a "H100 SXM" --params 70B --tokens 2T -o t.html
    """
    result = est.training_from_options(
        accelerator=accelerator, count=count, accelerator_hours=accelerator_hours, days=days,
        params=params, tokens=tokens, active_params=active_params, model=model, mfu=mfu,
        precision=precision, boundary=boundary, pue=pue, location=location, samples=samples,
        seed=seed,
    )  # fmt: skip
    inputs = {
        "accelerator": accelerator, "count": count, "accelerator-hours": accelerator_hours,
        "days": days, "params": params, "tokens": tokens, "active params": active_params,
        "model": model, "mfu": mfu, "precision": precision.value, "boundary": boundary.value,
        "pue": pue, "location": location, "samples": samples, "seed": seed,
    }  # fmt: skip
    _finish_estimate(result, f"Training estimate on {accelerator}", inputs,
                     output or Path("wattlens-estimate-training.html"), png)  # fmt: skip


@estimate_app.command("inference")
def report_inference(
    output_tokens: est.OutputTokensOpt,
    accelerator: est.AcceleratorOpt,
    model: est.InferModelOpt = None,
    params: est.InferParamsOpt = None,
    active_params: est.ActiveParamsOpt = None,
    input_tokens: est.InputTokensOpt = None,
    count: est.InferCountOpt = None,
    batch: est.BatchOpt = None,
    precision: est.InferPrecisionOpt = est.PrecisionChoice.bf16,
    boundary: est.BoundaryOpt = est.BoundaryChoice.server,
    pue: est.PueOpt = None,
    location: est.LocationOpt = None,
    samples: est.SamplesOpt = est.DEFAULT_SAMPLES,
    seed: est.SeedOpt = est.DEFAULT_SEED,
    output: OutputOption = None,
    png: PngOption = None,
) -> None:
    """Report an inference estimate per request (same inputs as `wattlens estimate
    inference`): energy by boundary, the Monte Carlo distribution, what drives the
    range, impacts, assumptions and sources.

    Example: wattlens report estimate inference -m llama-3.1-70b --output-tokens 400
    -a "H100 SXM" --batch 64 -o inference.html
    """
    result = est.inference_from_options(
        output_tokens=output_tokens, accelerator=accelerator, model=model, params=params,
        active_params=active_params, input_tokens=input_tokens, count=count, batch=batch,
        precision=precision, boundary=boundary, pue=pue, location=location, samples=samples,
        seed=seed,
    )  # fmt: skip
    inputs = {
        "model": model, "params": params, "active params": active_params,
        "output tokens": output_tokens, "input tokens": input_tokens,
        "accelerator": accelerator, "count": count, "batch": batch,
        "precision": precision.value, "boundary": boundary.value, "pue": pue,
        "location": location, "samples": samples, "seed": seed,
    }  # fmt: skip
    _finish_estimate(result, f"Inference estimate per request on {accelerator}", inputs,
                     output or Path("wattlens-estimate-inference.html"), png)  # fmt: skip


def _finish_estimate(
    result: Estimate, title: str, inputs: Mapping[str, Any], output: Path, png: Path | None
) -> None:
    from wattlens.report import estimate_report, estimate_view

    html = estimate_report(result, title=title, inputs=inputs)
    _finish(html, estimate_view(result, title=title)["figures"], output, png)


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
