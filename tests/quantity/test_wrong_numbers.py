"""The wrong numbers of the old parsers, each read the same way by every face now."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from wattlens.audit import parse_claims
from wattlens.cli.equivalents import parse_energy
from wattlens.errors import InputValueError
from wattlens.quantity import (
    QuantityError,
    currency_dims,
    parse,
    parse_count,
    parse_quantity,
    parse_range,
)
from wattlens.scenario import ScenarioError, load
from wattlens.scenario.schema import Span, parse_span

KWH = 3.6e6


def _claim(value: str) -> tuple[float, float]:
    claims = parse_claims(
        textwrap.dedent(
            f"""\
            claims:
              - id: A
                text: a figure
                value: "{value}"
            """
        )
    )
    stated = claims.claims[0].stated
    return (stated.low, stated.high)


def test_milliwatt_hours_are_milli_in_scenario_and_claims_files() -> None:
    # Scenario files read "mWh" case-insensitively as MWh: 18 GJ instead of 18 J.
    assert parse_span("5 mWh", kind="energy", example="") == Span(18.0, 18.0)
    assert _claim("5 mWh") == (18.0, 18.0)
    assert parse_energy("5 mWh") == 18.0
    assert parse_span("5 MWh", kind="energy", example="") == Span(1.8e10, 1.8e10)


@pytest.mark.parametrize(
    ("text", "value"),
    [("200m requests", 2e8), ("10K GPUs", 1e4), ("405bn", 4.05e11), ("26.8M users", 26.8e6)],
)
def test_count_suffixes(text: str, value: float) -> None:
    # "200m requests" was 200 and "10K GPUs" 10 in claims files; "405bn" an error on the CLI.
    assert parse_quantity(text).value == value
    assert _claim(text) == (value, value)
    bare = text.split(maxsplit=1)[0]
    assert parse_count(bare, "--params") == value
    assert parse_span(bare, kind="count", example="") == Span(value, value)


def test_money_with_a_magnitude_suffix_is_money() -> None:
    # "US$26.8m" was dollars times metres.
    q = parse_quantity("US$26.8m")
    assert (q.value, q.dims, q.currency) == (26.8e6, currency_dims("USD"), "USD")
    assert parse("US$26.8m", kind="money").value == 26.8e6
    assert _claim("US$26.8m") == (26.8e6, 26.8e6)
    assert parse_quantity("¥2亿").currency == "CNY"
    assert parse_quantity("¥2亿").value == 2e8
    yuan = parse_quantity("2億元人民幣")
    assert (yuan.value, yuan.currency) == (2e8, "CNY")
    assert parse_quantity("3美金").currency == "USD"


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2.5..2.9 Wh", 9000.0, 10440.0),
        ("3 megawatt hours", 1.08e10, 1.08e10),
        ("2 kW·h", 7.2e6, 7.2e6),
        ("2 KWh", 7.2e6, 7.2e6),
    ],
)
def test_energies_accepted_by_every_face(text: str, low: float, high: float) -> None:
    assert parse_span(text, kind="energy", example="") == Span(low, high)
    assert _claim(text) == pytest.approx((low, high))
    assert parse_energy(text) == pytest.approx((low + high) / 2)


def test_405bn_params_on_the_cli_and_in_a_scenario(cli: Any, tmp_path: Path) -> None:
    args = ["estimate", "training", "-a", "H100 SXM", "--tokens", "15.6T", "--samples", "500",
            "--json"]  # fmt: skip
    words = cli(*args, "--params", "405bn")
    digits = cli(*args, "--params", "4.05e11")
    assert words.exit_code == 0, words.stderr
    assert words.json()["energy_j"] == digits.json()["energy_j"]
    path = tmp_path / "s.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            name: big model
            demand: {requests_per_day: 200m}
            hardware: {accelerator: H100 SXM}
            requests:
              - {name: chat, share: 1, params: 405bn, output_tokens: 400}
            location: us
            """
        ),
        encoding="utf-8",
    )
    loaded = load(path)
    assert loaded.spec.requests[0].params == 4.05e11
    assert loaded.spec.demand is not None
    assert loaded.spec.demand.requests_per_day == Span(2e8, 2e8)


def test_mfu_and_pue_ranges_take_every_range_syntax() -> None:
    from wattlens.quantity import parse_mfu

    assert parse_mfu("0.3:0.5") == (0.3, 0.5)
    assert parse_mfu("30%..50%") == (0.3, 0.5)
    assert parse_mfu("20%至25%") == (0.2, 0.25)
    assert parse_range("1.1:1.4", "--pue") == (1.1, 1.4)
    assert parse_range("1.1–1.4", "--pue") == (1.1, 1.4)


@pytest.mark.parametrize("text", ["5 m", "200 m"])
def test_m_without_context_is_an_error_naming_both_readings(text: str) -> None:
    with pytest.raises(QuantityError) as info:
        parse_quantity(text)
    message = str(info.value)
    assert "ambiguous" in message
    assert "million" in message
    assert "metres" in message
    assert info.value.code == "ambiguous"
    # With a context there is one reading.
    assert parse(text, kind="length").value == float(text.split(maxsplit=1)[0])
    assert parse(text, kind="count").value == float(text.split(maxsplit=1)[0]) * 1e6


def test_ambiguous_m_in_a_claims_file_names_file_line_and_both_readings() -> None:
    with pytest.raises(InputValueError) as info:
        _claim("5 m")
    assert "<claims>:4:12: claims[0] (A).value:" in str(info.value)
    assert "million" in str(info.value)
    assert "metres" in str(info.value)


def test_scenario_file_error_keeps_file_line_field_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nfleet:\n  servers: 10\n  power_per_server: 6.5 m\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load(path)
    issue = info.value.issues[0]
    assert (issue.line, issue.field) == (4, "fleet.power_per_server")
    assert "6.5 m" in issue.problem
    assert "kW" in issue.fix
