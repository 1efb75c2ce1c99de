"""Verdicts: slips named, ranges at both ends, qualifiers as bounds, dates, misquotes, stale."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from wattlens.audit import audit_claims, judge, parse_claims

# -- named slips -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stated", "recomputed", "magnitude", "power", "name"),
    [
        (8.5e8, 8.5e9, "亿", 1, "billion ↔ 亿"),  # 8.5 billion written 8.5亿
        (6.4e6, 6.4e8, "万", 2, "million ↔ 万"),  # 640 million written 640万
        (1.287e6, 1.287e10, "万", 4, "万 ↔ 亿"),
        (128.7, 1.287e6, "", 4, "a dropped 万"),
        (1.287e6, 1.287e3, "", 3, "kWh ↔ MWh"),
    ],
)
def test_translation_slips_are_named(
    stated: float, recomputed: float, magnitude: str, power: int, name: str
) -> None:
    j = judge((stated, stated), (recomputed, recomputed), 0.15, magnitude=magnitude)
    assert (j.verdict, j.slip) == ("unit error", f"10^{power}")
    assert j.slip_name is not None
    assert name in j.slip_name


@pytest.mark.parametrize("power", [1, 2, 5, 6, 7, 9])
def test_slips_beyond_the_old_three_are_unit_errors(power: int) -> None:
    j = judge((3.0, 3.0), (3.0 * 10.0**power, 3.0 * 10.0**power), 0.15)
    assert (j.verdict, j.slip, j.slip_direction) == (
        "unit error", f"10^{power}", "stated too small",
    )  # fmt: skip


# -- ranges, bounds, dates --------------------------------------------------------


def _audit(body: str) -> dict[str, dict[str, Any]]:
    report = audit_claims(parse_claims(textwrap.dedent(body), "t.yaml"))
    return {c["id"]: c for c in report.to_dict()["claims"]}


def test_a_range_must_match_at_both_ends() -> None:
    claims = _audit(
        """
        claims:
          - {id: a, text: t, value: 4.2-66億立方米, recompute: 'q("42-66億立方米")'}
          - {id: b, text: t, value: 42-66億立方米, recompute: 'q("42-66億立方米")'}
        """
    )
    # The article's 4.2–66億 overlaps 42–66億 but is not it: one end slipped (4.2 billion m³
    # is 42亿, not 4.2亿).
    assert claims["a"]["verdict"] == "unit error"
    assert claims["a"]["slip"] == "10^1"
    assert claims["a"]["slip_end"] == "low"
    assert "billion ↔ 亿" in claims["a"]["slip_name"]
    assert claims["b"]["verdict"] == "consistent"


def test_qualifiers_are_bounds() -> None:
    claims = _audit(
        """
        claims:
          - {id: over, text: t, value: ">2500", recompute: "2200"}
          - {id: over_ok, text: t, value: ">2500", recompute: "2560"}
          - {id: over_rounded, text: t, value: "超過2億", recompute: "1.95e8"}
          - {id: under, text: t, value: "不到10", recompute: "12"}
          - {id: up_to, text: t, value: "up to 8.9 Wh", recompute: 'q("3 Wh")'}
          - {id: plain, text: t, value: "2500", recompute: "2200"}
        """
    )
    assert claims["over"]["verdict"] == "inconsistent"  # within 15 %, but below the bound
    assert claims["over"]["bound"] == "lower"
    assert "does not reach" in claims["over"]["explanation"]
    assert claims["over_ok"]["verdict"] == "consistent"
    assert claims["over_rounded"]["verdict"] == "consistent"  # 5 % rounding slack
    assert claims["under"]["verdict"] == "inconsistent"
    assert claims["up_to"]["verdict"] == "consistent"
    assert claims["plain"]["verdict"] == "consistent"  # no qualifier: 12 % is within 15 %


def test_several_hundred_million_is_a_range_of_one_to_nine() -> None:
    claims = _audit(
        """
        claims:
          - {id: in_range, text: t, value: 數億倍, recompute: "2.5e8"}
          - {id: above, text: t, value: 數億倍, recompute: "2.5e10"}
        """
    )
    assert claims["in_range"]["verdict"] == "consistent"
    assert claims["above"]["verdict"] == "unit error"


def test_dates_are_compared_as_dates() -> None:
    claims = _audit(
        """
        claims:
          - {id: wrong_year, text: t, value: 2023年, recompute: 'q("2021年")'}
          - {id: month_in_year, text: t, value: 2023年4月, recompute: 'q("2023年")'}
          - {id: bare_year, text: t, value: 2023, kind: date, recompute: 'q("2023-04-20")'}
        """
    )
    # As durations 2023 and 2021 years differ by 0.1 %; as dates they are two years apart.
    assert claims["wrong_year"]["verdict"] == "inconsistent"
    assert claims["wrong_year"]["discrepancy"] == pytest.approx(2.0)
    assert claims["wrong_year"]["slip"] is None
    assert "2.0 years" in claims["wrong_year"]["explanation"]
    assert claims["month_in_year"]["verdict"] == "consistent"
    assert claims["bare_year"]["verdict"] == "consistent"
    assert claims["bare_year"]["stated"]["dimension"] == "date"


# -- misquotes and stale figures --------------------------------------------------


def test_misquote_when_the_cited_source_says_otherwise() -> None:
    claims = _audit(
        """
        claims:
          - id: fine_arithmetic
            text: t
            value: 3 Wh
            recompute: 'q("0.3 Wh") * 10'
            source: de Vries (2023)
            quoted_as: 2.9 Wh
          - id: misquoted
            text: t
            value: 30 Wh
            recompute: 'q("3 Wh") * 10'
            source: de Vries (2023)
            quoted_as: 2.9 Wh
          - id: quote_only
            text: t
            value: 8.9 Wh
            source: AI Index 2023
            quoted_as: 2.9 Wh
          - id: copied_with_another_meaning
            text: 117 US households
            value: 117 US households
            recompute: "40.4"
            source: an earlier Chinese article (国内117个家庭)
            quoted_as: "117"
        """
    )
    assert claims["fine_arithmetic"]["verdict"] == "consistent"
    assert claims["misquoted"]["verdict"] == "misquote"
    assert claims["misquoted"]["quoted_as"]["verdict"] == "unit error"
    assert "the cited source says 2.9 Wh" in claims["misquoted"]["explanation"]
    assert "slip of 10^1" in claims["misquoted"]["explanation"]
    assert claims["misquoted"]["cited_source"] == "de Vries (2023)"
    assert claims["quote_only"]["verdict"] == "misquote"
    assert claims["copied_with_another_meaning"]["verdict"] == "misquote"
    assert "does not mean" in claims["copied_with_another_meaning"]["explanation"]


def test_a_stale_figure_is_named() -> None:
    claims = _audit(
        """
        date: 2024-04-20
        claims:
          - {id: old, text: t, value: 0.3 Wh, date: 2009, recompute: 'q("0.3 Wh")'}
          - {id: recent, text: t, value: 3 Wh, date: 2023, recompute: 'q("3 Wh")'}
        """
    )
    assert claims["old"]["verdict"] == "consistent"
    assert claims["old"]["stale"] is not None
    assert "15 years before the article" in claims["old"]["stale"]
    assert "stale" in claims["old"]["explanation"]
    assert claims["recent"]["stale"] is None
    assert claims["old"]["as_of"] == 2009
