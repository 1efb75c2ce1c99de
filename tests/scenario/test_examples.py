"""The shipped scenario files run and give the magnitudes their sources publish."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenario.conftest import EXAMPLES
from wattlens.scenario import load, run, waterfall

FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
MWH = 3.6e9


def _run(name: str, samples: int = 2000) -> dict[str, Any]:
    return run(load(EXAMPLES / name), samples=samples)


def test_the_five_examples_are_there() -> None:
    assert set(FILES) >= {"chatgpt-2023-article.yaml", "chatgpt-2025.yaml",
                          "ai-in-every-search.yaml", "gpt3-training.yaml",
                          "selfhosted-8b-h100.yaml"}  # fmt: skip


@pytest.mark.parametrize("name", FILES)
def test_every_example_runs_and_states_its_sources(name: str) -> None:
    data = _run(name, samples=500)
    assert data["sources"], f"{name} has no sources"
    first = data["yearly"][0]
    assert first["energy_j"]["p5"] <= first["energy_j"]["p50"] <= first["energy_j"]["p95"]
    assert first["energy_j"]["p50"] > 0
    assert first["co2e_market_g"]["p50"] <= first["co2e_location_g"]["p50"]
    assert first["cost"] is not None


@pytest.mark.parametrize("name", [n for n in FILES if load(EXAMPLES / n).spec.levers])
def test_every_example_with_levers_gives_a_waterfall(name: str) -> None:
    data = waterfall(load(EXAMPLES / name), samples=500)
    assert len(data["steps"]) == len(load(EXAMPLES / name).spec.levers)


def test_chatgpt_2023_article() -> None:
    data = _run("chatgpt-2023-article.yaml")
    # Top-down (de Vries 2023): 3,617 servers x 6.5 kW x 24 h = 564 MWh a day.
    fleet_mwh = data["fleet"]["it_energy_per_day_j"]["p50"] / MWH
    assert fleet_mwh == pytest.approx(3617 * 6.5 * 24 / 1000)
    assert 563 < fleet_mwh < 565
    # Bottom-up: 200 M requests x 2.5-2.9 Wh = 500-580 MWh a day (the article: ~500,000 kWh).
    daily = data["daily"]["energy_j"]
    assert 500 <= daily["p5"] / MWH <= daily["p50"] / MWH <= daily["p95"] / MWH <= 580
    assert 0.85 < data["fleet"]["bottom_up_to_top_down"]["p50"] < 1.05
    # The bill: RMB 1.06/kWh x ~540 MWh x 365 ~ RMB 200 million a year (the headline).
    cost = data["yearly"][0]["cost"]
    assert cost["currency"] == "CNY"
    assert 1.9e8 < cost["amount"]["p50"] < 2.3e8
    assert 2.5e7 < cost["amount_usd"]["p50"] < 3.5e7


def test_ai_in_every_search() -> None:
    data = _run("ai-in-every-search.yaml")
    # de Vries 2023: 9e9 x 8.9 Wh = 80 GWh a day, 29.2 TWh a year; 512,821 x 6.5 kW.
    assert data["yearly"][0]["it_energy_j"]["p50"] / 3.6e15 == pytest.approx(29.2, rel=0.01)
    assert data["daily"]["energy_j"]["p50"] / 3.6e12 == pytest.approx(80.1, rel=0.01)
    assert data["fleet"]["it_energy_per_day_j"]["p50"] / 3.6e12 == pytest.approx(80.0, rel=0.01)


def test_gpt3_training() -> None:
    data = _run("gpt3-training.yaml")
    mwh = data["yearly"][0]["energy_j"]["p50"] / MWH
    assert 1287 * 0.85 < mwh < 1287 * 1.15  # Patterson et al. 2021: 1,287 MWh
    tonnes = data["yearly"][0]["co2e_location_g"]["p50"] / 1e6
    assert 300 < tonnes < 700  # Patterson: 552 t at 429 g/kWh (the catalog's US grid is lower)
    assert data["per_request"] is None


def test_chatgpt_2025_is_bottom_up_gpt4o() -> None:
    data = _run("chatgpt-2025.yaml")
    assert {c["model"] for c in data["requests"]} == {"gpt-4o"}
    assert all(c["method"] == "modelled" for c in data["requests"])
    wh = data["per_request"]["energy_j"]["p50"] / 3600
    # Epoch AI 2025: ~0.3 Wh for a typical query; the model's range sits within ~30x of it.
    assert 0.1 < wh < 10
    gwh_day = data["daily"]["energy_j"]["p50"] / 3.6e12
    assert 0.5 < gwh_day < 50
    assert len(data["yearly"]) == 3
    energies = [row["energy_j"]["p50"] for row in data["yearly"]]
    assert energies == sorted(energies)  # growing demand


def test_selfhosted_8b_h100() -> None:
    data = _run("selfhosted-8b-h100.yaml")
    j = data["per_request"]["energy_j"]["p50"]
    assert 30 < j < 1000  # ML.ENERGY v3: ~47 J per response on the GPU alone at batch 64
    assert all(c["count"] == 1 for c in data["requests"])
    assert data["daily"]["cost"]["currency"] == "EUR"
    # One always-on server dwarfs the energy its few requests take.
    assert data["fleet"]["bottom_up_to_top_down"]["p50"] < 0.5
    assert any("idles" in w for w in data["warnings"])
