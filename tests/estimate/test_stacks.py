"""Serving stacks as an input, the input-token assumption, accelerator families, precisions."""

from __future__ import annotations

from typing import Any

import pytest

from wattlens import estimate
from wattlens.catalog import Catalog
from wattlens.errors import InputValueError
from wattlens.estimate.inputs import FieldError, InferenceInputs, TrainingInputs
from wattlens.estimate.stacks import PARAMETERS, check_stack, model_residual, stacks
from wattlens.formulas import inference as formulas

COMMON: dict[str, Any] = {"model": "llama-3.1-8b", "output_tokens": 400, "input_tokens": 300,
                          "accelerator": "H100 SXM", "count": 1, "boundary": "accelerator",
                          "samples": 4000}  # fmt: skip


def test_every_profile_names_its_basis_and_source() -> None:
    profiles = stacks()
    assert {"current", "older", "hf", "llama.cpp"} <= set(profiles)
    for profile in profiles.values():
        assert profile.label
        assert 0 < profile.weight <= 1
        assert set(profile.params) == set(PARAMETERS)
        for name, value in profile.params.items():
            kind = value.basis.split(" ", 1)[0]
            assert kind in {"fitted", "bound", "estimate", "property"}, (profile.name, name)
            assert "(" in value.basis, (profile.name, name)  # a source in parentheses
    assert model_residual().low < 1 < model_residual().high


def test_unknown_stack_is_the_default_and_spans_the_named_ones(catalog: Catalog) -> None:
    default = estimate.inference(batch=8, catalog=catalog, **COMMON)
    assert any(a.name == "serving stack" and a.value.startswith("unknown")
               for a in default.assumptions)  # fmt: skip
    medians = [estimate.inference(batch=8, stack=s, catalog=catalog, **COMMON).energy_j["p50"]
               for s in stacks()]  # fmt: skip
    assert default.energy_j["p5"] < min(medians)
    assert default.energy_j["p95"] > max(medians)
    assert "serving_stack" in dict(default.sensitivity)
    assert {f"serving_stacks/{s}" for s in stacks()} <= set(default.sources)


def test_older_stack_steps_far_slower_than_the_roofline_at_lower_power(catalog: Catalog) -> None:
    """Large-batch decode on an older engine: host-bound steps, chips at a fraction of TDP."""
    current = estimate.inference(batch=256, stack="current", catalog=catalog, **COMMON)
    older = estimate.inference(batch=256, stack="older", catalog=catalog, **COMMON)
    assert current.decode_step_s is not None
    assert older.decode_step_s is not None
    # Memory roofline of the step: weights + KV cache of 256 sequences at full bandwidth.
    kv = formulas.kv_bytes_per_token(32, 4096, 32, 8)
    read = 8.03e9 * 2 + 256 * formulas.mean_context_tokens(300.0, 400.0) * kv
    roofline_s = read / 3.35e12
    assert older.decode_step_s.p50 > 6 * roofline_s
    assert current.decode_step_s.p50 < 4 * roofline_s
    # Energy rises less than time: the chips wait at lower power.
    power_older = older.decode_energy_j.p50 / older.decode_step_s.p50
    power_current = current.decode_energy_j.p50 / current.decode_step_s.p50
    assert power_older < power_current
    assert older.energy_j["p50"] > 1.7 * current.energy_j["p50"]


def test_step_overhead_grows_with_the_batch(catalog: Catalog) -> None:
    small = estimate.inference(batch=8, stack="older", **{**COMMON, "samples": 1},
                               catalog=catalog)  # fmt: skip
    large = estimate.inference(batch=256, stack="older", **{**COMMON, "samples": 1},
                               catalog=catalog)  # fmt: skip
    assert small.decode_step_s is not None
    assert large.decode_step_s is not None
    per_seq = stacks()["older"].params["step_overhead_per_seq_s"].central
    assert large.decode_step_s.p50 - small.decode_step_s.p50 >= 248 * per_seq


def test_static_batches_wait_for_their_longest_response() -> None:
    assert formulas.static_batch_steps_factor(1.0, 1.0) == pytest.approx(1.0, abs=0.01)
    assert formulas.static_batch_steps_factor(2.0, 1.0) == pytest.approx(1.5, abs=0.01)
    assert formulas.static_batch_steps_factor(64.0, 0.0) == 1.0


