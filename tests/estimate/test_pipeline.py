"""Pipeline parallelism as an input: stages, micro-batches, hand-overs and the host bound."""

from __future__ import annotations

from typing import Any

import pytest

from wattlens import estimate
from wattlens.catalog import Catalog
from wattlens.errors import InputValueError
from wattlens.estimate._common import resolve_accelerators, resolve_model
from wattlens.estimate.inputs import InferenceInputs
from wattlens.estimate.stacks import every_stack, stacks
from wattlens.formulas import inference as formulas

# 70B at batch 64 on H100s is memory-bound: the step is weights + KV cache over bandwidth.
COMMON: dict[str, Any] = {"model": "llama-3.1-70b", "accelerator": "H100 SXM", "count": 8,
                          "output_tokens": 400, "input_tokens": 500, "batch": 64,
                          "stack": "current", "boundary": "accelerator", "samples": 1}  # fmt: skip


def test_a_pipeline_step_reads_the_weights_once_per_micro_batch(catalog: Catalog) -> None:
    """The decode step is the first-principles round, term by term, at the profile's centre."""
    pp = estimate.inference(pipeline=2, catalog=catalog, **COMMON)
    (acc,) = resolve_accelerators("H100 SXM", catalog)
    model = resolve_model("llama-3.1-70b", catalog)
    assert acc.memory_bandwidth_gbs is not None
    assert model.layers
    assert model.hidden_size
    assert model.attention_heads
    assert model.kv_heads
    assert model.params_total is not None
    p = {k: v.central for k, v in stacks()["current"].params.items()}
    weights = model.params_total * 2.0
    kv = formulas.kv_bytes_per_token(model.layers, model.hidden_size, model.attention_heads,
                                     model.kv_heads, model.head_dim)  # fmt: skip
    context = 500 + 400 / 2
    # Two micro-batches of 32, each reading all the weights; the KV cache of all 64 once.
    roofline = (2 * weights + 64 * context * kv) / (8 * acc.memory_bandwidth_gbs * 1e9
                                                    * p["mem_efficiency"])  # fmt: skip
    handover = every_stack("pp_link_latency_s").central + 32 * model.hidden_size * 2 / (
        every_stack("pp_link_bytes_per_s").central
    )
    overhead = p["step_overhead_s"] + p["step_overhead_per_seq_s"] * 32 + handover
    assert pp.decode_step_s is not None
    assert pp.decode_step_s.p50 == pytest.approx(roofline + overhead, rel=1e-9)


def test_pipeline_costs_energy_over_tensor_parallel_on_the_same_devices(catalog: Catalog) -> None:
    tp = estimate.inference(catalog=catalog, **COMMON)
    pp = estimate.inference(pipeline=2, catalog=catalog, **COMMON)
    assert pp.energy_j["p50"] > 1.2 * tp.energy_j["p50"]
    assert any(a.name == "pipeline" and a.value.startswith("2 stages of 4 device(s), 2 micro")
               for a in pp.assumptions)  # fmt: skip
    assert not any(a.name == "pipeline" for a in tp.assumptions)
    assert "pp_link_bytes_per_s" not in {name for name, _ in tp.sensitivity}


def test_host_work_of_the_micro_batches_runs_in_turn() -> None:
    # Host-bound: two micro-batches' host work (2 x 30 ms) outlasts one cycle (30 + 10 ms).
    assert formulas.pipeline_round_overhead_s(0.030, 0.030, 0.010, 2) == pytest.approx(0.050)
    # Device-bound: the cycle (host + hand-overs) beyond the roofline.
    assert formulas.pipeline_round_overhead_s(0.012, 0.010, 0.040, 2) == pytest.approx(0.012)
    # One hand-over of 32 x 8,192 16-bit values over 50 GB/s after 20 us.
    assert formulas.pipeline_handover_s(32.0, 8192, 50e9, 20e-6, 2) == pytest.approx(
        20e-6 + 32 * 8192 * 2 / 50e9
    )


def test_default_count_gives_every_stage_its_own_devices(catalog: Catalog) -> None:
    inputs = {**COMMON, "count": None}
    three = estimate.inference(pipeline=3, catalog=catalog, **inputs)
    assert three.count == 3  # 141 GB / 3 stages fits one 80 GB device per stage


def test_bad_pipelines_are_errors_that_say_what_to_do(catalog: Catalog) -> None:
    with pytest.raises(InputValueError, match="15 accelerators do not split into 2") as exc:
        estimate.inference(**{**COMMON, "count": 15}, pipeline=2, catalog=catalog)
    assert "--count 16 --pipeline 2" in (exc.value.hint or "")
    with pytest.raises(InputValueError, match="160 pipeline stages for 80 layers") as exc:
        estimate.inference(**{**COMMON, "count": 160}, pipeline=160, catalog=catalog)
    assert "--pipeline 80 or fewer" in (exc.value.hint or "")
    with pytest.raises(InputValueError, match="pipeline"):
        estimate.inference(pipeline=0, catalog=catalog, **COMMON)


def test_pipeline_reaches_the_estimate_from_the_cli_and_typed_inputs(cli: Any) -> None:
    inputs = InferenceInputs.build(output_tokens="400", accelerator="H100 SXM",
                                   model="llama-3.1-70b", count="8", pipeline="2")  # fmt: skip
    assert inputs.pipeline == 2
    assert InferenceInputs.build(output_tokens="400", accelerator="H100 SXM",
                                 model="llama-3.1-70b").pipeline == 1  # fmt: skip
    args = ["estimate", "inference", "-m", "llama-3.1-70b", "-a", "H100 SXM", "--output-tokens",
            "400", "--count", "8", "--samples", "200"]  # fmt: skip
    data = cli(*args, "--pipeline", "2", "--json").json()
    assert any(a["name"] == "pipeline" and a["value"].startswith("2 stages of 4 device(s)")
               for a in data["assumptions"])  # fmt: skip
    bad = cli(*args, "--pipeline", "3")
    assert bad.exit_code == 2
    assert "8 accelerators do not split into 3 pipeline stages" in bad.stderr
    assert "--count 9 --pipeline 3" in bad.stderr


def test_a_scenario_class_passes_its_pipeline() -> None:
    from wattlens.scenario.schema import RequestClass

    request = RequestClass.model_validate({"name": "chat", "share": 1.0, "model": "llama-3.1-70b",
                                           "output_tokens": 400, "pipeline": 2})  # fmt: skip
    assert request.pipeline == 2
    assert RequestClass.model_validate({"name": "chat", "share": 1.0, "model": "llama-3.1-70b",
                                        "output_tokens": 400}).pipeline == 1  # fmt: skip


def test_the_dashboard_form_takes_a_pipeline() -> None:
    from wattlens.web import services

    form = {"model": "llama-3.1-70b", "accelerator": "H100 SXM", "output_tokens": "400",
            "count": "8", "pipeline": "2", "samples": "200"}  # fmt: skip
    result, fields = services.estimate_inference(form)
    assert fields["pipeline"] == "2"
    assert any(a.name == "pipeline" for a in result.assumptions)
