"""Energy to carbon, water and cost: golden values from catalog rows."""

from __future__ import annotations

import pytest

from wattlens.catalog import Catalog, Grid, Price, Water
from wattlens.errors import InputValueError, UnknownNameError
from wattlens.impacts import measured_impacts, resolve_location

KWH = 3.6e6


def test_one_kwh_in_france_with_pue(catalog: Catalog) -> None:
    fr = catalog.get_typed("grids", "fr", Grid)
    out = measured_impacts(KWH, location="France", pue=1.5, catalog=catalog)
    assert out["location"]["grid_id"] == "fr"
    assert out["facility_energy_j"]["central"] == pytest.approx(1.5 * KWH)
    assert out["co2e_g"]["central"] == pytest.approx(1.5 * fr.co2e_g_per_kwh)
    onsite = catalog.get_typed("water", "onsite-industry", Water)
    # On-site water scales with IT energy, off-site with facility energy.
    assert out["water_l"]["onsite"]["central"] == pytest.approx(onsite.l_per_kwh)
    price = catalog.get_typed("prices", "fr", Price)
    assert price.price_local_per_kwh is not None
    assert out["cost"]["currency"] == price.currency
    assert out["cost"]["amount"]["central"] == pytest.approx(1.5 * price.price_local_per_kwh)
    assert "grids/fr" in out["sources"]


def test_pue_is_applied_once_and_defaults_to_one(catalog: Catalog) -> None:
    world = catalog.get_typed("grids", "world", Grid)
    out = measured_impacts(2 * KWH, catalog=catalog)
    assert out["pue"] == 1.0
    assert out["co2e_g"]["central"] == pytest.approx(2 * world.co2e_g_per_kwh)
    assert out["water_l"]["onsite"]["central"] == 0
    assert any("PUE 1.0" in a for a in out["assumptions"])


def test_ranges_pass_through(catalog: Catalog) -> None:
    out = measured_impacts(KWH, 0.5 * KWH, 2 * KWH, location="de", catalog=catalog)
    co2 = out["co2e_g"]
    assert co2["low"] * 2 == pytest.approx(co2["central"])
    assert co2["high"] == pytest.approx(2 * co2["central"])


def test_offsite_water_uses_country_factor_where_published(catalog: Catalog) -> None:
    us = catalog.get_typed("water", "offsite-us", Water)
    out = measured_impacts(KWH, location="us", catalog=catalog)
    assert out["water_l"]["offsite"]["central"] == pytest.approx(us.l_per_kwh)
    assert out["water_l"]["offsite_measure"] == us.measure


def test_cloud_region_resolves_to_its_grid(catalog: Catalog) -> None:
    place = resolve_location("aws-us-east-1", catalog)
    assert place.region is not None
    assert place.grid.id == place.region.grid_id == "us"


def test_unknown_location_suggests(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as info:
        resolve_location("Frence", catalog)
    assert "fr" in info.value.suggestions


def test_pue_below_one_is_rejected(catalog: Catalog) -> None:
    with pytest.raises(InputValueError, match=r"PUE must be at least 1\.0"):
        measured_impacts(KWH, pue=0.9, catalog=catalog)


def test_missing_price_gives_no_cost_and_says_so(catalog: Catalog) -> None:
    out = measured_impacts(KWH, location="world", catalog=catalog)
    assert out["cost"] is None
    assert any("price" in a for a in out["assumptions"])
