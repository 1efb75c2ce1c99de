"""A whole training run's energy, forecast from its first epochs, with an interval.

How the interval is made (``forecast_energy``):

1. The first ``warmup_epochs`` epochs (data-loader start, compilation, caches) are
   counted in the energy already used but not in the model of an epoch.
2. The other ``n`` measured epochs ``x_1 .. x_n`` are draws of one per-epoch energy
   with mean ``mu`` and spread ``sigma``. The energy of the ``m`` epochs still to run
   is then forecast by its *prediction* interval, not by ``m * mean`` alone::

       m * xbar  +/-  t(q, n-1) * s * sqrt(m + m**2 / n)

   ``m * s**2`` is the spread of the future epochs themselves, ``m**2 * s**2 / n``
   the uncertainty of the estimated mean (the prediction interval of a sum of
   ``m`` new draws from a normal sample; e.g. Hahn & Meeker, *Statistical
   Intervals*, 1991, sec. 4.7), with Student's t for an estimated ``sigma``.
3. Drift: the least-squares slope ``b`` of energy over epoch index (a run that
   slows as it goes, a learning-rate schedule, thermal throttling). Where the
   line and the mean part ways over the remaining epochs, the interval is
   widened on that side by ``b * m * (n + m) / 2``: the sum over ``j = 1..m`` of
   the line's excess over the mean at epoch ``n + j``.
4. The energy already used is added to every bound, and the meter's own range
   (modelled components carry a low / high band) widens the result by the ratio
   of the observed band to the observed central value.

Carbon, water and cost follow from the energy band through the one impacts
chain (:func:`wattlens.impacts.measured_impacts_typed`).

Only the standard library is used here: this runs at the end of every epoch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist, fmean, stdev
from typing import Any

from wattlens.errors import InputValueError

__all__ = [
    "DEFAULT_LEVEL",
    "EnergyForecast",
    "forecast_energy",
    "prediction_half_width",
    "t_quantile",
]

DEFAULT_LEVEL = 0.90
"""Two-sided coverage of the interval: its bounds are the p5 and p95 of the project's ranges."""


