"""The engine's shape: seeded draws shared by every lever state, plain functions, coded notes."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.scenario.conftest import EXAMPLES
from wattlens.scenario import load, project
from wattlens.scenario.engine import evaluate
from wattlens.scenario.levers import apply
from wattlens.scenario.sampling import Draws, context
from wattlens.scenario.schema import Span
from wattlens.types import WarningItem

ENGINE_MODULES = (
    "sampling", "demand", "fleet", "training", "impacts", "results", "engine", "levers",
)  # fmt: skip

LEVERS = """
name: draws
samples: 1000
years: 2
demand: {requests_per_day: 1M..2M, growth_per_year: 10%..30%}
requests:
  - {name: a, share: 0.5, energy_per_request: 1..3 Wh, boundary: server}
  - {name: b, share: 0.5, energy_per_request: 2..5 Wh, boundary: server}
location: us
pue: 1.2..1.5
clean_energy_share: 0.1..0.3
onsite_water: 0.2..0.6 L/kWh
price: 0.05..0.1 USD/kWh
levers:
  - {kind: pue, pue: 1.1..1.2}
  - {kind: clean_energy, share: 0.6..0.9}
  - {kind: efficiency, factor: 0.5..0.8, basis: a claim, requests: [a]}
"""


def test_draws_are_seeded_per_name_and_range() -> None:
    draws = Draws(500, seed=7)
    a = draws.uniform("demand.requests_per_day", Span(1.0, 2.0))
    assert draws.uniform("demand.requests_per_day", Span(1.0, 2.0)) is a
    again = Draws(500, seed=7).uniform("demand.requests_per_day", Span(1.0, 2.0))
    np.testing.assert_array_equal(a, again)
    other = draws.uniform("pue", Span(1.0, 2.0))
    assert not np.array_equal(a, other)  # another name, another stream
    assert not np.array_equal(a, Draws(500, seed=8).uniform("demand.requests_per_day", Span(1, 2)))
    assert (draws.uniform("x", Span(3.0, 3.0)) == 3.0).all()


def test_draws_are_the_same_in_every_lever_state(write: Callable[[str], Path]) -> None:
    loaded = load(write(LEVERS))
    ctx = context(loaded)
    base = evaluate(ctx, loaded.spec)
    state = loaded.spec
    states = []
    for i, lever in enumerate(loaded.spec.levers):
        state, _ = apply(state, lever)
        states.append(evaluate(ctx, state, where=("levers", i)))
    pue, clean, efficiency = states
    # Demand does not depend on any lever: the same worlds, sample by sample.
    for ev in states:
        np.testing.assert_array_equal(ev.requests_per_year, base.requests_per_year)
    # A PUE lever leaves IT energy alone in every sample and lowers facility energy in each.
    np.testing.assert_array_equal(pue.it_j, base.it_j)
    assert (pue.facility_j < base.facility_j).all()
    # Clean energy moves only market-based carbon, in every sample.
    np.testing.assert_array_equal(clean.facility_j, pue.facility_j)
    np.testing.assert_array_equal(clean.co2e_location_g, pue.co2e_location_g)
    assert (clean.co2e_market_g < pue.co2e_market_g).all()
    # The efficiency lever touches class a only: class b's samples are the same arrays.
    np.testing.assert_array_equal(efficiency.classes[1].it_j, clean.classes[1].it_j)
    assert (efficiency.classes[0].it_j < clean.classes[0].it_j).all()


def test_ranges_of_output_tokens_and_batch_are_one_model_run(
    write: Callable[[str], Path],
) -> None:
    text = """
name: one run
samples: 1000
demand: {requests_per_day: 1000}
hardware: {accelerator: H100 SXM, batch: 16..64}
requests:
  - {name: chat, share: 1, model: llama-3.1-8b, input_tokens: 500, output_tokens: 200..600}
pue: 1.0
"""
    loaded = load(write(text))
    ctx = context(loaded)
    ev = evaluate(ctx, loaded.spec)
    # Drawn inside the model's Monte Carlo, not modelled at the four corners and blended.
    assert ctx.estimate_calls == 1
    info = ev.classes[0].info
    assert (info.batch, info.output_tokens) == ("16..64", "200..600")


def test_the_engine_is_plain_functions_and_dataclasses() -> None:
    for name in ENGINE_MODULES:
        module = importlib.import_module(f"wattlens.scenario.{name}")
        for attr, value in vars(module).items():
            if not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            where = f"wattlens.scenario.{name}.{attr}"
            assert value.__bases__ == (object,), f"{where} inherits from {value.__bases__}"
            assert dataclasses.is_dataclass(value), f"{where} is not a dataclass"
    engine = importlib.import_module("wattlens.scenario.engine")
    assert not hasattr(engine, "Engine")
    for fn in ("evaluate", "project", "run"):
        assert inspect.isfunction(getattr(engine, fn))


def test_accelerator_is_the_catalog_name_not_a_sentence(write: Callable[[str], Path]) -> None:
    data = project(load(EXAMPLES / "selfhosted-8b-h100.yaml"), samples=500)
    names = {c.info.accelerator for c in data.requests}
    assert names == {"NVIDIA H100 SXM"}


def test_warnings_carry_codes() -> None:
    result = project(load(EXAMPLES / "selfhosted-8b-h100.yaml"), samples=500)
    assert all(isinstance(w, WarningItem) and w.code for w in result.warnings)
    assert [w.code for w in result.warnings] == ["fleet-mismatch"]
    # The model's own boundary note is dropped by its code; the class keeps it.
    class_codes = {w.code for c in result.requests for w in c.info.warnings}
    assert "server-boundary" in class_codes
    assert all(a.code for a in result.assumptions)
    assert result.to_dict()["warnings"] == [w.text for w in result.warnings]


def test_a_place_without_a_price_warns_by_code(write: Callable[[str], Path]) -> None:
    text = """
name: no price
samples: 500
demand: {requests_per_day: 1000}
requests:
  - {name: only, share: 1, energy_per_request: 1 Wh, boundary: server}
location: NAME
pue: 1.2
"""
    from wattlens.catalog import get_catalog

    priced = {row.id for row in get_catalog().rows("prices")}
    grid = next(row.id for row in get_catalog().rows("grids") if row.id not in priced)
    result = project(load(write(text.replace("NAME", grid))))
    codes = [w.code for w in result.warnings]
    assert codes.count("no-price") == 2  # the catalog's note and the scenario's "no cost"
    assert result.daily.cost is None


def test_a_lever_without_a_target_notes_it_by_code(write: Callable[[str], Path]) -> None:
    from wattlens.scenario.schema import BatchLever

    loaded = load(write(LEVERS))  # its classes are given figures: a batch lever changes none
    lever = BatchLever.model_validate({"kind": "batch", "batch": 8})
    state, notes = apply(loaded.spec, lever)
    assert state is loaded.spec
    assert [n.code for n in notes] == ["lever-no-target"]


@pytest.mark.parametrize("name", ["chatgpt-2023-article.yaml", "gpt3-training.yaml"])
def test_json_is_generated_from_the_typed_result(name: str) -> None:
    result = project(load(EXAMPLES / name), samples=500)
    data = result.to_dict()
    assert data["daily"]["energy_j"] == result.daily.energy_j.to_dict()
    assert data["yearly"][0]["year"] == result.yearly[0].year
    assert data["pue"]["p50"] == result.pue.p50
    assert [row["name"] for row in data["locations"]] == [r.name for r in result.locations]