def test_hf_batch_of_two_saves_a_quarter_not_half(catalog: Catalog) -> None:
    """ML.ENERGY v1 (transformers, batch 2): ~0.77 of the batch-1 energy per response."""
    args = {**COMMON, "model": "llama-2-7b", "precision": "fp16", "stack": "hf", "samples": 1}
    one = estimate.inference(batch=1, catalog=catalog, **args).energy_j["p50"]
    two = estimate.inference(batch=2, catalog=catalog, **args).energy_j["p50"]
    assert 0.65 <= two / one <= 0.9


def test_unknown_stack_leaves_out_engines_that_do_not_batch_that_far(catalog: Catalog) -> None:
    e = estimate.inference(batch=256, catalog=catalog, **COMMON)
    stack = next(a.value for a in e.assumptions if a.name == "serving stack")
    assert "current" in stack
    assert "older" in stack
    assert "hf" not in stack
    assert "llama.cpp" not in stack


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("vLLM", "current"),
        ("transformers", "hf"),
        ("llama.cpp", "llama.cpp"),
        ("UNKNOWN", "unknown"),
    ],
)
def test_stack_names_and_aliases(name: str, key: str) -> None:
    assert check_stack(name) == key


def test_unknown_stack_name_lists_the_known_ones() -> None:
    with pytest.raises(FieldError, match="unknown serving stack 'tensorrt'") as info:
        InferenceInputs.build(accelerator="H100 SXM", output_tokens=100, stack="tensorrt")
    assert info.value.field == "stack"
    assert "current" in (info.value.hint or "")


def test_input_tokens_default_is_a_stated_assumption(catalog: Catalog) -> None:
    args = {k: v for k, v in COMMON.items() if k != "input_tokens"}
    assumed = estimate.inference(batch=8, catalog=catalog, **args)
    codes = {w.code for w in assumed.warnings}
    assert "input-tokens-assumed" in codes
    shown = next(a for a in assumed.assumptions if a.name == "input_tokens")
    assert shown.value.startswith("100-")
    assert "assumption" in shown.basis
    given = estimate.inference(batch=8, catalog=catalog, **COMMON)
    assert "input-tokens-assumed" not in {w.code for w in given.warnings}


def test_bf16_on_a_chip_without_it_names_what_it_supports(catalog: Catalog) -> None:
    with pytest.raises(InputValueError, match="V100 SXM2 32GB has no bf16") as info:
        estimate.inference(model="llama-2-7b", output_tokens=100, accelerator="V100 SXM2 32GB",
                           catalog=catalog)  # fmt: skip
    assert "fp16" in info.value.message
    assert info.value.hint == "pass --precision fp16"
    ok = estimate.inference(model="llama-2-7b", output_tokens=100, precision="fp16",
                            accelerator="V100 SXM2 32GB", samples=1, catalog=catalog)  # fmt: skip
    assert ok.energy_j["p50"] > 0


@pytest.mark.parametrize("family", ["A100", "V100", "H100"])
def test_a_family_name_spans_its_variants(family: str, catalog: Catalog) -> None:
    e = estimate.inference(model="llama-2-7b", output_tokens=300, accelerator=family,
                           precision="fp16", batch=1, catalog=catalog)  # fmt: skip
    warning = next(w for w in e.warnings if w.code == "accelerator-family")
    assert family in warning.text
    assert "variants" in warning.text
    variants = [s for s in e.sources if s.startswith("accelerators/")]
    assert len(variants) >= 3
    assert "accelerator_variant" in dict(e.sensitivity)
    one = estimate.inference(model="llama-2-7b", output_tokens=300, precision="fp16", batch=1,
                             accelerator=variants[0].split("/")[1], catalog=catalog)  # fmt: skip
    assert one.energy_j["p95"] / one.energy_j["p5"] < e.energy_j["p95"] / e.energy_j["p5"]


def test_a_family_with_a_count_drops_variants_too_small(catalog: Catalog) -> None:
    e = estimate.inference(model="llama-2-13b", output_tokens=300, accelerator="V100",
                           precision="fp16", batch=1, count=1, catalog=catalog)  # fmt: skip
    assert not any("16gb" in s for s in e.sources)
    assert any("cannot hold the weights" in w.text for w in e.warnings)


