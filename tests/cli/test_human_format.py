"""Human output: one unit per range, no exponent notation, values never cut by wrapping."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from tests.conftest import CliResult
from wattlens.cli import _output
from wattlens.units import (
    DURATION,
    ENERGY,
    MASS,
    VOLUME,
    count_ladder,
    format_count,
    format_duration,
    format_energy,
    format_money,
    format_number,
    format_range,
    format_sig,
    pick_unit,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "examples" / "scenarios"
EXPONENT = re.compile(r"\d[eE][+-]?\d")
Cli = Callable[..., CliResult]


@pytest.fixture
def width(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set the width of the CLI's consoles, as COLUMNS=N does for a real terminal."""

    def set_width(columns: int) -> None:
        monkeypatch.setattr(_output.stdout, "width", columns)
        monkeypatch.setattr(_output.stderr, "width", columns)

    return set_width


# -- the formatting functions ----------------------------------------------------------------


def test_a_range_is_written_in_the_unit_of_its_central_value() -> None:
    # Before: "1.3 Wh (p5 2.42 kJ – p95 3.97 Wh)".
    text = format_range(2420.0, 1.3 * 3600, 3.97 * 3600, ENERGY)
    assert text == "1.3 Wh (p5 0.672 – p95 3.97 Wh)"
    assert format_range(460.0, 1020.0, 5470.0, ENERGY) == "1.02 kJ (p5 0.46 – p95 5.47 kJ)"
    assert format_range(0.5, 1.0, 2.0, ENERGY, labels=None) == "1 J (0.5–2 J)"
    assert format_range(4.0, 4.0, 4.0, MASS) == "4 g"


@pytest.mark.parametrize(
    ("ladder", "low", "central", "high"),
    [
        (ENERGY, 2e3, 9e3, 3e5),
        (MASS, 0.2, 175e3, 9e6),
        (VOLUME, 1e-4, 3.7e6, 2e9),
        (DURATION, 30.0, 4e7, 3e9),
        (count_ladder("USD"), 1e-7, 5.17e-6, 2e-4),
    ],
)
def test_every_kind_of_range_has_one_unit(
    ladder: tuple[tuple[float, str], ...], low: float, central: float, high: float
) -> None:
    text = format_range(low, central, high, ladder)
    unit = pick_unit(central, ladder)[1]
    assert text.startswith(format_sig(central / pick_unit(central, ladder)[0]) + " " + unit)
    assert text.endswith(f" {unit})")
    others = {u for _, u in ladder if u and u != unit and f" {u}" in text.replace(unit, "")}
    assert not others, text
    assert not EXPONENT.search(text), text


@pytest.mark.parametrize("exponent", range(-9, 15))
@pytest.mark.parametrize("mantissa", [1.0, 1.704, 5.17, 9.996])
def test_numbers_are_never_in_exponent_notation(mantissa: float, exponent: int) -> None:
    value = mantissa * 10.0**exponent
    text = format_sig(value)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", text), text
    assert float(text.replace(",", "")) == pytest.approx(value, rel=6e-3)


def test_only_figures_past_every_unit_use_a_power_of_ten() -> None:
    assert format_sig(2e16) == "2 × 10¹⁶"
    assert format_sig(-5.2e-10) == "-5.2 × 10⁻¹⁰"


def test_money_counts_and_durations_read_as_words_and_plain_decimals() -> None:
    assert format_money(5.17e-6, "USD") == "0.00000517 USD"
    assert format_money(573192.4, "CNY") == "573,200 CNY"
    assert format_money(2.09e8, "CNY") == "209 million CNY"
    assert format_count(17043.86, "days") == "17,040 days"
    assert format_count(1.667e9, "times") == "1.67 billion times"
    assert format_duration(46.66 * 365.25 * 86400) == "46.7 years"
    assert format_duration(3 * 86400) == "3 days"
    assert format_energy(999.7) == "1 kJ"
    assert format_energy(0) == "0 J"
    assert format_number(7.06e10) == "70.6 billion"
    assert format_number(3350.0) == "3,350"


# -- wrapping --------------------------------------------------------------------------------


def _pairs(text: str) -> list[str]:
    """Every "number unit" pair of the formatted values."""
    return re.findall(r"\d[\d,.]* (?:million |billion )?[A-Za-zµ³]+", text)


def test_a_wrapped_line_keeps_each_number_with_its_unit() -> None:
    values = [format_range(a, b, c, ENERGY) for a, b, c in ((2e3, 9e3, 3e5), (1, 5, 90))]
    line = (
        "energy per request " + " and then ".join(values) + ", cost " + format_money(2.3e7, "EUR")
    )
    for columns in (20, 27, 33, 41):
        buffer = io.StringIO()
        console = _output.HumanConsole(file=buffer, width=columns, soft_wrap=False)
        console.print(line, highlight=False)
        lines = buffer.getvalue().splitlines()
        assert all(len(row) <= columns for row in lines)
        for pair in _pairs(line):
            assert any(pair in row for row in lines), (pair, lines)


