"""``wattlens config``: settings kept in a file, and where the location comes from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from wattlens.cli._output import emit_json, stdout

app = typer.Typer(
    help=(
        "Settings: location, detect_metadata, db. Precedence: command-line option > "
        "environment variable > project file (wattlens.toml, or the tool.wattlens table "
        "of pyproject.toml) > user file > detected cloud region > world average."
    ),
    no_args_is_help=True,
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
FileOpt = Annotated[
    Path | None,
    typer.Option("--file", metavar="PATH", help="Another TOML file instead of the user file."),
]


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="location, detect_metadata or db.")],
    value: Annotated[str, typer.Argument(help="The value (a location is checked in the catalog).")],
    file: FileOpt = None,
) -> None:
    """Set KEY to VALUE in the user config file (written whole: a temporary file, then renamed).

    Example: wattlens config set location DE
    """
    from wattlens.config import key_named, set_value

    if key_named(key).name == "location":
        from wattlens.impacts import resolve_location

        resolve_location(value.strip())  # an unknown or ambiguous name fails here, exit 2
    path, stored = set_value(key, value, file)
    stdout.print(escape(f"{key_named(key).name} = {_value_text(stored)} (in {path})"))


@app.command("get")
def get(
    key: Annotated[str, typer.Argument(help="A config key.")], json_output: JsonOpt = False
) -> None:
    """Print the value of KEY and where it came from; exit 1 where it is not set.

    JSON: {key, value, origin (env|project|user), where (variable or file)};
    value null (and exit 1) where no place sets it.
    """
    from wattlens.config import key_named, lookup

    name = key_named(key).name
    found = lookup(name)
    if json_output:
        emit_json(
            {
                "key": name,
                "value": None if found is None else found.value,
                "origin": None if found is None else found.origin,
                "where": None if found is None else found.where,
            }
        )
    elif found is not None:
        stdout.print(escape(_value_text(found.value)))
    if found is None:
        if not json_output:
            typer.echo(f"{name} is not set", err=True)
        raise typer.Exit(1)


@app.command("unset")
def unset(key: Annotated[str, typer.Argument(help="A config key.")], file: FileOpt = None) -> None:
    """Remove KEY from the user config file (the environment and project file are not touched)."""
    from wattlens.config import key_named, unset_value

    name = key_named(key).name
    path, was_set = unset_value(name, file)
    if was_set:
        stdout.print(escape(f"{name} removed from {path}"))
    else:
        stdout.print(escape(f"{name} was not set in {path}"))


@app.command("list")
def list_(json_output: JsonOpt = False) -> None:
    """Every key: its value, where it came from (env, project or user) and its variable.

    JSON: {settings: [{key, value, origin, where, env, help}], user_file, project_file};
    value, origin and where are null for a key set nowhere.
    """
    from wattlens.config import KEYS, effective_settings, find_project_file, user_config_file

    found = {s.key: s for s in effective_settings()}
    project = find_project_file()
    rows: list[dict[str, Any]] = []
    for key in KEYS.values():
        s = found.get(key.name)
        rows.append(
            {
                "key": key.name,
                "value": None if s is None else s.value,
                "origin": None if s is None else s.origin,
                "where": None if s is None else s.where,
                "env": key.env,
                "help": key.help,
            }
        )
    if json_output:
        emit_json(
            {
                "settings": rows,
                "user_file": str(user_config_file()),
                "project_file": None if project is None else str(project[0]),
            }
        )
        return
    for row in rows:
        if row["value"] is None:
            stdout.print(escape(f"{row['key']}: not set ({row['env']}) - {row['help']}"))
        else:
            text = f"{row['key']} = {_value_text(row['value'])}  [{row['origin']}: {row['where']}]"
            stdout.print(escape(text), soft_wrap=True)


@app.command("path")
def path(json_output: JsonOpt = False) -> None:
    """Print the user config file's path (and the project file in use, if any).

    JSON: {user_file, user_file_exists, project_file}.
    """
    from wattlens.config import find_project_file, user_config_file

    user = user_config_file()
    project = find_project_file()
    if json_output:
        emit_json(
            {
                "user_file": str(user),
                "user_file_exists": user.is_file(),
                "project_file": None if project is None else str(project[0]),
            }
        )
        return
    stdout.print(escape(str(user)), soft_wrap=True)
    if project is not None:
        stdout.print(escape(f"project file: {project[0]}"), soft_wrap=True)


@app.command("location")
def location(
    detect_metadata: Annotated[
        bool,
        typer.Option(
            "--detect-metadata",
            help="Also ask the cloud instance-metadata endpoint (0.3 s limit) when nothing is set.",
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Show the location that commands use when --location is not given, and why.

    JSON: {query, grid_id, grid_name, region_id, co2e_g_per_kwh, origin
    (given|env|project|user|detected|default), origin_detail}.
    """
    from wattlens.impacts import factors_of
    from wattlens.location import choose_location, located_factors

    choice = choose_location(metadata=True if detect_metadata else None)
    place = located_factors(None, factors_of, choice=choice).place
    if json_output:
        emit_json(place.to_dict())
        return
    where = f" ({place.origin_detail})" if place.origin_detail else ""
    region = f", cloud region {place.region_id}" if place.region_id else ""
    stdout.print(
        escape(
            f"{place.grid_name}{region}: {place.co2e_g_per_kwh:g} gCO2e/kWh, "
            f"from {place.origin}{where}"
        ),
        soft_wrap=True,
    )
