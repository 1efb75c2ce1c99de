"""Audit published claims: recompute each one and say whether it holds.

A claims file (YAML) lists claims as published — the text in any language,
the value and unit as stated — and how to recompute each from other claims,
named inputs (published figures with their source), catalog constants and
wattlens models. For every claim the audit gives the recomputed value, the
ratio ``stated ÷ recomputed`` and a verdict:

``consistent``
    the stated value agrees with the recomputed one within the tolerance
    (ranges count where they overlap, each widened by the tolerance);
``unit error``
    it does not, but it would after a magnitude slip of 10^3 (千, thousand,
    kWh vs MWh), 10^4 (万) or 10^8 (亿), in either direction;
``inconsistent``
    it is off and no such slip explains it;
``unverifiable``
    the file gives nothing to recompute it from.

The file format::

    title: ChatGPT一年电费高达2亿元 …          # optional
    source: TMTPost, 20 April 2024, https://…  # optional: the article audited
    tolerance: 15%                               # default 15 %; a fraction or "N%"
    inputs:                                      # published figures used as inputs
      devries_requests:
        value: 1.95亿
        unit: requests/day
        source: de Vries (2023) Joule 7(10), doi:10.1016/j.joule.2023.09.004
    claims:
      - id: C02_energy                           # a Python-style name, unique
        text: 其电量消耗高达每天50万千瓦时          # as published
        text_en: ChatGPT uses ~500,000 kWh a day  # optional
        value: 50万                               # as stated (number, or text with unit)
        unit: 千瓦时/天                             # optional when value carries it
        recompute: devries_requests * cat("equivalents", "chatgpt-request-devries-2023")
        tolerance: 20%                           # optional, this claim only
        sources: [de Vries (2023) …]
        note: optional remark shown with the verdict

Recompute expressions are parsed with :mod:`ast` and evaluated by a small
interpreter (never ``eval``): numbers, ``+ - * / **``, parentheses, names
and these functions:

- a claim id: that claim's *stated* value (``recomputed(ID)`` for its recomputed
  value); an input id: the input's value;
- ``q("365 d")``: a literal quantity, parsed like a stated value;
- ``cat("kind", "name")`` or ``cat("kind", "name", "field")``: a catalog value
  with its unit (``equivalents`` → ``value`` in its ``unit``; ``prices`` →
  ``price_local_per_kwh``; ``exchange_rates`` → ``usd_per_unit`` in USD per unit;
  ``accelerators`` / ``cpus`` → ``tdp_w``; ``grids`` → ``co2e_g_per_kwh``;
  ``water`` → ``l_per_kwh``; ``pue`` → ``pue``; ``models`` → ``params_total``);
- ``training_energy(accelerator=…, count=…, days=… | accelerator_hours=…, pue=…,
  boundary=…)``: the wattlens training model's p5–p95 energy (p50 central);
- ``landauer(kelvin)``: the Landauer bound k·T·ln 2 in joules per bit erased.

Values carry units: ``kWh/day × RMB/kWh`` is money per time and compares with
``RMB/yr`` directly. A recomputation whose dimension differs from the stated
value's is an error in the file. Any error in a file — YAML, a wrong type, a
missing field, a unit that does not parse, an unknown name, a cycle — raises
:class:`ClaimsFileError` naming the file, line and field, with the fix.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Iterator, Mapping
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

from wattlens.errors import InputValueError, UsageError
from wattlens.quantity import (
    DIMENSIONLESS,
    ENERGY,
    Dims,
    Quantity,
    dimension_name,
    dims_mul,
    dims_pow,
    format_in_unit,
    format_number,
    parse_quantity,
    parse_unit,
    si_unit,
)

if TYPE_CHECKING:
    import yaml

    from wattlens.catalog import Catalog

VERDICTS = ("consistent", "unit error", "inconsistent", "unverifiable")
DEFAULT_TOLERANCE = 0.15
#: Magnitude slips people make: 千/thousand or a kWh↔MWh mix-up, 万, 亿.
SLIP_POWERS = (3, 4, 8)
_SLIP_WORDS = {3: "千 / thousand, or kWh vs MWh", 4: "万 (10,000)", 8: "亿 (100 million)"}
#: Boltzmann constant, exact since the 2019 SI redefinition (J/K).
BOLTZMANN_J_PER_K = 1.380649e-23
_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"
_FUNCTIONS = ("q", "cat", "stated", "recomputed", "training_energy", "landauer")


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


# ---------------------------------------------------------------------------
# Verdicts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """The verdict on one stated value against its recomputation.

    Attributes:
        verdict: One of :data:`VERDICTS` (never ``unverifiable`` here).
        ratio: Stated ÷ recomputed (central values); ``None`` when the latter is 0.
        slip: ``"10^4"`` when a magnitude slip explains the gap, else ``None``.
        slip_direction: ``"stated too small"`` or ``"stated too large"`` with a slip.
    """

    verdict: str
    ratio: float | None
    slip: str | None = None
    slip_direction: str | None = None


def _overlaps(low: float, high: float, ref_low: float, ref_high: float, tolerance: float) -> bool:
    return high >= ref_low - tolerance * abs(ref_low) and low <= ref_high + tolerance * abs(
        ref_high
    )


def judge(
    stated: tuple[float, float],
    recomputed: tuple[float, float],
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    stated_central: float | None = None,
    recomputed_central: float | None = None,
) -> Judgement:
    """Compare a stated value (or range) with a recomputed one.

    Args:
        stated: ``(low, high)`` as stated, in SI units (``low == high`` for a point).
        recomputed: ``(low, high)`` recomputed, in the same units.
        tolerance: Relative tolerance (0.15 = 15 %) applied to the recomputed ends.
        stated_central: Central stated value for the ratio (default: midpoint).
        recomputed_central: Central recomputed value (default: midpoint).

    Returns:
        ``consistent`` when the ranges overlap within the tolerance; ``unit error``
        when they do after scaling the stated value by 10^±3, 10^±4 or 10^±8;
        ``inconsistent`` otherwise.
    """
    s_low, s_high = stated
    r_low, r_high = recomputed
    s_mid = (s_low + s_high) / 2 if stated_central is None else stated_central
    r_mid = (r_low + r_high) / 2 if recomputed_central is None else recomputed_central
    ratio = s_mid / r_mid if r_mid != 0 else None
    if _overlaps(s_low, s_high, r_low, r_high, tolerance):
        return Judgement("consistent", ratio)
    for power in SLIP_POWERS:
        for sign in (1, -1):
            scale = 10.0 ** (sign * power)
            if _overlaps(s_low * scale, s_high * scale, r_low, r_high, tolerance):
                direction = "stated too small" if sign > 0 else "stated too large"
                return Judgement("unit error", ratio, f"10^{power}", direction)
    return Judgement("inconsistent", ratio)


# ---------------------------------------------------------------------------
# Values with units and ranges (the interpreter's data)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A recomputed value: an interval in SI units, a central value and sources."""

    low: float
    high: float
    central: float
    dims: Dims
    sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, quantity: Quantity, sources: tuple[str, ...] = ()) -> Value:
        """A value from a parsed quantity (central = midpoint of a range)."""
        return cls(quantity.low, quantity.high, quantity.value, quantity.dims, sources)

    @classmethod
    def number(cls, x: float) -> Value:
        """A dimensionless point value."""
        return cls(x, x, x, DIMENSIONLESS)

    def _sources(self, other: Value) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.sources, *other.sources)))


