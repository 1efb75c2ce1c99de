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
4. Split-conformal calibration (``method="conformal"``, the default). Steps 2-3
   assume epochs that are draws of one distribution plus a straight drift; a
   shared machine whose load changes mid-run breaks that, and the interval then
   covers less than its level. So the interval of steps 2-3, ``[c - L, c + U]``
   around the central value ``c``, is scaled by a factor ``lambda`` learned from
   a fixed set of real CPU training runs that the package ships
   (``data/forecast_calibration.csv``, per-epoch energies; made by
   ``benchmarks/validate_forecast.py --record``). For each calibration run long
   enough to have epochs left after ``warmup + n`` epochs, the forecast made
   there gives the score ``r = (final - c) / U`` (or ``(c - final) / L`` when
   the run ended below ``c``): the least scale of the interval that holds the
   run's final energy. Scores relative to each run's own interval (normalised,
   like the locally weighted scores of Lei et al. 2018) carry over to other
   machines as a ratio: a run with steady epochs keeps a narrow interval, and
   only how far the t interval understates is learnt from the calibration
   machine. ``lambda`` is the ``ceil((N + 1) * level)``-th smallest of the ``N``
   scores; if a new run's score is exchangeable with theirs, its final
   energy falls in ``[c - lambda * L, c + lambda * U]`` with probability at least
   ``level`` (split conformal prediction: Vovk, Gammerman & Shafer, *Algorithmic
   Learning in a Random World*, 2005; Lei et al., *JASA* 113:1094, 2018,
   Thm. 2.2). ``lambda`` is never below 1: calibration only widens the interval
   of steps 2-3. A forecast after more modelled epochs than the calibration runs
   allow at ``level`` uses the scores of the largest ``n`` they do allow.
   ``method="t"`` leaves the interval of steps 2-3 as it is.
5. The energy already used is added to every bound, and the meter's own range
   (modelled components carry a low / high band) widens the result by the ratio
   of the observed band to the observed central value.

Carbon, water and cost follow from the energy band through the one impacts
chain (:func:`wattlens.impacts.measured_impacts_typed`).

Only the standard library is used here: this runs at the end of every epoch (the
calibration file is read once, at the first calibrated forecast).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist, fmean, stdev
from typing import TYPE_CHECKING, Any, Literal

from wattlens.errors import InputValueError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = [
    "DEFAULT_LEVEL",
    "METHOD_CONFORMAL",
    "METHOD_T",
    "Calibration",
    "EnergyForecast",
    "EpochRun",
    "conformal_quantile",
    "forecast_energy",
    "load_calibration",
    "prediction_half_width",
    "read_epoch_runs",
    "t_quantile",
]

DEFAULT_LEVEL = 0.90
"""Two-sided coverage of the interval: its bounds are the p5 and p95 of the project's ranges."""

