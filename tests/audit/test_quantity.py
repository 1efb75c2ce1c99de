"""Parsing published quantities: units, magnitude words (万, 亿, million), ranges, currencies."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlens.errors import InputValueError, UsageError
from wattlens.quantity import (
    DIMENSIONLESS,
    ENERGY,
    POWER,
    SECONDS_PER_DAY,
    SECONDS_PER_YEAR,
    TIME,
    VOLUME,
    currency_dims,
    dimension_name,
    dims_mul,
    format_in_unit,
    format_number,
    parse_quantity,
    parse_unit,
)

KWH = 3.6e6

# (text, low, high, dims) with low/high in SI base units (J, s, L, currency, count).
GOLDEN = [
    ("500,000 kWh", 5e5 * KWH, 5e5 * KWH, ENERGY),
    ("128.7万千瓦时", 128.7e4 * KWH, 128.7e4 * KWH, ENERGY),
    ("128.7萬千瓦時", 128.7e4 * KWH, 128.7e4 * KWH, ENERGY),
    ("128.7度", 128.7 * KWH, 128.7 * KWH, ENERGY),
    ("43.3 万度", 43.3e4 * KWH, 43.3e4 * KWH, ENERGY),
    ("1,287 MWh", 1287e3 * KWH, 1287e3 * KWH, ENERGY),
    ("0.3 Wh", 1080.0, 1080.0, ENERGY),
    ("0.3Wh", 1080.0, 1080.0, ENERGY),
    ("29.2 TWh", 29.2e9 * KWH, 29.2e9 * KWH, ENERGY),
    ("29.2太瓦时", 29.2e9 * KWH, 29.2e9 * KWH, ENERGY),
    ("80吉瓦时", 80e6 * KWH, 80e6 * KWH, ENERGY),
    ("500 mL", 0.5, 0.5, VOLUME),
    ("500毫升", 0.5, 0.5, VOLUME),
    ("640万立方米", 640e4 * 1e3, 640e4 * 1e3, VOLUME),
    ("6.4 million m³", 6.4e9, 6.4e9, VOLUME),
    ("4.2–6.6亿立方米", 4.2e8 * 1e3, 6.6e8 * 1e3, VOLUME),
    ("4.2-6.6 billion m3", 4.2e12, 6.6e12, VOLUME),
    ("2亿元", 2e8, 2e8, currency_dims("CNY")),
    ("2億元", 2e8, 2e8, currency_dims("CNY")),
    ("US$0.147", 0.147, 0.147, currency_dims("USD")),
    ("0.147美元", 0.147, 0.147, currency_dims("USD")),
    ("RMB 1.06/kWh", 1.06 / KWH, 1.06 / KWH, dims_mul(currency_dims("CNY"), ENERGY, -1)),
    ("1.06元/度", 1.06 / KWH, 1.06 / KWH, dims_mul(currency_dims("CNY"), ENERGY, -1)),
    ("53万元/天", 53e4 / SECONDS_PER_DAY, 53e4 / SECONDS_PER_DAY,
     dims_mul(currency_dims("CNY"), TIME, -1)),
    ("500,000 kWh/day", 5e5 * KWH / SECONDS_PER_DAY, 5e5 * KWH / SECONDS_PER_DAY, POWER),
    ("500,000 kWh a day", 5e5 * KWH / SECONDS_PER_DAY, 5e5 * KWH / SECONDS_PER_DAY, POWER),
    ("50萬千瓦時/天", 5e5 * KWH / SECONDS_PER_DAY, 5e5 * KWH / SECONDS_PER_DAY, POWER),
    ("29.2 TWh/yr", 29.2e9 * KWH / SECONDS_PER_YEAR, 29.2e9 * KWH / SECONDS_PER_YEAR, POWER),
    ("6.5 kW", 6500.0, 6500.0, POWER),
    ("1,082,990 GPU-hours", 1_082_990 * 3600.0, 1_082_990 * 3600.0, TIME),
    ("117 US households", 117.0, 117.0, DIMENSIONLESS),
    ("1.7萬倍", 1.7e4, 1.7e4, DIMENSIONLESS),
    (">17,000 times", 17_000.0, 17_000.0, DIMENSIONLESS),
    ("10~50", 10.0, 50.0, DIMENSIONLESS),
    ("10 to 50 responses", 10.0, 50.0, DIMENSIONLESS),
    ("10至50", 10.0, 50.0, DIMENSIONLESS),
    ("85–134 TWh", 85e9 * KWH, 134e9 * KWH, ENERGY),
    ("20–25%", 0.2, 0.25, DIMENSIONLESS),
    ("1.75e11", 1.75e11, 1.75e11, DIMENSIONLESS),
    ("5k requests", 5e3, 5e3, DIMENSIONLESS),
    ("200 million requests/day", 2e8 / SECONDS_PER_DAY, 2e8 / SECONDS_PER_DAY, (("s", -1),)),
    ("2億次/天", 2e8 / SECONDS_PER_DAY, 2e8 / SECONDS_PER_DAY, (("s", -1),)),
    ("500 mL per 50 questions", 0.01, 0.01, VOLUME),
    ("500毫升/50個問題", 0.01, 0.01, VOLUME),
    ("5千瓦", 5e3, 5e3, POWER),
    ("3千万", 3e7, 3e7, DIMENSIONLESS),
]  # fmt: skip


@pytest.mark.parametrize(("text", "low", "high", "dims"), GOLDEN)
def test_golden_values(text: str, low: float, high: float, dims: object) -> None:
    q = parse_quantity(text)
    assert q.low == pytest.approx(low, rel=1e-12)
    assert q.high == pytest.approx(high, rel=1e-12)
    assert q.dims == dims
    assert q.text == text


def test_keeps_magnitude_unit_and_qualifier_as_written() -> None:
    q = parse_quantity("1.7萬倍以上")
    assert (q.magnitude, q.unit, q.qualifier) == ("萬", "倍", "at least")
    q = parse_quantity(">2,500 Olympic pools")
    assert (q.magnitude, q.unit, q.qualifier) == ("", "Olympic pools", "more than")
    q = parse_quantity("约7900万度/天")
    assert (q.magnitude, q.unit, q.qualifier) == ("万", "度/天", "about")
    q = parse_quantity("about 6.4 million m3")
    assert (q.magnitude, q.unit, q.qualifier) == ("million", "m3", "about")
    assert parse_quantity("RMB 1.06/kWh").unit == "CNY/kWh"


def test_range_properties() -> None:
    q = parse_quantity("4.2–6.6亿立方米")
    assert q.is_range
    assert q.value == pytest.approx(5.4e11)
    assert q.dimension == "volume"
    assert q.magnitude == "亿"
    assert not parse_quantity("5 kWh").is_range


def test_magnitude_on_both_ends() -> None:
    q = parse_quantity("500万–1000万度")
    assert (q.low, q.high) == pytest.approx((5e6 * KWH, 1e7 * KWH))


def test_number_input_is_a_count() -> None:
    q = parse_quantity(117)
    assert (q.low, q.dims) == (117.0, DIMENSIONLESS)


def test_in_unit_and_formatting() -> None:
    stated = parse_quantity("128.7度")
    assert stated.in_unit(1287e3 * KWH) == pytest.approx(1.287e6)
    assert format_in_unit(1287e3 * KWH, 1287e3 * KWH, stated) == "128.7万度"
    assert format_in_unit(1.8e12, 1.8e12, parse_quantity("1 kWh")) == "500,000 kWh"
    assert format_number(0.345) == "0.345"
    assert format_number(1.935e8, chinese=True) == "1.935亿"
    assert format_number(2.5e-5) == "2.500e-05"


def test_parse_unit() -> None:
    unit = parse_unit("kWh/year")
    assert unit.factor == pytest.approx(KWH / SECONDS_PER_YEAR)
    assert unit.dims == POWER
    assert parse_unit("").dims == DIMENSIONLESS
    assert parse_unit("TFLOP/s").dims == (("s", -1),)


def test_dimension_names() -> None:
    assert dimension_name(ENERGY) == "energy"
    assert dimension_name(currency_dims("CNY")) == "currency:CNY"
    assert dimension_name(dims_mul(currency_dims("CNY"), TIME, -1)) == "currency:CNY per time"
    assert dimension_name(DIMENSIONLESS) == "count"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("5 kWhh", "unknown unit 'kWhh'"),
        ("10 apples", "unknown unit 'apples'"),
        ("abc", "expected a number"),
        ("", "empty"),
        ("  ", "empty"),
        ("5 /", "nothing after"),
        ("50–10 kWh", "low end of the range is above the high end"),
        ("5 kWh per 0 requests", "divisor must be positive"),
    ],
)
def test_errors_name_the_text(text: str, fragment: str) -> None:
    with pytest.raises(InputValueError) as info:
        parse_quantity(text)
    assert fragment in str(info.value)
    assert repr(text) in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, UsageError)
    assert info.value.exit_code == 2


def test_boolean_and_non_finite_are_rejected() -> None:
    with pytest.raises(InputValueError):
        parse_quantity(True)
    with pytest.raises(InputValueError):
        parse_quantity(math.inf)


_CN_UNITS = {"度": KWH, "千瓦时": KWH, "千瓦時": KWH, "吉瓦时": 1e6 * KWH, "太瓦时": 1e9 * KWH,
             "毫升": 1e-3, "立方米": 1e3, "元": 1.0}  # fmt: skip
_MAGNITUDE_WORDS = {"": 1.0, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "千万": 1e7, "万亿": 1e12}


@given(
    value=st.decimals(min_value="0.001", max_value="99999", places=3),
    word=st.sampled_from(sorted(_MAGNITUDE_WORDS)),
    unit=st.sampled_from(sorted(_CN_UNITS)),
)
def test_chinese_magnitudes_multiply(value: object, word: str, unit: str) -> None:
    q = parse_quantity(f"{value}{word}{unit}")
    expected = float(str(value)) * _MAGNITUDE_WORDS[word] * _CN_UNITS[unit]
    assert q.low == pytest.approx(expected, rel=1e-12)
    assert q.magnitude == word
    assert q.unit == unit


@given(
    low=st.integers(min_value=1, max_value=10**6),
    extra=st.integers(min_value=0, max_value=10**6),
    sep=st.sampled_from(["–", "-", "~", " to ", "至"]),
    word=st.sampled_from(["", "万", "亿", " million"]),
)
def test_ranges_apply_one_magnitude_to_both_ends(low: int, extra: int, sep: str, word: str) -> None:
    high = low + extra
    factor = {"": 1.0, "万": 1e4, "亿": 1e8, " million": 1e6}[word]
    q = parse_quantity(f"{low:,}{sep}{high:,}{word} kWh")
    assert q.low == pytest.approx(low * factor * KWH)
    assert q.high == pytest.approx(high * factor * KWH)
    assert q.low <= q.value <= q.high


@given(st.floats(min_value=1e-6, max_value=1e15, allow_nan=False))
def test_plain_numbers_roundtrip(x: float) -> None:
    assert parse_quantity(repr(x)).low == x
    assert parse_quantity(f"{x} kWh").low == pytest.approx(x * KWH)