def test_a_narrow_table_keeps_each_value_whole() -> None:
    table = _output.Table("", "per day", "per year", box=None, pad_edge=False)
    cells = [
        ("energy", format_range(5.04e11 * 3.6, 5.41e11 * 3.6, 5.76e11 * 3.6, ENERGY, labels=None)),
        ("water (on- + off-site)", format_range(1.77e6, 1.9e6, 2.03e6, VOLUME, labels=None)),
    ]
    for label, value in cells:
        table.add_row(label, value, value)
    for columns in (60, 48):
        buffer = io.StringIO()
        _output.HumanConsole(file=buffer, width=columns).print(table)
        lines = buffer.getvalue().splitlines()
        for _, value in cells:
            for pair in _pairs(value):
                assert any(pair in row for row in lines), (columns, pair, lines)


# -- the commands ------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 60])
def test_scenario_run_keeps_values_whole_and_ranges_in_one_unit(
    cli: Cli, width: Callable[[int], None], columns: int
) -> None:
    file = SCENARIOS / "chatgpt-2023-article.yaml"
    data: dict[str, Any] = cli("scenario", "run", file, "--samples", "500", "--json").json()
    width(columns)
    result = cli("scenario", "run", file, "--samples", "500")
    assert result.exit_code == 0, result.stderr
    assert not EXPONENT.search(result.stdout)
    energy = data["daily"]["energy_j"]
    factor, unit = pick_unit(energy["p50"], ENERGY)
    for key in ("p50", "p95"):
        assert f"{format_sig(energy[key] / factor)} {unit}" in result.stdout, result.stdout
    assert " None" not in result.stdout


def test_estimate_prints_one_unit_per_range_and_no_exponent(cli: Cli) -> None:
    result = cli(
        "estimate", "training", "-a", "H100 SXM", "--params", "70B", "--tokens", "2T",
        "--count", "8", "--samples", "500",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if row.startswith("energy"))
    match = re.fullmatch(r"energy\s+[\d.,]+ (\w+) \(p5 [\d.,]+ – p95 [\d.,]+ (\w+)\)", line)
    assert match, line
    assert match[1] == match[2], line
    hours = next(row for row in result.stdout.splitlines() if "accelerator-hours" in row)
    assert not EXPONENT.search(hours), hours


def test_equivalents_prints_plain_numbers_with_their_unit(cli: Cli) -> None:
    result = cli("equivalents", "500000 kWh")
    assert result.exit_code == 0, result.stderr
    assert not EXPONENT.search(result.stdout), result.stdout
    assert "46.7 years" in result.stdout
    assert "17,040 days" in result.stdout
    # The JSON keeps the exact figures.
    data = cli("equivalents", "500000 kWh", "--json").json()
    days = next(c for c in data["comparisons"] if c["id"] == "household-us" and c["unit"] == "days")
    assert days["value"] == pytest.approx(17043.86, abs=0.01)


def test_the_readme_shows_what_equivalents_prints(cli: Cli) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = 'wattlens equivalents "500000'
    line = next(row for row in readme.splitlines() if row.startswith(start))
    comment = line.split("#", 1)[1]
    printed = cli("equivalents", "500000 kWh").stdout
    # Figures the comment gives as years or days (of a household) must be printed as such.
    figures = re.findall(r"\d[\d,.]*\d(?= (?:US )?(?:household-)?(?:years|days))", comment)
    assert figures, comment
    for figure in figures:
        shown = re.search(rf"(?<![\d,.]){re.escape(figure)} (?:years|days)", printed)
        assert shown, (figure, comment)


def test_audit_at_80_columns_keeps_each_value_whole(cli: Cli, width: Callable[[int], None]) -> None:
    claims = ROOT / "examples" / "claims" / "seed-article.yaml"
    data = cli("audit", claims, "--json").json()
    width(80)
    result = cli("audit", claims)
    lines = [row for row in result.stdout.splitlines() if row[:1] in "┏┃┡│└"]
    assert lines
    assert all(cell_len(row) <= 80 for row in lines)
    texts = [c["recomputed"]["text"] for c in data["claims"] if c["recomputed"]]
    texts += [c["stated"]["text"] for c in data["claims"]]
    for text in texts:
        for piece in re.split(r"(?<=–)", text):
            assert any(piece in row for row in lines), (piece, text)


# -- the report's text -----------------------------------------------------------------------


def test_report_scenario_never_prints_none_for_fields_the_file_does_not_set() -> None:
    from wattlens.report.views.scenario import scenario_view
    from wattlens.scenario import load, run

    result = run(load(SCENARIOS / "chatgpt-2023-article.yaml"), samples=200)
    rows = dict(scenario_view(result)["inputs"])
    assert "None" not in str(rows)
    assert rows["chat"].startswith("given 2.5..2.9 Wh (server boundary); ")
    modelled = run(load(SCENARIOS / "selfhosted-8b-h100.yaml"), samples=200)
    text = " ".join(v for _, v in scenario_view(modelled)["inputs"])
    assert "None" not in text
    assert " on " in text
    assert "batch" in text
