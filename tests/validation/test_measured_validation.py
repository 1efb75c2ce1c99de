"""Inference estimates against measured energy from two independent ML.ENERGY generations.

tests/validation/measured_inference.csv holds ML.ENERGY leaderboard v1 (2023,
transformers on PyTorch, batch 1-2, A100 and V100) and v3 (2026, vLLM, batch
8-512, H100 and B200) rows with a fixed split (``fit``: rows a profile's
constants came from; ``holdout``: never used). benchmarks/validate_inference.py
prints the full tables. The bounds below are the figures measured when the
table was built, with a little slack: they guard against regressions; they are
not the goals (leave-one-source-out median factor <= 1.5, worst <= 3, coverage
>= 80 %), which the worst rows do not reach yet.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.validation.benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def validate() -> ModuleType:
    return load_benchmark("validate_inference")


def test_table_has_two_sources_and_a_fixed_split(validate: ModuleType) -> None:
    table = validate.rows()
    assert {r["source_id"] for r in table} == {"mlenergy-v1-2023", "mlenergy-v3-2026"}
    assert {r["split"] for r in table} == {"fit", "holdout"}
    assert all(r["source"] for r in table)
    holdout = [r for r in table if r["split"] == "holdout"]
    assert len(holdout) >= 30
    assert {r["stack"] for r in table} == {"hf", "current"}


@pytest.mark.parametrize(
    ("mode", "median_max", "worst_max", "coverage_min"),
    [
        ("in-sample", 1.3, 2.5, 0.85),
        ("default", 1.45, 3.6, 0.70),
        ("loso", 1.65, 4.0, 0.60),
    ],
)
def test_figures_do_not_regress(
    validate: ModuleType, mode: str, median_max: float, worst_max: float, coverage_min: float
) -> None:
    scored = validate.evaluate(mode, validate.rows(), 1000)
    median, worst, coverage = validate.summary(scored)
    assert median <= median_max
    assert worst <= worst_max
    assert coverage >= coverage_min
