"""Property: a generated quantity, written as text, has one SI value in every face."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wattlens.audit import parse_claims
from wattlens.cli.application import app
from wattlens.quantity import parse, parse_range
from wattlens.scenario.schema import parse_span

# Factors written out by hand (not read from the unit library) so the test checks it.
ENERGY_UNITS = {
    "J": 1.0, "kJ": 1e3, "MJ": 1e6, "GJ": 1e9, "mWh": 3.6, "Wh": 3600.0, "kWh": 3.6e6,
    "KWh": 3.6e6, "MWh": 3.6e9, "GWh": 3.6e12, "TWh": 3.6e15, "kW·h": 3.6e6,
    "megawatt hours": 3.6e9, "kilowatt-hours": 3.6e6, "watt hours": 3600.0, "千瓦时": 3.6e6,
    "度": 3.6e6, "兆瓦時": 3.6e9,
}  # fmt: skip
MAGNITUDES = {
    "": 1.0, " thousand": 1e3, " million": 1e6, " billion": 1e9, "k": 1e3, "K": 1e3, "M": 1e6,
    "bn": 1e9, "B": 1e9, "万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8,
}  # fmt: skip
COUNT_MAGNITUDES = {**MAGNITUDES, "m": 1e6, "mn": 1e6, " trillion": 1e12, "T": 1e12}
SEPARATORS = ["..", "–", " to ", "至", "~"]

values = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(9999), places=3)


def _text(low: Decimal, extra: Decimal | None, sep: str, word: str, unit: str) -> str:
    number = f"{low}" if extra is None else f"{low}{sep}{low + extra}"
    space = "" if unit[:1] > "\u3000" or not unit else " "
    return f"{number}{word}{space}{unit}"


def _expected(low: Decimal, extra: Decimal | None, factor: float) -> tuple[float, float]:
    high = low if extra is None else low + extra
    return (float(low) * factor, float(high) * factor)


def _claimed(text: str) -> tuple[float, float]:
    claims = parse_claims(f'claims:\n  - {{id: A, text: t, value: "{text}"}}\n')
    return (claims.claims[0].stated.low, claims.claims[0].stated.high)


ranges = st.one_of(st.none(), values)


@settings(max_examples=60, deadline=None)
@given(
    low=values,
    extra=ranges,
    sep=st.sampled_from(SEPARATORS),
    word=st.sampled_from(sorted(MAGNITUDES)),
    unit=st.sampled_from(sorted(ENERGY_UNITS)),
)
def test_energies_agree(
    low: Decimal, extra: Decimal | None, sep: str, word: str, unit: str
) -> None:
    text = _text(low, extra, sep, word, unit)
    expected = _expected(low, extra, MAGNITUDES[word] * ENERGY_UNITS[unit])
    grammar = parse(text, kind="energy")
    assert (grammar.low, grammar.high) == pytest.approx(expected, rel=1e-9)
    span = parse_span(text, kind="energy", example="")
    assert (span.low, span.high) == (grammar.low, grammar.high)
    assert _claimed(text) == (grammar.low, grammar.high)
    result = CliRunner().invoke(app, ["equivalents", text, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["energy_j"] == grammar.value


@settings(max_examples=60, deadline=None)
@given(
    low=values,
    extra=ranges,
    sep=st.sampled_from(SEPARATORS),
    word=st.sampled_from(sorted(COUNT_MAGNITUDES)),
)
def test_counts_agree(low: Decimal, extra: Decimal | None, sep: str, word: str) -> None:
    text = _text(low, extra, sep, word, "")
    expected = _expected(low, extra, COUNT_MAGNITUDES[word])
    grammar = parse(text, kind="count")
    assert (grammar.low, grammar.high) == pytest.approx(expected, rel=1e-9)
    span = parse_span(text, kind="count", example="")
    assert (span.low, span.high) == (grammar.low, grammar.high)
    # The CLI options and the web forms call the same function (wattlens.quantity).
    cli = parse_range(text, "--pue")
    assert (cli if isinstance(cli, tuple) else (cli, cli)) == (grammar.low, grammar.high)
    # A claims file has no context: a count noun gives it.
    assert _claimed(f"{text} requests") == (grammar.low, grammar.high)


@settings(max_examples=40, deadline=None)
@given(low=st.integers(min_value=0, max_value=60), extra=st.integers(min_value=0, max_value=40))
def test_percentages_agree(low: int, extra: int) -> None:
    text = f"{low}%至{low + extra}%" if extra else f"{low}%"
    grammar = parse(text, kind="fraction")
    assert (grammar.low, grammar.high) == pytest.approx((low / 100, (low + extra) / 100))
    span = parse_span(text, kind="fraction", example="")
    assert (span.low, span.high) == (grammar.low, grammar.high)
    assert _claimed(text) == (grammar.low, grammar.high)


def test_web_form_and_cli_read_counts_alike() -> None:
    from wattlens.web import services

    form = {"accelerator": "H100 SXM", "params": "405bn", "tokens": "15.6T", "samples": "200"}
    words, _ = services.estimate_training(form)
    digits, _ = services.estimate_training({**form, "params": "4.05e11", "tokens": "1.56e13"})
    assert words.to_dict()["energy_j"] == digits.to_dict()["energy_j"]
    runner = CliRunner()
    args = ["estimate", "training", "-a", "H100 SXM", "--samples", "200", "--json"]
    cli = runner.invoke(app, [*args, "--params", "405bn", "--tokens", "15.6T"])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["energy_j"] == words.to_dict()["energy_j"]


PER_ENERGY = {"kWh": 3.6e6, "MWh": 3.6e9, "Wh": 3600.0, "度": 3.6e6}
CURRENCIES = {"USD": "USD", "CNY": "CNY", "EUR": "EUR", "元": "CNY", "美元": "USD"}


@settings(max_examples=40, deadline=None)
@given(
    low=values,
    extra=ranges,
    currency=st.sampled_from(sorted(CURRENCIES)),
    per=st.sampled_from(sorted(PER_ENERGY)),
)
def test_prices_agree(low: Decimal, extra: Decimal | None, currency: str, per: str) -> None:
    from wattlens.scenario.schema import parse_price

    number = f"{low}" if extra is None else f"{low}..{low + extra}"
    space = "" if currency > "\u3000" else " "
    text = f"{number}{space}{currency}/{per}"
    expected = _expected(low, extra, 1 / PER_ENERGY[per])
    grammar = parse(text, kind="price")
    assert (grammar.low, grammar.high) == pytest.approx(expected, rel=1e-9)
    assert grammar.currency == CURRENCIES[currency]
    price = parse_price(text)
    assert (price.low_per_j, price.high_per_j, price.currency) == (
        grammar.low,
        grammar.high,
        grammar.currency,
    )
    assert _claimed(text) == (grammar.low, grammar.high)


@settings(max_examples=40, deadline=None)
@given(
    low=values,
    word=st.sampled_from(["m", "mn", "M", " million", "bn", "B", "k", "K", "亿", "万"]),
    prefix=st.sampled_from(["US$", "$", "€", "RMB "]),
)
def test_money_agrees(low: Decimal, word: str, prefix: str) -> None:
    text = f"{prefix}{low}{word}"
    factor = {"m": 1e6, "mn": 1e6, "M": 1e6, " million": 1e6, "bn": 1e9, "B": 1e9, "k": 1e3,
              "K": 1e3, "亿": 1e8, "万": 1e4}[word]  # fmt: skip
    grammar = parse(text, kind="money")
    assert grammar.value == pytest.approx(float(low) * factor, rel=1e-9)
    assert grammar.currency == {"US$": "USD", "$": "USD", "€": "EUR", "RMB ": "CNY"}[prefix]
    assert _claimed(text) == (grammar.low, grammar.high)
