"""The claims file: its YAML schema, the line of every field, and loading it.

:func:`load_claims` / :func:`parse_claims` validate a file into a :class:`ClaimsFile`;
any problem raises :class:`ClaimsFileError` naming the file, line and field, with the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from wattlens.audit.expressions import _FUNCTIONS
from wattlens.audit.verdict import DEFAULT_TOLERANCE
from wattlens.errors import InputValueError
from wattlens.quantity import Quantity, QuantityError, parse, parse_quantity
from wattlens.quantity.dims import DATE

if TYPE_CHECKING:
    import yaml

    from wattlens.safe_yaml import YamlInputError

_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"


@dataclass(frozen=True)
class Problem:
    """One problem in a claims file: where it is, what is wrong and the fix."""

    line: int | None
    column: int | None
    field: str
    problem: str
    hint: str
    #: The file, where it differs from the error's (problems of several files together).
    file: str | None = None

    def where(self, path: str) -> str:
        """``file:line:col`` (as much of it as is known)."""
        path = self.file or path
        if not self.line:
            return path
        return f"{path}:{self.line}" + (f":{self.column}" if self.column else "")


class ClaimsFileError(InputValueError):
    """A claims file cannot be used; the message names every problem: file:line:col, field, fix.

    Attributes:
        problems: Every problem found, in file order (the first one is also ``line``,
            ``column``, ``field`` and ``problem``).
    """

    def __init__(
        self,
        path: str,
        line: int | None,
        field_name: str,
        problem: str,
        *,
        hint: str,
        column: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        found = problems or [Problem(line, column, field_name, problem, hint)]
        first = found[0]
        if len(found) == 1:
            message, shown_hint = f"{first.where(path)}: {first.field}: {first.problem}", first.hint
        else:
            message = f"{len(found)} problems in {path}:\n" + "\n".join(
                f"{p.where(path)}: {p.field}: {p.problem}\n    fix: {p.hint}" for p in found
            )
            shown_hint = "fix each problem at its line; all of them were found in this one run"
        super().__init__(message, hint=shown_hint)
        self.path = path
        self.line = first.line
        self.column = first.column
        self.field = first.field
        self.problem = first.problem
        self.problems = found


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Claim:
    """One validated claim.

    ``cited`` is the source the article names for the figure and ``quoted_as`` what
    that source says (a misquote is named when they differ); ``date`` is when the
    figure was true or published (a stale figure is named); ``as_of`` the year the
    catalog's yearly series are read at (default: the year of ``date``).
    """

    id: str
    text: str
    text_en: str | None
    stated: Quantity
    recompute: str | None
    tolerance: float
    sources: tuple[str, ...]
    note: str | None
    index: int
    kind: str | None = None
    cited: str | None = None
    quoted_as: Quantity | None = None
    date: Quantity | None = None
    as_of: int | None = None


@dataclass(frozen=True)
class InputFigure:
    """One named input: a published figure with its source."""

    id: str
    quantity: Quantity
    source: str
    note: str | None


@dataclass
class ClaimsFile:
    """A validated claims file and the line (and column) of every field in it."""

    path: str
    title: str | None
    source: str | None
    tolerance: float
    inputs: dict[str, InputFigure]
    claims: list[Claim]
    lines: dict[Path_, int] = field(default_factory=dict)
    columns: dict[Path_, int] = field(default_factory=dict)
    date: Quantity | None = None
    stale_after_years: float = 5.0
    #: Problems found while loading (only with ``collect=True``; otherwise raised).
    problems: list[Problem] = field(default_factory=list)
    #: Ids of claims and inputs that were written but could not be loaded.
    broken_ids: frozenset[str] = frozenset()

    def line(self, path: Path_) -> int | None:
        """The line of a field, or of the closest enclosing one that exists."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def column(self, path: Path_) -> int | None:
        """The column of a field's value, or of the closest enclosing one."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.columns:
                return self.columns[path[:end]]
        return None


def _tolerance(value: Any) -> Any:
    """Accept ``0.15`` or ``"15%"``; leave anything else to pydantic's check."""
    if isinstance(value, str):
        try:
            return parse(value, kind="fraction", what="tolerance").value
        except QuantityError:
            pass
    return value


