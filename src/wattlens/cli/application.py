"""The full ``wattlens`` Typer application: every command and sub-app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wattlens._version import __version__
from wattlens.cli import audit as audit_cli
from wattlens.cli import catalog as catalog_cli
from wattlens.cli import config as config_cli
from wattlens.cli import doctor as doctor_cli
from wattlens.cli import equivalents as equivalents_cli
from wattlens.cli import estimate as estimate_cli
from wattlens.cli import exporter as exporter_cli
from wattlens.cli import limit as limit_cli
from wattlens.cli import report as report_cli
from wattlens.cli import run as run_cli
from wattlens.cli import runs as runs_cli
from wattlens.cli import scenario as scenario_cli
from wattlens.cli import schema as schema_cli
from wattlens.cli import serve as serve_cli
from wattlens.cli import units as units_cli

app = typer.Typer(
    name="wattlens",
    help=(
        "Measure, model and project the electricity, carbon, water and cost of AI.\n\n"
        "Every number says whether it was measured or modelled, its range and its sources."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command(
    "run",
    context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
)(run_cli.run)
app.command("doctor")(doctor_cli.doctor)
app.add_typer(runs_cli.app, name="runs")
app.add_typer(estimate_cli.app, name="estimate")
app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(report_cli.app, name="report")
app.command("serve")(serve_cli.serve)
app.command("exporter")(exporter_cli.exporter)
app.command("limit")(limit_cli.limit)
app.command("equivalents")(equivalents_cli.equivalents)
app.command("audit")(audit_cli.audit)
app.command("units")(units_cli.units)
app.command("schema")(schema_cli.schema)
app.add_typer(catalog_cli.app, name="catalog")
app.add_typer(config_cli.app, name="config")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wattlens {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    catalog: Annotated[
        list[Path] | None,
        typer.Option(
            "--catalog",
            metavar="PATH",
            help="Extra catalog CSV file or directory (repeatable); rows override shipped ones.",
        ),
    ] = None,
) -> None:
    """Measure, model and project the energy, carbon, water and cost of AI."""
    if catalog:
        from wattlens.catalog import Catalog, use_catalog

        use_catalog(Catalog(extra_paths=catalog))
