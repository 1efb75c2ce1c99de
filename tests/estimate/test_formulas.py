"""Pure formulas: golden values by hand and properties that must hold."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wattlens.formulas import inference as inf
from wattlens.formulas import training as tr
from wattlens.formulas.uncertainty import Input, Uncertain, sample, sensitivity, summarise


def test_training_flops_is_six_n_d() -> None:
    # GPT-3: 6 x 175e9 x 300e9 = 3.15e23 FLOPs (Brown et al. 2020, Table D.1: 3.14e23)
    assert tr.training_flops(1.75e11, 3e11) == pytest.approx(3.15e23)


def test_accelerator_seconds_from_flops() -> None:
    # 3.15e23 FLOPs on V100 (125 TFLOP/s fp16) at 21.3 % MFU: ~3.29e6 GPU-hours
    seconds = tr.accelerator_seconds_from_flops(3.15e23, 125e12, 0.213)
    assert seconds / 3600 == pytest.approx(3.286e6, rel=1e-3)


def test_kv_cache_of_llama_3_8b() -> None:
    # 32 layers x 8 KV heads x 128 dims x 2 (K, V) x 2 bytes = 128 KiB per token
    assert inf.kv_bytes_per_token(32, 4096, 32, 8) == 131072
    # Qwen3 sets head_dim apart from hidden/heads: 94 x 4 x 128 x 2 x 2 = 188 KiB
    assert inf.kv_bytes_per_token(94, 4096, 64, 4, head_dim=128) == 94 * 4 * 128 * 4


def test_moe_reads_grow_with_batch_and_dense_reads_everything() -> None:
    assert inf.params_read_per_step(8e9, 8e9, 1) == pytest.approx(8e9)
    one = inf.params_read_per_step(235e9, 22e9, 1)
    many = inf.params_read_per_step(235e9, 22e9, 256)
    assert one == pytest.approx(22e9)
    assert one < many <= 235e9
    assert many == pytest.approx(235e9, rel=1e-6)


@given(st.floats(1.0, 1e3), st.floats(1.0, 1e3))
def test_decode_step_is_the_roofline_maximum(mem_gb: float, tflop: float) -> None:
    step = inf.decode_step_s(mem_gb * 1e9, tflop * 1e12, 1, 1e12, 1e15, 1.0, 1.0, 0.0)
    assert step == pytest.approx(max(mem_gb / 1e3, tflop / 1e3))


def test_min_accelerators_is_a_power_of_two() -> None:
    assert inf.min_accelerators(16e9, 80e9) == 1
    assert inf.min_accelerators(170e9, 80e9) == 4  # 170 / 72 = 2.4 -> 4
    assert inf.min_accelerators(810e9, 80e9) == 16


def test_sampling_is_seeded_and_summaries_ordered() -> None:
    inputs: dict[str, Input] = {
        "a": Uncertain(1, 2),
        "b": Uncertain(1, 100, "loguniform"),
        "c": 3.0,
    }
    one = sample(inputs, 5000, seed=1)
    two = sample(inputs, 5000, seed=1)
    assert all(np.array_equal(one[k], two[k]) for k in inputs)
    q = summarise(one["b"])
    assert 1 <= q["p5"] < q["p50"] < q["p95"] <= 100
    assert q["p50"] == pytest.approx(10, rel=0.1)  # log-uniform centre is the geometric mean
    point = sample(inputs, 1)
    assert point["a"][0] == 1.5


def test_sensitivity_names_the_driver() -> None:
    draws = sample({"big": Uncertain(1, 100), "small": Uncertain(1, 1.01)}, 10_000)
    ranking = sensitivity(draws, draws["big"] * draws["small"])
    assert ranking[0][0] == "big"
    assert ranking[0][1] > 0.9


def test_bad_ranges_are_rejected() -> None:
    with pytest.raises(ValueError, match="above high"):
        Uncertain(2, 1)
    with pytest.raises(ValueError, match="positive low"):
        Uncertain(0, 1, "loguniform")


def test_the_former_module_names_still_import() -> None:
    from wattlens.models import inference, training, uncertainty

    assert training.training_flops is tr.training_flops
    assert inference.decode_step_s is inf.decode_step_s
    assert uncertainty.Uncertain is Uncertain


def test_facility_energy_goes_through_the_one_pue_function() -> None:
    energy = np.array([1.0, 2.0])
    assert list(tr.facility_energy_j(energy, np.array([1.5, 1.1]))) == pytest.approx([1.5, 2.2])


def test_decode_time_is_shared_by_the_batch() -> None:
    # 400 tokens x 20 ms per step, shared by 32 requests: 0.25 s per request.
    assert inf.decode_s_per_request(400.0, 0.02, 32.0) == pytest.approx(0.25)
    assert inf.mean_context_tokens(1000.0, 400.0) == 1200.0
