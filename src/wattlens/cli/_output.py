"""Shared output helpers: JSON for scripts, Rich for people, errors on stderr.

Human text is written with the formatters of :mod:`wattlens.units`
(``fmt_range`` and friends: one unit per range, no exponent notation) and
printed through :data:`stdout`/:data:`stderr` and :class:`Table`, which wrap
lines only where a value is not cut: a number stays on the line of its unit.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table as RichTable
from rich.text import Text

from wattlens.units import ENERGY, MASS, VOLUME, format_range
from wattlens.units import format_number as fmt_number

if TYPE_CHECKING:
    from rich.console import ConsoleOptions, RenderableType, RenderResult

__all__ = [
    "Glued",
    "HumanConsole",
    "Table",
    "emit_json",
    "fmt_number",
    "fmt_range",
    "stderr",
    "stdout",
    "wrap_offsets",
]

# A word runs to a space or just past a range's dash ("504–" / "576 MWh" may part).
_WORD = re.compile(r"[^ \n–]+–?|–")

_GLUE_WORDS = frozenset({"thousand", "million", "billion", "trillion", "→"})


def _chunks(line: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces a line may break between.

    A word that ends with a digit is glued to the next word, so ``1.3 Wh``,
    ``p5 0.67`` and ``46.7 years`` never end up on two lines, nor do ``209
    million CNY`` or ``→ 1.95億次/天``; a range may part after its dash
    (``504–`` / ``576 MWh``).
    """
    chunks: list[tuple[int, int]] = []
    glue = False
    for match in _WORD.finditer(line):
        start, end = match.span()
        if glue and chunks:
            chunks[-1] = (chunks[-1][0], end)
        else:
            chunks.append((start, end))
        glue = line[end - 1].isdigit() or line[start:end] in _GLUE_WORDS
    return chunks


def wrap_offsets(line: str, width: int) -> list[int]:
    """Where to break ``line`` (one line, no newline) to fit ``width`` cells.

    Breaks fall between chunks (see :func:`_chunks`); a chunk wider than the
    whole width (a long name, a value written without spaces) is folded.
    """
    width = max(width, 1)
    offsets: list[int] = []
    line_start = 0
    for start, end in _chunks(line):
        if cell_len(line[line_start:end]) <= width:
            continue
        if start > line_start:
            offsets.append(start)
            line_start = start
        while cell_len(line[line_start:end]) > width:
            cells, cut = 0, line_start
            while cut < end and cells + cell_len(line[cut]) <= width:
                cells += cell_len(line[cut])
                cut += 1
            cut = max(cut, line_start + 1)
            offsets.append(cut)
            line_start = cut
    return offsets


class Glued:
    """Rich text that wraps only between values, never inside ``1.3 Wh`` or ``p5 0.67``."""

    def __init__(self, text: Text | str) -> None:
        self.text = Text.from_markup(text) if isinstance(text, str) else text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self.text.plain.split("\n")
        widest = max(cell_len(line) for line in lines)
        chunk = max((cell_len(line[s:e]) for line in lines for s, e in _chunks(line)), default=0)
        return Measurement(min(chunk, widest), widest).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        pieces: list[Text] = []
        for line in self.text.split("\n", allow_blank=True):
            for piece in line.divide(wrap_offsets(line.plain, options.max_width)):
                piece.rstrip()
                pieces.append(piece)
        joined = Text("\n", style=self.text.style, justify=self.text.justify).join(pieces)
        joined.end = self.text.end
        yield joined


class HumanConsole(Console):
    """A console whose wrapped lines keep each number next to its unit (see :class:`Glued`)."""

    def print(
        self,
        *objects: Any,
        sep: str = " ",
        end: str = "\n",
        no_wrap: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        soft_wrap: bool | None = None,
        **options: Any,
    ) -> None:
        wraps = not (self.soft_wrap if soft_wrap is None else soft_wrap) and not no_wrap
        if wraps and objects and all(isinstance(o, str) for o in objects):
            text = self.render_str(
                sep.join(objects), markup=markup, highlight=highlight, emoji=options.get("emoji")
            )
            objects = (Glued(text),)
        super().print(
            *objects, sep=sep, end=end, no_wrap=no_wrap, markup=markup, highlight=highlight,
            soft_wrap=soft_wrap, **options,
        )  # fmt: skip


class Table(RichTable):
    """A Rich table whose text cells wrap like :class:`Glued` (a number keeps its unit)."""

    def add_row(
        self, *renderables: RenderableType | None, style: Any = None, end_section: bool = False
    ) -> None:
        cells: Iterable[RenderableType | None] = (
            Glued(cell) if isinstance(cell, str) else cell for cell in renderables
        )
        super().add_row(*cells, style=style, end_section=end_section)

    def _calculate_column_widths(self, console: Console, options: ConsoleOptions) -> list[int]:
        # Rich shrinks the widest columns without looking at their minimum width,
        # which cuts values in two. Give each column back its minimum (its widest
        # unbreakable value) from the columns with room to spare, and when there
        # is not enough room, from the first column: a label may fold, a value not.
        widths = super()._calculate_column_widths(console, options)
        ranges = [self._measure_column(console, options, c) for c in self.columns]
        minimums = [
            r.maximum if c.no_wrap else r.minimum for r, c in zip(ranges, self.columns, strict=True)
        ]
        if all(w >= m for w, m in zip(widths, minimums, strict=True)):
            return widths
        target = [max(w, m) for w, m in zip(widths, minimums, strict=True)]
        excess = sum(target) - sum(widths)
        slack = [t - m for t, m in zip(target, minimums, strict=True)]
        while excess > 0 and any(slack):
            widest = max(range(len(target)), key=lambda i: slack[i])
            slack[widest] -= 1
            target[widest] -= 1
            excess -= 1
        label_floor = min(target[0], 4 + self._get_padding_width(0))
        if excess > target[0] - label_floor:
            return widths
        target[0] -= max(excess, 0)
        return target


#: Results for people go to stdout; diagnostics and run summaries to stderr.
stdout = HumanConsole(soft_wrap=False)
stderr = HumanConsole(stderr=True, soft_wrap=False)

_LADDERS = {"energy": ENERGY, "mass": MASS, "volume": VOLUME}


def fmt_range(low: float, central: float, high: float, kind: str = "energy") -> str:
    """``central unit (low–high unit)`` in one unit, for energy, mass or volume (SI input)."""
    return format_range(low, central, high, _LADDERS[kind], labels=None)


def emit_json(data: Any) -> None:
    """Print a JSON document (stable, snake_case field names with units) to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()
