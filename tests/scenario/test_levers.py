"""Levers: transformations applied in order, and a waterfall that adds up."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.scenario.conftest import EXAMPLES
from wattlens.scenario import ScenarioError, load, waterfall
from wattlens.scenario.engine import evaluate
from wattlens.scenario.levers import apply
from wattlens.scenario.sampling import context

MODELLED = """
name: levers
samples: 2000
years: 2
demand: {requests_per_day: 1M, growth_per_year: 20%}
hardware: {accelerator: H100 SXM, batch: 32}
requests:
  - {name: chat, share: 0.7, model: llama-3.1-70b, input_tokens: 500..1500, output_tokens: 400}
  - {name: code, share: 0.3, model: llama-3.1-8b, input_tokens: 1000, output_tokens: 200}
location: us
pue: 1.3..1.5
price: 0.1 USD/kWh
levers:
LEVERS
"""


def _file(write: Callable[[str], Path], levers: str) -> Path:
    return write(MODELLED.replace("LEVERS", levers))


def test_energy_levers_never_add_energy(write: Callable[[str], Path]) -> None:
    levers = """
  - {kind: hardware, accelerator: B200}
  - {kind: quantise, precision: fp8}
  - {kind: batch, batch: 128}
  - {kind: shorter_outputs, factor: 0.7}
  - {kind: model, model: llama-3.1-8b, requests: [chat]}
  - {kind: pue, pue: 1.1}
  - {kind: relocate, location: se}
  - {kind: clean_energy, share: 0.8}
"""
    data = waterfall(load(_file(write, levers)))
    energies = [data["baseline"]["energy_j"]["p50"]]
    energies += [s["after"]["energy_j"]["p50"] for s in data["steps"]]
    assert all(b <= a * (1 + 1e-9) for a, b in itertools.pairwise(energies))
    # Each energy lever saves something in (almost) every sample.
    for step in data["steps"][:6]:
        assert step["saving"]["energy_j"]["p5"] > 0, step["lever"]
    # Relocation and clean energy move carbon, not energy.
    relocate, clean = data["steps"][6], data["steps"][7]
    assert relocate["saving"]["energy_j"]["p50"] == 0
    assert relocate["saving"]["co2e_location_g"]["p50"] > 0
    assert clean["saving"]["energy_j"]["p50"] == 0
    assert clean["saving"]["co2e_location_g"]["p50"] == 0
    assert clean["after"]["co2e_market_g"]["p50"] == pytest.approx(
        0.2 * clean["after"]["co2e_location_g"]["p50"]
    )
    # The steps add up to the total, sample by sample.
    total = sum(s["saving"]["energy_j"]["mean"] for s in data["steps"])
    assert total == pytest.approx(data["total_saving"]["energy_j"]["saving"]["mean"])
    assert data["optimised"]["energy_j"]["p50"] == pytest.approx(energies[-1])


def test_pue_lever_scales_facility_energy(write: Callable[[str], Path]) -> None:
    data = waterfall(load(_file(write, "  - {kind: pue, pue: 1.0}")))
    base, after = data["baseline"], data["steps"][0]["after"]
    assert after["it_energy_j"]["p50"] == pytest.approx(base["it_energy_j"]["p50"])
    assert after["energy_j"]["p50"] < base["energy_j"]["p50"]
    assert after["energy_j"]["mean"] == pytest.approx(after["it_energy_j"]["mean"])


def test_efficiency_lever_multiplies(write: Callable[[str], Path]) -> None:
    data = waterfall(load(_file(write, "  - {kind: efficiency, factor: 0.5, basis: a claim}")))
    share = data["steps"][0]["saving_share_of_baseline"]["energy_j"]
    assert share["p50"] == pytest.approx(0.5)


def test_unchanged_classes_are_not_re_estimated(write: Callable[[str], Path]) -> None:
    levers = """
  - {kind: quantise, precision: fp8, requests: [code]}
  - {kind: pue, pue: 1.1}
  - {kind: clean_energy, share: 0.5}
"""
    data = waterfall(load(_file(write, levers)))
    assert data["estimate_calls"] == 3  # two classes, then code once more


def test_lever_targets_only_named_classes(write: Callable[[str], Path]) -> None:
    loaded = load(_file(write, "  - {kind: batch, batch: 64, requests: [code]}"))
    spec, notes = apply(loaded.spec, loaded.spec.levers[0])
    assert notes == []
    assert spec.requests[0].batch is None
    assert spec.requests[1].batch is not None
    assert spec.requests[1].batch.low == 64


def test_lever_that_breaks_the_model_names_its_line(write: Callable[[str], Path]) -> None:
    path = _file(
        write, "  - {kind: pue, pue: 1.1}\n  - {kind: model, model: llama-3.1-405b, count: 1}"
    )
    with pytest.raises(ScenarioError) as info:
        waterfall(load(path))
    issue = info.value.issues[0]
    assert issue.field == "levers[1]"
    assert issue.line == 15
    assert "GB" in issue.problem


def test_no_levers_is_an_error(write: Callable[[str], Path]) -> None:
    with pytest.raises(ScenarioError, match="lists no levers"):
        waterfall(load(write(MODELLED.replace("levers:\nLEVERS\n", ""))))


def test_example_waterfall_is_monotone() -> None:
    data = waterfall(load(EXAMPLES / "selfhosted-8b-h100.yaml"), samples=2000)
    after = [data["baseline"]["co2e_market_g"]["p50"]]
    after += [s["after"]["co2e_market_g"]["p50"] for s in data["steps"]]
    assert all(b <= a for a, b in itertools.pairwise(after))
    assert data["total_saving"]["co2e_market_g"]["share"]["p50"] > 0.9


def test_engine_reuses_inference_across_years(write: Callable[[str], Path]) -> None:
    loaded = load(_file(write, "  - {kind: pue, pue: 1.1}"))
    ctx = context(loaded, years=10)
    ev = evaluate(ctx, loaded.spec)
    assert ev.facility_j.shape == (10, 2000)
    assert ctx.estimate_calls == 2


def test_zero_price_gives_zero_shares_not_nan(write: Callable[[str], Path]) -> None:
    text = MODELLED.replace("0.1 USD/kWh", "0 USD/kWh").replace(
        "LEVERS", "  - {kind: pue, pue: 1.1}"
    )
    data = waterfall(load(write(text)))
    assert data["steps"][0]["saving_share_of_baseline"]["cost"]["p50"] == 0
