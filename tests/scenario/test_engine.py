"""Golden values by hand: requests x energy x days, growth, PUE once, carbon, water, cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from wattlens.catalog import get_catalog
from wattlens.scenario import load, run

GIVEN = """
name: golden
years: {years}
samples: 1000
demand:
  requests_per_day: 1000
  growth_per_year: {growth}
requests:
  - name: only
    share: 1
    energy_per_request: {energy}
    boundary: {boundary}
location: {location}
pue: {pue}
clean_energy_share: {clean}
{extra}
"""


def _text(**kw: object) -> str:
    values: dict[str, object] = {"years": 1, "growth": 0, "energy": "1 Wh", "boundary": "server",
                                 "location": "us", "pue": 1.0, "clean": 0, "extra": ""}  # fmt: skip
    values.update(kw)
    return GIVEN.format(**values)


def test_requests_times_energy_times_days(write: Callable[[str], Path]) -> None:
    data = run(load(write(_text())))
    year = data["yearly"][0]
    assert year["it_energy_j"]["p50"] == pytest.approx(1000 * 365 * 3600.0)
    assert year["energy_j"]["p50"] == pytest.approx(1000 * 365 * 3600.0)
    assert data["daily"]["energy_j"]["p50"] == pytest.approx(1000 * 3600.0)
    assert data["daily"]["requests"]["p50"] == pytest.approx(1000)
    assert data["per_request"]["energy_j"]["p50"] == pytest.approx(3600.0)


def test_growth_compounds_once_a_year(write: Callable[[str], Path]) -> None:
    data = run(load(write(_text(years=4, growth="50%"))))
    base = 1000 * 365 * 3600.0
    energies = [row["energy_j"]["p50"] for row in data["yearly"]]
    assert energies == pytest.approx([base, base * 1.5, base * 2.25, base * 3.375])
    assert [row["year"] for row in data["yearly"]] == [1, 2, 3, 4]
    assert data["total"]["energy_j"]["p50"] == pytest.approx(sum(energies))


def test_years_override_and_base_year(write: Callable[[str], Path]) -> None:
    data = run(load(write(_text(extra="base_year: 2030"))), years=3)
    assert [row["year"] for row in data["yearly"]] == [2030, 2031, 2032]


def test_pue_applied_once(write: Callable[[str], Path]) -> None:
    server = run(load(write(_text(pue=1.5))))
    assert server["daily"]["it_energy_j"]["p50"] == pytest.approx(1000 * 3600.0)
    assert server["daily"]["energy_j"]["p50"] == pytest.approx(1.5 * 1000 * 3600.0)
    # A figure already at the facility boundary is not multiplied again.
    facility = run(load(write(_text(pue=1.5, energy="1.5 Wh", boundary="facility"))))
    assert facility["daily"]["energy_j"]["p50"] == pytest.approx(1.5 * 1000 * 3600.0)
    assert facility["daily"]["it_energy_j"]["p50"] == pytest.approx(1000 * 3600.0)


def test_carbon_location_and_market_based(write: Callable[[str], Path]) -> None:
    grid = get_catalog().get("grids", "us")
    data = run(load(write(_text(pue=1.2, clean=0.4))))
    kwh = 1000 * 365 * 1.2 * 1.0 / 1000  # 1 Wh x 1.2 PUE per request
    year = data["yearly"][0]
    location = kwh * grid.co2e_g_per_kwh  # type: ignore[attr-defined]
    assert year["co2e_location_g"]["p50"] == pytest.approx(location)
    assert year["co2e_market_g"]["p50"] == pytest.approx(location * (1 - 0.4))
    assert any("1 - clean-energy share" in a for a in data["assumptions"])


def test_location_mix_weights_the_grids(write: Callable[[str], Path]) -> None:
    cat = get_catalog()
    us = cat.get("grids", "us").co2e_g_per_kwh  # type: ignore[attr-defined]
    se = cat.get("grids", "se").co2e_g_per_kwh  # type: ignore[attr-defined]
    text = _text(location="[{name: us, share: 0.25}, {name: se, share: 0.75}]")
    data = run(load(write(text)))
    kwh = 1000 * 365 / 1000
    assert data["yearly"][0]["co2e_location_g"]["p50"] == pytest.approx(
        kwh * (0.25 * us + 0.75 * se)
    )
    assert [row["share"] for row in data["locations"]] == [0.25, 0.75]


def test_water_onsite_from_it_and_offsite_from_facility(write: Callable[[str], Path]) -> None:
    data = run(load(write(_text(pue=2.0, extra="onsite_water: 0.5 L/kWh"))))
    it_kwh = 1000 * 365 / 1000
    water = data["yearly"][0]["water_l"]
    offsite_l_per_kwh = data["locations"][0]["water_offsite_l_per_kwh"]
    assert water["onsite"]["p50"] == pytest.approx(it_kwh * 0.5)
    assert water["offsite"]["p50"] == pytest.approx(2 * it_kwh * offsite_l_per_kwh)
    assert water["total"]["p50"] == pytest.approx(water["onsite"]["p50"] + water["offsite"]["p50"])


def test_cost_in_the_price_currency_and_usd(write: Callable[[str], Path]) -> None:
    # The article: 500,000 kWh a day at RMB 1.06 = RMB 530,000 a day (seed C06).
    text = _text(energy="500 kWh", extra="price: 1.06 CNY/kWh")
    data = run(load(write(text)))
    cost = data["daily"]["cost"]
    assert cost["currency"] == "CNY"
    assert cost["amount"]["p50"] == pytest.approx(530_000)
    rate = get_catalog().get("exchange_rates", "cny").usd_per_unit  # type: ignore[attr-defined]
    assert cost["amount_usd"]["p50"] == pytest.approx(530_000 * rate)
    assert data["yearly"][0]["cost"]["amount"]["p50"] == pytest.approx(530_000 * 365)


def test_cost_from_the_catalog_price_without_a_price(write: Callable[[str], Path]) -> None:
    price = get_catalog().get("prices", "us").price_local_per_kwh  # type: ignore[attr-defined]
    data = run(load(write(_text(energy="1 kWh"))))
    assert data["daily"]["cost"]["currency"] == "USD"
    assert data["daily"]["cost"]["amount"]["p50"] == pytest.approx(1000 * price)


def test_users_times_requests_per_user(write: Callable[[str], Path]) -> None:
    text = _text().replace("requests_per_day: 1000", "users: 50\n  requests_per_user_per_day: 20")
    data = run(load(write(text)))
    assert data["daily"]["requests"]["p50"] == pytest.approx(1000)


def test_ranges_give_ranges(write: Callable[[str], Path]) -> None:
    data = run(load(write(_text(energy="2..4 Wh"))), samples=20_000)
    q = data["per_request"]["energy_j"]
    assert q["p5"] == pytest.approx(2.1 * 3600, rel=0.02)
    assert q["p50"] == pytest.approx(3.0 * 3600, rel=0.02)
    assert q["p95"] == pytest.approx(3.9 * 3600, rel=0.02)
    # Seeded: the same file gives the same numbers.
    assert run(load(write(_text(energy="2..4 Wh"))), samples=20_000)["daily"] == data["daily"]


def test_modelled_class_uses_the_inference_estimate(write: Callable[[str], Path]) -> None:
    from wattlens import estimate

    text = """
