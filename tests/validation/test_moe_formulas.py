"""Mixture-of-experts decode reads from first principles: experts touched per step.

The expected number of distinct experts ``B`` tokens touch is ``E (1 - (1 - k/E)^B)``;
the non-expert weights follow from ``N_active = S + (k/E)(N_total - S)``; with experts
spread over ``n`` devices the busiest device sets the step.
"""

from __future__ import annotations

import numpy as np
import pytest

from wattlens import estimate
from wattlens.estimate.stacks import every_stack, moe_experts
from wattlens.formulas import inference as formulas


def test_shared_params_solve_the_active_count() -> None:
    # Qwen3-235B-A22B: 128 experts, 8 per token -> about 7.8e9 weights used by every token.
    shared = formulas.shared_params(235e9, 22e9, 128, 8)
    assert shared == pytest.approx(7.8e9, rel=0.01)
    assert shared + (8 / 128) * (235e9 - shared) == pytest.approx(22e9)
    # An active count below k/E of the total has no room for shared weights: 0, never negative.
    assert formulas.shared_params(100e9, 1e9, 8, 2) == 0.0


def test_expected_distinct_experts_one_device() -> None:
    # One token touches exactly k of E experts; B tokens E (1 - (1 - k/E)^B).
    assert formulas.experts_read_share(128, 8, 1.0, 1) == pytest.approx(8 / 128)
    assert formulas.experts_read_share(128, 8, 8.0, 1) == pytest.approx(1 - (120 / 128) ** 8)
    assert formulas.experts_read_share(128, 8, 512.0, 1) == pytest.approx(1.0, abs=1e-12)


def test_busiest_device_reads_more_than_the_average() -> None:
    one = formulas.experts_read_share(128, 8, 8.0, 1)
    eight = formulas.experts_read_share(128, 8, 8.0, 8)
    # 16 experts per device, p = 0.40: mean 6.45, spread 1.96, busiest of 8 about +1.42 spreads.
    mean, spread = 16 * one, np.sqrt(16 * one * (1 - one))
    assert eight == pytest.approx((mean + formulas.expected_max_normal(8) * spread) / 16)
    assert 1.3 < eight / one < 1.5
    assert formulas.expected_max_normal(1) == 0.0
    assert formulas.expected_max_normal(8) == pytest.approx(1.42, abs=0.02)
    # Large batches touch every expert on every device: no imbalance left.
    assert formulas.experts_read_share(128, 8, 1024.0, 8) == pytest.approx(1.0)


def test_moe_params_read_is_between_active_and_total() -> None:
    batches = np.array([1.0, 8.0, 64.0, 512.0])
    read = formulas.moe_params_read_per_step(
        np.full(4, 235e9), np.full(4, 22e9), 128, 8, batches, 1
    )
    assert read[0] == pytest.approx(22e9, rel=1e-9)
    assert np.all(np.diff(read) > 0)
    assert read[-1] == pytest.approx(235e9, rel=1e-3)
    # Fewer bytes at small batch than counting every weight as an expert at f = N_active/N.
    token_level = formulas.params_read_per_step(235e9, 22e9, 8.0)
    assert read[1] < token_level


def test_the_catalog_moe_models_have_their_routing() -> None:
    table = moe_experts()
    assert table["qwen3-235b-a22b"].experts == 128
    assert table["qwen3-235b-a22b"].per_token == 8
    assert table["deepseek-v3"].moe_layers == 58
    assert all(r.source and r.per_token < r.experts for r in table.values())


def test_expert_parallel_exchange_is_a_stated_input() -> None:
    spread = estimate.inference(model="qwen3-235b-a22b", accelerator="H100 SXM", count=8,
                                batch=8, output_tokens=500, input_tokens=500,
                                stack="current", samples=1)  # fmt: skip
    names = {a.name for a in spread.assumptions}
    assert {"experts", "ep_alltoall_s"} <= names
    one = estimate.inference(model="qwen3-30b-a3b", accelerator="H100 SXM", count=1,
                             batch=8, output_tokens=500, input_tokens=500,
                             stack="current", samples=1)  # fmt: skip
    assert "ep_alltoall_s" not in {a.name for a in one.assumptions}
    # 94 MoE layers x the exchange's central time add to every decode step.
    assert spread.decode_step_s is not None
    assert spread.decode_step_s.p50 > 94 * every_stack("ep_alltoall_s").central
