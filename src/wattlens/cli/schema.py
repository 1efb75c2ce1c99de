"""``wattlens schema``: the JSON Schema of each ``--json`` document."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from wattlens.cli._output import emit_json, stdout


def schema(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="NAME",
            help="measurement, training-estimate, inference-estimate, scenario-result,"
            " scenario-levers or impacts.",
        ),
    ] = None,
    list_names: Annotated[
        bool, typer.Option("--list", help="List the documents that have a schema.")
    ] = False,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a JSON document wattlens writes.

    The schemas are generated from the result types; `--json` output of
    `wattlens run`, `wattlens estimate` and `wattlens scenario run` validates
    against them.

    Example: wattlens schema training-estimate > training-estimate.schema.json
    """
    from wattlens.errors import UsageError
    from wattlens.schemas import DOCUMENTS, json_schema

    if list_names or name is None:
        for key, (_, description) in DOCUMENTS.items():
            stdout.print(f"{key:20} [dim]{escape(description)}[/dim]", highlight=False)
        return
    if name not in DOCUMENTS:
        raise UsageError(f"no schema named {name!r}", hint=f"use one of: {', '.join(DOCUMENTS)}")
    emit_json(json_schema(name))