def t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom.

    Exact for 1 and 2 degrees of freedom; otherwise the Cornish-Fisher expansion
    in the normal quantile (Abramowitz & Stegun, *Handbook of Mathematical
    Functions*, 26.7.5), within 0.05 % of the exact value from 3 degrees of freedom on.
    """
    if not 0.0 < p < 1.0:
        raise InputValueError(f"a quantile's probability must be in (0, 1), got {p}")
    if df < 1:
        raise InputValueError(f"degrees of freedom must be at least 1, got {df}")
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    v = float(df)
    return z + g1 / v + g2 / v**2 + g3 / v**3 + g4 / v**4


def prediction_half_width(sd: float, n: int, m: int, level: float = DEFAULT_LEVEL) -> float:
    """Half-width of the prediction interval for the sum of ``m`` new epochs.

    ``t((1 + level) / 2, n - 1) * sd * sqrt(m + m**2 / n)`` (see the module's docstring).
    """
    if n < 2:
        raise InputValueError(f"an interval needs at least 2 modelled epochs, got {n}")
    if m <= 0:
        return 0.0
    return t_quantile((1 + level) / 2, n - 1) * sd * math.sqrt(m + m * m / n)


def _slope(values: Sequence[float]) -> float:
    n = len(values)
    xbar = (n - 1) / 2
    ybar = fmean(values)
    sxx = sum((i - xbar) ** 2 for i in range(n))
    return sum((i - xbar) * (y - ybar) for i, y in enumerate(values)) / sxx if sxx else 0.0


@dataclass(frozen=True)
class EnergyForecast:
    """The forecast energy of a whole run (IT energy, joules), made after ``epochs_seen``."""

    epochs_seen: int
    total_epochs: int
    warmup_epochs: int
    level: float
    energy_used_j: float
    """Measured so far (every epoch, warm-up included)."""
    epoch_mean_j: float
    epoch_sd_j: float
    drift_j_per_epoch: float
    statistical_low_j: float
    """The interval from the epochs' spread and drift alone (before the meter's range)."""
    statistical_high_j: float
    energy_low_j: float
    energy_j: float
    energy_high_j: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs_seen": self.epochs_seen,
            "total_epochs": self.total_epochs,
            "warmup_epochs": self.warmup_epochs,
            "level": self.level,
            "method": "t-prediction-interval+drift+meter-range",
            "energy_used_j": self.energy_used_j,
            "epoch_mean_j": self.epoch_mean_j,
            "epoch_sd_j": self.epoch_sd_j,
            "drift_j_per_epoch": self.drift_j_per_epoch,
            "statistical_energy_j": {
                "low": self.statistical_low_j,
                "central": self.energy_j,
                "high": self.statistical_high_j,
            },
            "energy_j": {
                "low": self.energy_low_j,
                "central": self.energy_j,
                "high": self.energy_high_j,
            },
        }


def forecast_energy(
    epoch_energies_j: Sequence[float],
    total_epochs: int,
    *,
    warmup_epochs: int = 1,
    level: float = DEFAULT_LEVEL,
    meter_low_ratio: float = 1.0,
    meter_high_ratio: float = 1.0,
) -> EnergyForecast:
    """Forecast a run of ``total_epochs`` from the energies of its first epochs.

    Args:
        epoch_energies_j: Measured energy of each epoch so far, in order (central values).
        total_epochs: Epochs the whole run will have.
        warmup_epochs: Leading epochs left out of the per-epoch model.
        level: Two-sided coverage of the interval.
        meter_low_ratio: The meter's low bound over its central value for the energy so far.
        meter_high_ratio: The same for the high bound.

    Raises:
        InputValueError: Fewer than two epochs after the warm-up, more epochs than
            the run has, a negative energy or a level outside (0, 1).
    """
    seen = len(epoch_energies_j)
    if not 0.0 < level < 1.0:
        raise InputValueError(f"forecast level must be in (0, 1), got {level}")
    if warmup_epochs < 0:
        raise InputValueError(f"warm-up epochs must be 0 or more, got {warmup_epochs}")
    if seen > total_epochs:
        raise InputValueError(
            f"{seen} epochs measured but the run has only {total_epochs}",
            hint="pass the run's real number of epochs",
        )
    if any(not math.isfinite(e) or e < 0 for e in epoch_energies_j):
        raise InputValueError("epoch energies must be finite and non-negative")
    modelled = [float(e) for e in epoch_energies_j[warmup_epochs:]]
    n = len(modelled)
    if n < 2:
        raise InputValueError(
            f"a forecast needs at least 2 epochs after the {warmup_epochs} warm-up epoch(s), "
            f"got {n}",
            hint="forecast after more epochs, or with fewer warm-up epochs",
        )
    used = float(sum(epoch_energies_j))
    m = total_epochs - seen
    mean = fmean(modelled)
    sd = stdev(modelled)
    slope = _slope(modelled)
    central = used + m * mean
    half = prediction_half_width(sd, n, m, level)
    drift = slope * m * (n + m) / 2
    low = central - half + min(drift, 0.0)
    high = central + half + max(drift, 0.0)
    low = max(low, used)  # what is spent is spent; energy is never negative
    return EnergyForecast(
        epochs_seen=seen,
        total_epochs=total_epochs,
        warmup_epochs=warmup_epochs,
        level=level,
        energy_used_j=used,
        epoch_mean_j=mean,
        epoch_sd_j=sd,
        drift_j_per_epoch=slope,
        statistical_low_j=low,
        statistical_high_j=high,
        energy_low_j=low * min(meter_low_ratio, 1.0),
        energy_j=central,
        energy_high_j=high * max(meter_high_ratio, 1.0),
    )