Tolerance = Annotated[float, BeforeValidator(_tolerance), Field(gt=0, lt=1)]
_Scalar = StrictStr | StrictInt | StrictFloat


def _date_text(value: Any) -> Any:
    """YAML reads ``2024-04-20`` as a date object: take it back as the text written."""
    from datetime import date

    return value.isoformat()[:10] if isinstance(value, date) else value


_DateScalar = Annotated[_Scalar, BeforeValidator(_date_text)]
#: The kinds a claim may declare (``audit extract`` guesses one for each figure).
CLAIM_KINDS = (
    "energy", "power", "water", "carbon", "money", "count", "ratio", "share", "date", "time",
    "other",
)  # fmt: skip


class _InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: _DateScalar
    unit: StrictStr = ""
    source: StrictStr = Field(min_length=3)
    note: StrictStr | None = None


class _ClaimModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: StrictStr = Field(pattern=_ID)
    text: StrictStr = Field(min_length=1)
    text_en: StrictStr | None = None
    value: _DateScalar
    unit: StrictStr = ""
    kind: StrictStr | None = None
    recompute: StrictStr | None = None
    tolerance: Tolerance | None = None
    sources: list[StrictStr] = []
    source: StrictStr | None = None
    quoted_as: _DateScalar | None = None
    date: _DateScalar | None = None
    as_of: StrictInt | None = Field(default=None, ge=1900, le=2100)
    note: StrictStr | None = None
    suggestions: list[StrictStr] = []


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: StrictStr | None = None
    source: StrictStr | None = None
    date: _DateScalar | None = None
    stale_after_years: Annotated[float, Field(gt=0)] = 5.0
    tolerance: Tolerance = DEFAULT_TOLERANCE
    inputs: dict[str, Any] = {}
    claims: list[Any] = Field(min_length=1)


_FIELD_HINTS = {
    "value": "give the value as stated: a number, or text with its unit, e.g. '128.7万千瓦时'",
    "unit": "give the unit as stated, e.g. 'kWh/day', '千瓦时', 'RMB/kWh', 'households'",
    "id": "give each claim an id made of letters, digits and _ that starts with a letter, "
    "e.g. C16 or C02_energy",
    "text": "quote the claim as published",
    "tolerance": "give a fraction between 0 and 1 (0.15) or a percentage ('15%')",
    "recompute": "give an expression, e.g. C02_energy * C05_price or "
    'C29 / (cat("equivalents", "household-us") * q("1 year"))',
    "sources": "give a list of citations, one string each",
    "source": "cite the document the figure comes from",
    "quoted_as": "give the figure as the cited source states it, e.g. '1,287 MWh'",
    "date": "give a date or year: 2023, '2023年4月' or '2024-04-20'",
    "as_of": "give the year the catalog's yearly data is read at, e.g. 2023",
    "kind": "one of: " + ", ".join(CLAIM_KINDS),
    "claims": "give a list of claims, each with at least id, text and value",
    "inputs": "give a mapping from an input id to {value, unit, source}",
    "stale_after_years": "give a number of years, e.g. 5",
}


