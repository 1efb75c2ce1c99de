"""Values with units and ranges: the data of the recompute-expression interpreter.

A :class:`Value` is an interval in SI units with a central value, its dimension and
the sources it was computed from; the arithmetic here propagates all four.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattlens.quantity import (
    DIMENSIONLESS,
    Dims,
    Quantity,
    dimension_name,
    dims_mul,
    dims_pow,
    si_unit,
)


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
