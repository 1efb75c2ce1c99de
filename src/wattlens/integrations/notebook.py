"""IPython / Jupyter magics: ``%load_ext wattlens``, then ``%%wattlens`` over a cell.

Example (in a notebook)::

    %load_ext wattlens

    %%wattlens --name tokenise --location FR
    tokens = tokenizer(texts)

The cell runs as usual (its output and errors show as always); its energy, method per
component, carbon, water and cost show below it as a table, and the
:class:`~wattlens.measurement.Measurement` is kept in the notebook as ``_wattlens``
(and under ``--var NAME``). ``%wattlens [options] STATEMENT`` measures one line.

Options: ``--name``, ``--location``, ``--pue``, ``--save`` (record the run in the run
store, like ``wattlens run``), ``--json`` (print the JSON of ``wattlens runs show --json``
instead of the table), ``--var NAME``, ``--quiet`` (show nothing).
"""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any

from wattlens.errors import UsageError, WattlensError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from wattlens.measurement import Measurement

__all__ = ["LAST_RESULT", "load_ipython_extension", "unload_ipython_extension"]

#: The notebook variable that holds the last measurement.
LAST_RESULT = "_wattlens"
_MAGIC = "wattlens"


class _CellFailedError(Exception):
    """The cell raised: IPython already showed the traceback; the run is ``failed``."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="%%wattlens", add_help=False, exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("--name", default=None)
    parser.add_argument("--location", default=None)
    parser.add_argument("--pue", type=float, default=None)
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--var", default=None)
    parser.add_argument("--quiet", action="store_true")
    return parser


_USAGE = (
    "%%wattlens [--name NAME] [--location WHERE] [--pue N] [--save] [--json] [--var NAME] [--quiet]"
)


#: One option word, a quoted value or a bare word, after optional spaces.
_WORD = re.compile(r"""\s*("[^"]*"|'[^']*'|\S+)""")
_VALUED = frozenset({"--name", "--location", "--pue", "--var"})


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _split(line: str) -> tuple[list[str], str]:
    """The leading ``--options`` (with their values) and the rest of the line, as typed."""
    words: list[str] = []
    pos = 0
    while (match := _WORD.match(line, pos)) is not None and match.group(1).startswith("--"):
        word = match.group(1)
        pos = match.end()
        if word in _VALUED:
            value = _WORD.match(line, pos)
            if value is None:
                raise UsageError(f"%%wattlens: {word} needs a value", hint=_USAGE)
            words += [word, _unquote(value.group(1))]
            pos = value.end()
        else:
            words.append(word)
    return words, line[pos:].strip()


def _parse(line: str, *, cell: bool) -> tuple[argparse.Namespace, str]:
    """The options, and for the line magic the statement after them."""
    words, rest = _split(line)
    try:
        options, unknown = _parser().parse_known_args(words)
    except argparse.ArgumentError as exc:
        raise UsageError(f"%%wattlens: {exc}", hint=_USAGE) from exc
    if unknown:
        raise UsageError(f"%%wattlens: unknown option {unknown[0]!r}", hint=_USAGE)
    if cell and rest:
        raise UsageError(f"%%wattlens: unexpected {rest!r} after the options", hint=_USAGE)
    if not cell and not rest:
        raise UsageError(
            "%wattlens needs a statement to measure",
            hint="%wattlens train(model); or use %%wattlens",
        )
    return options, rest


def _plain(m: Measurement) -> str:
    """The text shown where HTML is not (terminal IPython)."""
    from wattlens.units import format_duration, format_energy, range_text

    energy = range_text(
        m.energy_low_j, m.energy_j, m.energy_high_j, format_energy, labels=("low", "high")
    )
    return (
        f"wattlens {m.name}: {energy} in {format_duration(m.duration_s)} "
        f"({', '.join(m.methods) or 'nothing measured'})"
    )


def run_measured(
    shell: InteractiveShell, code: str, line: str, *, cell: bool = True
) -> Measurement | None:
    """Run ``code`` in the shell inside a measurement window and show the result.

    Returns the measurement, or None when the options are wrong (the error is shown).
    """
    from IPython.display import display

    from wattlens.api import measure

    try:
        options, statement = _parse(line, cell=cell)
        if options.location is not None:
            from wattlens.impacts import resolve_location

            # Before the cell runs: a long cell must not end in an unknown-location error.
            resolve_location(options.location)
        block = measure(
            options.name or ("cell" if cell else "line"),
            location=options.location,
            pue=options.pue,
            store=options.save,
        )
    except WattlensError as exc:
        # A usage error in a notebook is a message, never a traceback of wattlens internals.
        print(f"error: {exc}" + (f"\nhint: {exc.hint}" if getattr(exc, "hint", None) else ""))
        return None
    source = code if cell else statement
    try:
        with block:
            outcome = shell.run_cell(source, store_history=False)  # type: ignore[no-untyped-call]
            if isinstance(outcome.error_in_exec, KeyboardInterrupt):
                # Re-raised so that the run's status is `interrupted`, as for `wattlens run`.
                raise KeyboardInterrupt
            if not outcome.success:
                raise _CellFailedError
    except (_CellFailedError, KeyboardInterrupt):
        pass
    result = block.result
    shell.user_ns[LAST_RESULT] = result
    if options.var:
        shell.user_ns[options.var] = result
    if options.quiet:
        return result
    if options.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        bundle = {"text/html": result._repr_html_(), "text/plain": _plain(result)}
        display(bundle, raw=True)  # type: ignore[no-untyped-call]
    return result


def _magic(shell: InteractiveShell) -> Any:
    def wattlens(line: str, cell: str | None = None) -> None:
        """Measure the energy of a cell (%%wattlens) or of one statement (%wattlens).

        Options: --name NAME, --location WHERE (country, grid zone or cloud region),
        --pue N, --save (record in the run store), --json, --var NAME, --quiet.
        The measurement is kept as ``_wattlens``.
        """
        if cell is None:
            run_measured(shell, "", line, cell=False)
        else:
            run_measured(shell, cell, line, cell=True)

    return wattlens


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%wattlens`` and ``%%wattlens`` (called by ``%load_ext wattlens``)."""
    # IPython's decorator hides the method's signature from type checkers.
    register: Any = ipython.register_magic_function
    register(_magic(ipython), magic_kind="line_cell", magic_name=_MAGIC)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove the magics (``%unload_ext wattlens``)."""
    magics = ipython.magics_manager.magics
    magics["line"].pop(_MAGIC, None)
    magics["cell"].pop(_MAGIC, None)