name: modelled
samples: 2000
demand: {requests_per_day: 1000}
hardware: {accelerator: H100 SXM, batch: 32}
requests:
  - {name: chat, share: 1, model: llama-3.1-8b, input_tokens: 500, output_tokens: 400}
pue: 1.25
location: us
"""
    data = run(load(write(text)))
    e = estimate.inference(model="llama-3.1-8b", output_tokens=400, input_tokens=500,
                           accelerator="H100 SXM", batch=32, pue=1.0, samples=2000)  # fmt: skip
    server = e.energy_by_boundary_j["server"]["p50"]
    assert data["per_request"]["it_energy_j"]["p50"] == pytest.approx(server)
    assert data["daily"]["energy_j"]["p50"] == pytest.approx(1000 * server * 1.25, rel=1e-9)
    assert data["requests"][0]["method"] == "modelled"
    assert data["requests"][0]["count"] == 1


def test_output_token_range_lies_between_the_ends(write: Callable[[str], Path]) -> None:
    base = """
name: interp
samples: 4000
demand: {requests_per_day: 1000}
hardware: {accelerator: H100 SXM, batch: 32}
requests:
  - {name: chat, share: 1, model: llama-3.1-8b, input_tokens: 500, output_tokens: OUT}
pue: 1.0
"""
    low = run(load(write(base.replace("OUT", "200"))))["per_request"]["it_energy_j"]["p50"]
    high = run(load(write(base.replace("OUT", "600"))))["per_request"]["it_energy_j"]["p50"]
    mid = run(load(write(base.replace("OUT", "200..600"))))["per_request"]["it_energy_j"]["p50"]
    assert low < mid < high


def test_training_amortised_over_its_years(write: Callable[[str], Path]) -> None:
    text = """
