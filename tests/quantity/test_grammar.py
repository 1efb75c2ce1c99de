"""The grammar's own layer: Chinese numerals, currencies, qualifiers, ranges, kinds, ambiguity."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlens.errors import UsageError
from wattlens.quantity import (
    ENERGY,
    KINDS,
    LENGTH,
    QuantityError,
    currency_dims,
    parse,
    parse_fraction,
    parse_quantity,
    parse_since,
)

KWH = 3.6e6


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("两千万", 2e7), ("十亿", 1e9), ("一亿三千万", 1.3e8), ("三万亿", 3e12),
        ("一百零五", 105.0), ("二分之一", 0.5), ("百分之二十", 0.2), ("3千万", 3e7),
        ("1.5万亿", 1.5e12), ("5成", 0.5),
    ],
)  # fmt: skip
def test_chinese_numerals(text: str, value: float) -> None:
    assert parse_quantity(text).value == pytest.approx(value)


def test_chinese_units_and_mega_prefix() -> None:
    assert parse_quantity("半小时").value == 1800.0
    assert parse_quantity("5公里").dims == LENGTH
    assert parse_quantity("5公里").value == 5000.0
    assert parse_quantity("3兆瓦时").value == pytest.approx(3 * 1e3 * KWH)
    assert parse_quantity("3兆元").value == 3e12
    assert parse_quantity("两千千瓦时").value == pytest.approx(2000 * KWH)


@pytest.mark.parametrize(
    ("text", "qualifier", "value"),
    [
        ("about 5 kWh", "about", 5 * KWH), ("over 5 kWh", "more than", 5 * KWH),
        ("more than 5 kWh", "more than", 5 * KWH), ("约5千瓦时", "about", 5 * KWH),
        ("近5千瓦时", "about", 5 * KWH), ("200多万千瓦时", "more than", 2e6 * KWH),
        ("30余亿元", "more than", 3e9), ("幾乎5千瓦時", "about", 5 * KWH),
        ("將近5千瓦時", "about", 5 * KWH),
    ],
)  # fmt: skip
def test_qualifiers_are_kept_not_applied(text: str, qualifier: str, value: float) -> None:
    q = parse_quantity(text)
    assert q.qualifier == qualifier
    assert q.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("US$26.8m", 26.8e6, "USD"), ("$5 million", 5e6, "USD"), ("¥2亿", 2e8, "CNY"),
        ("2億元人民幣", 2e8, "CNY"), ("3美金", 3.0, "USD"), ("5 million EUR", 5e6, "EUR"),
        ("HK$3bn", 3e9, "HKD"), ("500 JPY", 500.0, "JPY"),
    ],
)  # fmt: skip
def test_currencies(text: str, value: float, currency: str) -> None:
    q = parse(text, kind="money")
    assert (q.value, q.currency, q.dims) == (value, currency, currency_dims(currency))


def test_units_from_the_unit_library() -> None:
    assert parse("3 miles", kind="length").value == pytest.approx(4828.032)
    assert parse("1 megawatt hour", kind="energy").value == 3.6e9
    assert parse("2 kW·h").dims == ENERGY
    assert parse("5 mW", kind="power").value == 5e-3
    assert parse("5 MW", kind="power").value == 5e6
    assert parse("2 m³", kind="volume").value == 2000.0
    assert parse("8 kWh/yr").value == pytest.approx(8 * KWH / (365 * 86400))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("¥500", ("yuan", "yen")),
        ("5 tons", ("tonne", "short ton")),
        ("5 pounds", ("mass", "money")),
        ("5 m", ("million", "metres")),
    ],
)
def test_ambiguous_text_names_both_readings(text: str, words: tuple[str, str]) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    assert info.value.code == "ambiguous"
    for word in words:
        assert word in str(info.value)


def test_kind_is_checked() -> None:
    with pytest.raises(QuantityError, match="it is a mass, not an energy"):
        parse("5 kg", kind="energy", what="--energy")
    with pytest.raises(QuantityError, match="a unit is missing"):
        parse("5", kind="energy")
    with pytest.raises(QuantityError, match="is not a count"):
        parse("7x", kind="count")
    with pytest.raises(QuantityError, match="different units"):
        parse("5 kWh..6 MJ")


def test_ranges_with_a_unit_on_each_end() -> None:
    q = parse("20%至25%", kind="fraction")
    assert (q.low, q.high) == (0.2, 0.25)
    assert parse_fraction("30%..50%") == (0.3, 0.5)
    assert parse("-10%..20%", kind="fraction").span == (-0.1, 0.2)
    assert parse("100..150 EUR/MWh", kind="price").span == pytest.approx((100 / 3.6e9, 150 / 3.6e9))


def test_since_is_checked() -> None:
    assert parse_since("2026-01-31") == "2026-01-31"
    assert parse_since(None) is None
    with pytest.raises(UsageError, match="ISO 8601"):
        parse_since("yesterday")


def test_units_command_lists_the_grammar(cli: Any) -> None:
    result = cli("units", "--json")
    assert result.exit_code == 0
    data = result.json()
    assert "mWh" in data["units"]["energy"]
    assert "megawatts" in data["units"]["power"]
    assert data["magnitudes"]["en_counts_and_money"]["m"] == 1e6
    assert data["magnitudes"]["zh"]["亿"] == 1e8
    assert "US$" in data["currencies"]["USD"]
    assert "约" in data["qualifiers"]["about"]
    assert ".." in data["ranges"]["separators"]
    human = cli("units")
    assert human.exit_code == 0
    assert "megawatt" in human.stdout


def test_every_listed_unit_parses_to_its_dimension() -> None:
    from wattlens.quantity import accepted, dimension_name, parse_unit

    listed = accepted()["units"]
    assert {"energy", "power", "time", "volume", "mass", "length", "area"} <= set(listed)
    for dimension, words in listed.items():
        for word in words:
            if dimension in {"ratio", "count of operations"}:
                continue
            name = dimension_name(parse_unit(word).dims).split(" (")[0]
            assert name == dimension, (word, name)


def test_one_case_energy_symbols_are_read_unless_the_prefix_is_m() -> None:
    # "kwh" and "KWH" have one reading; "mwh" and "MWH" two (milli or mega): an error.
    assert parse("2 kwh", kind="energy").value == 7.2e6
    assert parse("2 KWH", kind="energy").value == 7.2e6
    assert parse("2.9 wh", kind="energy").value == pytest.approx(10440.0)
    for text in ("5 mwh", "5 MWH", "5 Mw"):
        with pytest.raises(QuantityError) as info:
            parse(text)
        assert info.value.code == "ambiguous"
        assert "milli" in str(info.value)
        assert "mega" in str(info.value)


def test_any_iso_code_is_a_currency_only_where_money_is_expected() -> None:
    assert parse("150 SEK/MWh", kind="price").currency == "SEK"
    assert parse("5 SEK", kind="money").currency == "SEK"
    with pytest.raises(QuantityError, match="unknown unit 'TPU'"):
        parse("5 TPU")


_ALPHABET = "0123456789.,-–~:% kKmMbBgGtTwWhHJLs/$¥€万亿千十两半约多to至..美元度 "


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=_ALPHABET, max_size=16), kind=st.sampled_from([None, *KINDS]))
def test_any_text_parses_or_says_why(text: str, kind: str | None) -> None:
    error: QuantityError | None = None
    try:
        q = parse(text, kind=kind)
    except QuantityError as exc:
        error = exc
    if error is not None:
        assert repr(text) in str(error)
        assert error.code
        return
    assert q.low <= q.high
    assert math.isfinite(q.low)
    assert math.isfinite(q.high)
