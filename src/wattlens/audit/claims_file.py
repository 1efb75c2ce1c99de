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

if TYPE_CHECKING:
    import yaml

_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ClaimsFileError(InputValueError):
    """A claims file cannot be used; the message names file, line and field."""

    def __init__(
        self, path: str, line: int | None, field_name: str, problem: str, *, hint: str
    ) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field_name}: {problem}", hint=hint)
        self.path = path
        self.line = line
        self.field = field_name
        self.problem = problem


Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Claim:
    """One validated claim."""

    id: str
    text: str
    text_en: str | None
    stated: Quantity
    recompute: str | None
    tolerance: float
    sources: tuple[str, ...]
    note: str | None
    index: int


@dataclass(frozen=True)
class InputFigure:
    """One named input: a published figure with its source."""

    id: str
    quantity: Quantity
    source: str
    note: str | None


@dataclass
class ClaimsFile:
    """A validated claims file and the line of every field in it."""

    path: str
    title: str | None
    source: str | None
    tolerance: float
    inputs: dict[str, InputFigure]
    claims: list[Claim]
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of a field, or of the closest enclosing one that exists."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
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


class _InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: StrictStr | StrictInt | StrictFloat
    unit: StrictStr = ""
    source: StrictStr = Field(min_length=3)
    note: StrictStr | None = None


class _ClaimModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: StrictStr = Field(pattern=_ID)
    text: StrictStr = Field(min_length=1)
    text_en: StrictStr | None = None
    value: StrictStr | StrictInt | StrictFloat
    unit: StrictStr = ""
    recompute: StrictStr | None = None
    tolerance: Tolerance | None = None
    sources: list[StrictStr] = []
    note: StrictStr | None = None


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: StrictStr | None = None
    source: StrictStr | None = None
    tolerance: Tolerance = DEFAULT_TOLERANCE
    inputs: dict[str, _InputModel] = {}
    claims: list[_ClaimModel] = Field(min_length=1)


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
    "claims": "give a list of claims, each with at least id, text and value",
    "inputs": "give a mapping from an input id to {value, unit, source}",
}


def _line_map(node: yaml.Node, path: Path_ = ()) -> Iterator[tuple[Path_, int]]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            yield (*path, name), key.start_mark.line + 1
            yield from _line_map(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*path, index), item.start_mark.line + 1
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


def load_claims(path: str | Path) -> ClaimsFile:
    """Read and validate a claims file.

    Raises:
        ClaimsFileError: The file cannot be read or is invalid (file, line, field, fix).
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ClaimsFileError(
            name, None, "(file)", f"cannot read it: {exc.strerror or exc}",
            hint="check the path",
        ) from None  # fmt: skip
    except UnicodeDecodeError:
        raise ClaimsFileError(
            name, None, "(file)", "it is not UTF-8 text", hint="save the file as UTF-8"
        ) from None
    return parse_claims(text, name)


def parse_claims(text: str, name: str = "<claims>") -> ClaimsFile:
    """Validate the text of a claims file (see :func:`load_claims`)."""
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ClaimsFileError(
            name, mark.line + 1 if mark else None, "(YAML)", f"not valid YAML: {problem}",
            hint="check indentation, colons and quotes (quote text that contains ': ' or '#')",
        ) from None  # fmt: skip
    lines: dict[Path_, int] = {(): 1}
    if root is not None:
        lines.update(_line_map(root))
    if not isinstance(data, dict):
        raise ClaimsFileError(
            name, 1, "(file)", "the file must be a mapping with a 'claims' list",
            hint="start with 'claims:' followed by '- id: …' entries",
        )  # fmt: skip
    try:
        model = _FileModel.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()

        def where(err: Mapping[str, Any]) -> Path_:
            loc: Path_ = tuple(err["loc"])
            for end in range(len(loc), 0, -1):
                if loc[:end] in lines:
                    # A missing field: keep its name, it is what is missing.
                    return loc[:end] if err["type"] != "missing" else loc
            return loc

        def sort_key(err: Mapping[str, Any]) -> int:
            return _lookup_line(lines, where(err)) or 0

        first = min(errors, key=sort_key)
        loc = where(first)
        field_name = next((p for p in reversed(loc) if isinstance(p, str)), "claims")
        problem = _problem(first, data, loc)
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise ClaimsFileError(
            name, _lookup_line(lines, loc), _field_label(loc, data), problem + more,
            hint=_hint_for(first, field_name),
        ) from None  # fmt: skip
    return _build(model, name, lines, data)


def _lookup_line(lines: dict[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


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
        return (
            "remove it or fix its spelling; a claim has id, text, text_en, value, unit, "
            "recompute, tolerance, sources, note; an input has value, unit, source, note; "
            "the file has title, source, tolerance, inputs, claims"
        )
    return _FIELD_HINTS.get(field_name, "see the claims file format in `wattlens audit --help`")


def _stated(value: str | float, unit: str, name: str, line: int | None, label: str) -> Quantity:
    text = value if isinstance(value, str) else repr(value)
    if unit:
        cjk = re.compile(r"[\u3400-\u9fff]")
        joined = bool(cjk.match(unit[0]) or (text and cjk.match(text[-1])))
        text = f"{text}{'' if joined else ' '}{unit}"
    try:
        return parse_quantity(text)
    except InputValueError as exc:
        raise ClaimsFileError(name, line, label, exc.message, hint=exc.hint or "") from None


def _build(model: _FileModel, name: str, lines: dict[Path_, int], data: Any) -> ClaimsFile:
    inputs: dict[str, InputFigure] = {}
    for input_id, spec in model.inputs.items():
        path: Path_ = ("inputs", input_id)
        if not re.match(_ID, input_id) or input_id in _FUNCTIONS:
            raise ClaimsFileError(
                name, _lookup_line(lines, path), f"inputs.{input_id}",
                f"{input_id!r} cannot be used as a name in expressions",
                hint="use letters, digits and _ (starting with a letter), not a function name",
            )  # fmt: skip
        quantity = _stated(
            spec.value, spec.unit, name, _lookup_line(lines, (*path, "value")),
            f"inputs.{input_id}.value",
        )  # fmt: skip
        inputs[input_id] = InputFigure(input_id, quantity, spec.source, spec.note)
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(model.claims):
        path = ("claims", index)
        label = _field_label(path, data)
        if item.id in seen or item.id in inputs or item.id in _FUNCTIONS:
            what = (
                f"claims[{seen[item.id]}]" if item.id in seen
                else "an input" if item.id in inputs else "a function"
            )  # fmt: skip
            raise ClaimsFileError(
                name, _lookup_line(lines, (*path, "id")), f"{label}.id",
                f"the id {item.id!r} is already used by {what}",
                hint="give every claim and input its own id",
            )  # fmt: skip
        seen[item.id] = index
        stated = _stated(
            item.value, item.unit, name, _lookup_line(lines, (*path, "value")), f"{label}.value"
        )
        claims.append(
            Claim(
                id=item.id,
                text=item.text,
                text_en=item.text_en,
                stated=stated,
                recompute=item.recompute,
                tolerance=item.tolerance if item.tolerance is not None else model.tolerance,
                sources=tuple(item.sources),
                note=item.note,
                index=index,
            )
        )
    return ClaimsFile(name, model.title, model.source, model.tolerance, inputs, claims, lines)
