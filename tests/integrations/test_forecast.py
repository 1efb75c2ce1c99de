"""The interval arithmetic of the training forecast."""

from __future__ import annotations

import math

import pytest

from wattlens.errors import InputValueError
from wattlens.integrations.training.forecast import (
    forecast_energy,
    prediction_half_width,
    t_quantile,
)


@pytest.mark.parametrize(
    ("df", "exact"),
    # Student's t 0.95 quantiles (two-sided 90 %), standard tables.
    [(1, 6.313752), (2, 2.919986), (3, 2.353363), (5, 2.015048), (10, 1.812461), (30, 1.697261)],
)
def test_t_quantile_matches_the_tables(df: int, exact: float) -> None:
    assert t_quantile(0.95, df) == pytest.approx(exact, rel=5e-4)
    assert t_quantile(0.05, df) == pytest.approx(-exact, rel=5e-4)


def test_half_width_is_the_prediction_interval_of_a_sum() -> None:
    # sd 2, n 4 epochs modelled, m 6 to come: t(0.95, 3) * 2 * sqrt(6 + 36 / 4)
    assert prediction_half_width(2.0, 4, 6) == pytest.approx(2.353363 * 2 * math.sqrt(15), rel=5e-4)
    assert prediction_half_width(2.0, 4, 0) == 0.0


def test_forecast_of_constant_epochs_is_exact() -> None:
    f = forecast_energy([50.0, 10.0, 10.0, 10.0], 10, warmup_epochs=1)
    assert f.energy_j == pytest.approx(50 + 9 * 10)
    assert f.energy_low_j == pytest.approx(f.energy_j)
    assert f.energy_high_j == pytest.approx(f.energy_j)
    assert f.energy_used_j == 80.0


def test_forecast_interval_from_spread_and_drift() -> None:
    energies = [30.0, 9.0, 11.0, 10.0, 12.0]  # warm-up, then n = 4: mean 10.5, slope 4 / 5
    f = forecast_energy(energies, 10, warmup_epochs=1)
    n, m = 4, 5
    mean = 10.5
    sd = math.sqrt(sum((e - mean) ** 2 for e in energies[1:]) / (n - 1))
    half = 2.353363 * sd * math.sqrt(m + m * m / n)
    drift = 0.8 * m * (n + m) / 2  # the line's excess over the mean, summed over the 5 epochs
    used = sum(energies)
    assert f.epoch_mean_j == pytest.approx(mean)
    assert f.drift_j_per_epoch == pytest.approx(0.8)
    assert f.energy_j == pytest.approx(used + m * mean)
    assert f.energy_low_j == pytest.approx(used + m * mean - half, rel=1e-3)
    assert f.energy_high_j == pytest.approx(used + m * mean + half + drift, rel=1e-3)


def test_meter_range_widens_the_interval_and_low_never_below_spent() -> None:
    f = forecast_energy([10.0, 1.0, 30.0], 20, warmup_epochs=0, meter_low_ratio=0.5,
                        meter_high_ratio=2.0)  # fmt: skip
    assert f.statistical_low_j == pytest.approx(41.0)  # the energy already used
    assert f.energy_low_j == pytest.approx(0.5 * f.statistical_low_j)
    assert f.energy_high_j == pytest.approx(2.0 * f.statistical_high_j)


def test_forecast_rejects_bad_input() -> None:
    with pytest.raises(InputValueError, match="at least 2 epochs after the 1 warm-up"):
        forecast_energy([5.0, 5.0], 10)
    with pytest.raises(InputValueError, match="3 epochs measured but the run has only 2"):
        forecast_energy([5.0, 5.0, 5.0], 2, warmup_epochs=0)
    with pytest.raises(InputValueError, match="finite and non-negative"):
        forecast_energy([5.0, -1.0, 5.0], 5, warmup_epochs=0)
    with pytest.raises(InputValueError, match="level"):
        forecast_energy([5.0, 4.0, 5.0], 5, level=1.5)
