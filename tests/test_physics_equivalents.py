"""The Landauer floor, everyday equivalents and market-based carbon: golden values."""

from __future__ import annotations

import math
from typing import Any

import pytest

from wattlens.catalog import Catalog, Equivalent
from wattlens.equivalents import express_energy, express_water
from wattlens.impacts import measured_impacts
from wattlens.physics import landauer_floor, landauer_j_per_bit


def test_landauer_at_300_kelvin() -> None:
    # 1.380649e-23 J/K x 300 K x ln 2 = 2.871e-21 J
    assert landauer_j_per_bit(300) == pytest.approx(1.380649e-23 * 300 * math.log(2))
    assert landauer_j_per_bit(300) == pytest.approx(2.871e-21, rel=1e-3)
    with pytest.raises(ValueError, match="above 0 K"):
        landauer_j_per_bit(0)


def test_floor_and_ratio() -> None:
    floor = landauer_floor(1e15, actual_energy_j=700.0, bits_per_flop=16, temperature_k=300)
    assert floor.minimum_energy_j == pytest.approx(1e15 * 16 * 2.871e-21, rel=1e-3)
    assert floor.ratio == pytest.approx(700.0 / floor.minimum_energy_j)
    assert any("16 bits" in a for a in floor.assumptions)


def test_article_claim_hundreds_of_millions_is_checkable(cli: Any) -> None:
    """An H100 at peak and TDP is ~10^7 above the floor at chip level; real workloads far more."""
    data = cli("limit", "--accelerator", "H100 SXM", "--json").json()
    assert 1e6 < data["ratio"] < 1e9
    assert data["bits_per_flop"] == 16


def test_limit_rejects_bad_input(cli: Any) -> None:
    assert cli("limit", "--temperature", "-5").exit_code == 2
    assert cli("limit", "--flops", "-1", "--energy-j", "1").exit_code == 2
    assert cli("limit", "--precision", "fp5", "--flops", "1").exit_code == 2


def test_seventeen_thousand_us_households(catalog: Catalog) -> None:
    """The article: 500,000 kWh a day is more than 17,000 US households."""
    us = catalog.get_typed("equivalents", "household-us", Equivalent)
    assert us.unit == "kWh/year"
    per_day_j = 500_000 * 3.6e6
    households = next(
        c.value for c in express_energy(per_day_j * 365, catalog)
        if c.id == "household-us" and c.unit == "years"
    )  # fmt: skip
    assert households == pytest.approx(500_000 * 365 / us.value)
    assert 16_000 < households < 18_500


def test_water_in_olympic_pools(catalog: Catalog) -> None:
    pools = next(c for c in express_water(700_000, catalog) if c.id == "olympic-pool")
    assert pools.value == pytest.approx(700_000 / 2_500_000)


def test_equivalents_cli_json(cli: Any) -> None:
    result = cli("equivalents", "1.3 GWh", "--json")
    assert result.exit_code == 0
    data = result.json()
    assert data["energy_j"] == pytest.approx(1.3 * 3.6e12)
    assert all(c["source"] and c["year"] for c in data["comparisons"])
    assert cli("equivalents", "lots").exit_code == 2


def test_market_based_carbon_with_clean_share(catalog: Catalog) -> None:
    out = measured_impacts(3.6e6, location="us", clean_share=0.75, catalog=catalog)
    assert out["co2e_market_g"]["central"] == pytest.approx(0.25 * out["co2e_g"]["central"])
    with pytest.raises(ValueError, match="clean-energy share"):
        measured_impacts(3.6e6, clean_share=1.5, catalog=catalog)


def test_gpt3_training_is_hundreds_of_millions_above_the_floor() -> None:
    """SEED.md: 'real computers use hundreds of millions of times that limit'."""
    floor = landauer_floor(6 * 175e9 * 300e9, actual_energy_j=1287 * 3.6e9)
    assert floor.ratio is not None
    assert 1e8 < floor.ratio < 1e9


def test_scenario_results_are_expressed_in_everyday_terms(cli: Any, catalog: Catalog) -> None:
    us = catalog.get_typed("equivalents", "household-us", Equivalent)
    result = cli("scenario", "run", "examples/scenarios/chatgpt-2023-article.yaml",
                 "--samples", "500", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    households = next(
        e for e in data["equivalents"] if e["id"] == "household-us" and e["unit"] == "years"
    )
    yearly_kwh = data["yearly"][0]["energy_j"]["p50"] / 3.6e6
    assert households["value"] == pytest.approx(yearly_kwh / us.value, rel=1e-6)
    assert any(e["id"] == "olympic-pool" for e in data["equivalents"])
