"""Text from users and the store, made safe to print on a terminal through Rich.

A run's name, command, warnings or any stored text can hold Rich markup
(``[/bold]`` makes Rich raise ``MarkupError``) and terminal control
sequences (``ESC]0;…`` retitles the window, ``ESC[2J`` clears the screen).
Everything such text passes through :func:`safe` (for Rich markup strings,
table cells included) or :func:`plain` (for plain ``print``/``typer.echo``)
before it reaches the terminal.
"""

from __future__ import annotations

import re

from rich.markup import escape

__all__ = ["plain", "safe"]

# C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some
# terminals), and the bidirectional overrides that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: object) -> str:
    """``text`` as a string with every control character shown as an inert ``\\xNN``.

    Tabs and newlines are kept; nothing else that a terminal would act on
    remains, so ``ESC]0;title`` prints as ``\\x1b]0;title``.
    """
    return _UNSAFE.sub(_visible, str(text))


def safe(text: object) -> str:
    """``text`` for a Rich markup string: control characters neutralised, markup escaped."""
    return escape(plain(text))
