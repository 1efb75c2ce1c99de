"""The estimate API: properties, boundaries, closed models and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from wattlens import estimate
from wattlens.catalog import Catalog
from wattlens.errors import AmbiguousNameError, InputValueError, UnknownNameError


def infer(catalog: Catalog, **kwargs: Any) -> estimate.Estimate:
    base: dict[str, Any] = {"model": "llama-3.1-8b", "output_tokens": 400, "input_tokens": 500,
                            "accelerator": "H100 SXM", "batch": 16, "samples": 2000,
                            "catalog": catalog}  # fmt: skip
    base.update(kwargs)
    return estimate.inference(**base)


def test_boundaries_are_nested(catalog: Catalog) -> None:
    e = infer(catalog)
    acc, server, facility = (e.energy_by_boundary_j[b]["p50"] for b in estimate.BOUNDARIES)
    assert 0 < acc < server < facility
    assert e.boundary == "server"
    assert e.energy_j == e.energy_by_boundary_j["server"]
    assert e.to_dict()["method"] == "estimated"


@pytest.mark.parametrize(
    ("field", "small", "large"),
    [("output_tokens", 100, 1000), ("input_tokens", 100, 4000)],
)
def test_energy_grows_with_tokens(catalog: Catalog, field: str, small: float, large: float) -> None:
    assert (
        infer(catalog, **{field: small}).energy_j["p50"]
        < infer(catalog, **{field: large}).energy_j["p50"]
    )


def test_energy_grows_with_model_size(catalog: Catalog) -> None:
    sizes = ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"]
    energies = [infer(catalog, model=m, precision="fp8").energy_j["p50"] for m in sizes]
    assert energies == sorted(energies)


def test_larger_batches_save_energy_per_request(catalog: Catalog) -> None:
    energies = [infer(catalog, batch=b).energy_j["p50"] for b in (1, 8, 64, 512)]
    assert energies == sorted(energies, reverse=True)


def test_default_count_fits_the_weights(catalog: Catalog) -> None:
    e = infer(catalog, model="llama-3.1-405b", count=None, precision="bf16")
    assert e.extra["count"] >= 16  # 810 GB of bf16 weights in 80 GB GPUs


def test_closed_model_uses_flagged_ranges_and_says_so(catalog: Catalog) -> None:
    e = infer(catalog, model="gpt-4o", count=None)
    assert any("estimate" in w for w in e.warnings)
    names = [name for name, _ in e.sensitivity]
    assert "params_active" in names
    assert e.energy_j["p95"] > 1.5 * e.energy_j["p5"]


def test_training_routes_agree_when_inputs_agree(catalog: Catalog) -> None:
    by_hours = estimate.training(accelerator="A100 SXM4 80GB", accelerator_hours=1e6,
                                 samples=2000, catalog=catalog)  # fmt: skip
    by_days = estimate.training(accelerator="A100 SXM4 80GB", count=1000, days=1e6 / 24 / 1000,
                                samples=2000, catalog=catalog)  # fmt: skip
    assert by_hours.energy_j == pytest.approx(by_days.energy_j)
    assert by_days.extra["duration_s"]["p50"] == pytest.approx(1e6 / 1000 * 3600)


def test_training_energy_grows_with_tokens_and_params(catalog: Catalog) -> None:
    def run(params: float, tokens: float) -> float:
        return estimate.training(accelerator="H100 SXM", params=params, tokens=tokens,
                                 samples=2000, catalog=catalog).energy_j["p50"]  # fmt: skip

    assert run(7e9, 1e12) < run(7e10, 1e12) < run(7e10, 2e12)


def test_impacts_follow_the_location(catalog: Catalog) -> None:
    fr = infer(catalog, location="fr").impacts
    pl = infer(catalog, location="pl").impacts
    assert fr["location"]["grid_id"] == "fr"
    assert fr["co2e_g"]["p50"] < pl["co2e_g"]["p50"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"output_tokens": 0}, "output tokens must be a positive number"),
        ({"output_tokens": -5}, "output tokens must be a positive number"),
        ({"input_tokens": -1.0}, "input tokens must not be negative"),
        ({"batch": 0}, "batch must be a positive number"),
        ({"precision": "fp4"}, "unknown precision 'fp4'"),
        ({"boundary": "planet"}, "unknown boundary 'planet'"),
        ({"model": "llama-3.1-405b", "count": 1}, "needs 810 GB for its weights"),
        ({"model": None}, "give --model NAME or --params P"),
        ({"params": 8e9, "active_params": 9e9, "model": None}, "active parameters exceed"),
    ],
)
def test_bad_inference_input(catalog: Catalog, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputValueError, match=message) as info:
        infer(catalog, **kwargs)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accelerator_hours": 1e6, "days": 3, "count": 8}, "exactly one route"),
        ({}, "exactly one route"),
        ({"days": 3}, "--days needs --count"),
        ({"params": 7e10, "tokens": 1e12, "mfu": (0.0, 0.5)}, "mfu must be a positive number"),
        ({"params": 7e10, "tokens": 1e12, "mfu": 1.5}, "mfu out of range: must be from 0.001 to 1"),
        ({"params": 7e10, "tokens": -1.0}, "tokens must be a positive number"),
        ({"accelerator_hours": 1e6, "pue": 0.9}, "pue out of range"),
    ],
)
def test_bad_training_input(catalog: Catalog, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputValueError, match=message):
        estimate.training(accelerator="H100 SXM", samples=200, catalog=catalog, **kwargs)


def test_unknown_and_ambiguous_names_suggest(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as unknown:
        infer(catalog, model="llama-9-8b")
    assert unknown.value.suggestions
    # An ambiguous model is an error; an accelerator family (A100) spans its variants
    # instead (tests/estimate/test_stacks.py).
    with pytest.raises(AmbiguousNameError):
        infer(catalog, model="llama-2")


def test_impacts_carry_quantiles_for_carbon_water_and_cost(catalog: Catalog) -> None:
    e = infer(catalog, location="de")
    impacts = e.impacts
    for quantity in (impacts["co2e_g"], impacts["water_l"]["total"], impacts["cost"]["amount"]):
        assert quantity["p5"] <= quantity["p50"] <= quantity["p95"]
    water = impacts["water_l"]
    assert water["total"]["p50"] == pytest.approx(
        water["onsite"]["p50"] + water["offsite"]["p50"], rel=0.05
    )
    assert impacts["cost"]["currency"] == "EUR"


def test_estimate_warnings_carry_codes(catalog: Catalog) -> None:
    from wattlens.types import codes

    e = estimate.training(accelerator="H100 SXM", accelerator_hours=1e6, samples=200,
                          catalog=catalog)  # fmt: skip
    assert "hours-times-tdp" in codes(e.warnings)
    assert "upper bound" in e.to_dict()["warnings"][0]
    i = estimate.inference(params=8e9, output_tokens=100, accelerator="H100 SXM", samples=200,
                           catalog=catalog)  # fmt: skip
    assert {"model-shape-unknown", "server-boundary"} <= codes(i.warnings)
    # The impacts' assumptions are coded too; the estimate leaves the on-site water note out.
    assert "onsite-water" not in codes(i.typed_impacts.assumptions)
