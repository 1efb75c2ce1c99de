"""Power below TDP for memory-bound steps, and 8-bit weights that do not halve the energy.

ML.ENERGY v3 (tests/validation/published_inference.csv notes) measured batch-8 decode at
0.58-0.85 of TDP and compute-heavy batches of the same models at 0.96-0.99: a step that
streams weights leaves tensor cores idle. vLLM's FP8 documentation promises up to 1.6x
the 16-bit throughput for half the bytes, not 2x: the energy of a memory-bound request
does not halve.
"""

from __future__ import annotations

import numpy as np
import pytest

from wattlens import estimate
from wattlens.estimate.stacks import every_stack, stacks
from wattlens.formulas import inference as formulas


def test_memory_bound_steps_draw_less_than_compute_bound_ones() -> None:
    share = np.array([0.0, 0.5, 1.0])
    power = formulas.busy_power_fraction(np.full(3, 0.9), np.full(3, 0.7), share)
    assert power == pytest.approx([0.9 * 0.7, 0.9 * 0.85, 0.9])


def test_compute_share_is_compute_time_over_memory_time_capped_at_one() -> None:
    # 16 GB at 3.35 TB/s x 0.8 against 2 x 8e9 x 64 FLOPs at 989 TFLOP/s x 0.5.
    share = formulas.compute_share(16e9, 2 * 8e9 * 64, 3.35e12, 989e12, 0.8, 0.5)
    t_mem, t_comp = 16e9 / (3.35e12 * 0.8), 2 * 8e9 * 64 / (989e12 * 0.5)
    assert share == pytest.approx(t_comp / t_mem)
    assert formulas.compute_share(1.0, 1e18, 1.0, 1.0, 1.0, 1.0) == 1.0


def test_every_profile_sets_a_memory_power_share_at_most_one() -> None:
    for profile in stacks().values():
        u = profile.params["memory_power_share"]
        assert 0.5 <= u.low <= u.high <= 1.0, profile.name


def test_small_batch_draws_less_power_than_large_batch() -> None:
    def power(batch: int) -> float:
        e = estimate.inference(model="llama-3.1-8b", accelerator="H100 SXM", count=1,
                               batch=batch, output_tokens=400, input_tokens=400,
                               stack="current", boundary="accelerator", samples=1)  # fmt: skip
        assert e.time_per_request_s is not None
        return e.energy_j["p50"] / e.time_per_request_s.p50 / 700.0

    small, large = power(8), power(512)
    assert small < large
    assert 0.5 < small < 0.9  # ML.ENERGY v3, this model and chip at batch 8: 0.69 of TDP


def test_fp8_energy_does_not_halve() -> None:
    def joules(precision: str) -> float:
        e = estimate.inference(model="llama-3.1-70b", accelerator="H100 SXM", count=4,
                               batch=8, output_tokens=400, input_tokens=400,
                               precision=precision, stack="current", boundary="accelerator",
                               samples=1)  # fmt: skip
        return e.energy_j["p50"]

    ratio = joules("fp8") / joules("bf16")
    eff = every_stack("eight_bit_efficiency")
    assert 0.5 < ratio < 1.0
    assert eff.low == 0.5
    assert eff.high == 0.8  # vLLM FP8 docs: up to 1.6x the throughput for 2x fewer bytes
    names = {a.name for a in estimate.inference(
        model="llama-3.1-70b", accelerator="H100 SXM", count=4, output_tokens=100,
        precision="fp8", samples=1).assumptions}  # fmt: skip
    assert "eight_bit_efficiency" in names


def test_a_chip_outside_the_fit_gets_a_wider_range_and_a_warning() -> None:
    def spread(accelerator: str) -> tuple[float, set[str]]:
        e = estimate.inference(model="llama-3.1-8b", accelerator=accelerator, count=1, batch=64,
                               output_tokens=400, input_tokens=400, stack="current",
                               boundary="accelerator", samples=4000)  # fmt: skip
        return e.energy_j["p95"] / e.energy_j["p5"], {w.code for w in e.warnings}

    fitted, fitted_codes = spread("H100 SXM")
    other, other_codes = spread("H200")
    assert "accelerator-unfitted" not in fitted_codes
    assert "accelerator-unfitted" in other_codes
    chip = every_stack("chip_residual")
    assert chip.high / chip.low == pytest.approx(1.44**2, rel=0.01)
    assert other > fitted * 1.2
