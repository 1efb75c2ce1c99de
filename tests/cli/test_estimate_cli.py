"""`wattlens estimate` from the command line: JSON contract, human output, exit codes."""

from __future__ import annotations

from typing import Any

import pytest

from wattlens.quantity import parse_count

ESTIMATE_FIELDS = {"kind", "method", "boundary", "energy_j", "energy_by_boundary_j", "impacts",
                   "assumptions", "sensitivity", "sources", "warnings"}  # fmt: skip


def test_training_json(cli: Any) -> None:
    result = cli("estimate", "training", "-a", "V100 SXM2 32GB", "-n", "10000", "--days", "14.8",
                 "--pue", "1.1", "--samples", "2000", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert set(data) >= ESTIMATE_FIELDS
    assert set(data["energy_j"]) == {"p5", "p50", "p95", "mean"}
    assert data["boundary"] == "facility"
    mwh = data["energy_j"]["p50"] / 3.6e9
    assert 1287 * 0.85 <= mwh <= 1287 * 1.15  # Patterson et al. 2021: 1,287 MWh
    assert set(data["impacts"]["co2e_g"]) == {"p5", "p50", "p95", "mean"}


def test_inference_json_and_human(cli: Any) -> None:
    args = ["estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400",
            "--input-tokens", "200:800", "-a", "H100 SXM", "--batch", "32",
            "--samples", "2000"]  # fmt: skip
    data = cli(*args, "--json").json()
    assert data["kind"] == "inference"
    assert data["count"] == 1
    assert data["energy_j"]["p5"] < data["energy_j"]["p50"] < data["energy_j"]["p95"]
    human = cli(*args)
    assert human.exit_code == 0
    assert "estimated" in human.stdout
    assert "p5" in human.stdout
    assert "what drives the range" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output-tokens=-3", "-m", "llama-3.1-8b", "-a", "H100 SXM"], "must be positive"),
        (["--output-tokens", "lots", "-m", "llama-3.1-8b", "-a", "H100 SXM"], "is not a number"),
        (["--output-tokens", "100", "-m", "llama-3.1-8b", "-a", "H1000"], "did you mean"),
        (["--output-tokens", "100", "-a", "H100 SXM"], "give --model NAME or --params P"),
        (
            ["--output-tokens", "100", "-m", "llama-3.1-405b", "-a", "H100 SXM", "-n", "2"],
            "needs 810 GB",
        ),
    ],
)
def test_inference_bad_input_exits_2(cli: Any, args: list[str], message: str) -> None:
    result = cli("estimate", "inference", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_training_contradictory_flags_exit_2(cli: Any) -> None:
    result = cli("estimate", "training", "-a", "H100 SXM", "--accelerator-hours", "1e6",
                 "--params", "7e10", "--tokens", "2e12")  # fmt: skip
    assert result.exit_code == 2
    assert "exactly one route" in result.stderr


@pytest.mark.parametrize(
    ("text", "value"), [("7e10", 7e10), ("70B", 7e10), ("2T", 2e12), ("1_000", 1000.0)]
)
def test_counts_parse_with_magnitudes(text: str, value: float) -> None:
    assert parse_count(text, "--params") == value


def test_output_tokens_and_batch_take_ranges(cli: Any) -> None:
    # One named stack: the unknown stack's spread would hide the spread of the ranges.
    base = ["estimate", "inference", "-m", "llama-3.1-8b", "--input-tokens", "500", "-a",
            "H100 SXM", "--samples", "2000", "--stack", "current", "--json"]  # fmt: skip
    point = cli(*base, "--output-tokens", "400", "--batch", "32").json()
    ranged = cli(*base, "--output-tokens", "200..800", "--batch", "16..64").json()
    # The range widens the spread; before, --batch took one number and ranges were refused.
    spread = point["energy_j"]["p95"] / point["energy_j"]["p5"]
    assert ranged["energy_j"]["p95"] / ranged["energy_j"]["p5"] > 2 * spread
    drivers = {s["input"] for s in ranged["sensitivity"]}
    assert {"output_tokens", "batch"} <= drivers
    assert ranged["output_tokens"] == pytest.approx(500, rel=0.05)


def test_inference_stack_flag_and_shape_flags(cli: Any) -> None:
    base = ["estimate", "inference", "--params", "8e9", "--output-tokens", "400",
            "--input-tokens", "300", "-a", "H100 SXM", "--batch", "256", "--samples", "2000",
            "--json"]  # fmt: skip
    current = cli(*base, "--stack", "current").json()
    older = cli(*base, "--stack", "older").json()
    assert older["energy_j"]["p50"] > 1.5 * current["energy_j"]["p50"]
    assert "serving_stacks/current" in current["sources"]
    # The shape flags replace the size-only guess of the KV cache (and its warning).
    guessed = cli(*base)
    assert any("model shape unknown" in w for w in guessed.json()["warnings"])
    shaped = cli(*base, "--layers", "32", "--hidden-size", "4096", "--heads", "32",
                 "--kv-heads", "8").json()  # fmt: skip
    assert not any("model shape unknown" in w for w in shaped["warnings"])
    kv = next(a for a in shaped["assumptions"] if a["name"] == "KV cache")
    assert kv["value"].startswith("128 KiB")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "tensorrt"], "unknown serving stack 'tensorrt'"),
        (["--pue", "1.2"], "--pue applies at the facility boundary"),
        (["-a", "V100 SXM2 32GB"], "has no bf16 arithmetic; it supports fp32, fp16"),
    ],
)
def test_inference_input_errors_exit_2(cli: Any, args: list[str], message: str) -> None:
    base = ["estimate", "inference", "-m", "llama-2-7b", "--output-tokens", "100"]
    if "-a" not in args:
        base += ["-a", "H100 SXM"]
    result = cli(*base, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_inference_family_name_and_input_assumption_are_said(cli: Any) -> None:
    result = cli("estimate", "inference", "-m", "llama-2-7b", "--output-tokens", "300", "-a",
                 "A100", "--precision", "fp16", "--samples", "2000")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "'A100' names 4 variants" in result.stdout
    assert "input tokens not given: assumed 100-" in result.stdout
    assert "serving stack: unknown" in result.stdout


def test_training_mfu_percent_number_exits_2_with_the_fraction(cli: Any) -> None:
    result = cli("estimate", "training", "-a", "H100 SXM", "--params", "7e10", "--tokens", "2T",
                 "--mfu", "40")  # fmt: skip
    assert result.exit_code == 2
    assert "MFU is a fraction; did you mean 0.40?" in result.stderr


def test_training_pue_below_facility_exits_2(cli: Any) -> None:
    result = cli("estimate", "training", "-a", "H100 SXM", "--accelerator-hours", "1e6",
                 "--boundary", "server", "--pue", "1.3")  # fmt: skip
    assert result.exit_code == 2
    assert "--pue applies at the facility boundary" in result.stderr


def test_inference_refuses_a_pue_below_one_like_training(cli: Any) -> None:
    base = ["estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400", "-a",
            "H100 SXM", "--samples", "500"]  # fmt: skip
    refused = cli(*base, "--pue", "0.9", "--boundary", "facility")
    assert refused.exit_code == 2
    assert "error: --pue out of range: must be from 1 to 5, got 0.9" in refused.stderr
    assert "hint:" in refused.stderr
    data = cli(*base, "--pue", "1.2", "--boundary", "facility", "--json").json()
    by = data["energy_by_boundary_j"]
    assert by["facility"]["p50"] >= by["server"]["p50"] >= by["accelerator"]["p50"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch", "0.5"], "error: --batch must be a whole number, got 0.5"),
        (["--samples", "1e20"], "error: --samples out of range: must be a whole number from 100"),
        (["--seed", "-1"], "error: --seed must not be negative, got -1"),
        (["--count", "1" * 400], "error: --count: cannot parse '111111111111...111111'"),
        (["--heads", "0"], "error: --heads must be a positive number"),
    ],
)
def test_numeric_options_are_named_in_one_error_line(
    cli: Any, args: list[str], message: str
) -> None:
    result = cli("estimate", "inference", "-m", "llama-3.1-8b", "--output-tokens", "400", "-a",
                 "H100 SXM", *args)  # fmt: skip
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_whole_number_options_take_magnitudes(cli: Any) -> None:
    result = cli("estimate", "training", "-a", "H100 SXM", "-n", "1K", "--days", "10..12",
                 "--samples", "2k", "--seed", "0", "--json")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    hours = result.json()["accelerator_hours"]
    assert 1000 * 24 * 10 <= hours["p5"] <= hours["p95"] <= 1000 * 24 * 12
