"""``wattlens audit FILE``: recompute published claims and say which hold."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wattlens.cli._output import emit_json, stdout

if TYPE_CHECKING:
    from wattlens.audit import AuditReport

_VERDICT_STYLE = {
    "consistent": "green",
    "unit error": "bold red",
    "inconsistent": "red",
    "unverifiable": "yellow",
}

_JSON_HELP = (
    "Print JSON: {file, title, source, tolerance, claims: [{id, text, text_en, stated: "
    "{text, value, low, high, unit, magnitude, qualifier, dimension, value_si, low_si, high_si, "
    "si_unit}, recomputed: {expression, value, low, high, unit, text, value_si, low_si, "
    "high_si, si_unit} | null, ratio (stated ÷ recomputed), verdict, slip ('10^4' | null), "
    "slip_direction, tolerance, explanation, note, sources}], summary: {verdict: count}}."
)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3g}"


def _render(report: AuditReport) -> None:
    title = report.title or Path(report.file).name
    stdout.print(f"[bold]Audit of {escape(title)}[/bold]", highlight=False, soft_wrap=True)
    if report.source:
        stdout.print(f"[dim]{escape(report.source)}[/dim]", highlight=False, soft_wrap=True)
    stdout.print(
        f"tolerance {report.tolerance:.0%} (per claim where set); ratio = stated ÷ recomputed",
        highlight=False,
    )
    table = Table(pad_edge=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("stated", overflow="fold")
    table.add_column("recomputed", overflow="fold")
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for result in report.results:
        style = _VERDICT_STYLE[result.verdict]
        verdict = result.verdict
        if result.judgement and result.judgement.slip:
            verdict += f" ({result.judgement.slip})"
        table.add_row(
            escape(result.claim.id),
            escape(result.claim.stated.text),
            escape(result.recomputed_text()) or "[dim]—[/dim]",
            _ratio(result.judgement.ratio if result.judgement else None),
            f"[{style}]{escape(verdict)}[/{style}]",
        )
    stdout.print(table)
    stdout.print("[bold]notes[/bold]")
    for result in report.results:
        style = _VERDICT_STYLE[result.verdict]
        stdout.print(
            f"[{style}]{escape(result.claim.id)}[/{style}] {escape(result.explanation)}",
            highlight=False,
            soft_wrap=True,
        )
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items() if n)
    stdout.print(f"[bold]summary[/bold] {len(report.results)} claims: {counts}", highlight=False)


def audit(
    file: Annotated[
        Path,
        typer.Argument(help="Claims file (YAML): claims as published and how to recompute."),
    ],
    json_output: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Check published claims: recompute each one and give a verdict.

    Verdicts: consistent (within the tolerance, default 15%), unit error (off by a
    magnitude slip of 10^3, 10^4 (万) or 10^8 (亿) in either direction), inconsistent,
    unverifiable (nothing to recompute from). The exit code is 0 whatever the
    verdicts; a bad claims file exits 2 naming the file, line and field.

    FILE (YAML): optional title, source, tolerance ("15%") and inputs {id: {value,
    unit, source}}; claims: a list of {id, text, text_en, value, unit, recompute,
    tolerance, sources, note}. recompute is an expression over claim ids (stated
    values), recomputed(ID), input ids, q("1 year"), cat("equivalents",
    "household-us"), training_energy(...), landauer(300), + - * / ** and parentheses.

    Example: wattlens audit examples/claims/seed-article.yaml
    """
    from wattlens.audit import audit as run_audit

    report = run_audit(file)
    if json_output:
        emit_json(report.to_dict())
    else:
        _render(report)