@pytest.mark.parametrize(
    ("name", "row"),
    [("H100 80GB HBM3", "nvidia-h100-sxm"), ("NVIDIA A100-SXM4-40GB", "nvidia-a100-sxm4-40gb")],
)
def test_nvml_names_resolve(name: str, row: str, catalog: Catalog) -> None:
    e = estimate.inference(model="llama-3.1-8b", output_tokens=100, accelerator=name, samples=1,
                           catalog=catalog)  # fmt: skip
    assert e.sources[0] == f"accelerators/{row}"


@pytest.mark.parametrize(("text", "meant"), [("40", "0.40"), ("30:50", "0.30..0.50")])
def test_mfu_given_as_a_percentage_number_is_refused(text: str, meant: str) -> None:
    with pytest.raises(FieldError, match=f"MFU is a fraction; did you mean {meant}"):
        TrainingInputs.build(accelerator="H100 SXM", params=7e10, tokens=2e12, mfu=text)
    assert TrainingInputs.build(accelerator="H100 SXM", mfu="40%").mfu == pytest.approx(0.4)


def test_a_scenario_request_class_names_its_stack(catalog: Catalog) -> None:
    from wattlens.scenario.demand import model_inputs
    from wattlens.scenario.loader import loads

    text = """
name: stacks
base_year: 2025
years: 1
demand:
  requests_per_day: 1M
hardware:
  accelerator: H100 SXM
requests:
  - name: chat
    share: 1
    model: llama-3.1-8b
    output_tokens: 400
    stack: older
"""
    spec = loads(text, catalog=catalog).spec
    inputs = model_inputs(_Ctx(), spec.requests[0], spec)  # type: ignore[arg-type]
    assert inputs.stack == "older"


class _Ctx:
    samples = 200
    seed = 1


def test_web_api_takes_the_stack() -> None:
    from fastapi.testclient import TestClient

    from wattlens.web.app import create_app

    client = TestClient(create_app())
    params = {"model": "llama-3.1-8b", "output_tokens": "400", "input_tokens": "300",
              "accelerator": "H100 SXM", "batch": "256", "samples": "1000"}  # fmt: skip
    current = client.get("/api/estimate/inference", params={**params, "stack": "current"})
    older = client.get("/api/estimate/inference", params={**params, "stack": "older"})
    assert current.status_code == older.status_code == 200
    assert older.json()["energy_j"]["p50"] > 1.5 * current.json()["energy_j"]["p50"]
    bad = client.get("/api/estimate/inference", params={**params, "stack": "tensorrt"})
    assert bad.status_code == 400


def test_training_family_spans_variants_and_refuses_missing_precision(catalog: Catalog) -> None:
    family = estimate.training(accelerator="A100", params=7e10, tokens=2e12, samples=4000,
                               catalog=catalog)  # fmt: skip
    assert any(w.code == "accelerator-family" for w in family.warnings)
    assert len([s for s in family.sources if s.startswith("accelerators/")]) == 4
    with pytest.raises(InputValueError, match="V100 SXM2 32GB has no bf16 arithmetic"):
        estimate.training(accelerator="V100", params=7e9, tokens=1e11, catalog=catalog)
    # The hours route needs no arithmetic format: bf16 (the default) stays accepted there.
    hours = estimate.training(accelerator="V100 SXM2 32GB", accelerator_hours=1e4, samples=200,
                              catalog=catalog)  # fmt: skip
    assert hours.energy_j["p50"] > 0


def test_training_billed_hours_include_goodput(catalog: Catalog) -> None:
    """Billed hours = steady-state hours at the MFU / goodput (restarts, evaluation, idle)."""
    e = estimate.training(accelerator="H100 SXM", params=4.05e11, tokens=1.5e13, mfu=0.4,
                          samples=4000, catalog=catalog)  # fmt: skip
    steady_h = 6 * 4.05e11 * 1.5e13 / (989.5e12 * 0.4) / 3600
    hours = e.extra["accelerator_hours"]
    assert hours["p5"] > steady_h * 1.02
    assert steady_h * 1.1 < hours["p50"] < steady_h * 1.5
    assert "goodput" in dict(e.sensitivity)