METHOD_T = "t-prediction-interval+drift"
"""The interval of steps 2-3 of the module's docstring, as it is."""
METHOD_CONFORMAL = "split-conformal(t-prediction-interval+drift)"
"""That interval scaled by the split-conformal factor of step 4."""
CALIBRATION_FILE = "forecast_calibration.csv"


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
    method: str = METHOD_T
    """How the statistical interval was made: :data:`METHOD_T` or :data:`METHOD_CONFORMAL`."""
    interval_factor: float = 1.0
    """The split-conformal scale applied to the t interval (1 for :data:`METHOD_T`)."""
    calibration_runs: int = 0
    """Calibration runs whose scores gave ``interval_factor`` (0: none)."""
    calibration_epochs: int = 0
    """Modelled epochs at which those runs were scored (``epochs_seen - warmup`` or fewer)."""
    note: str = ""
    """Why a requested calibration was not applied, where it was not."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs_seen": self.epochs_seen,
            "total_epochs": self.total_epochs,
            "warmup_epochs": self.warmup_epochs,
            "level": self.level,
            "method": f"{self.method}+meter-range",
            "calibration": {
                "interval_factor": self.interval_factor,
                "runs": self.calibration_runs,
                "modelled_epochs": self.calibration_epochs,
                "note": self.note,
            },
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


@dataclass(frozen=True)
class EpochRun:
    """One recorded training run: the energy of each of its epochs, in order."""

    run: str
    split: str
    seed: int
    width: int
    rows: int
    total_epochs: int
    energy_j: tuple[float, ...]
    energy_low_j: tuple[float, ...]
    energy_high_j: tuple[float, ...]


def read_epoch_runs(source: Path | Traversable) -> list[EpochRun]:
    """Read a per-epoch energy file (``#`` comment lines, then CSV with a header).

    Columns: ``run, split, seed, width, rows, total_epochs, epoch, energy_j,
    energy_low_j, energy_high_j, duration_s``; each run's epochs ``1..total_epochs``
    in order.
    """
    import csv

    text = source.read_text(encoding="utf-8")
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(body):
        rows.setdefault(row["run"], []).append(row)
    runs = []
    for name, epochs in rows.items():
        total = int(epochs[0]["total_epochs"])
        if [int(r["epoch"]) for r in epochs] != list(range(1, total + 1)):
            raise InputValueError(
                f"{source}: run {name!r} does not list epochs 1..{total} in order",
                hint="regenerate the file with benchmarks/validate_forecast.py --record",
            )
        first = epochs[0]
        runs.append(
            EpochRun(
                run=name,
                split=first["split"],
                seed=int(first["seed"]),
                width=int(first["width"]),
                rows=int(first["rows"]),
                total_epochs=total,
                energy_j=tuple(float(r["energy_j"]) for r in epochs),
                energy_low_j=tuple(float(r["energy_low_j"]) for r in epochs),
                energy_high_j=tuple(float(r["energy_high_j"]) for r in epochs),
            )
        )
    return runs


def conformal_quantile(scores: Sequence[float], level: float) -> float | None:
    """The split-conformal quantile: the ``ceil((N + 1) * level)``-th smallest of ``N`` scores.

    None where ``N`` is too small for ``level`` (the rank would exceed ``N``).
    With a new score exchangeable with ``scores``, ``P(new <= quantile) >= level``
    (Lei et al., *JASA* 113:1094, 2018, Thm. 2.2).
    """
    rank = math.ceil((len(scores) + 1) * level - 1e-9)  # float slack: 10 * 0.9 is 9
    if rank > len(scores):
        return None
    return sorted(scores)[rank - 1]


@dataclass(frozen=True)
class Calibration:
    """Recorded runs from which the interval's split-conformal factor is computed."""

    runs: tuple[EpochRun, ...]
    source: str

    def factor(self, modelled: int, warmup_epochs: int, level: float) -> tuple[float, int, int]:
        """``(interval_factor, runs, modelled_epochs)`` for a forecast after ``modelled`` epochs.

        The scores come from the largest ``k <= modelled`` at which enough runs still
        had epochs to come for a quantile at ``level``; ``(1.0, 0, 0)`` where no ``k`` does.
        """
        for k in range(modelled, 1, -1):
            scores = _scores(self, k, warmup_epochs, level)
            q = conformal_quantile(scores, level)
            if q is not None:
                return max(q, 1.0), len(scores), k
        return 1.0, 0, 0


def _score(final: float, central: float, below: float, above: float) -> float:
    """The least scale of ``[central - below, central + above]`` that holds ``final``."""
    gap, side = (final - central, above) if final >= central else (central - final, below)
    if gap <= 0:
        return 0.0
    return gap / side if side > 0 else math.inf


@functools.cache
def _scores(cal: Calibration, modelled: int, warmup_epochs: int, level: float) -> tuple[float, ...]:
    seen = warmup_epochs + modelled
    out = []
    for run in cal.runs:
        if run.total_epochs <= seen:
            continue  # nothing left to forecast
        central, below, above, *_ = _t_interval(
            run.energy_j[:seen], run.total_epochs, warmup_epochs, level
        )
        out.append(_score(sum(run.energy_j), central, below, above))
    return tuple(out)


@functools.cache
def load_calibration() -> Calibration:
    """The calibration runs the package ships (``data/forecast_calibration.csv``)."""
    from importlib import resources

    path = resources.files("wattlens.integrations.training") / "data" / CALIBRATION_FILE
    runs = read_epoch_runs(path)
    if not runs or {r.split for r in runs} != {"calibration"}:
        raise InputValueError(f"{path}: expected calibration runs only")
    return Calibration(tuple(runs), f"wattlens/integrations/training/data/{CALIBRATION_FILE}")


def _t_interval(
    energies: Sequence[float], total_epochs: int, warmup_epochs: int, level: float
) -> tuple[float, float, float, float, float, float, float]:
    """``(central, below, above, used, mean, sd, slope)`` of steps 1-3 (energies checked)."""
    modelled = [float(e) for e in energies[warmup_epochs:]]
    n = len(modelled)
    used = float(sum(energies))
    m = total_epochs - len(energies)
    mean = fmean(modelled)
    sd = stdev(modelled)
    slope = _slope(modelled)
    half = prediction_half_width(sd, n, m, level)
    drift = slope * m * (n + m) / 2
    return used + m * mean, half - min(drift, 0.0), half + max(drift, 0.0), used, mean, sd, slope


def forecast_energy(
    epoch_energies_j: Sequence[float],
    total_epochs: int,
    *,
    warmup_epochs: int = 1,
    level: float = DEFAULT_LEVEL,
    meter_low_ratio: float = 1.0,
    meter_high_ratio: float = 1.0,
    method: Literal["conformal", "t"] = "conformal",
    calibration: Calibration | None = None,
) -> EnergyForecast:
    """Forecast a run of ``total_epochs`` from the energies of its first epochs.

    Args:
        epoch_energies_j: Measured energy of each epoch so far, in order (central values).
        total_epochs: Epochs the whole run will have.
        warmup_epochs: Leading epochs left out of the per-epoch model.
        level: Two-sided coverage of the interval.
        meter_low_ratio: The meter's low bound over its central value for the energy so far.
        meter_high_ratio: The same for the high bound.
        method: ``"conformal"``: the t interval scaled by its split-conformal factor
            (module docstring, step 4); ``"t"``: the t interval alone.
        calibration: Runs for the conformal factor; default the ones the package ships.

    Raises:
        InputValueError: Fewer than two epochs after the warm-up, more epochs than
            the run has, a negative energy, a level outside (0, 1) or an unknown method.
    """
    seen = len(epoch_energies_j)
    if not 0.0 < level < 1.0:
        raise InputValueError(f"forecast level must be in (0, 1), got {level}")
    if method not in ("conformal", "t"):
        raise InputValueError(f"unknown forecast method {method!r}", hint="use 'conformal' or 't'")
    if warmup_epochs < 0:
        raise InputValueError(f"warm-up epochs must be 0 or more, got {warmup_epochs}")
    if seen > total_epochs:
        raise InputValueError(
            f"{seen} epochs measured but the run has only {total_epochs}",
            hint="pass the run's real number of epochs",
        )
    if any(not math.isfinite(e) or e < 0 for e in epoch_energies_j):
        raise InputValueError("epoch energies must be finite and non-negative")
    n = seen - warmup_epochs
    if n < 2:
        raise InputValueError(
            f"a forecast needs at least 2 epochs after the {warmup_epochs} warm-up epoch(s), "
            f"got {max(n, 0)}",
            hint="forecast after more epochs, or with fewer warm-up epochs",
        )
    central, below, above, used, mean, sd, slope = _t_interval(
        epoch_energies_j, total_epochs, warmup_epochs, level
    )
    factor, cal_runs, cal_epochs, note, made = 1.0, 0, 0, "", METHOD_T
    if method == "conformal" and seen < total_epochs:
        cal = calibration if calibration is not None else load_calibration()
        factor, cal_runs, cal_epochs = cal.factor(n, warmup_epochs, level)
        if cal_runs:
            made = METHOD_CONFORMAL
        else:
            note = (
                f"too few calibration runs in {cal.source} for a {level:.0%} interval; "
                "the t interval is uncalibrated"
            )
    low = central - factor * below
    high = central + factor * above
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
        method=made,
        interval_factor=factor,
        calibration_runs=cal_runs,
        calibration_epochs=cal_epochs,
        note=note,
    )
