"""``wattlens audit FILE``: recompute published claims and say which hold."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wattlens.cli._output import Table, emit_json, stderr, stdout

if TYPE_CHECKING:
    from wattlens.audit import AuditReport

_VERDICT_STYLE = {
    "consistent": "green",
    "unit error": "bold red",
    "inconsistent": "red",
    "unverifiable": "yellow",
    "misquote": "bold red",
}

_JSON_HELP = (
    "Print JSON: {file, title, source, tolerance, claims: [{id, text, text_en, stated: "
    "{text, value, low, high, unit, magnitude, qualifier, dimension, value_si, low_si, high_si, "
    "si_unit}, recomputed: {expression, value, low, high, unit, text, value_si, low_si, "
    "high_si, si_unit} | null, ratio (stated ÷ recomputed), verdict, slip ('10^4' | null), "
    "slip_direction, slip_name, slip_end, discrepancy, bound, cited_source, quoted_as, date, "
    "as_of, stale, kind, tolerance, explanation, note, sources}], summary: {verdict: count}}; "
    "several files: {reports: [...], summary}. Same as --format json."
)


_FAIL_ON = ("inconsistent", "unit-error", "misquote", "unverifiable")
_FORMATS = ("text", "json", "md", "html")


def _render(report: AuditReport) -> None:
    title = report.title or Path(report.file).name
    stdout.print(f"[bold]Audit of {escape(title)}[/bold]", highlight=False, soft_wrap=True)
    if report.source:
        stdout.print(f"[dim]{escape(report.source)}[/dim]", highlight=False, soft_wrap=True)
    stdout.print(
        f"tolerance {report.tolerance:.0%} (per claim where set); gap = stated ÷ recomputed − 1, "
        "or the ratio (×) when far off",
        highlight=False,
    )
    stdout.print(_claims_table(report, stacked=False))
    stdout.print("[bold]notes[/bold]")
    for result in report.results:
        style = _VERDICT_STYLE[result.verdict]
        stdout.print(
            f"[{style}]{escape(result.claim.id)}[/{style}] {escape(result.explanation)}",
            highlight=False,
            soft_wrap=True,
        )
        for source in result.sources:
            stdout.print(
                f"    [dim]source: {escape(source)}[/dim]", highlight=False, soft_wrap=True
            )
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary.items() if n)
    stdout.print(f"[bold]summary[/bold] {len(report.results)} claims: {counts}", highlight=False)


def _claims_table(report: AuditReport, *, stacked: bool) -> Table:
    """Stated and recomputed side by side, or one above the other where the side-by-side
    table would have to cut a value (a value written without spaces cannot wrap)."""
    from rich.measure import Measurement

    from wattlens.audit.publish import discrepancy_text, verdict_label

    table = Table(pad_edge=False)
    table.add_column("claim", overflow="fold")
    if stacked:
        table.add_column("stated\n→ recomputed", overflow="fold")
    else:
        table.add_column("stated", overflow="fold")
        table.add_column("recomputed", overflow="fold")
    table.add_column("gap", justify="right", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    for result in report.results:
        style = _VERDICT_STYLE[result.verdict]
        stated = escape(result.claim.stated.text)
        recomputed = escape(result.recomputed_text()) or "[dim]—[/dim]"
        values = [f"{stated}\n→ {recomputed}"] if stacked else [stated, recomputed]
        table.add_row(
            escape(result.claim.id),
            *values,
            escape(discrepancy_text(result)),
            f"[{style}]{escape(verdict_label(result))}[/{style}]",
        )
    unbounded = stdout.options.update_width(10_000)
    if not stacked and Measurement.get(stdout, unbounded, table).minimum > stdout.width:
        return _claims_table(report, stacked=True)
    return table


def _fail_on(text: str | None) -> set[str]:
    from wattlens.errors import UsageError

    if not text:
        return set()
    wanted = {part.strip().lower().replace(" ", "-") for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(_FAIL_ON))
    if unknown:
        raise UsageError(
            f"--fail-on: unknown verdict {unknown[0]!r}",
            hint="give a comma-separated list of: " + ", ".join(_FAIL_ON),
        )
    return {w.replace("-", " ") for w in wanted}


def _extract(args: list[str], lang: str | None, output: Path | None) -> None:
    from wattlens.audit.extract import draft
    from wattlens.errors import UsageError

    if len(args) != 1:
        raise UsageError(
            "audit extract takes one article (.txt, .md or .html)",
            hint="e.g. wattlens audit extract article.txt --lang zh > claims.yaml",
        )
    article = Path(args[0])
    if lang not in {None, "zh", "en"}:
        raise UsageError(f"--lang {lang!r} is not known", hint="use zh or en (or leave it out)")
    if not article.is_file():
        raise UsageError(f"cannot read {article}: no such file", hint="check the path")
    text = draft(article, lang=lang)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        stderr.print(f"wrote {output}", highlight=False)


def audit(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Claims files (YAML; '-' reads standard input), or 'extract ARTICLE' to "
            "draft a claims file from an article's text.",
            metavar="FILE... | extract ARTICLE",
        ),
    ],
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="Output: text, json, md (Markdown) or html."),
    ] = "text",
    json_output: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a claim gets one of these verdicts (comma-separated: "
            "inconsistent, unit-error, misquote, unverifiable), for CI.",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="extract only: the article's language (zh or en)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report (or the draft) to this file."),
    ] = None,
) -> None:
    """Check published claims: recompute each one and give a verdict.

    Verdicts: consistent (within the tolerance, default 15%; ranges at both ends; a
    qualifier such as '>' or '以上' is a bound; dates compared as dates), unit error
    (off by a slip of 10^1 to 10^9, named: billion ↔ 亿, million ↔ 万, 万 ↔ 亿, a
    dropped 万 …), misquote (the claim disagrees with the source it cites, given as
    source: and quoted_as:), inconsistent, unverifiable (nothing to recompute from).
    The exit code is 0 whatever the verdicts unless --fail-on names them (then 1); a
    bad claims file exits 2 listing every problem as file:line:col with its fix.

    FILE (YAML): optional title, source, date (the article's), stale_after_years,
    tolerance ("15%") and inputs {id: {value, unit, source}}; claims: a list of {id,
    text, text_en, value, unit, kind, recompute, tolerance, sources, source, quoted_as,
    date, as_of, note}. recompute is an expression over claim ids (stated values),
    recomputed(ID), input ids, q("1 year"), cat("equivalents", "household-us"),
    training_energy(...), landauer(300), + - * / ** and parentheses.

    Examples: wattlens audit examples/claims/seed-article.yaml --format md;
    wattlens audit extract article.txt --lang zh -o claims.yaml
    """
    from wattlens.errors import UsageError

    if files and files[0] == "extract":
        _extract(files[1:], lang, output)
        return
    fmt = "json" if json_output else output_format
    if fmt not in _FORMATS:
        raise UsageError(f"--format {fmt!r} is not known", hint="use text, json, md or html")
    failing = _fail_on(fail_on)
    reports = _audit_all(files)
    _emit(reports, fmt, output)
    failed = [
        (report.file, result.claim.id, result.verdict)
        for report in reports
        for result in report.results
        if result.verdict in failing
    ]
    if failed:
        shown = ", ".join(f"{claim} ({verdict})" for _, claim, verdict in failed[:10])
        more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
        stderr.print(
            f"audit: {len(failed)} claim(s) failed --fail-on: {shown}{more}", highlight=False
        )
        raise typer.Exit(1)


def _audit_all(files: list[str]) -> list[AuditReport]:
    """Audit every file; bad files are reported together, before anything is printed."""
    from wattlens.audit import ClaimsFileError
    from wattlens.audit import audit as run_audit

    reports: list[AuditReport] = []
    errors: list[ClaimsFileError] = []
    for name in files:
        try:
            reports.append(run_audit(name))
        except ClaimsFileError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        from dataclasses import replace

        problems = [replace(p, file=error.path) for error in errors for p in error.problems]
        raise ClaimsFileError(
            ", ".join(error.path for error in errors), errors[0].line, errors[0].field,
            errors[0].problem, hint=errors[0].hint or "", column=errors[0].column,
            problems=problems,
        )  # fmt: skip
    return reports


def _emit(reports: list[AuditReport], fmt: str, output: Path | None) -> None:
    from wattlens.audit.publish import to_html, to_markdown

    if fmt == "text" and output is None:
        for report in reports:
            _render(report)
        return
    if fmt == "json":
        import json

        if len(reports) == 1:
            data: object = reports[0].to_dict()
        else:
            total = {v: sum(r.summary[v] for r in reports) for v in reports[0].summary}
            data = {"reports": [r.to_dict() for r in reports], "summary": total}
        if output is None:
            emit_json(data)
            return
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    elif fmt == "md":
        text = to_markdown(reports)
    elif fmt == "html":
        text = to_html(reports)
    else:
        text = "".join(
            f"{r.file}: " + ", ".join(f"{n} {v}" for v, n in r.summary.items() if n) + "\n"
            for r in reports
        )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        stderr.print(f"wrote {output}", highlight=False)
