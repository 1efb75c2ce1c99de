"""A dated claim about an electricity price is checked against that year's price."""

from __future__ import annotations

import textwrap

import pytest

from wattlens.audit import audit_claims, parse_claims
from wattlens.audit.auditor import ClaimResult

EUR_PER_KWH = 1 / 3.6e6  # EUR/kWh -> EUR/J


def _audit(yaml_text: str) -> dict[str, ClaimResult]:
    report = audit_claims(parse_claims(textwrap.dedent(yaml_text), "t.yaml"))
    return {r.claim.id: r for r in report.results}


def test_a_2021_claim_is_checked_against_the_2021_price() -> None:
    claims = _audit(
        """
        date: 2024-04-20
        claims:
          - {id: as_of, text: t, value: 0.18 EUR/kWh, as_of: 2021, recompute: 'cat("prices", "de")'}
          - {id: dated, text: t, value: 0.18 EUR/kWh, date: 2021,
             recompute: 'cat("prices", "Germany")'}
          - {id: article, text: t, value: 0.18 EUR/kWh, recompute: 'cat("prices", "de")'}
        """
    )
    for claim_id in ("as_of", "dated"):
        result = claims[claim_id]
        assert result.recomputed is not None
        # Eurostat band IC excl. VAT, Germany: mean of 2021-S1 0.1813 and 2021-S2 0.1860.
        assert result.recomputed.central == pytest.approx(0.18365 * EUR_PER_KWH)
        assert result.verdict == "consistent"
        assert "prices_yearly/de-2021.price_local_per_kwh (2021)" in result.sources[-1]
        assert "nearest" not in result.sources[-1]
    # No year on the claim: the article's (2024), when German firms paid 0.23435 EUR/kWh.
    article = claims["article"]
    assert article.recomputed is not None
    assert article.recomputed.central == pytest.approx(0.23435 * EUR_PER_KWH)
    assert article.verdict == "inconsistent"
    assert "prices_yearly/de-2024" in article.sources[-1]


def test_a_year_past_the_series_says_it_took_the_nearest() -> None:
    claims = _audit(
        """
        claims:
          - id: future
            text: t
            value: 0.086 USD/kWh
            as_of: 2030
            recompute: 'cat("prices", "us", "price_usd_per_kwh")'
          - {id: early, text: t, value: 0.0675 USD/kWh, as_of: 2015,
             recompute: 'cat("prices", "us")'}
        """
    )
    future = claims["future"]
    assert future.recomputed is not None
    assert future.recomputed.central == pytest.approx(0.08607 * EUR_PER_KWH)
    assert "prices_yearly/us-2025" in future.sources[-1]
    assert "(2025, the nearest year to 2030)" in future.sources[-1]
    assert "(2019, the nearest year to 2015)" in claims["early"].sources[-1]


def test_without_any_year_the_current_price_is_used() -> None:
    claims = _audit(
        """
        claims:
          - {id: now, text: t, value: 0.2264 EUR/kWh, recompute: 'cat("prices", "de")'}
        """
    )
    now = claims["now"]
    assert now.recomputed is not None
    assert now.recomputed.central == pytest.approx(0.2264 * EUR_PER_KWH)
    assert now.sources[-1].startswith("catalog prices/de.price_local_per_kwh")
    assert now.verdict == "consistent"
