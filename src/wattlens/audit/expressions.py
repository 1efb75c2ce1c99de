"""Recompute expressions: the safe compiler and the catalog and model lookups.

Expressions are parsed with :mod:`ast` and checked against a small grammar (never
``eval``); :func:`_catalog_value` and :func:`_training_value` give the values of
``cat(...)`` and ``training_energy(...)``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattlens.audit.values import Value, _add, _div, _EvalError, _mul, _pow
from wattlens.errors import UsageError
from wattlens.quantity import ENERGY, parse_unit

if TYPE_CHECKING:
    from wattlens.catalog import Catalog

_FUNCTIONS = ("q", "cat", "stated", "recomputed", "training_energy", "landauer")


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
    "grids_yearly": "co2e_g_per_kwh",
    "prices_yearly": "price_local_per_kwh",
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


def _catalog_value(
    catalog: Catalog, kind: str, name: str, field_name: str | None, *, year: int | None = None
) -> Value:
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
    if kind == "grids" and year is not None and chosen == "co2e_g_per_kwh":
        dated = _grid_in_year(catalog, row.id, year)
        if dated is not None:
            return dated
    if kind == "prices" and year is not None and chosen in _YEARLY_PRICE_FIELDS:
        dated = _price_in_year(catalog, row, chosen, year)
        if dated is not None:
            return dated
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


def _grid_in_year(catalog: Catalog, grid_id: str, year: int) -> Value | None:
    """A grid's intensity in a claim's year from the yearly series (the nearest year when
    the series does not reach it), or None when the grid has no series."""
    from wattlens.catalog import GridYear

    series = [
        e.row
        for e in catalog.entries("grids_yearly")
        if isinstance(e.row, GridYear) and e.row.grid_id == grid_id
    ]
    if not series:
        return None
    row = min(series, key=lambda r: (abs(r.data_year - year), -r.data_year))
    value = row.co2e_g_per_kwh * parse_unit("g/kWh").factor
    nearest = "" if row.data_year == year else f", the nearest year to {year}"
    source = (
        f"catalog grids_yearly/{row.id}.co2e_g_per_kwh ({row.data_year}{nearest}): "
        f"{row.source} ({row.year})"
    )
    return Value(value, value, value, parse_unit("g/kWh").dims, (source,))


_YEARLY_PRICE_FIELDS = ("price_local_per_kwh", "price_usd_per_kwh")


def _price_in_year(catalog: Catalog, row: Any, field_name: str, year: int) -> Value | None:
    """A country's business electricity price in a claim's year from the yearly series (the
    nearest year when the series does not reach it), or None when the country has no series
    or the series cannot give the field asked for (US dollars from a series in euros)."""
    from wattlens.catalog import PriceYear

    if field_name == "price_usd_per_kwh" and row.currency != "USD":
        return None  # converting would need that year's exchange rate, which is not sourced
    series = [
        e.row
        for e in catalog.entries("prices_yearly")
        if isinstance(e.row, PriceYear) and e.row.price_id == row.id
    ]
    if not series:
        return None
    dated = min(series, key=lambda r: (abs(r.data_year - year), -r.data_year))
    unit = parse_unit(f"{dated.currency}/kWh")
    value = dated.price_local_per_kwh * unit.factor
    nearest = "" if dated.data_year == year else f", the nearest year to {year}"
    source = (
        f"catalog prices_yearly/{dated.id}.price_local_per_kwh ({dated.data_year}{nearest}): "
        f"{dated.source} ({dated.year})"
    )
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
