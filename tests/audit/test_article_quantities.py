"""Quantities as the seed article and the press write them, read by the one grammar."""

from __future__ import annotations

import pytest

from wattlens.quantity import parse

CASES = [
    ("2億元人民幣", 2e8, 2e8, "currency:CNY", None),
    ("20%至25%", 0.20, 0.25, "count", None),
    ("40萬臺", 4e5, 4e5, "count", None),
    ("8.8GW(吉瓦)", 8.8e9, 8.8e9, "power (energy per time)", None),
    ("32公里", 32e3, 32e3, "length", None),
    ("幾乎30倍", 30.0, 30.0, "count", "about"),
    ("將近70萬升", 7e5, 7e5, "volume", "about"),
    ("約合人民幣27.04億元", 2.704e9, 2.704e9, "currency:CNY", "about"),
    ("500多天", 500 * 86400.0, 500 * 86400.0, "time", "more than"),
    ("140余項", 140.0, 140.0, "count", "more than"),
    ("十倍", 10.0, 10.0, "count", None),
    ("二分之一", 0.5, 0.5, "count", None),
    ("一半", 0.5, 0.5, "count", None),
    ("數億倍", 1e8, 9e8, "count", "several"),
    ("數萬張芯片", 1e4, 9e4, "count", "several"),
    ("10^8", 1e8, 1e8, "count", None),
    ("3×10^8 J", 3e8, 3e8, "energy", None),
    ("¥2亿", 2e8, 2e8, "currency:CNY", None),
    ("3.75億美金", 3.75e8, 3.75e8, "currency:USD", None),
    ("5 kW·h", 1.8e7, 1.8e7, "energy", None),
    ("5 KWh", 1.8e7, 1.8e7, "energy", None),
    ("32 miles", 32 * 1609.344, 32 * 1609.344, "length", None),
    ("200m requests", 2e8, 2e8, "count", None),
    ("10K GPUs", 1e4, 1e4, "count", None),
    ("US$26.8m", 2.68e7, 2.68e7, "currency:USD", None),
    ("超過數十萬億元美金", 1e13, 9e13, "currency:USD", "several"),
]


@pytest.mark.parametrize(("text", "low", "high", "dimension", "qualifier"), CASES)
def test_article_quantities_parse(
    text: str, low: float, high: float, dimension: str, qualifier: str | None
) -> None:
    q = parse(text)
    assert q.low == pytest.approx(low)
    assert q.high == pytest.approx(high)
    assert q.dimension == dimension
    assert q.qualifier == qualifier


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2023年4月", 2023 + 90 / 365, 2023 + 120 / 365),
        ("2023年", 2023.0, 2024.0),
        ("2024-04-20", 2024 + 110 / 366, 2024 + 111 / 366),
        ("2019年到 2021年", 2019.0, 2022.0),
    ],
)
def test_dates_are_dates(text: str, low: float, high: float) -> None:
    q = parse(text)
    assert q.dimension == "date"
    assert q.low == pytest.approx(low)
    assert q.high == pytest.approx(high, abs=1e-6)


def test_a_bare_year_is_a_date_only_when_asked() -> None:
    assert parse("2023", kind="date").dimension == "date"
    assert parse("2023").dimension == "count"
    assert parse("3年").dimension == "time"  # a duration stays a duration
