"""The fast paths of sampling and summarising give NumPy's own numbers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wattlens import estimate
from wattlens.formulas import uncertainty
from wattlens.formulas.uncertainty import (
    Input,
    Uncertain,
    sample,
    sample_mixture,
    summarise,
)
from wattlens.percentiles import summary
from wattlens.types import Range

INPUTS: dict[str, Input] = {
    "uniform": Uncertain(0.1, 0.5),
    "log": Uncertain(0.02, 0.15, "loguniform"),
    "fixed": 3.0,
    "tri": Uncertain(0.5, 0.95, "triangular", 0.75),
    "tri_low_mode": Uncertain(0.0, 1.0, "triangular", 0.0),
    "degenerate": Uncertain(2.0, 2.0),
}


def _numpy_draws(inputs: dict[str, Input], n: int, seed: int) -> dict[str, np.ndarray]:
    """Every input drawn with NumPy's own routines, one after the other."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, value in inputs.items():
        if not isinstance(value, Uncertain) or value.low == value.high:
            out[name] = np.full(n, float(value.low if isinstance(value, Uncertain) else value))
        elif value.shape == "uniform":
            out[name] = rng.uniform(value.low, value.high, n)
        elif value.shape == "loguniform":
            out[name] = np.exp(rng.uniform(np.log(value.low), np.log(value.high), n))
        else:
            assert value.mode is not None
            out[name] = rng.triangular(value.low, value.mode, value.high, n)
    return out


@pytest.mark.parametrize("n", [2, 100, 20_000, 200_000])  # the last drawn on threads
def test_sample_draws_what_numpy_draws(n: int) -> None:
    drawn = sample(INPUTS, n, seed=11)
    expected = _numpy_draws(INPUTS, n, 11)
    for name in INPUTS:
        # A fixed value is one sample that broadcasts: the same numbers as n copies.
        assert np.array_equal(np.broadcast_to(drawn[name], (n,)), expected[name]), name
    assert drawn["fixed"].shape == (1,)
    assert drawn["tri"].shape == (n,)


@pytest.mark.parametrize("n", [1, 2, 500])
def test_skipping_an_input_keeps_every_other_draw(n: int) -> None:
    full = sample(INPUTS, n, seed=3)
    for skipped in INPUTS:
        part = sample(INPUTS, n, seed=3, skip=(skipped,))
        assert skipped not in part
        assert all(np.array_equal(part[k], full[k]) for k in part)


def test_mixture_skip_keeps_every_other_draw_and_the_blocks() -> None:
    other = {k: (Uncertain(v.low, v.high * 1.5, v.shape, v.mode) if isinstance(v, Uncertain)
                 else v) for k, v in INPUTS.items()}  # fmt: skip
    for weights in ([0.6, 0.4], [0.9999, 0.0001], [1.0, 0.0]):
        full, which = sample_mixture([INPUTS, other], weights, 10_000, seed=5)
        part, which_part = sample_mixture([INPUTS, other], weights, 10_000, seed=5,
                                          skip=("log",))  # fmt: skip
        assert "log" not in part
        assert np.array_equal(which, which_part)
        assert all(np.array_equal(part[k], full[k]) for k in part)


def test_threaded_mixture_draws_what_one_thread_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    other = {k: (Uncertain(v.low, v.high * 1.5, v.shape, v.mode) if isinstance(v, Uncertain)
                 else v) for k, v in INPUTS.items()}  # fmt: skip
    threaded, which = sample_mixture([INPUTS, other], [0.6, 0.4], 400_000, seed=8)
    monkeypatch.setattr(uncertainty, "_THREADED_FROM", 10**12)
    serial, which_serial = sample_mixture([INPUTS, other], [0.6, 0.4], 400_000, seed=8)
    assert np.array_equal(which, which_serial)
    assert all(np.array_equal(threaded[k], serial[k]) for k in serial)


def test_mixture_blocks_follow_their_component() -> None:
    wide = {"x": Uncertain(10.0, 20.0)}
    narrow = {"x": Uncertain(0.0, 1.0)}
    draws, which = sample_mixture([wide, narrow], [0.3, 0.7], 10_000, seed=2)
    assert np.all(draws["x"][which == 0] >= 10.0)
    assert np.all(draws["x"][which == 1] <= 1.0)
    assert 0.25 < np.mean(which == 0) < 0.35


def test_mixture_components_must_set_the_same_inputs() -> None:
    with pytest.raises(ValueError, match="same inputs"):
        sample_mixture([{"x": 1.0}, {"y": 1.0}], [0.5, 0.5], 100)


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).lognormal(0.0, 2.0, 1_000_000),
        np.random.default_rng(2).normal(0.0, 1.0, 65_537),
        np.round(np.random.default_rng(3).normal(0.0, 1.0, 50_000), 1),  # many ties
        np.random.default_rng(4).integers(0, 3, 10_000).astype(float),
        np.full(5000, 3.3),
        np.array([4.0, -1.0, 7.5]),
        np.array([2.5]),
    ],
    ids=["lognormal-1e6", "normal-odd", "ties", "three-values", "constant", "three", "one"],
)
def test_summary_is_numpys_percentile(values: np.ndarray) -> None:
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    assert summary(values) == (float(p5), float(p50), float(p95), float(values.mean()))
    assert summarise(values) == {"p5": p5, "p50": p50, "p95": p95, "mean": values.mean()}


def test_summary_leaves_the_sample_untouched() -> None:
    values = np.random.default_rng(9).random(200_000)
    before = values.copy()
    Range.from_samples(values, keep=True)
    assert np.array_equal(values, before)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e12, 1e12), min_size=2, max_size=300), st.integers(0, 9000))
def test_summary_matches_numpy_for_any_sample(values: list[float], extra: int) -> None:
    # Pad past the size where the selection replaces the sort.
    data = np.array(values + values[:1] * extra)
    np.random.default_rng(extra).shuffle(data)
    p5, p50, p95 = np.percentile(data, [5, 50, 95])
    assert summary(data)[:3] == (p5, p50, p95)


def test_summary_of_a_sample_with_nan_is_nan() -> None:
    values = np.random.default_rng(5).random(10_000)
    values[17] = np.nan
    assert all(np.isnan(v) for v in summary(values))


def test_point_estimates_are_the_same_every_time() -> None:
    kwargs = {"model": "llama-3.1-8b", "output_tokens": 300, "accelerator": "H100 SXM"}
    first = estimate.inference(samples=1, **kwargs).to_dict()  # type: ignore[arg-type]
    again = estimate.inference(samples=1, **kwargs).to_dict()  # type: ignore[arg-type]
    assert first == again
    assert first["energy_j"]["p5"] == first["energy_j"]["p50"] == first["energy_j"]["p95"]


def test_impacts_scale_with_the_facility_energy() -> None:
    e = estimate.training(accelerator="H100 SXM", accelerator_hours=(1e5, 2e5), samples=20_000,
                          location="FR")  # fmt: skip
    facility = e.energy_by_boundary["facility"]
    co2e = e.typed_impacts.co2e_g
    k = co2e.p50 / facility.p50
    for q in ("p5", "p95", "mean"):
        assert getattr(co2e, q) == pytest.approx(getattr(facility, q) * k, rel=1e-12)
    assert e.samples_j["facility"] is not None
    samples = e.samples_j["facility"]
    assert co2e.p95 == pytest.approx(float(np.percentile(samples * k, 95)), rel=1e-12)