class _EvalError(Exception):
    """An error while evaluating an expression; turned into a ClaimsFileError."""

    def __init__(self, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


def _span(values: list[float]) -> tuple[float, float]:
    return min(values), max(values)


def _add(a: Value, b: Value, sign: int) -> Value:
    if a.dims != b.dims:
        op = "add" if sign > 0 else "subtract"
        raise _EvalError(
            f"cannot {op} {dimension_name(a.dims)} [{si_unit(a.dims)}] and "
            f"{dimension_name(b.dims)} [{si_unit(b.dims)}]",
            "only quantities of the same dimension can be added or subtracted",
        )
    if sign > 0:
        return Value(a.low + b.low, a.high + b.high, a.central + b.central, a.dims, a._sources(b))
    return Value(a.low - b.high, a.high - b.low, a.central - b.central, a.dims, a._sources(b))


def _mul(a: Value, b: Value) -> Value:
    low, high = _span([a.low * b.low, a.low * b.high, a.high * b.low, a.high * b.high])
    return Value(low, high, a.central * b.central, dims_mul(a.dims, b.dims), a._sources(b))


def _div(a: Value, b: Value) -> Value:
    if b.low <= 0 <= b.high:
        raise _EvalError(
            "division by a value that is (or may be) zero", "check the divisor's value and range"
        )
    low, high = _span([a.low / b.low, a.low / b.high, a.high / b.low, a.high / b.high])
    return Value(low, high, a.central / b.central, dims_mul(a.dims, b.dims, -1), a._sources(b))


def _pow(a: Value, b: Value) -> Value:
    if b.dims or b.low != b.high:
        raise _EvalError(
            "an exponent must be a plain number", "write e.g. x ** 2 or 10 ** 4, not x ** y"
        )
    exponent = b.low
    if a.dims and exponent != int(exponent):
        raise _EvalError(
            "a quantity with a unit can only be raised to a whole power",
            "use a whole-number exponent, or make the base dimensionless",
        )
    try:
        ends = [a.low**exponent, a.high**exponent]
        central = a.central**exponent
    except (OverflowError, ZeroDivisionError) as exc:
        raise _EvalError(
            f"cannot raise to the power {exponent:g}: {exc}", "check the exponent"
        ) from None
    if isinstance(central, complex) or any(isinstance(e, complex) for e in ends):
        raise _EvalError("a negative base with a fractional power", "check the signs")
    low, high = _span([float(e) for e in ends])
    if a.low < 0 < a.high and exponent > 0 and int(exponent) % 2 == 0:
        low = 0.0
    dims = dims_pow(a.dims, int(exponent)) if a.dims else DIMENSIONLESS
    return Value(low, high, float(central), dims, a.sources)


# ---------------------------------------------------------------------------
# Claims file: schema and line numbers
# ---------------------------------------------------------------------------

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
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*%\s*", value)
        if match:
            return float(match.group(1)) / 100
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


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    tree: ast.Expression
    names: frozenset[str]
    recomputed_refs: frozenset[str]


_EXPR_HINT = (
    "use numbers, + - * / **, parentheses, claim or input ids, and the functions "
    'q("1 year"), cat("kind", "name"[, "field"]), recomputed(ID), stated(ID), '
    "training_energy(...), landauer(kelvin)"
)
_BINOPS: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: _add(a, b, 1),
    ast.Sub: lambda a, b: _add(a, b, -1),
    ast.Mult: _mul,
    ast.Div: _div,
    ast.Pow: _pow,
}
_TRAINING_KEYWORDS = {
    "accelerator": str,
    "count": int,
    "days": float,
    "accelerator_hours": float,
    "pue": float,
    "boundary": str,
    "model": str,
    "params": float,
    "tokens": float,
}


