"""Typed estimate inputs: built once from text, numbers or pairs, used by every face."""

from __future__ import annotations

import pytest

from wattlens import estimate
from wattlens.catalog import Catalog
from wattlens.estimate.inputs import FieldError, InferenceInputs, TrainingInputs, read_span


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("70B", "count", 7e10),
        ("2T", "count", 2e12),
        ("300..700", "count", (300.0, 700.0)),
        ("30%..50%", "fraction", (0.3, 0.5)),
        ("0.35", "fraction", 0.35),
        ("1.1:1.4", "ratio", (1.1, 1.4)),
        ("0", "count0", 0.0),
        ((5, 5), "count", 5.0),
        ([1, 2], "count", (1.0, 2.0)),
        (12, "count", 12.0),
        ("", "count", None),
    ],
)
def test_read_span_reads_text_numbers_and_pairs(text: object, kind: str, value: object) -> None:
    assert read_span(text, kind=kind, what="x") == value  # type: ignore[arg-type]


def test_a_reversed_pair_is_refused() -> None:
    with pytest.raises(FieldError) as info:
        InferenceInputs.build(accelerator="H100 SXM", output_tokens=(700, 300), params="8B")
    assert info.value.field == "output_tokens"
    assert "low above high" in info.value.message


def test_bad_text_names_the_field_with_the_grammars_message() -> None:
    with pytest.raises(FieldError) as info:
        TrainingInputs.build(accelerator="H100 SXM", params="7x", tokens="1T")
    assert info.value.field == "params"
    assert "is not a number" in info.value.message
    with pytest.raises(FieldError) as missing:
        TrainingInputs.build(params="7B")
    assert (missing.value.field, missing.value.code) == ("accelerator", "missing")


def test_inputs_from_text_give_the_keyword_apis_estimate(catalog: Catalog) -> None:
    typed = TrainingInputs.build(
        accelerator="H100 SXM", params="70B", tokens="15T", mfu="30%..50%", samples=500
    ).run(catalog)
    direct = estimate.training(accelerator="H100 SXM", params=7e10, tokens=1.5e13,
                               mfu=(0.3, 0.5), samples=500, catalog=catalog)  # fmt: skip
    assert typed.energy_j == direct.energy_j


def test_a_point_range_equals_the_point(catalog: Catalog) -> None:
    kw = {"model": "llama-3.1-8b", "accelerator": "H100 SXM", "input_tokens": 500, "samples": 500}
    point = InferenceInputs.build(output_tokens=400, batch=32, **kw).run(catalog)
    pair = InferenceInputs.build(output_tokens="400..400", batch=(32, 32), **kw).run(catalog)
    assert pair.energy_j == point.energy_j


def test_training_counts_take_ranges(catalog: Catalog) -> None:
    narrow = estimate.training(accelerator="H100 SXM", accelerator_hours=1e6, samples=2000,
                               catalog=catalog)  # fmt: skip
    wide = estimate.training(accelerator="H100 SXM", accelerator_hours=(0.5e6, 2e6),
                             samples=2000, catalog=catalog)  # fmt: skip
    assert (
        wide.energy_j["p95"] / wide.energy_j["p5"]
        > 2 * narrow.energy_j["p95"] / (narrow.energy_j["p5"])
    )
    assert dict(wide.sensitivity)["accelerator_hours"] > 0.5


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("samples", "2k", 2000),
        ("samples", "20,000", 20000),
        ("seed", "0", 0),
        ("seed", "18446744073709551615", 2**64 - 1),  # exact: a float would round it
        ("count", "1K", 1000),
        ("count", 8.0, 8),
    ],
)
def test_whole_numbers_read_text_and_stay_exact(field: str, text: object, value: int) -> None:
    built = InferenceInputs.build(
        {"output_tokens": 400, "accelerator": "H100 SXM", "params": "8B", field: text}
    )
    assert getattr(built, field) == value
    assert isinstance(getattr(built, field), int)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"batch": "0.5"}, "batch", "batch must be a whole number, got 0.5"),
        ({"batch": "1e308"}, "batch", "batch out of range"),
        ({"pue": "0.9"}, "pue", "pue out of range: must be from 1 to 5, got 0.9"),
        ({"pue": "1e400"}, "pue", "the number is too large"),
        ({"seed": "-1"}, "seed", "seed must not be negative, got -1"),
        ({"samples": "1e20"}, "samples", "samples out of range"),
        ({"samples": "16..64"}, "samples", "samples takes one number"),
        ({"count": "1" * 400}, "count", "(400 characters)"),
    ],
)
def test_out_of_bounds_text_names_the_field(kwargs: dict[str, str], field: str, words: str) -> None:
    with pytest.raises(FieldError) as info:
        InferenceInputs.build(
            {"output_tokens": 400, "accelerator": "H100 SXM", "params": "8B", **kwargs}
        )
    assert info.value.field == field
    assert words in info.value.message
    assert info.value.hint


def test_a_grammar_error_gets_the_fields_own_hint() -> None:
    with pytest.raises(FieldError) as info:
        TrainingInputs.build(accelerator="H100 SXM", accelerator_hours=1000, pue="1:1e400")
    assert info.value.hint == "a PUE is facility over IT energy, e.g. 1.2 or 1.1..1.4"


def test_inputs_at_the_caps_still_build(catalog: Catalog) -> None:
    built = TrainingInputs.build(
        accelerator="H100 SXM", count=10_000_000, days=36_500, pue=5, samples=100,
        seed=2**64 - 1,
    )  # fmt: skip
    result = built.run(catalog)
    assert 0 < result.energy_j["p5"] <= result.energy_j["p95"] < float("inf")
