"""``wattlens catalog``: browse and check the fact catalog."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from wattlens.catalog.kinds import KIND_DESCRIPTIONS, LIST_COLUMNS
from wattlens.cli._output import emit_json, fmt_number, stdout

if TYPE_CHECKING:
    from wattlens.catalog import Entry

Kind = Enum("Kind", {kind: kind for kind in KIND_DESCRIPTIONS}, type=str)  # type: ignore[misc]

app = typer.Typer(
    help="Browse the fact catalog: every value with its source and year.",
    no_args_is_help=True,
)


def _row_json(entry: Entry) -> dict[str, Any]:
    data = entry.row.model_dump(mode="json")
    data["origin"] = entry.origin
    return data


@app.command("ls")
def list_rows(
    kind: Annotated[
        Kind | None, typer.Argument(help="Which facts to list; omit to list the kinds.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List the rows of one kind of fact (or, without KIND, the kinds and their counts).

    JSON: {"kind", "count", "rows": [...]} where each row has every column of
    the kind (units in the names, e.g. tdp_w, co2e_g_per_kwh) plus "origin"
    ("shipped" or the path of the user file it came from).
    """
    from wattlens.catalog import KINDS, get_catalog

    catalog = get_catalog()
    if kind is None:
        counts = {k: len(catalog.entries(k)) for k in KINDS}
        if json_output:
            emit_json(
                {
                    "kinds": [
                        {"kind": k, "count": counts[k], "description": KINDS[k].description}
                        for k in KINDS
                    ]
                }
            )
            return
        table = Table("kind", "rows", "what", title="wattlens catalog")
        for k, spec in KINDS.items():
            table.add_row(k, str(counts[k]), spec.description)
        stdout.print(table)
        return
    entries = catalog.entries(kind.value)
    if json_output:
        emit_json(
            {"kind": kind.value, "count": len(entries), "rows": [_row_json(e) for e in entries]}
        )
        return
    columns = LIST_COLUMNS[kind.value]
    table = Table(*columns, title=f"{kind.value} ({len(entries)} rows)")
    for entry in entries:
        cells = [escape(fmt_number(getattr(entry.row, c))) for c in columns]
        if entry.row.estimate:
            cells[0] += " (est.)"
        if entry.origin != "shipped":
            cells[0] += " *"
        table.add_row(*cells)
    stdout.print(table)
    if any(e.origin != "shipped" for e in entries):
        stdout.print("* from your own catalog files")
    stdout.print(
        f"Sources: `wattlens catalog show {kind.value} ID` or `--json` gives each row's source."
    )


@app.command("show")
def show_row(
    kind: Annotated[Kind, typer.Argument(help="Which kind of fact.")],
    name: Annotated[
        str, typer.Argument(help="An id, name or alias (case and punctuation ignored).")
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one row with every field, its source and year.

    NAME is matched after normalisation (case, spaces, punctuation ignored) against
    ids, names and an explicit alias table, so `h100`, `H100-SXM` and
    `NVIDIA H100 80GB HBM3` (what nvidia-smi prints) reach the same row. An ambiguous
    or unknown name exits with code 2 and lists the closest entries.

    JSON: {"kind", "row": {...every column..., "origin"}}.
    """
    from wattlens.catalog import get_catalog

    entry = get_catalog().entry(kind.value, name)
    if json_output:
        emit_json({"kind": kind.value, "row": _row_json(entry)})
        return
    table = Table(
        "field", "value", title=escape(f"{kind.value}: {entry.row.name}"), show_header=False
    )
    for field, value in entry.row.model_dump().items():
        if value is None or value == ():
            continue
        table.add_row(field, escape(fmt_number(value)))
    table.add_row("origin", escape(entry.origin))
    stdout.print(table)
    if entry.row.estimate:
        stdout.print("[bold]This row is an estimate[/bold], not a published figure: see basis.")


@app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Your catalog files or directories (default: the configured ones)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Load and validate every catalog file, shipped and yours; print row counts.

    A malformed file fails with its path, line and column and exit code 2.
    """
    from wattlens.catalog import Catalog, get_catalog

    catalog = Catalog(extra_paths=paths or ()) if paths else get_catalog()
    counts = catalog.validate_all()
    if json_output:
        emit_json({"valid": True, "counts": counts})
        return
    for kind, count in counts.items():
        stdout.print(f"{kind:15} {count:5d} rows  ok")
