"""The shipped serving-stack constants are what benchmarks/calibrate_inference.py fits.

The full fit needs scipy and minutes; this checks, without scipy, that the
shipped `current` constants sit at a minimum of the script's loss (moving any
of them by 10 % either way makes the fit no better) and that the shipped
residual range is the one the script computes from them.
"""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.validation.benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def calibrate() -> ModuleType:
    return load_benchmark("calibrate_inference")


def test_shipped_constants_are_a_minimum_of_the_fit(calibrate: ModuleType) -> None:
    table = calibrate.rows()
    shipped = calibrate.centrals()
    best = calibrate.loss(shipped, table)
    for name in calibrate.FITTED:
        for k in (0.9, 1.1):
            moved = {**shipped, name: shipped[name] * k}
            if name in calibrate.FRACTIONS and moved[name] > 1:
                continue
            # 1 % slack: Nelder-Mead stops within its tolerance of the minimum.
            assert calibrate.loss(moved, table) >= best * 0.99, (name, k)


def test_shipped_residual_range_is_the_fitted_one(calibrate: ModuleType) -> None:
    from wattlens.estimate.stacks import model_residual

    low, high = calibrate.residual_range(calibrate.centrals(), calibrate.rows())
    shipped = model_residual()
    assert shipped.low == pytest.approx(low, rel=0.01)
    assert shipped.high == pytest.approx(high, rel=0.01)
