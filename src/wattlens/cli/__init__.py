"""The ``wattlens`` command line.

Errors from :mod:`wattlens.errors` are translated here, once, into a message,
a hint and an exit code (2 for bad input).

``wattlens run`` is the command whose own cost is measured (it must add under
150 ms to what it runs), so it is dispatched without importing and building
the other commands; everything else goes through the full application in
:mod:`wattlens.cli.application`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer


def __getattr__(name: str) -> Any:
    if name == "app":
        from wattlens.cli.application import app

        return app
    raise AttributeError(f"module 'wattlens.cli' has no attribute {name!r}")


def _select_app(args: list[str]) -> tuple[typer.Typer, list[str], str]:
    if args and args[0] == "run":
        from wattlens.cli.run import standalone_app

        return standalone_app(), args[1:], "wattlens run"
    from wattlens.cli.application import app

    return app, args, "wattlens"


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and translate wattlens errors into messages and exit codes.

    Typer handles usage errors itself (exit 2); everything wattlens raises is
    caught here, once.
    """
    try:
        from wattlens.cli._output import stderr
        from wattlens.cli._safe_text import safe
        from wattlens.errors import WattlensError

        selected, args, prog = _select_app(list(sys.argv[1:] if argv is None else argv))
        try:
            selected(args=args, prog_name=prog)
        except WattlensError as exc:
            stderr.print(
                f"[bold red]error:[/bold red] {safe(exc.message)}", highlight=False, soft_wrap=True
            )
            if exc.hint:
                stderr.print(
                    f"[bold]hint:[/bold] {safe(exc.hint)}", highlight=False, soft_wrap=True
                )
            sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        # Ctrl-C while starting up or saving: a message and 128+SIGINT, not a traceback.
        sys.stderr.write("wattlens: interrupted\n")
        sys.exit(130)
