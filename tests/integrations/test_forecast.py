"""The interval arithmetic of the training forecast."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from wattlens.errors import InputValueError, UsageError
from wattlens.integrations.training import TrainingMeter
from wattlens.integrations.training.forecast import (
    METHOD_CONFORMAL,
    METHOD_T,
    Calibration,
    EpochRun,
    conformal_quantile,
    forecast_energy,
    load_calibration,
    prediction_half_width,
    read_epoch_runs,
    t_quantile,
)

VALIDATION_CSV = Path(__file__).parent / "data" / "forecast_validation.csv"


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
    f = forecast_energy(energies, 10, warmup_epochs=1, method="t")
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
    assert (f.method, f.interval_factor, f.to_dict()["method"]) == (
        METHOD_T,
        1.0,
        "t-prediction-interval+drift+meter-range",
    )


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


# -- coverage on synthetic runs of known distribution ------------------------------------


def _binomial_3sd(p: float, trials: int) -> float:
    return 3 * math.sqrt(p * (1 - p) / trials)


def test_t_prediction_interval_covers_iid_normal_epochs_at_its_level() -> None:
    # The formula behind step 2 is exact for independent normal epochs: the sum of m
    # new epochs falls within m * mean +/- half-width in 90 % of samples.
    rng = random.Random(7)
    trials, n, m, hits = 4000, 3, 6, 0
    for _ in range(trials):
        seen = [rng.gauss(10.0, 2.0) for _ in range(n)]
        future = sum(rng.gauss(10.0, 2.0) for _ in range(m))
        mean = sum(seen) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in seen) / (n - 1))
        hits += abs(future - m * mean) <= prediction_half_width(sd, n, m)
    assert abs(hits / trials - 0.90) < _binomial_3sd(0.90, trials)


def _shifted_run(rng: random.Random, name: str, total: int, split: str) -> EpochRun:
    """A warm-up epoch, steady epochs (5 % noise), then a level shift after epoch 4.

    The machine's load changing mid-run: what the epochs seen cannot show, so the
    t interval covers far less than its level.
    """
    shift = math.exp(rng.gauss(0.0, 0.3))
    energies = tuple(
        (30.0 if i == 0 else 10.0 * (shift if i >= 4 else 1.0)) * (1 + 0.05 * rng.gauss(0, 1))
        for i in range(total)
    )
    return EpochRun(name, split, 0, 0, 0, total, energies, energies, energies)


def test_conformal_interval_covers_at_its_level_where_the_t_interval_does_not() -> None:
    # Split conformal: with N = 49 calibration runs the factor is the 45th smallest score,
    # so a new exchangeable run is inside with probability exactly 45/50 = 0.90 (no ties,
    # and the factor is far above its floor of 1 here). Averaged over 20 calibration sets
    # of 100 test runs each; the error allows for both the test draws and the sets.
    rng = random.Random(11)
    sets, n_cal, n_test, seen = 20, 49, 100, 4
    inside = {"conformal": 0, "t": 0}
    factors = []
    for s in range(sets):
        cal = Calibration(
            tuple(_shifted_run(rng, f"c{s}-{i}", 12, "calibration") for i in range(n_cal)),
            "synthetic",
        )
        factors.append(cal.factor(seen - 1, 1, 0.90)[0])
        for i in range(n_test):
            run = _shifted_run(rng, f"t{s}-{i}", 12, "validation")
            final = sum(run.energy_j)
            for method in ("conformal", "t"):
                f = forecast_energy(run.energy_j[:seen], 12, method=method, calibration=cal)
                inside[method] += f.statistical_low_j <= final <= f.statistical_high_j
    trials = sets * n_test
    assert min(factors) > 1.5  # the floor never binds: the coverage is the conformal one
    # sd of the mean: conditional coverage ~ Beta(45, 5) per set, plus the binomial draws
    tolerance = 3 * math.sqrt((45 * 5 / (50**2 * 51)) / sets + 0.09 / trials)
    assert abs(inside["conformal"] / trials - 0.90) < tolerance
    assert inside["t"] / trials < 0.75  # the uncalibrated interval misses the shifts


def test_conformal_quantile_rank_and_too_few_scores() -> None:
    scores = [float(i) for i in range(1, 10)]  # N = 9: rank ceil(10 * 0.9) = 9, the largest
    assert conformal_quantile(scores, 0.90) == 9.0
    assert conformal_quantile(scores[::-1], 0.50) == 5.0  # rank ceil(10 * 0.5) = 5
    assert conformal_quantile(scores[:8], 0.90) is None  # rank 9 of 8: no finite quantile


def test_conformal_factor_scales_the_t_interval_and_says_so() -> None:
    cal = load_calibration()
    energies = [30.0, 9.0, 11.0, 10.0, 12.0]
    t = forecast_energy(energies, 10, method="t")
    c = forecast_energy(energies, 10)  # conformal with the shipped runs is the default
    factor, runs, k = cal.factor(4, 1, 0.90)
    assert (c.method, c.interval_factor, c.calibration_runs, c.calibration_epochs) == (
        METHOD_CONFORMAL,
        factor,
        runs,
        k,
    )
    assert factor >= 1.0
    assert runs >= 9
    assert k == 4
    assert c.energy_j == t.energy_j
    assert c.statistical_high_j - c.energy_j == pytest.approx(
        factor * (t.statistical_high_j - t.energy_j)
    )
    assert c.statistical_low_j == pytest.approx(
        max(c.energy_used_j, c.energy_j - factor * (t.energy_j - t.statistical_low_j))
    )
    d = c.to_dict()
    assert d["method"] == "split-conformal(t-prediction-interval+drift)+meter-range"
    assert d["calibration"] == {
        "interval_factor": factor,
        "runs": runs,
        "modelled_epochs": k,
        "note": "",
    }


def test_forecast_after_more_epochs_than_calibrated_uses_the_largest_calibrated_count() -> None:
    cal = load_calibration()
    longest = max(r.total_epochs for r in cal.runs)
    f = forecast_energy([10.0] + [5.0, 6.0] * longest, 4 * longest)
    assert f.method == METHOD_CONFORMAL
    assert 2 <= f.calibration_epochs < 2 * longest
    assert f.calibration_runs >= 9  # enough runs for a finite 90 % quantile


def test_level_beyond_the_calibration_falls_back_to_the_t_interval_with_a_note() -> None:
    # 36 runs allow no finite 99 % split-conformal quantile (rank 37 of 36).
    f = forecast_energy([30.0, 9.0, 11.0, 10.0, 12.0], 10, level=0.99)
    t = forecast_energy([30.0, 9.0, 11.0, 10.0, 12.0], 10, level=0.99, method="t")
    assert (f.method, f.interval_factor, f.calibration_runs) == (METHOD_T, 1.0, 0)
    assert "too few calibration runs" in f.note
    assert (f.statistical_low_j, f.statistical_high_j) == (
        t.statistical_low_j,
        t.statistical_high_j,
    )


# -- the shipped calibration runs and the validation runs ---------------------------------


def test_calibration_file_loads_with_its_declared_split_and_design() -> None:
    cal = load_calibration()
    assert len(cal.runs) == 36
    assert {r.split for r in cal.runs} == {"calibration"}
    assert {r.seed for r in cal.runs} == {100, 101, 102}
    assert {(r.width, r.rows) for r in cal.runs} == {(96, 3072), (192, 1536), (384, 768)}
    assert sorted({r.total_epochs for r in cal.runs}) == [6, 9, 13, 18]
    for r in cal.runs:
        assert len(r.energy_j) == r.total_epochs
        assert all(
            lo <= e <= hi
            for lo, e, hi in zip(r.energy_low_j, r.energy_j, r.energy_high_j, strict=True)
        )
        assert all(e > 0 for e in r.energy_j)


def test_validation_runs_are_disjoint_from_the_calibration_runs() -> None:
    cal = load_calibration().runs
    val = read_epoch_runs(VALIDATION_CSV)
    assert len(val) == 24
    assert {r.split for r in val} == {"validation"}
    assert not {r.seed for r in cal} & {r.seed for r in val}
    assert not {r.width for r in cal} & {r.width for r in val}


def test_epoch_file_with_a_missing_epoch_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "# a comment\n"
        "run,split,seed,width,rows,total_epochs,epoch,energy_j,energy_low_j,energy_high_j,"
        "duration_s\n"
        "a,calibration,1,8,64,3,1,1.0,0.5,1.5,0.1\n"
        "a,calibration,1,8,64,3,3,1.0,0.5,1.5,0.1\n",
        encoding="utf-8",
    )
    with pytest.raises(InputValueError, match=r"run 'a' does not list epochs 1\.\.3 in order"):
        read_epoch_runs(path)


# -- too few epochs -------------------------------------------------------------------------


def test_fewer_than_two_modelled_epochs_gives_no_forecast() -> None:
    with pytest.raises(
        InputValueError, match="at least 2 epochs after the 1 warm-up epoch\\(s\\), got 0"
    ):
        forecast_energy([5.0], 10)
    with pytest.raises(InputValueError, match="unknown forecast method 'bayes'"):
        forecast_energy([5.0, 5.0, 5.0], 10, method="bayes")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="forecast_after must be at least 2 epochs, got 1"):
        TrainingMeter(forecast_after=1, save=False)


def test_meter_forecasts_from_warmup_plus_two_epochs_with_the_calibrated_interval() -> None:
    tm = TrainingMeter("k2", total_epochs=6, forecast_after=2, save=False)
    for epoch in range(1, 4):
        tm.start_epoch()
        sum(i * i for i in range(20_000))  # some CPU work for the modelled sensor
        tm.end_epoch()
        assert len(tm.forecasts) == (1 if epoch == 3 else 0)  # 1 warm-up + 2 modelled epochs
    tm.end_run()
    assert tm.forecast is not None
    energy = tm.forecast.energy
    assert (energy.epochs_seen, energy.method) == (3, METHOD_CONFORMAL)
    assert energy.interval_factor >= 1.0
    assert energy.calibration_epochs == 2
    assert tm.forecast.to_dict()["method"].startswith("split-conformal(")