def _line_map(node: yaml.Node, path: Path_ = ()) -> Iterator[tuple[Path_, int, int]]:
    """``(path, line, column)`` of every field: the value's column when it is on the key's line."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            same_line = value.start_mark.line == key.start_mark.line
            mark = value.start_mark if same_line else key.start_mark
            yield (*path, name), key.start_mark.line + 1, mark.column + 1
            yield from _line_map(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*path, index), item.start_mark.line + 1, item.start_mark.column + 1
            yield from _line_map(item, (*path, index))


def _field_label(path: Path_, data: Any) -> str:
    """``claims[3] (C16).value`` for a path into the file."""
    parts: list[str] = []
    current = data
    for part in path:
        if isinstance(part, int):
            label = f"[{part}]"
            if isinstance(current, list) and part < len(current):
                current = current[part]
                if isinstance(current, dict) and isinstance(current.get("id"), str):
                    label += f" ({current['id']})"
            else:
                current = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + part)
            current = current.get(part) if isinstance(current, dict) else None
    return "".join(parts) or "(file)"


def load_claims(path: str | Path, *, collect: bool = False) -> ClaimsFile:
    """Read and validate a claims file (``-`` reads standard input).

    Args:
        path: The YAML file, or ``-`` for standard input.
        collect: Return the file with its ``problems`` instead of raising.

    Raises:
        ClaimsFileError: The file cannot be read or is invalid (every problem: file,
            line, column, field, fix).
    """
    from wattlens.safe_yaml import YamlInputError, read_stream, read_text

    name = str(path)
    try:
        if name == "-":
            import sys

            name = "<stdin>"
            text = read_stream(getattr(sys.stdin, "buffer", sys.stdin))
        else:
            text = read_text(path)
    except OSError as exc:
        raise ClaimsFileError(
            name, None, "(file)", f"cannot read it: {exc.strerror or exc}",
            hint="check the path",
        ) from None  # fmt: skip
    except YamlInputError as exc:
        raise _yaml_error(name, exc) from None
    return parse_claims(text, name, collect=collect)


_SYNTAX_FIX = "check indentation, colons and quotes (quote text that contains ': ' or '#')"


def _yaml_error(name: str, exc: YamlInputError) -> ClaimsFileError:
    return ClaimsFileError(
        name, exc.line, "(YAML)" if exc.line else "(file)", exc.problem, hint=exc.fix,
        column=exc.column,
    )  # fmt: skip


class _Problems:
    """Problems found so far, each placed at its line and column."""

    def __init__(self, name: str, positions: dict[Path_, tuple[int, int]], data: Any) -> None:
        self.name = name
        self.positions = positions
        self.data = data
        self.found: list[Problem] = []

    def position(self, path: Path_) -> tuple[int | None, int | None]:
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None

    def add(self, path: Path_, problem: str, hint: str, label: str | None = None) -> None:
        line, column = self.position(path)
        self.found.append(
            Problem(line, column, label or _field_label(path, self.data), problem, hint)
        )

    def add_validation(self, exc: ValidationError, prefix: Path_) -> None:
        seen: set[Path_] = set()
        for err in exc.errors():
            # A union (text, integer or number) fails once per member: report the field once.
            loc: Path_ = tuple(
                p for p in (*prefix, *err["loc"]) if p not in {"str", "int", "float"}
            )
            if loc in seen:
                continue
            seen.add(loc)
            if err["type"] == "missing":
                where = loc
            else:
                where = next(
                    (loc[:end] for end in range(len(loc), 0, -1) if loc[:end] in self.positions),
                    loc,
                )
            field_name = next((p for p in reversed(where) if isinstance(p, str)), "claims")
            line, column = self.position(where)
            self.found.append(
                Problem(
                    line, column, _field_label(where, self.data),
                    _problem(err, self.data, where), _hint_for(err, field_name),
                )
            )  # fmt: skip

    def error(self) -> ClaimsFileError:
        ordered = sorted(self.found, key=lambda p: (p.line or 0, p.column or 0))
        first = ordered[0]
        return ClaimsFileError(
            self.name, first.line, first.field, first.problem, hint=first.hint,
            column=first.column, problems=ordered,
        )  # fmt: skip


def parse_claims(text: str, name: str = "<claims>", *, collect: bool = False) -> ClaimsFile:
    """Validate the text of a claims file (see :func:`load_claims`)."""
    from wattlens.safe_yaml import YamlInputError, compose

    try:
        # One pass: the node tree gives every field's line and column, and the data is built
        # from the same tree.
        root, data = compose(text, syntax_fix=_SYNTAX_FIX)
    except YamlInputError as exc:
        raise _yaml_error(name, exc) from None
    positions: dict[Path_, tuple[int, int]] = {(): (1, 1)}
    if root is not None:
        positions.update((path, (line, col)) for path, line, col in _line_map(root))
    if not isinstance(data, dict):
        raise ClaimsFileError(
            name, 1, "(file)", "the file must be a mapping with a 'claims' list",
            hint="start with 'claims:' followed by '- id: …' entries", column=1,
        )  # fmt: skip
    problems = _Problems(name, positions, data)
    try:
        model = _FileModel.model_validate(data)
    except ValidationError as exc:
        problems.add_validation(exc, ())
        raise problems.error() from None
    claims_file = _build(model, name, problems)
    claims_file.lines = {path: line for path, (line, _) in positions.items()}
    claims_file.columns = {path: col for path, (_, col) in positions.items()}
    if problems.found and not collect:
        raise problems.error()
    claims_file.problems = problems.found
    return claims_file


def _problem(err: Mapping[str, Any], data: Any, loc: Path_) -> str:
    kind = err["type"]
    if kind == "missing":
        return f"the required field {loc[-1]!r} is missing"
    if kind == "extra_forbidden":
        return f"unknown field {loc[-1]!r}"
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    return f"{err['msg'].rstrip('.')} (got {shown})"


def _hint_for(err: Mapping[str, Any], field_name: str) -> str:
    if err["type"] == "extra_forbidden":
        import difflib

        known = sorted(
            {*_ClaimModel.model_fields, *_InputModel.model_fields, *_FileModel.model_fields}
        )
        close = difflib.get_close_matches(field_name, known, n=1)
        fix = f"did you mean {close[0]!r}? " if close else ""
        return (
            f"{fix}remove it or fix its spelling; a claim has id, text, text_en, value, unit, "
            "kind, recompute, tolerance, sources, source, quoted_as, date, as_of, note, "
            "suggestions; an input "
            "has value, unit, source, note; the file has title, source, date, "
            "stale_after_years, tolerance, inputs, claims"
        )
    return _FIELD_HINTS.get(field_name, "see the claims file format in `wattlens audit --help`")


def _unit_hint(exc: QuantityError) -> str:
    """A specific fix for a value that does not parse: the closest units the grammar knows."""
    if exc.code != "unknown_unit":
        return exc.hint or ""
    import difflib

    from wattlens.quantity.unitlib import LISTED_UNITS
    from wattlens.quantity.words import COUNT_NOUNS, CURRENCY_WORDS, OWN_UNITS

    match = re.search(r"unknown unit '([^']*)'", exc.reason)
    term = match.group(1) if match else ""
    known = [*OWN_UNITS, *CURRENCY_WORDS, *COUNT_NOUNS]
    known += [u for units in LISTED_UNITS.values() for u in units]
    close = difflib.get_close_matches(term, known, n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(repr(c) for c in close)}? (`wattlens units` lists all)"
    return exc.hint or ""


def _stated(
    value: str | float, unit: str, problems: _Problems, path: Path_, kind: str | None = None
) -> Quantity | None:
    text = value if isinstance(value, str) else repr(value)
    if unit:
        cjk = re.compile(r"[\u3400-\u9fff]")
        joined = bool(cjk.match(unit[0]) or (text and cjk.match(text[-1])))
        text = f"{text}{'' if joined else ' '}{unit}"
    try:
        if kind == "date":
            return parse(text, kind="date")
        return parse_quantity(text)
    except QuantityError as exc:
        problems.add(path, exc.message, _unit_hint(exc))
    except InputValueError as exc:
        problems.add(path, exc.message, exc.hint or "")
    return None


def _year_of(quantity: Quantity | None) -> int | None:
    return int(quantity.low) if quantity is not None and quantity.dims == DATE else None


def _build(model: _FileModel, name: str, problems: _Problems) -> ClaimsFile:
    file_date = None
    if model.date is not None:
        file_date = _stated(model.date, "", problems, ("date",), "date")
    # Ids whose definitions are broken: their own problem is reported once, and claims that use
    # them are not also reported as naming something unknown.
    broken: set[str] = set()
    inputs = _build_inputs(model, problems, broken)
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(model.claims):
        claim = _build_claim(
            index, raw, model=model, inputs=inputs, seen=seen, problems=problems, broken=broken
        )
        if claim is not None:
            claims.append(claim)
    return ClaimsFile(
        name, model.title, model.source, model.tolerance, inputs, claims,
        date=file_date, stale_after_years=model.stale_after_years, broken_ids=frozenset(broken),
    )  # fmt: skip


def _build_inputs(
    model: _FileModel, problems: _Problems, broken: set[str]
) -> dict[str, InputFigure]:
    inputs: dict[str, InputFigure] = {}
    for input_id, raw in model.inputs.items():
        path: Path_ = ("inputs", input_id)
        if not re.match(_ID, input_id) or input_id in _FUNCTIONS:
            problems.add(
                path, f"{input_id!r} cannot be used as a name in expressions",
                "use letters, digits and _ (starting with a letter), not a function name",
                f"inputs.{input_id}",
            )  # fmt: skip
            continue
        try:
            spec = _InputModel.model_validate(raw)
        except ValidationError as exc:
            problems.add_validation(exc, path)
            broken.add(input_id)
            continue
        quantity = _stated(spec.value, spec.unit, problems, (*path, "value"))
        if quantity is None:
            broken.add(input_id)
            continue
        inputs[input_id] = InputFigure(input_id, quantity, spec.source, spec.note)
    return inputs


def _build_claim(
    index: int,
    raw: Any,
    *,
    model: _FileModel,
    inputs: dict[str, InputFigure],
    seen: dict[str, int],
    problems: _Problems,
    broken: set[str],
) -> Claim | None:
    path: Path_ = ("claims", index)
    try:
        item = _ClaimModel.model_validate(raw)
    except ValidationError as exc:
        problems.add_validation(exc, path)
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            broken.add(raw["id"])
        return None
    if item.id in seen or item.id in inputs or item.id in _FUNCTIONS:
        what = (
            f"claims[{seen[item.id]}]" if item.id in seen
            else "an input" if item.id in inputs else "a function"
        )  # fmt: skip
        problems.add(
            (*path, "id"), f"the id {item.id!r} is already used by {what}",
            "give every claim and input its own id",
        )  # fmt: skip
        return None
    seen[item.id] = index
    if item.kind is not None and item.kind not in CLAIM_KINDS:
        problems.add((*path, "kind"), f"unknown kind {item.kind!r}", _FIELD_HINTS["kind"])
    stated = _stated(item.value, item.unit, problems, (*path, "value"), item.kind)
    quoted = (
        _stated(item.quoted_as, "", problems, (*path, "quoted_as"))
        if item.quoted_as is not None
        else None
    )
    when = (
        _stated(item.date, "", problems, (*path, "date"), "date") if item.date is not None else None
    )
    if quoted is not None and item.source is None:
        problems.add(
            (*path, "quoted_as"), "quoted_as needs the source it quotes",
            "add source: the document the article cites for this figure",
        )  # fmt: skip
    if stated is None:
        broken.add(item.id)
        return None
    return Claim(
        id=item.id,
        text=item.text,
        text_en=item.text_en,
        stated=stated,
        recompute=item.recompute,
        tolerance=item.tolerance if item.tolerance is not None else model.tolerance,
        sources=tuple(item.sources),
        note=item.note,
        index=index,
        kind=item.kind,
        cited=item.source,
        quoted_as=quoted,
        date=when,
        as_of=item.as_of if item.as_of is not None else _year_of(when),
    )
