"""``wattlens units``: what every number field accepts (units, magnitudes, currencies, ranges)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from wattlens.cli._output import emit_json, stdout


def _words(values: dict[str, Any]) -> str:
    return ", ".join(f"{word} = {value:g}" for word, value in values.items())


def units(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List what quantities may be written with, in options, scenario and claims files and forms.

    One grammar reads every number: units by dimension (SI prefixes are
    case-sensitive: mWh is milli, MWh mega), magnitude words in English and
    Chinese, currencies, qualifiers (kept, never applied) and range syntax.

    JSON: {units: {dimension: [...]}, magnitudes: {en, en_counts_and_money, zh,
    zh_numerals}, currencies: {ISO: [...]}, qualifiers: {meaning: [...]}, ranges,
    ambiguous, conventions}.

    Example: wattlens units --json
    """
    from wattlens.quantity import accepted

    data = accepted()
    if json_output:
        emit_json(data)
        return
    stdout.print(f"[bold]units[/bold] [dim]({escape(data['unit_library'])})[/dim]", soft_wrap=True)
    table = Table("dimension", "written as", box=None, pad_edge=False)
    for dimension, words in data["units"].items():
        table.add_row(escape(dimension), escape(", ".join(words)))
    stdout.print(table)
    magnitudes = data["magnitudes"]
    stdout.print("[bold]magnitude words[/bold]")
    table = Table("where", "words", box=None, pad_edge=False)
    table.add_row("English, always", escape(_words(magnitudes["en"])))
    table.add_row("English, counts and money", escape(_words(magnitudes["en_counts_and_money"])))
    table.add_row("Chinese", escape(_words(magnitudes["zh"])))
    table.add_row("Chinese numerals", escape(_words(magnitudes["zh_numerals"])))
    stdout.print(table)
    stdout.print("[bold]currencies[/bold]")
    table = Table("code", "written as", box=None, pad_edge=False)
    for code, words in data["currencies"].items():
        table.add_row(code, escape(", ".join(words)))
    stdout.print(table)
    stdout.print("[bold]qualifiers[/bold] (kept with the value, never applied)")
    table = Table("meaning", "written as", box=None, pad_edge=False)
    for meaning, words in data["qualifiers"].items():
        table.add_row(escape(meaning), escape(", ".join(words)))
    stdout.print(table)
    ranges = data["ranges"]
    stdout.print(
        f"[bold]ranges[/bold] LOW sep HIGH, sep one of {escape(' '.join(ranges['separators']))}; "
        f"e.g. {escape(', '.join(ranges['examples']))} ({escape(ranges['note'])})",
        soft_wrap=True,
    )
    stdout.print("[bold]ambiguous text is an error naming both readings[/bold]")
    for word, meaning in data["ambiguous"].items():
        stdout.print(f"  {escape(word)}: {escape(meaning)}", soft_wrap=True, highlight=False)
    for word, meaning in data["conventions"].items():
        stdout.print(f"  {escape(word)} = {escape(meaning)}", soft_wrap=True, highlight=False)
