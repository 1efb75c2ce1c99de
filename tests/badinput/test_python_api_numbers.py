"""The Python API under any number: a finite estimate with p5 <= p50 <= p95, or InputValueError.

``wattlens.estimate.training`` / ``inference`` and the typed inputs
(:class:`TrainingInputs`, :class:`InferenceInputs`) take numbers, pairs, uncertain
inputs and text. Whatever they are given (nan, inf, 1e308, -0, subnormals,
400-digit integers, numbers as text), they either return a finite estimate or
raise :class:`wattlens.errors.InputValueError` naming the input: never an
``OverflowError``, a bare ``ValueError``, a ``RuntimeWarning`` or a ``nan``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wattlens import estimate
from wattlens.bounds import (
    FIELDS,
    MAX_ACCELERATORS,
    MAX_API_SAMPLES,
    MAX_BATCH,
    MAX_PARAMS,
    MAX_REQUEST_TOKENS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_TRAINING_TOKENS,
    check_field,
    check_finite,
    check_numbers,
)
from wattlens.catalog import Catalog
from wattlens.errors import InputValueError
from wattlens.estimate.inputs import FieldError, InferenceInputs, TrainingInputs
from wattlens.formulas.uncertainty import Uncertain

CATALOG = Catalog(user_dir=False)

#: Numbers that have broken numeric code before: not finite, huge, tiny, signed zero.
EXTREMES: list[Any] = [
    math.nan, math.inf, -math.inf, 1e308, -1e308, 1.7976931348623157e308, 1e300, 1e200,
    1e30, 1e20, 1e16, 1e15, 1e12, 1e9, 1e6, 1000.5, 64, 1, 0.5, 1e-3, 1e-300,
    5e-324, 1e-320, 2.2250738585072014e-308, 0.0, -0.0, -1, -1e308,
    10**400, -(10**400), 2**64, 2**64 - 1, 2**63, 2**53 + 1, 10**19,
]  # fmt: skip
#: The same as text, and text the grammar reads (magnitudes, ranges, percentages).
TEXTS: list[str] = [
    "nan", "inf", "-inf", "1e308", "1e400", "1:1e400", "1e-320", "-0", "0", "-1", "0.5",
    "1" + "0" * 400, "1e20", "200000000", "70B", "2T", "1..1e308", "300..700", "30%..50%",
    "1e300%", "1.1:1.4", "16..64", "0.9", "", "  ", "lots", "1e3", "1_000", "5e-324",
]  # fmt: skip

number = (
    st.sampled_from(EXTREMES)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=-1e3, max_value=1e16)
    | st.integers(min_value=-(10**450), max_value=10**450)
    | st.integers(min_value=-2, max_value=2_000)
)
value = (
    number
    | st.sampled_from(TEXTS)
    | st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?(e[+-]?[0-9]{1,3})?(%|[kMBT])?", fullmatch=True)
    | st.tuples(number, number)
    | st.builds(lambda low, span: (low, low + span), st.floats(0.001, 1e6), st.floats(0, 1e6))
)


def _within(field: str) -> st.SearchStrategy[Any]:
    """Values a field accepts, its bounds included (as a value or a (low, high) pair)."""
    bound = FIELDS[field]
    low, high = float(bound.low or 0.0), float(bound.high or 0.0)
    one: st.SearchStrategy[Any]
    if bound.integer:
        one = st.integers(int(low), int(high)) | st.sampled_from([int(low), int(high)])
    else:
        one = st.floats(low, high, exclude_min=not bound.low_inclusive) | st.just(high)
    if bound.scalar:
        return one
    pair = st.tuples(one, one).map(lambda p: (min(p), max(p)))
    return one | pair


def arg(field: str) -> st.SearchStrategy[Any]:
    """Mostly values within the bounds (and at them), else anything at all."""
    return st.one_of(_within(field), _within(field), value)


#: Samples and seeds within bounds (small samples: the fuzz runs many estimates).
GOOD = {"samples": st.sampled_from([100, 1, 200]), "seed": st.sampled_from([0, 1, 42, MAX_SEED])}
#: ... and out of them.
BAD = {
    "samples": st.sampled_from([0, -1, 99, 1e20, 10**30, math.nan, 100.5, "1e2", "2e8",
                                MAX_API_SAMPLES + 1, MAX_SAMPLES + 0.5, 200.0]),
    "seed": st.sampled_from([-1, MAX_SEED + 1, 10**400, 1.5, math.nan, "-1", -0.5, 42.0]),
}  # fmt: skip


def _good(field: str) -> st.SearchStrategy[Any]:
    return GOOD[field] if field in GOOD else _within(field)


def _bad(field: str) -> st.SearchStrategy[Any]:
    return BAD.get(field, value)


@st.composite
def inputs(draw: st.DrawFn, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
    """Every input within its bounds, or all but one; an optional input may be left out."""
    fields = (*required, *optional, "samples", "seed")
    off = draw(st.sampled_from((None, *fields)), label="off")
    out: dict[str, Any] = {}
    for field in fields:
        if field in optional and field != off and draw(st.booleans(), label=f"omit {field}"):
            continue
        out[field] = draw(_bad(field) if field == off else _good(field), label=field)
    return out


def _assert_sound(result: estimate.Estimate) -> None:
    """Every quantile finite and ordered, every boundary, the impacts too."""
    ranges = [result.energy, *result.energy_by_boundary.values()]
    for q in ranges:
        values = (q.p5, q.p50, q.p95, q.mean)
        assert all(math.isfinite(v) for v in values), values
        assert 0 <= q.p5 <= q.p50 <= q.p95, values
    co2 = result.typed_impacts.co2e_g
    assert all(math.isfinite(v) for v in (co2.p5, co2.p50, co2.p95)), co2
    text = json.dumps(result.to_dict(), allow_nan=True)
    assert "NaN" not in text
    assert "Infinity" not in text


def _sound_or_refused(call: Callable[..., estimate.Estimate], **kwargs: Any) -> None:
    try:
        result = call(**kwargs)
    except InputValueError as exc:
        message = exc.message
        assert message
        assert "\n" not in message
        assert not isinstance(exc.__cause__, OverflowError)  # noqa: PT017 - not a pytest.raises case
        event(f"refused: {message.split(',')[0][:30]}")
        return
    event("estimated")
    _assert_sound(result)


_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_INFERENCE = (("output_tokens", "params"), ("input_tokens", "batch", "count", "pue"))
_TRAINING = {
    "hours": (("accelerator_hours",), ("power_fraction", "host_fraction", "pue")),
    "days": (("count", "days"), ("power_fraction", "host_fraction", "pue")),
    "flops": (("params", "tokens"), ("active_params", "mfu", "pue")),
}


def _boundary(given_: dict[str, Any]) -> str:
    return "facility" if "pue" in given_ else "server"


@_SETTINGS
@given(given_=inputs(*_INFERENCE))
def test_inference_function(given_: dict[str, Any]) -> None:
    _sound_or_refused(estimate.inference, accelerator="H100 SXM", boundary=_boundary(given_),
                      catalog=CATALOG, **given_)  # fmt: skip


@_SETTINGS
@given(given_=st.sampled_from(list(_TRAINING.values())).flatmap(lambda f: inputs(*f)))
def test_training_function(given_: dict[str, Any]) -> None:
    _sound_or_refused(estimate.training, accelerator="H100 SXM", catalog=CATALOG, **given_)


def _inference_inputs(**given_: Any) -> estimate.Estimate:
    return InferenceInputs.build(given_).run(CATALOG)


def _training_inputs(**given_: Any) -> estimate.Estimate:
    return TrainingInputs.build(given_).run(CATALOG)


@_SETTINGS
@given(given_=inputs(_INFERENCE[0], (*_INFERENCE[1], "layers")))
def test_inference_inputs(given_: dict[str, Any]) -> None:
    _sound_or_refused(_inference_inputs, accelerator="H100 SXM", boundary=_boundary(given_),
                      **given_)  # fmt: skip


@_SETTINGS
@given(given_=st.sampled_from(list(_TRAINING.values())).flatmap(lambda f: inputs(*f)))
def test_training_inputs(given_: dict[str, Any]) -> None:
    _sound_or_refused(_training_inputs, accelerator="H100 SXM", **given_)


# -- the single check itself ---------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "bad", "words"),
    [
        ("output_tokens", 1e308, "output tokens out of range"),
        ("output_tokens", math.nan, "output tokens must be a finite number, got nan"),
        ("output_tokens", 0.0, "output tokens must be a positive number"),
        ("input_tokens", -1, "input tokens must not be negative"),
        ("batch", 0.5, "batch must be a whole number, got 0.5"),
        ("batch", 1e308, "batch out of range"),
        ("count", 10**400, "got a 401-digit number"),
        ("pue", 0.9, "pue out of range: must be from 1 to 5, got 0.9"),
        ("pue", math.inf, "pue must be a finite number, got inf"),
        ("mfu", 1e-320, "mfu out of range: must be from 0.001 to 1"),
        ("days", 1e308, "days out of range: must be above 0 and at most 36,500"),
        ("seed", -1, "seed must not be negative, got -1"),
        ("seed", MAX_SEED + 1, "2**64 - 1"),
        ("samples", 10**20, "samples out of range"),
        ("params", 1e308, "params out of range: must be from 1 to 1e+15"),
    ],
)
def test_the_one_check_names_the_input_and_the_bound(field: str, bad: object, words: str) -> None:
    with pytest.raises(InputValueError, match=re.escape(words)) as info:
        check_field(field, bad)
    assert info.value.hint


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("70B", "must be a number, got '70B'"),
        (True, "must be a number, got True"),
        (None, "must be a number, got None"),
        (float("-inf"), "must be a finite number, got -inf"),
    ],
)
def test_check_finite_refuses_what_is_not_a_finite_number(bad: object, words: str) -> None:
    with pytest.raises(InputValueError, match=words):
        check_finite("x", bad)


def test_check_finite_keeps_large_integers_exact_and_reads_whole_floats() -> None:
    assert check_finite("seed", MAX_SEED, low=0, high=MAX_SEED, integer=True) == MAX_SEED
    assert check_finite("batch", 64.0, low=1, integer=True) == 64
    assert isinstance(check_finite("batch", 64.0, low=1, integer=True), int)
    assert math.copysign(1, check_finite("tokens", -0.0, low=0)) == 1  # -0 reads as 0


def test_every_bound_is_finite_and_documented() -> None:
    from wattlens import bounds

    doc = bounds.__doc__ or ""
    for field, bound in FIELDS.items():
        assert f"``{field}``" in doc, field
        assert bound.hint, field
        assert bound.high is not None, field
        assert math.isfinite(bound.high), field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"output_tokens": 1e308}, "output_tokens"),
        ({"batch": 0.5}, "batch"),
        ({"batch": "1e308"}, "batch"),
        ({"count": 10**400}, "count"),
        ({"count": "1" * 400}, "count"),
        ({"pue": "1:1e400", "boundary": "facility"}, "pue"),
        ({"pue": "0.9", "boundary": "facility"}, "pue"),
        ({"seed": -1}, "seed"),
        ({"seed": "-1"}, "seed"),
        ({"samples": 10**20}, "samples"),
        ({"samples": 200_000_000}, "samples"),
        ({"samples": MAX_SAMPLES + 1}, "samples"),
        ({"layers": 10**400}, "layers"),
        ({"input_tokens": (1, 10**400)}, "input_tokens"),
    ],
)
def test_typed_inputs_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    base = {"output_tokens": 400, "accelerator": "H100 SXM", "model": "llama-3.1-8b"}
    with pytest.raises(FieldError) as info:
        InferenceInputs.build({**base, **kwargs})
    assert info.value.field == field
    assert info.value.hint
    assert len(info.value.message) < 200


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"seed": 42.0}, "seed must be an int, got 42"),
        ({"samples": 200.0}, "samples must be an int, got 200"),
        ({"count": 1.0}, "count must be an int, got 1"),
        ({"seed": (1, 2)}, "seed must be a number, got (1, 2)"),
    ],
)
def test_the_functions_take_whole_numbers_as_ints(kwargs: dict[str, Any], words: str) -> None:
    # Before, numpy refused them with a TypeError deep inside the estimate.
    with pytest.raises(InputValueError, match=re.escape(words)):
        estimate.inference(accelerator="H100 SXM", model="llama-3.1-8b", output_tokens=400,
                           catalog=CATALOG, **{"samples": 100, **kwargs})  # fmt: skip


def test_the_functions_refuse_an_uncertain_input_out_of_bounds() -> None:
    with pytest.raises(InputValueError, match="pue out of range"):
        estimate.training(accelerator="H100 SXM", accelerator_hours=1e6, pue=Uncertain(0.5, 1.2),
                          samples=100, catalog=CATALOG)  # fmt: skip
    with pytest.raises(InputValueError, match="samples out of range"):
        check_numbers({"samples": MAX_API_SAMPLES + 1})
    check_numbers({"samples": 1, "unrelated": math.nan})


def test_at_the_caps_the_estimates_are_finite() -> None:
    inference = estimate.inference(
        accelerator="H100 SXM", params=MAX_PARAMS, output_tokens=MAX_REQUEST_TOKENS,
        input_tokens=MAX_REQUEST_TOKENS, batch=MAX_BATCH, count=MAX_ACCELERATORS,
        boundary="facility", pue=5.0, samples=100, catalog=CATALOG,
    )  # fmt: skip
    _assert_sound(inference)
    training = estimate.training(
        accelerator="H100 SXM", params=MAX_PARAMS, tokens=MAX_TRAINING_TOKENS, mfu=0.001,
        pue=5.0, samples=100, catalog=CATALOG,
    )  # fmt: skip
    _assert_sound(training)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"pue": math.nan}, "pue must be a finite number, got nan"),
        ({"pue": 0.9}, "pue out of range: must be from 1 to 5, got 0.9"),
        ({"pue": 10**400}, "got a 401-digit number"),
        ({"interval_s": math.nan}, "interval_s must be a finite number"),
        ({"interval_s": 0.0}, "interval_s must be a positive number"),
        ({"interval_s": 1e308}, "interval_s out of range"),
    ],
)
def test_measure_refuses_a_pue_or_interval_out_of_bounds(
    kwargs: dict[str, Any], words: str
) -> None:
    import wattlens

    with pytest.raises(InputValueError, match=re.escape(words)):
        wattlens.measure("block", **kwargs)