def _compile(expression: str) -> _Compiled:  # noqa: PLR0915 - one check per construct
    """Parse an expression and check that it only uses the allowed constructs."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise _EvalError(f"invalid expression{col}: {exc.msg}", _EXPR_HINT) from None
    names: set[str] = set()
    recomputed_refs: set[str] = set()

    def check(node: ast.AST) -> None:
        if isinstance(node, ast.Expression):
            check(node.body)
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            check(node.operand)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            pass
        elif isinstance(node, ast.Name):
            if node.id in _FUNCTIONS:
                raise _EvalError(f"{node.id!r} is a function: call it", _EXPR_HINT)
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            check_call(node, node.func.id)
        else:
            shown = ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__
            raise _EvalError(f"{shown!r} is not allowed in a recompute expression", _EXPR_HINT)

    def check_call(node: ast.Call, func: str) -> None:  # noqa: PLR0912 - one rule per function
        if func not in _FUNCTIONS:
            raise _EvalError(f"unknown function {func!r}", _EXPR_HINT)
        if func in ("stated", "recomputed"):
            if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Name):
                raise _EvalError(f"{func}() takes one claim id, e.g. {func}(C02)", _EXPR_HINT)
            names.add(node.args[0].id)
            if func == "recomputed":
                recomputed_refs.add(node.args[0].id)
        elif func in ("q", "cat"):
            sizes = (1,) if func == "q" else (2, 3)
            if (
                len(node.args) not in sizes
                or node.keywords
                or not all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args
                )
            ):
                usage = 'q("365 d")' if func == "q" else 'cat("equivalents", "household-us")'
                raise _EvalError(f"{func}() takes quoted text, e.g. {usage}", _EXPR_HINT)
        elif func == "landauer":
            if len(node.args) != 1 or node.keywords:
                raise _EvalError("landauer() takes a temperature in kelvin", _EXPR_HINT)
            check(node.args[0])
        else:  # training_energy
            if node.args:
                raise _EvalError("training_energy() takes keyword arguments only", _EXPR_HINT)
            for keyword in node.keywords:
                if keyword.arg not in _TRAINING_KEYWORDS:
                    raise _EvalError(
                        f"training_energy() has no argument {keyword.arg!r}",
                        "arguments: " + ", ".join(_TRAINING_KEYWORDS),
                    )
                if not isinstance(keyword.value, ast.Constant):
                    raise _EvalError(
                        f"training_energy({keyword.arg}=…) takes a number or quoted text",
                        _EXPR_HINT,
                    )

    check(tree)
    return _Compiled(tree, frozenset(names), frozenset(recomputed_refs))


# Default field of each catalog kind, and the unit of catalog fields by name.
_CATALOG_DEFAULT = {
    "equivalents": "value",
    "prices": "price_local_per_kwh",
    "exchange_rates": "usd_per_unit",
    "accelerators": "tdp_w",
    "cpus": "tdp_w",
    "grids": "co2e_g_per_kwh",
    "water": "l_per_kwh",
    "pue": "pue",
    "models": "params_total",
}


def _field_unit(row: Any, field_name: str) -> str:
    if field_name == "value" and hasattr(row, "unit"):
        return str(row.unit)
    if field_name == "price_local_per_kwh":
        return f"{row.currency}/kWh"
    if field_name == "price_usd_per_kwh":
        return "USD/kWh"
    if field_name == "usd_per_unit":
        return f"USD/{row.currency}"
    for suffix, unit in (
        ("_g_per_kwh", "g/kWh"),
        ("l_per_kwh", "L/kWh"),
        ("_tflops", "TFLOP/s"),
        ("_tops", "TFLOP/s"),
        ("_w", "W"),
    ):
        if field_name.endswith(suffix):
            return unit
    return ""


def _catalog_value(catalog: Catalog, kind: str, name: str, field_name: str | None) -> Value:
    from wattlens.catalog import KINDS

    if kind not in KINDS:
        raise _EvalError(
            f"unknown catalog kind {kind!r}", "use one of: " + ", ".join(sorted(KINDS))
        )
    try:
        entry = catalog.entry(kind, name)
    except UsageError as exc:
        raise _EvalError(exc.message, exc.hint or "") from None
    row = entry.row
    chosen = field_name or _CATALOG_DEFAULT.get(kind)
    if chosen is None or chosen not in type(row).model_fields:
        fields = [f for f, v in row.model_dump().items() if isinstance(v, int | float)]
        raise _EvalError(
            f"catalog {kind} row {row.id!r} has no field {chosen!r}",
            "name a numeric field: " + ", ".join(fields),
        )
    raw = getattr(row, chosen)
    if kind == "prices" and chosen == "price_local_per_kwh" and raw is None:
        chosen, raw = "price_usd_per_kwh", row.price_usd_per_kwh  # type: ignore[attr-defined]
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _EvalError(
            f"catalog {kind} row {row.id!r} has no value for {chosen!r}",
            "the catalog leaves unknown values empty; pick another row or field",
        )
    unit = parse_unit(_field_unit(row, chosen))
    value = float(raw) * unit.factor
    estimate = " (estimate)" if row.estimate else ""
    source = f"catalog {kind}/{row.id}.{chosen}{estimate}: {row.source} ({row.year})"
    return Value(value, value, value, unit.dims, (source,))


def _training_value(catalog: Catalog, node: ast.Call) -> Value:
    from wattlens import estimate
    from wattlens.catalog import Catalog as _Catalog

    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        assert keyword.arg is not None
        assert isinstance(keyword.value, ast.Constant)
        expected = _TRAINING_KEYWORDS[keyword.arg]
        raw = keyword.value.value
        ok = isinstance(raw, str) if expected is str else isinstance(raw, int | float)
        if not ok or isinstance(raw, bool):
            raise _EvalError(
                f"training_energy({keyword.arg}=…) takes "
                f"{'quoted text' if expected is str else 'a number'}",
                _EXPR_HINT,
            )
        kwargs[keyword.arg] = expected(raw)
    if "accelerator" not in kwargs:
        raise _EvalError(
            'training_energy() needs accelerator="…"',
            'e.g. training_energy(accelerator="V100 SXM2 32GB", count=10000, days=14.8, pue=1.1)',
        )
    assert isinstance(catalog, _Catalog)
    try:
        result = estimate.training(catalog=catalog, **kwargs)
    except UsageError as exc:
        raise _EvalError(f"training_energy(): {exc.message}", exc.hint or _EXPR_HINT) from None
    q = result.energy_j
    sources = tuple(f"catalog {s}" for s in result.sources)
    note = f"wattlens training model, {result.boundary} boundary, p5–p95 (modelled)"
    return Value(q["p5"], q["p95"], q["p50"], ENERGY, (note, *sources))


# ---------------------------------------------------------------------------
# Auditing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimResult:
    """The audit of one claim."""

    claim: Claim
    recomputed: Value | None
    judgement: Judgement | None
    explanation: str
    sources: tuple[str, ...]

    @property
    def verdict(self) -> str:
        """The verdict (``unverifiable`` when nothing was recomputed)."""
        return self.judgement.verdict if self.judgement else "unverifiable"

    def recomputed_text(self) -> str:
        """The recomputed value in the stated value's unit, for people."""
        if self.recomputed is None:
            return ""
        r = self.recomputed
        return format_in_unit(r.low, r.high, self.claim.stated)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see ``wattlens audit --help``)."""
        claim, stated = self.claim, self.claim.stated
        recomputed: dict[str, Any] | None = None
        if self.recomputed is not None:
            r = self.recomputed
            recomputed = {
                "expression": claim.recompute,
                "value_si": r.central,
                "low_si": r.low,
                "high_si": r.high,
                "si_unit": si_unit(r.dims),
                "value": stated.in_unit(r.central),
                "low": stated.in_unit(r.low),
                "high": stated.in_unit(r.high),
                "unit": stated.unit,
                "text": self.recomputed_text(),
            }
        judgement = self.judgement
        return {
            "id": claim.id,
            "text": claim.text,
            "text_en": claim.text_en,
            "stated": {
                "text": stated.text,
                "value": stated.in_unit(stated.value),
                "low": stated.in_unit(stated.low),
                "high": stated.in_unit(stated.high),
                "unit": stated.unit,
                "magnitude": stated.magnitude,
                "qualifier": stated.qualifier,
                "dimension": stated.dimension,
                "value_si": stated.value,
                "low_si": stated.low,
                "high_si": stated.high,
                "si_unit": si_unit(stated.dims),
            },
            "recomputed": recomputed,
            "ratio": _finite(judgement.ratio) if judgement else None,
            "verdict": self.verdict,
            "slip": judgement.slip if judgement else None,
            "slip_direction": judgement.slip_direction if judgement else None,
            "tolerance": claim.tolerance,
            "explanation": self.explanation,
            "note": claim.note,
            "sources": list(self.sources),
        }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class AuditReport:
    """The audit of a whole claims file."""

    file: str
    title: str | None
    source: str | None
    tolerance: float
    results: list[ClaimResult]

    @property
    def summary(self) -> dict[str, int]:
        """How many claims got each verdict (every verdict listed, in a fixed order)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for result in self.results:
            counts[result.verdict] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: file, tolerance, claims, summary."""
        return {
            "file": self.file,
            "title": self.title,
            "source": self.source,
            "tolerance": self.tolerance,
            "claims": [r.to_dict() for r in self.results],
            "summary": self.summary,
        }


class _Auditor:
    def __init__(self, claims_file: ClaimsFile, catalog: Catalog) -> None:
        self.file = claims_file
        self.catalog = catalog
        self.claims = {c.id: c for c in claims_file.claims}
        self.compiled: dict[str, _Compiled] = {}
        self.recomputed: dict[str, Value] = {}

    def error(self, claim: Claim, problem: str, hint: str) -> ClaimsFileError:
        path: Path_ = ("claims", claim.index, "recompute")
        label = f"claims[{claim.index}] ({claim.id}).recompute"
        return ClaimsFileError(self.file.path, self.file.line(path), label, problem, hint=hint)

    def compile_all(self) -> None:
        known = set(self.claims) | set(self.file.inputs)
        for claim in self.file.claims:
            if claim.recompute is None:
                continue
            try:
                compiled = _compile(claim.recompute)
            except _EvalError as exc:
                raise self.error(claim, exc.problem, exc.hint) from None
            unknown = sorted(compiled.names - known)
            if unknown:
                import difflib

                close = difflib.get_close_matches(unknown[0], sorted(known), n=3)
                hint = (
                    f"did you mean: {', '.join(close)}"
                    if close
                    else "define it under 'inputs:' (value, unit, source) or as a claim id"
                )
                raise self.error(claim, f"unknown reference {unknown[0]!r}", hint)
            not_claims = sorted(compiled.recomputed_refs - set(self.claims))
            if not_claims:
                raise self.error(
                    claim,
                    f"recomputed({not_claims[0]}) names an input, not a claim",
                    "inputs have no recomputation: use the input's id directly",
                )
            no_recompute = sorted(
                r for r in compiled.recomputed_refs - set(not_claims)
                if self.claims[r].recompute is None
            )  # fmt: skip
            if no_recompute:
                target = no_recompute[0]
                raise self.error(
                    claim,
                    f"recomputed({target}): claim {target} has no recompute expression",
                    f"use {target} (its stated value) or give {target} a recompute",
                )
            self.compiled[claim.id] = compiled

    def order(self) -> list[Claim]:
        """Claims in an order where every recomputed() dependency comes first."""
        state: dict[str, int] = {}  # 1 visiting, 2 done
        ordered: list[Claim] = []

        def visit(claim_id: str, chain: list[str]) -> None:
            if state.get(claim_id) == 2:
                return
            if state.get(claim_id) == 1:
                cycle = [*chain[chain.index(claim_id) :], claim_id]
                first = self.claims[cycle[0]]
                raise self.error(
                    first,
                    "the recomputations depend on each other in a cycle: " + " → ".join(cycle),
                    "break the cycle: let one of them use a stated value (the bare id) "
                    "or an input instead of recomputed(…)",
                )
            state[claim_id] = 1
            compiled = self.compiled.get(claim_id)
            for dep in sorted(compiled.recomputed_refs) if compiled else ():
                visit(dep, [*chain, claim_id])
            state[claim_id] = 2
            ordered.append(self.claims[claim_id])

        for claim in self.file.claims:
            visit(claim.id, [])
        return ordered

    def evaluate(self, claim: Claim, node: ast.AST) -> Value:  # noqa: PLR0911, PLR0912 - a dispatch
        if isinstance(node, ast.Expression):
            return self.evaluate(claim, node.body)
        if isinstance(node, ast.BinOp):
            left, right = self.evaluate(claim, node.left), self.evaluate(claim, node.right)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(claim, node.operand)
            if isinstance(node.op, ast.USub):
                return Value(
                    -operand.high, -operand.low, -operand.central, operand.dims, operand.sources
                )
            return operand
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)
            return Value.number(float(node.value))
        if isinstance(node, ast.Name):
            return self.name_value(node.id)
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        func = node.func.id
        if func == "stated":
            assert isinstance(node.args[0], ast.Name)
            return self.name_value(node.args[0].id)
        if func == "recomputed":
            assert isinstance(node.args[0], ast.Name)
            target = node.args[0].id
            if target not in self.recomputed:
                raise _EvalError(
                    f"recomputed({target}): claim {target} has no recompute expression",
                    f"use {target} (its stated value) or give {target} a recompute",
                )
            return self.recomputed[target]
        if func == "q":
            assert isinstance(node.args[0], ast.Constant)
            try:
                return Value.of(parse_quantity(str(node.args[0].value)))
            except InputValueError as exc:
                raise _EvalError(exc.message, exc.hint or "") from None
        if func == "cat":
            args = [str(a.value) for a in node.args if isinstance(a, ast.Constant)]
            return _catalog_value(
                self.catalog, args[0], args[1], args[2] if len(args) > 2 else None
            )
        if func == "landauer":
            kelvin = self.evaluate(claim, node.args[0])
            if kelvin.dims or kelvin.low <= 0:
                raise _EvalError(
                    "landauer() takes a positive temperature in kelvin (a plain number)",
                    "e.g. landauer(300)",
                )
            k = BOLTZMANN_J_PER_K * math.log(2)
            return Value(
                k * kelvin.low, k * kelvin.high, k * kelvin.central, ENERGY,
                (*kelvin.sources, "Landauer bound k·T·ln 2 (Boltzmann constant, exact SI 2019)"),
            )  # fmt: skip
        return _training_value(self.catalog, node)

    def name_value(self, name: str) -> Value:
        if name in self.file.inputs:
            figure = self.file.inputs[name]
            return Value.of(figure.quantity, (f"input {name}: {figure.source}",))
        claim = self.claims[name]
        return Value.of(claim.stated, (f"claim {name} (stated)",))

    def run(self) -> AuditReport:
        self.compile_all()
        results: dict[str, ClaimResult] = {}
        for claim in self.order():
            results[claim.id] = self.audit_claim(claim)
        ordered = [results[c.id] for c in self.file.claims]
        return AuditReport(
            self.file.path, self.file.title, self.file.source, self.file.tolerance, ordered
        )

    def audit_claim(self, claim: Claim) -> ClaimResult:
        compiled = self.compiled.get(claim.id)
        if compiled is None:
            explanation = "unverifiable: nothing to recompute it from"
            if claim.note:
                explanation += f". {claim.note}"
            return ClaimResult(claim, None, None, explanation, claim.sources)
        try:
            value = self.evaluate(claim, compiled.tree)
        except _EvalError as exc:
            raise self.error(claim, exc.problem, exc.hint) from None
        stated = claim.stated
        if value.dims != stated.dims:
            raise self.error(
                claim,
                f"the recomputation gives {dimension_name(value.dims)} [{si_unit(value.dims)}] "
                f"but the stated value {stated.text!r} is {stated.dimension} "
                f"[{si_unit(stated.dims)}]",
                _dimension_hint(value.dims, stated.dims),
            )
        if not all(math.isfinite(x) for x in (value.low, value.high, value.central)):
            raise self.error(claim, "the recomputation is not a finite number", "check it")
        self.recomputed[claim.id] = value
        judgement = judge(
            (stated.low, stated.high),
            (value.low, value.high),
            claim.tolerance,
            stated_central=stated.value,
            recomputed_central=value.central,
        )
        result = ClaimResult(claim, value, judgement, "", ())
        explanation = _explain(result, judgement)
        sources = tuple(dict.fromkeys((*claim.sources, *value.sources)))
        return ClaimResult(claim, value, judgement, explanation, sources)


def _dimension_hint(got: Dims, want: Dims) -> str:
    ratio = dims_mul(want, got, -1)
    if ratio == (("s", 1),):
        return 'multiply by a time, e.g. * q("1 year") or * q("1 day")'
    if ratio == (("s", -1),):
        return 'divide by a time, e.g. / q("1 year") or / q("1 day")'
    return f"the recomputation must have the stated value's unit (it lacks [{si_unit(ratio)}])"


def _explain(result: ClaimResult, judgement: Judgement) -> str:
    claim = result.claim
    stated = claim.stated
    tol = f"{claim.tolerance:.0%}"
    recomputed = result.recomputed_text()
    ranged = result.recomputed is not None and result.recomputed.low != result.recomputed.high
    ratio = judgement.ratio
    ratio_text = f"ratio stated ÷ recomputed {_fmt_ratio(ratio)}" if ratio is not None else ""
    if judgement.verdict == "consistent":
        if ranged or stated.is_range:
            text = f"stated {stated.text} and recomputed {recomputed} overlap within {tol}"
        else:
            text = f"stated {stated.text} agrees with recomputed {recomputed} within {tol}"
        text += f" ({ratio_text})"
    elif judgement.verdict == "unit error":
        assert judgement.slip is not None
        power = int(judgement.slip.split("^")[1])
        size = "small" if judgement.slip_direction == "stated too small" else "large"
        verb = "dropped" if size == "small" else "extra"
        text = (
            f"stated {stated.text} is {judgement.slip} too {size}: recomputed {recomputed} "
            f"({ratio_text}); scaled by {judgement.slip} it agrees within {tol} — "
            f"a {verb} {_SLIP_WORDS[power]}?"
        )
    else:
        text = (
            f"stated {stated.text} does not match the recomputed {recomputed} "
            f"({ratio_text}; outside {tol}, and no 10^3, 10^4 or 10^8 slip explains it)"
        )
    if claim.note:
        text += f" {claim.note}" if text.endswith("?") else f". {claim.note}"
    return text


def _fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    if ratio != 0 and (abs(ratio) >= 1e4 or abs(ratio) < 1e-2):
        return f"{ratio:.3g}"
    return format_number(ratio, digits=3)


def audit_claims(claims_file: ClaimsFile, *, catalog: Catalog | None = None) -> AuditReport:
    """Recompute every claim of a validated file and judge it.

    Raises:
        ClaimsFileError: An expression is invalid, names something unknown, forms a
            cycle, or gives a value whose dimension differs from the stated one.
    """
    from wattlens.catalog import get_catalog

    return _Auditor(claims_file, catalog or get_catalog()).run()


def audit(path: str | Path, *, catalog: Catalog | None = None) -> AuditReport:
    """Load a claims file, recompute every claim and judge it.

    Args:
        path: The YAML claims file.
        catalog: The catalog for ``cat(...)`` (default: the process-wide one).

    Returns:
        The :class:`AuditReport`; nothing is printed.

    Raises:
        ClaimsFileError: The file is invalid (its message names file, line and field).
    """
    return audit_claims(load_claims(path), catalog=catalog)
