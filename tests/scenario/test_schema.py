"""The value syntax of scenario files: numbers, ranges, units, prices."""

from __future__ import annotations

import pytest

from wattlens.scenario.schema import FIX, Span, parse_price, parse_span


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (200_000_000, Span(2e8, 2e8)),
        ("2e8", Span(2e8, 2e8)),
        ("200e6", Span(2e8, 2e8)),
        ("200M", Span(2e8, 2e8)),
        ("200 million", Span(2e8, 2e8)),
        ("9B", Span(9e9, 9e9)),
        ("1_000", Span(1000, 1000)),
        ("3,617", Span(3617, 3617)),
        ("150M..250M", Span(1.5e8, 2.5e8)),
        ("150..250M", Span(1.5e8, 2.5e8)),
    ],
)
def test_counts(raw: object, expected: Span) -> None:
    assert parse_span(raw, kind="count", example="") == expected


def test_units_and_ranges() -> None:
    assert parse_span("2.5..2.9 Wh", kind="energy", example="") == Span(9000.0, 10440.0)
    assert parse_span("8.9 Wh", kind="energy", example="") == Span(32040.0, 32040.0)
    assert parse_span("1 kWh", kind="energy", example="") == Span(3.6e6, 3.6e6)
    assert parse_span("6.5 kW", kind="power", example="") == Span(6500.0, 6500.0)
    assert parse_span("25%", kind="fraction", example="") == Span(0.25, 0.25)
    assert parse_span("10%..30%", kind="fraction", example="") == Span(0.1, 0.3)
    assert parse_span(0.4, kind="fraction", example="") == Span(0.4, 0.4)
    water = parse_span("0.36 L/kWh", kind="water", example="")
    assert water.low == pytest.approx(1e-7)


def test_price() -> None:
    price = parse_price("1.06 CNY/kWh")
    assert price.currency == "CNY"
    assert price.low_per_j * 3.6e6 == pytest.approx(1.06)
    ranged = parse_price("100..150 eur/MWh")
    assert ranged.currency == "EUR"
    assert ranged.high_per_j * 3.6e6 == pytest.approx(0.15)


@pytest.mark.parametrize(
    ("raw", "kind", "message"),
    [
        ("lots", "count", "is not a number"),
        ("3 Wx", "energy", "unknown unit"),
        ("3", "energy", "a unit is missing"),
        ("5..2", "count", "low end above its high end"),
        ("1..2..3", "count", "more than one"),
        (True, "count", "expected a number"),
        ([1, 2], "count", "expected a number or a range"),
        ("-5", "count", "out of range"),
    ],
)
def test_bad_values_say_how_to_fix(raw: object, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        parse_span(raw, kind=kind, example="42", minimum=0)  # type: ignore[arg-type]
    assert FIX in str(info.value)


def test_point_only_fields_refuse_ranges() -> None:
    with pytest.raises(ValueError, match="one number"):
        parse_span("0.2..0.4", kind="fraction", example="0.3", point_only=True)
