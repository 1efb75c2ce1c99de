"""``wattlens runs``: list, show, compare, export and delete stored runs."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich import box

from wattlens.cli._output import Table, emit_json, fmt_number, fmt_range, stdout
from wattlens.cli._safe_text import plain, safe
from wattlens.compare import compare_record
from wattlens.errors import UsageError
from wattlens.quantity import parse_since
from wattlens.store.ids import short_id
from wattlens.units import (
    format_duration,
    format_energy,
    format_mass,
    format_power,
    format_sig,
    format_volume,
    range_text,
)

if TYPE_CHECKING:
    from wattlens.measurement import Measurement
    from wattlens.store import Store
    from wattlens.windows import Window

app = typer.Typer(
    help=(
        "List, show, compare, export, import and delete the runs in the run store.\n\n"
        "The store is WATTLENS_DB (any SQLAlchemy URL, e.g. sqlite:////path/runs.sqlite or "
        "postgresql+psycopg://user@host/db), else runs.sqlite in your user data directory. "
        "WATTLENS_DB_TIMEOUT (seconds, default 30) bounds every wait for it: a SQLite lock, "
        "a server's connection, each statement. "
        "A run id may be shortened to any unique prefix (the 8 characters `runs ls` shows). "
        "Runs are recorded by `wattlens run` and by the Python API; a run that could not be "
        "stored is kept in <user data dir>/wattlens/spool/ and saved by the next command "
        "that opens the store (or `runs import`)."
    ),
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    """Formats of ``runs export``."""

    csv = "csv"
    json = "json"
    codecarbon = "codecarbon"


def _open_store() -> Store:
    from wattlens.store import Store

    return Store()


def _when(iso: str | None) -> str:
    """An ISO 8601 UTC instant as ``YYYY-MM-DD HH:MM:SS`` for tables."""
    if not iso:
        return ""
    return iso.replace("T", " ")[:19]


def _energy_cell(energy_j: float | None, low_j: float | None, high_j: float | None) -> str:
    if energy_j is None:
        return ""
    if low_j is None or high_j is None:
        return format_energy(energy_j)
    return fmt_range(low_j, energy_j, high_j)


def _ratio_cell(ratio: float | None) -> str:
    return "" if ratio is None else f"×{format_sig(ratio)}"


# -- ls ------------------------------------------------------------------------------------------
@app.command("ls")
def list_runs(
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show at most N runs (0: all).")
    ] = 20,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Only runs with this name; * and ? make it a glob pattern."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="ISO8601",
            help="Only runs started at or after this instant (e.g. 2026-01-31 or "
            "2026-01-31T12:00:00Z; no zone means UTC).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    all_records: Annotated[
        bool,
        typer.Option(
            "--all",
            "-a",
            help="Also list child records: the rank and node records of distributed runs "
            "(and per-epoch records of training runs saved by older releases).",
        ),
    ] = False,
) -> None:
    """List stored runs, newest first.

    Only top-level runs are listed: the rank and node records of a distributed
    run are shown by `runs show RUN_ID`, or listed here with --all (with their
    full ids, which begin with their run's id; parent_id in JSON). A training
    run's epochs are windows of its run (`runs show ID`).

    Columns: the short id (first 8 characters, usable wherever an id is asked
    for), name, start time (UTC), duration, energy of every measured component
    (machine level; `runs show` gives the range of modelled parts), the methods
    behind it (counter, sampled, modeled) and the run's status.

    JSON: {"count": total matching runs, "shown": runs in this answer,
    "runs": [...]} where each run has run_id, name, status, command (list or
    null), exit_code, started_at and ended_at (ISO 8601 UTC), duration_s,
    energy_j, energy_low_j, energy_high_j, attributed_energy_j, avg_power_w,
    peak_power_w, methods (list), location, co2e_g, water_l, cost_amount,
    cost_currency (null where unknown); with --all also parent_id (the run a
    child record belongs to, else null).
    """
    since_value = parse_since(since)
    with _open_store() as store:
        total = store.count(name=name, since=since_value, children=all_records)
        runs = store.list_runs(
            limit=limit or None, name=name, since=since_value, children=all_records
        )
        hidden = 0
        if not all_records:
            hidden = store.count(name=name, since=since_value, children=True) - total
    if json_output:
        emit_json({"count": total, "shown": len(runs), "runs": runs})
        return
    if not runs:
        stdout.print("No stored runs" + (" match." if name or since else "."))
        if hidden:
            stdout.print(f"{hidden} child records are hidden; --all lists them.")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("id", no_wrap=True)
    table.add_column("name", overflow="fold", min_width=8)
    table.add_column("started (UTC)", no_wrap=True)
    table.add_column("duration", no_wrap=True, justify="right")
    table.add_column("energy", no_wrap=True, justify="right")
    table.add_column("methods", min_width=7)
    table.add_column("status", no_wrap=True)
    for run in runs:
        # A child's id is its run's id and a suffix: shown in full, its short form says nothing.
        child = run.get("parent_id") is not None
        cells = [
            safe(run["run_id"] if child else short_id(run["run_id"])),
            safe(run["name"]),
            safe(_when(run["started_at"])[:16]),
            format_duration(run["duration_s"]),
            format_energy(run["energy_j"]),
            safe(",".join(run["methods"])),
            safe(run["status"]),
        ]
        table.add_row(*cells)
    stdout.print(table)
    if total > len(runs):
        stdout.print(f"{len(runs)} of {total} runs shown; --limit 0 shows all.")
    if hidden:
        stdout.print(
            f"{hidden} child records (ranks and nodes of distributed runs) are hidden; "
            "--all lists them, `runs show RUN_ID` shows them with their run."
        )


# -- show ----------------------------------------------------------------------------------------


def _formatter_for(key: str) -> Any:
    """The human formatter for a quantity, from the unit suffix of its key."""
    for suffix, formatter in (
        ("_g", format_mass),
        ("_l", format_volume),
        ("_j", format_energy),
        ("_w", format_power),
    ):
        if key.endswith(suffix):
            return formatter
    return fmt_number


def _band_text(value: Any, formatter: Any) -> str | None:
    """A number, or a low/central/high (p5/p50/p95) band as ``central (low–high)``."""
    from wattlens.types import read_range

    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(formatter(value))
    r = read_range(value)
    if r is None:
        return None
    return range_text(r.p5, r.p50, r.p95, formatter, labels=None)


def _generic_cell(key: str, value: Any) -> str:
    band = _band_text(value, _formatter_for(key))
    if band is not None:
        return band
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_generic_cell(k, v)}" for k, v in value.items() if v is not None)
    return fmt_number(value)


def _water_rows(water: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("water", _generic_cell("water_l", water["total"]))]
    for part in ("onsite", "offsite"):
        if isinstance(water.get(part), dict):
            measure = water.get(f"{part}_measure")
            label = f"  {part}" + (f" ({measure})" if measure else "")
            rows.append((label, _generic_cell("water_l", water[part])))
    return rows


def _cost_rows(cost: dict[str, Any]) -> list[tuple[str, str]]:
    currency = cost.get("currency") or ""
    rows = [("cost", f"{_generic_cell('amount', cost['amount'])} {currency}".strip())]
    if cost.get("amount_usd") is not None and currency != "USD":
        rows.append(("  in USD", _generic_cell("amount", cost["amount_usd"]) + " USD"))
    return rows


def _impact_rows(impacts: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for the impacts table: known fields read nicely, others shown as they are."""
    rows: list[tuple[str, str]] = []
    for key, value in impacts.items():
        if value is None or key in ("sources", "assumptions"):
            continue
        if key == "location" and isinstance(value, dict):
            text = str(value.get("grid_name") or value.get("grid_id") or value.get("query"))
            if value.get("co2e_g_per_kwh") is not None:
                text += f" ({fmt_number(value['co2e_g_per_kwh'])} gCO2e/kWh)"
            from wattlens.types import origin_note

            text += origin_note(value.get("origin"), value.get("origin_detail"))
            rows.append(("location", text))
        elif key == "co2e_g":
            rows.append(("carbon (CO2e)", _generic_cell(key, value)))
        elif key == "facility_energy_j":
            rows.append(("facility energy", _generic_cell(key, value)))
        elif key == "water_l" and isinstance(value, dict) and "total" in value:
            rows.extend(_water_rows(value))
        elif key == "cost" and isinstance(value, dict) and "amount" in value:
            rows.extend(_cost_rows(value))
        else:
            rows.append((key, _generic_cell(key, value)))
    sources = impacts.get("sources")
    if sources:
        rows.append(("sources", fmt_number(sources)))
    return rows


def _impacts_table(impacts: dict[str, Any], scope: str) -> None:
    table = Table("impact", "value", title=f"impacts ({scope})", show_header=False)
    for label, value in _impact_rows(impacts):
        table.add_row(safe(label), safe(value))
    stdout.print(table)


def _window_detail(w: Window) -> str:
    d = w.detail
    parts = []
    if d.get("measured_steps") is not None:
        parts.append(f"{d['measured_steps']} of {d.get('steps')} steps measured")
        if d.get("mean_step_energy_j") is not None:
            parts.append(f"mean {format_energy(d['mean_step_energy_j'])}/step")
    elif d.get("steps") is not None:
        parts.append(f"{d['steps']} steps")
    return ", ".join(parts)


def _windows_table(windows: list[Window]) -> None:
    table = Table(
        "#", "kind", "label", "from", "to", "duration", "energy", "detail", title="windows"
    )
    for w in windows:
        table.add_row(
            str(w.seq),
            safe(w.kind),
            safe(w.label),
            format_duration(w.start_s),
            format_duration(w.end_s),
            format_duration(w.duration_s),
            _energy_cell(w.energy_j, w.energy_low_j, w.energy_high_j),
            safe(_window_detail(w)),
        )
    stdout.print(table)


def _children_table(children: list[dict[str, Any]]) -> None:
    table = Table("id", "name", "duration", "energy", "status", title="child records")
    for c in children:
        table.add_row(
            safe(c["run_id"]),
            safe(c["name"]),
            format_duration(c["duration_s"]),
            format_energy(c["energy_j"]),
            safe(c["status"]),
        )
    stdout.print(table)


def _show_human(m: Measurement) -> None:
    fields = Table("field", "value", title=f"run {safe(m.run_id)}", show_header=False)
    rows: list[tuple[str, str]] = [
        ("name", m.name),
        ("status", m.status),
        ("command", " ".join(m.command) if m.command else ""),
        ("exit code", fmt_number(m.exit_code)),
        ("started (UTC)", _when(m.started_at)),
        ("ended (UTC)", _when(m.ended_at)),
        ("duration", format_duration(m.duration_s)),
        ("energy", _energy_cell(m.energy_j, m.energy_low_j, m.energy_high_j)),
        (
            "attributed energy",
            "" if m.attributed_energy_j is None else format_energy(m.attributed_energy_j),
        ),
        ("average power", format_power(m.avg_power_w)),
        ("peak power", "" if m.peak_power_w is None else format_power(m.peak_power_w)),
        ("methods", ", ".join(m.methods)),
        ("location", m.location or ""),
        ("PUE", fmt_number(m.pue)),
        ("impacts for", m.scope_words),
        ("timeline", f"{len(m.timeline)} points" if m.timeline else "none"),
    ]
    for key, value in sorted(m.host.items()):
        rows.append((f"host {key}", fmt_number(value)))
    for label, value in rows:
        if value:
            fields.add_row(safe(label), safe(value))
    stdout.print(fields)

    energy = Table(
        "component", "method", "energy", "attributed", "avg power", "peak", title="components"
    )
    basis = Table("component", "name", "sensor", "basis (catalog rows)", title="how each is known")
    for c in m.components:
        energy.add_row(
            safe(c.id),
            safe(c.method if c.status == "measured" else f"{c.method}, {c.status}"),
            _energy_cell(c.energy_j, c.energy_low_j, c.energy_high_j),
            "" if c.attributed_energy_j is None else format_energy(c.attributed_energy_j),
            format_power(c.avg_power_w),
            "" if c.peak_power_w is None else format_power(c.peak_power_w),
        )
        basis.add_row(
            safe(c.id),
            safe(c.name),
            safe(c.sensor),
            safe(c.basis + (f" ({', '.join(c.catalog_ids)})" if c.catalog_ids else "")),
        )
    stdout.print(energy)
    stdout.print(basis)
    for c in m.components:
        # Runs saved before components had a status read back as measured.
        if c.status != "measured":
            reason = f": {c.status_reason}" if c.status_reason else ""
            stdout.print(
                f"[yellow]{safe(c.status)}:[/yellow] {safe(c.id)}{safe(reason)}", highlight=False
            )

    impacts = m.stored_impacts
    if impacts:
        _impacts_table(impacts, "process tree" if m.scope == "workload" else "whole machine")
        if m.scope != "machine":
            _impacts_table(m.machine_impacts, "whole machine")
        for assumption in impacts.get("assumptions") or ():
            stdout.print(f"assumption: {safe(assumption)}", highlight=False)
    if m.embodied is not None:
        stdout.print(safe(m.embodied.describe()), highlight=False, soft_wrap=True)
    for warning in m.warnings:
        stdout.print(f"[yellow]warning:[/yellow] {safe(warning)}", highlight=False)
    if m.is_modeled:
        stdout.print("Modelled components are estimates with the range shown, not measurements.")


@app.command("show")
def show_run(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id or a unique prefix.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one run: every field, each component with its method and basis, impacts.

    An unknown id, or a prefix that matches several runs (they are listed),
    exits with code 2.

    JSON: the run's full record, as saved: run_id, name, command, exit_code,
    status, started_at, ended_at (ISO 8601 UTC), duration_s, energy_j,
    energy_low_j, energy_high_j, attributed_energy_j, avg_power_w,
    peak_power_w, methods, components (each: id, kind, name, method, sensor,
    basis, energy_j, avg_power_w, peak_power_w, energy_low_j, energy_high_j,
    attributed_energy_j, catalog_ids, status: measured, partial or unknown,
    status_reason: why, or null), location, pue, scope (workload: the
    process tree's share, or machine; machine for runs saved before scopes),
    scope_reason, workload_cpu_share, scope_energy_j, impacts (for the scope:
    carbon co2e_g, water_l, cost, each as {low, central, high}, with sources
    and assumptions, as computed when the run was saved), machine_impacts
    (the same for the whole machine), host, warnings,
    timeline ([{"t_s", "power_w": {component id: watts}}] or null),
    windows (spans of the run, e.g. a training run's epochs and their steps: seq,
    kind: epoch or steps, label, start_s and end_s from the run's start,
    duration_s, energy_j, energy_low_j, energy_high_j, methods, detail), children
    (the run's child records, e.g. rank and node records, each as in `runs ls
    --json --all`). A run saved while it was still going has status running; one
    that is still running after its process ended stopped there.

    The shared id of a distributed run (``WATTLENS_RUN_ID``, the SLURM job,
    torchrun's run id) shows the run per node, each node counted once, and in
    total; its JSON: run_id, energy_j, ranks, nodes (hostname, energy_j,
    counted_from, components_j, ranks_j, ranks_total_j, node_devices_j),
    warnings, records.
    """
    with _open_store() as store:
        # The shared id of a distributed run names its rank and node records together;
        # the run is shown per node unless it has a record of its own.
        group = store.group(run_id)
        measurement = None if group and not _stored(store, run_id) else store.get(run_id)
        if measurement is not None:
            windows = store.windows(measurement.run_id)
            children = store.children(measurement.run_id)
    if measurement is None:
        from wattlens.cli._cluster import show_cluster

        show_cluster(run_id, group, json_output=json_output)
        return
    if json_output:
        data = measurement.to_dict()
        data["windows"] = [w.to_dict() for w in windows]
        data["children"] = children
        emit_json(data)
        return
    _show_human(measurement)
    if windows:
        _windows_table(windows)
    if children:
        _children_table(children)


def _stored(store: Store, run_id: str) -> bool:
    """Whether ``run_id`` is the exact id of a stored run."""
    from wattlens.store import AmbiguousRunIdError, RunNotFoundError

    try:
        return store.resolve(run_id) == run_id
    except (RunNotFoundError, AmbiguousRunIdError):
        return False


# -- compare -------------------------------------------------------------------------------------
def _compare_table(records: list[dict[str, Any]]) -> Table:
    """The runs side by side, each figure with its ratio to the first run."""
    table = Table(
        "", *(safe(f"{short_id(r['run_id'])}\n{r['name']}") for r in records), title="compare"
    )

    def add(label: str, cells: list[str]) -> None:
        table.add_row(safe(label), *(safe(cell) for cell in cells))

    def with_ratio(text: str, ratio: float | None, first: bool) -> str:
        return text if first or ratio is None else f"{text} {_ratio_cell(ratio)}"

    add("status", [r["status"] for r in records])
    add(
        "duration",
        [
            with_ratio(format_duration(r["duration_s"]), r["duration_ratio"], i == 0)
            for i, r in enumerate(records)
        ],
    )
    add(
        "energy",
        [
            with_ratio(
                _energy_cell(r["energy_j"], r["energy_low_j"], r["energy_high_j"]),
                r["energy_ratio"],
                i == 0,
            )
            for i, r in enumerate(records)
        ],
    )
    add(
        "avg power",
        [
            with_ratio(format_power(r["avg_power_w"]), r["avg_power_ratio"], i == 0)
            for i, r in enumerate(records)
        ],
    )
    add(
        "peak power",
        ["" if r["peak_power_w"] is None else format_power(r["peak_power_w"]) for r in records],
    )
    add("methods", [", ".join(r["methods"]) for r in records])
    component_ids: list[str] = []
    for r in records:
        component_ids.extend(cid for cid in r["components"] if cid not in component_ids)
    for cid in component_ids:
        cells = []
        for i, r in enumerate(records):
            c = r["components"].get(cid)
            if c is None:
                cells.append("—")
                continue
            text = f"{format_energy(c['energy_j'])} ({c['method']})"
            cells.append(with_ratio(text, c["energy_ratio"], i == 0))
        add(cid, cells)
    return table


@app.command("compare")
def compare_runs(
    run_ids: Annotated[
        list[str],
        typer.Argument(metavar="ID", help="Two or more run ids or unique prefixes."),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Compare runs side by side: duration, energy, power and each component.

    The first run is the baseline: every other run shows its ratio to it
    (×1.5 = half as much again; empty where the baseline is zero or lacks the
    component). Components are matched by id (gpu:0, cpu:package-0, ...).

    JSON: {"baseline_run_id", "runs": [...]} where each run has run_id, name,
    status, started_at, duration_s, energy_j, energy_low_j, energy_high_j,
    attributed_energy_j, avg_power_w, peak_power_w, methods, duration_ratio,
    energy_ratio, avg_power_ratio (null for no ratio) and components: {component
    id: {name, method, energy_j, energy_low_j, energy_high_j, avg_power_w,
    energy_ratio}}.
    """
    if len(run_ids) < 2:
        raise UsageError(
            "compare needs at least two runs", hint="wattlens runs compare ID ID [ID...]"
        )
    with _open_store() as store:
        measurements = [store.get(run_id) for run_id in run_ids]
    base = measurements[0]
    records = [compare_record(m, base) for m in measurements]
    if json_output:
        emit_json({"baseline_run_id": base.run_id, "runs": records})
        return
    stdout.print(_compare_table(records))
    stdout.print(f"Ratios are to the first run, {safe(base.run_id)}.", highlight=False)


# -- export --------------------------------------------------------------------------------------
@app.command("export")
def export_runs(
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="csv (one row per run), json, or codecarbon (CodeCarbon's emissions.csv).",
        ),
    ] = ExportFormat.csv,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Only runs with this name; * and ? make it a glob pattern."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="ISO8601", help="Only runs started at or after this."),
    ] = None,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="JSON only: include each run's power timeline.")
    ] = False,
) -> None:
    """Export stored runs, oldest first, to stdout or a file.

    CSV columns: run_id, name, status, command (JSON list), exit_code,
    started_at, ended_at (ISO 8601 UTC), duration_s, energy_j, energy_low_j,
    energy_high_j, attributed_energy_j, avg_power_w, peak_power_w, methods
    (joined by ;), location, co2e_g, water_l, cost_amount, cost_currency;
    unknown values are empty.

    JSON: {"count": number of runs, "runs": [...]} where each run is the full
    record of `wattlens runs show ID --json` (timeline null unless --timeline).

    codecarbon: CodeCarbon 3.3's emissions.csv columns and units (kWh, kg CO2e, W,
    litres), one row per run, for CodeCarbon's tools: `-f codecarbon -o emissions.csv`.
    """
    since_value = parse_since(since)
    with _open_store() as store:
        if output is None:
            _export_to(store, fmt, sys.stdout, name, since_value, timeline)
            sys.stdout.flush()
            return
        try:
            handle = output.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(
                f"cannot write the export file {output}: {exc.strerror or exc}",
                hint="choose a writable path with --output, or omit it for stdout",
            ) from exc
        with handle:
            count = _export_to(store, fmt, handle, name, since_value, timeline)
    typer.echo(f"exported {count} runs to {output}", err=True)


def _export_to(
    store: Store,
    fmt: ExportFormat,
    out: IO[str],
    name: str | None,
    since: str | None,
    timeline: bool,
) -> int:
    if fmt is ExportFormat.codecarbon:
        from wattlens.store.export import write_codecarbon

        return write_codecarbon(store.measurements(name=name, since=since), out)
    kind: Literal["csv", "json"] = "csv" if fmt is ExportFormat.csv else "json"
    return store.export(kind, out, name=name, since=since, timeline=timeline)


# -- import --------------------------------------------------------------------------------------
@app.command("import")
def import_runs(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Spool files, exports (`runs export -f json`) or one run's JSON.",
            show_default=False,
        ),
    ],
) -> None:
    """Save runs from JSON files into the store.

    Takes the files kept in the spool when a run could not be stored
    (<user data dir>/wattlens/spool/; the next wattlens command that opens the
    store saves them by itself), exports of `wattlens runs export --format
    json`, and the JSON of one run (`wattlens run --json`, `runs show --json`).
    A stored run with the same id is replaced. An imported spool file is
    removed from the spool. A file that is not one of these exits with code 2
    and nothing is imported.
    """
    from wattlens.store import spool

    batches: list[tuple[Path, list[Measurement], list[Window] | None]] = []
    for path in files:
        try:
            measurements = spool.to_measurements(spool.read_records(path))
            batches.append((path, measurements, spool.read_windows(path)))
        except OSError as exc:
            raise UsageError(
                f"cannot read {plain(path)}: {exc.strerror or exc}",
                hint="give the path of a JSON file",
            ) from exc
        except ValueError as exc:
            raise UsageError(
                f"{plain(path)} is not a wattlens run file: {plain(exc)}",
                hint="give a spool file, an export of `wattlens runs export --format json` "
                "or the output of `wattlens run --json`",
            ) from exc
    spooled = spool.spool_dir().resolve()
    count = 0
    with _open_store() as store:
        for path, measurements, windows in batches:
            for measurement in measurements:
                if windows is None:
                    store.save(measurement)
                else:  # a snapshot of a run that was going, with windows of it
                    store.save_windows(measurement, windows)
            count += len(measurements)
            if path.resolve().parent == spooled:
                path.unlink(missing_ok=True)
    typer.echo(f"imported {count} runs into {plain(store.location)}", err=True)


# -- rm ------------------------------------------------------------------------------------------
@app.command("rm")
def remove_run(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="A run id or a unique prefix.")],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Delete without asking for confirmation.")
    ] = False,
) -> None:
    """Delete one run from the store, with its timeline, windows and child records.

    The child records are a distributed run's rank and node records (listed by
    `runs ls --all`). Asks for confirmation on a terminal. Without a terminal (a script, a pipe)
    --yes is required: without it the command deletes nothing and exits with
    code 2. An unknown or ambiguous id exits with code 2.
    """
    with _open_store() as store:
        run = store.get(run_id)
        label = plain(f"run {run.run_id} ({run.name!r}, started {_when(run.started_at)} UTC)")
        kids = len(store.children(run.run_id))
        if kids:
            label += f" and its {kids} child record{'s' if kids > 1 else ''}"
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    f"not deleting {label}: confirmation needs a terminal",
                    hint="pass --yes to delete without confirmation",
                )
            if not typer.confirm(f"Delete {label}?", default=False):
                typer.echo("nothing deleted", err=True)
                raise typer.Exit(1)
        store.delete(run.run_id)
    typer.echo(f"deleted {label}", err=True)
