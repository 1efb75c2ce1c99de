"""Energy to carbon, water and cost: golden values from catalog rows."""

from __future__ import annotations

import numpy as np
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


def test_the_chain_is_the_same_for_floats_and_sample_arrays(catalog: Catalog) -> None:
    from wattlens.impacts import factors_at, impacts_of

    f = factors_at("fr", catalog)
    it = np.array([0.5 * KWH, KWH, 2 * KWH])
    pue = np.array([1.1, 1.2, 1.5])
    chain = impacts_of(it, factors=f, pue=pue, clean_share=0.25)
    for i in range(3):
        one = impacts_of(float(it[i]), factors=f, pue=float(pue[i]), clean_share=0.25)
        assert chain.facility_j[i] == pytest.approx(one.facility_j)
        assert chain.co2e_market_g[i] == pytest.approx(one.co2e_market_g)
        assert chain.cost[i] == pytest.approx(one.cost)
    fr = catalog.get_typed("grids", "fr", Grid)
    onsite = catalog.get_typed("water", "onsite-industry", Water)
    # Carbon follows facility energy; on-site water follows IT energy (WUE), not x PUE.
    assert chain.co2e_location_g[2] == pytest.approx(2 * 1.5 * fr.co2e_g_per_kwh)
    assert chain.co2e_market_g[2] == pytest.approx(0.75 * 2 * 1.5 * fr.co2e_g_per_kwh)
    assert chain.water_onsite_l[2] == pytest.approx(2 * onsite.l_per_kwh)


def test_outside_a_data_centre_there_is_no_overhead_and_no_cooling_water(
    catalog: Catalog,
) -> None:
    from wattlens.impacts import factors_at, impacts_of

    chain = impacts_of(KWH, factors=factors_at("de", catalog))
    assert chain.facility_j == KWH
    assert chain.water_onsite_l == 0
    assert chain.water_offsite_l > 0


def test_a_location_mix_is_share_weighted(catalog: Catalog) -> None:
    from wattlens.impacts import factors_at, impacts_of, mix_factors

    fr, pl = factors_at("fr", catalog), factors_at("pl", catalog)
    mix = mix_factors([("fr", 0.25), ("pl", 0.75)], catalog)
    assert mix.co2e_g_per_j == pytest.approx(0.25 * fr.co2e_g_per_j + 0.75 * pl.co2e_g_per_j)
    assert mix.place.grid_id == "pl"
    parts = impacts_of(0.25 * KWH, factors=fr, pue=1.2) + impacts_of(
        0.75 * KWH, factors=pl, pue=1.2
    )
    assert impacts_of(KWH, factors=mix, pue=1.2).co2e_location_g == pytest.approx(
        parts.co2e_location_g
    )


def test_assumptions_carry_codes_that_code_can_test(catalog: Catalog) -> None:
    from wattlens.impacts import measured_impacts_typed
    from wattlens.types import codes

    outside = measured_impacts_typed(KWH, location="world", catalog=catalog)
    assert {"pue-default", "no-clean-share", "no-onsite-water", "no-price"} <= codes(
        outside.assumptions
    )
    inside = measured_impacts_typed(KWH, location="fr", pue=1.2, clean_share=0.5, catalog=catalog)
    assert "onsite-water" in codes(inside.assumptions)
    assert not {"pue-default", "no-clean-share", "no-onsite-water"} & codes(inside.assumptions)
    # The typed result and its JSON form agree, and the JSON form reads back.
    assert inside.to_dict() == measured_impacts(
        KWH, location="fr", pue=1.2, clean_share=0.5, catalog=catalog
    )
    from wattlens.types import Impacts

    assert Impacts.from_dict(inside.to_dict()).to_dict() == inside.to_dict()


def test_apply_pue_takes_floats_and_arrays() -> None:
    from wattlens.impacts import apply_pue

    assert apply_pue(10.0, 1.5) == 15.0
    assert list(apply_pue(np.array([1.0, 2.0]), np.array([1.5, 1.1]))) == pytest.approx([1.5, 2.2])


def test_a_measurement_carries_typed_impacts_matching_its_json() -> None:
    from wattlens.measurement import ComponentEnergy, Measurement

    part = ComponentEnergy("cpu", "cpu", "CPU", "counter", "rapl", "counter", 3.6e6, 100.0)
    m = Measurement("r1", "job", "2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00",
                    3600.0, (part,), location="fr", pue=1.2)  # fmt: skip
    typed = m.typed_impacts
    assert typed.pue == 1.2
    assert typed.facility_energy_j is not None
    assert typed.facility_energy_j.p50 == pytest.approx(1.2 * KWH)
    assert m.impacts == typed.to_dict()
    # Read back from stored JSON: the same; an older stored shape is recomputed, and kept as JSON.
    stored = Measurement.from_dict(m.to_dict())
    assert stored.typed_impacts.co2e_g == typed.co2e_g
    older = {"location": "FR", "co2e_g": {"p5": 1.0, "p50": 2.0, "p95": 3.0}}
    legacy = Measurement.from_dict({**m.to_dict(), "impacts": older})
    assert legacy.impacts == older
    assert legacy.typed_impacts.co2e_g.p50 == pytest.approx(typed.co2e_g.p50)