name: training
years: 3
samples: 2000
training:
  - {name: run, accelerator: V100 SXM2 32GB, count: 10000, days: 14.8, pue: 1.1,
     amortise_years: 2}
location: us
pue: 1.1
"""
    data = run(load(write(text)))
    run_mwh = data["training"][0]["facility_energy_j"]["p50"] / 3.6e9
    assert 1287 * 0.85 < run_mwh < 1287 * 1.15  # Patterson et al. 2021, Table 4
    years = [row["energy_j"]["p50"] for row in data["yearly"]]
    assert years[0] == pytest.approx(years[1])
    assert years[2] == 0
    assert data["total"]["energy_j"]["p50"] == pytest.approx(run_mwh * 3.6e9, rel=1e-6)


def test_training_and_inference_per_request(write: Callable[[str], Path]) -> None:
    text = _text(extra="training:\n  - {name: run, accelerator: H100 SXM, accelerator_hours: 1000}")
    data = run(load(write(text)))
    assert "training_it_energy_j" in data["per_request"]
    assert data["per_request"]["training_it_energy_j"]["p50"] > 0


def test_fleet_cross_check_is_de_vries(write: Callable[[str], Path]) -> None:
    text = _text(energy="2.9 Wh", extra="fleet: {servers: 3617, power_per_server: 6.5 kW}")
    text = text.replace("requests_per_day: 1000", "requests_per_day: 195M")
    data = run(load(write(text)))
    fleet = data["fleet"]
    assert fleet["it_energy_per_day_j"]["p50"] / 3.6e9 == pytest.approx(3617 * 6.5 * 24 / 1000)
    assert fleet["bottom_up_to_top_down"]["p50"] == pytest.approx(
        195e6 * 2.9 / (3617 * 6500 * 24), rel=1e-9
    )


def test_fleet_alone_is_the_estimate(write: Callable[[str], Path]) -> None:
    text = "name: fleet\nsamples: 500\npue: 1.0\nfleet: {servers: 10, power_per_server: 1 kW}\n"
    data = run(load(write(text)))
    assert data["per_request"] is None
    assert data["daily"]["energy_j"]["p50"] == pytest.approx(10 * 1000 * 86_400)


def test_default_pue_is_the_catalog_range(write: Callable[[str], Path]) -> None:
    text = _text().replace("pue: 1.0\n", "")
    data = run(load(write(text)))
    assert 1.0 < data["pue"]["p5"] < data["pue"]["p95"] < 2.0
    assert any("PUE" in a and "catalog" in a for a in data["assumptions"])
