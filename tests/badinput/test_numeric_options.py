"""Absurd numbers in ``wattlens estimate`` options: exit 2, one ``error:`` naming the option.

The cases run the real command line (``wattlens.cli.main``) in a child process under
the memory and CPU limits of :mod:`tests.badinput.bounded`, all in one interpreter so
that the corpus starts Python once; the results at the caps run one process each.
Before the one numeric check (:mod:`wattlens.bounds`) these gave tracebacks
(``OverflowError``, numpy's ``MemoryError``), ``nan`` with exit 0, or an impossible
result (a PUE below 1 at the facility boundary, half a request in a batch).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from typing import Any

import pytest

from tests.badinput.bounded import CPU_SECONDS, MEMORY_BYTES, assert_clean_error, run_cli
from wattlens.bounds import MAX_ACCELERATORS, MAX_REQUEST_TOKENS, MAX_SAMPLES


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_python(code: str, *, stdin: bytes) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` under the limits of :mod:`tests.badinput.bounded`."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "200"}
    out = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True,
        timeout=3 * CPU_SECONDS, preexec_fn=_limit, env=env, check=False,
    )  # fmt: skip
    return subprocess.CompletedProcess(
        out.args, out.returncode, out.stdout.decode("utf-8", "replace"),
        out.stderr.decode("utf-8", "replace"),
    )  # fmt: skip


TRAIN = ["estimate", "training", "-a", "H100 SXM"]
HOURS = [*TRAIN, "--accelerator-hours", "1000"]
INFER = ["estimate", "inference", "-a", "H100 SXM", "-m", "llama-3.1-8b"]
TOKENS = [*INFER, "--output-tokens", "400"]
DIGITS_400 = "1" * 400

CORPUS = [
    # (arguments, option named, words of the error)
    ([*INFER, "--output-tokens", "1e308"], "--output-tokens", "from 1 to 1e+09, got 1e+308"),
    ([*INFER, "--output-tokens", "nan"], "--output-tokens", "not a number"),
    ([*INFER, "--output-tokens", "1" + "0" * 400], "--output-tokens", "(401 characters)"),
    ([*TOKENS, "--batch", "1e308"], "--batch", "from 1 to 1,000,000, got 1e+308"),
    ([*TOKENS, "--batch", "0.5"], "--batch", "must be a whole number, got 0.5"),
    ([*TOKENS, "--batch", "16.5..64"], "--batch", "must be a whole number, got 16.5"),
    ([*TOKENS, "--batch", "0"], "--batch", "must be positive"),
    (["estimate", "inference", "-a", "H100 SXM", "--params", "1e308", "--output-tokens", "400"],
     "--params", "from 1 to 1e+15, got 1e+308"),
    ([*TRAIN, "--params", "1e308", "--tokens", "1e12"], "--params", "from 1 to 1e+15"),
    ([*TRAIN, "--params", "7e10", "--tokens", "1e300"], "--tokens", "from 1 to 1e+16"),
    ([*TRAIN, "--count", DIGITS_400, "--days", "10"], "--count", "the number is too large"),
    ([*TOKENS, "--count", DIGITS_400], "--count", "(400 characters)"),
    ([*TRAIN, "--count", "2e7", "--days", "10"], "--count", f"to {MAX_ACCELERATORS:,}"),
    ([*TRAIN, "--count", "8.5", "--days", "10"], "--count", "must be a whole number"),
    ([*HOURS, "--pue", "1:1e400"], "--pue", "the number is too large"),
    ([*HOURS, "--pue", "1e400"], "--pue", "the number is too large"),
    ([*HOURS, "--pue", "1e308"], "--pue", "from 1 to 5, got 1e+308"),
    ([*HOURS, "--pue", "0.9"], "--pue", "from 1 to 5, got 0.9"),
    ([*TOKENS, "--pue", "0.9", "--boundary", "facility"], "--pue", "from 1 to 5, got 0.9"),
    ([*TOKENS, "--pue", "1e400", "--boundary", "facility"], "--pue", "too large"),
    ([*TRAIN, "--params", "7e10", "--tokens", "1e12", "--mfu", "1e-320"], "--mfu",
     "from 0.001 to 1"),
    ([*TRAIN, "--count", "8", "--days", "1e308"], "--days", "at most 36,500, got 1e+308"),
    ([*TRAIN, "--count", "8", "--days", "inf"], "--days", "not a number"),
    ([*HOURS, "--accelerator-hours", "1e300"], "--accelerator-hours", "at most 1e+12"),
    ([*HOURS, "--seed", "-1"], "--seed", "must not be negative, got -1"),
    ([*HOURS, "--seed", "1e30"], "--seed", "2**64 - 1"),
    ([*HOURS, "--seed", DIGITS_400], "--seed", "the number is too large"),
    ([*HOURS, "--samples", "1e20"], "--samples", f"100 to {MAX_SAMPLES:,}, got 1e+20"),
    ([*HOURS, "--samples", "200000000"], "--samples", "got 200,000,000"),
    ([*HOURS, "--samples", str(MAX_SAMPLES + 1)], "--samples", f"got {MAX_SAMPLES + 1:,}"),
    ([*HOURS, "--samples", "99"], "--samples", "got 99"),
    ([*HOURS, "--samples", "lots"], "--samples", "not a number"),
    ([*TOKENS, "--samples", "1e20"], "--samples", f"100 to {MAX_SAMPLES:,}"),
    ([*TOKENS, "--input-tokens", "1e308"], "--input-tokens", "from 0 to 1e+09"),
    ([*TOKENS, "--layers", DIGITS_400], "--layers", "too large"),
    ([*TOKENS, "--hidden-size", "1e300"], "--hidden-size", "from 1 to 1,000,000"),
    (["report", "estimate", "training", "-a", "H100 SXM", "--accelerator-hours", "1000",
      "--samples", "200000000"], "--samples", "got 200,000,000"),
    (["report", "estimate", "inference", "-a", "H100 SXM", "-m", "llama-3.1-8b",
      "--output-tokens", "1e308"], "--output-tokens", "to 1e+09"),
]  # fmt: skip


#: Runs each case of a list through ``wattlens.cli.main`` in one interpreter, so that the
#: corpus pays for one start-up; prints ``[exit code, stdout, stderr]`` per case as JSON.
_DRIVER = """
import contextlib, io, json, sys, traceback
from wattlens.cli import main
results = []
for args in json.load(sys.stdin):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:
            traceback.print_exc()
            code = 1
    results.append([code, out.getvalue(), err.getvalue()])
json.dump(results, sys.__stdout__)
"""


@pytest.fixture(scope="module")
def corpus_results() -> list[subprocess.CompletedProcess[str]]:
    """Every corpus case, run in one child process under the memory and CPU limits."""
    out = run_python(_DRIVER, stdin=json.dumps([args for args, _, _ in CORPUS]).encode())
    assert out.returncode == 0, out.stderr[-3000:]
    return [subprocess.CompletedProcess(args, code, stdout, stderr)
            for (args, _, _), (code, stdout, stderr) in zip(CORPUS, json.loads(out.stdout),
                                                             strict=True)]  # fmt: skip


_CASES = [(i, option, words) for i, (_, option, words) in enumerate(CORPUS)]


@pytest.mark.parametrize(("index", "option", "words"), _CASES)
def test_absurd_numbers_exit_2_naming_the_option(
    corpus_results: list[subprocess.CompletedProcess[str]], index: int, option: str, words: str
) -> None:
    out = corpus_results[index]
    error = assert_clean_error(out, option, words)
    assert error.startswith(f"error: {option}"), error
    assert len(error) < 240, error
    assert out.stdout == ""  # no result, so no nan or inf either


def test_the_help_states_the_caps() -> None:
    training, inference = (
        " ".join(run_cli(["estimate", kind, "--help"]).stdout.replace("│", " ").split())
        for kind in ("training", "inference")
    )
    assert f"100 to {MAX_SAMPLES:,}" in training
    assert "1 to 5" in training  # --pue
    assert "0.001 to 1" in training  # --mfu
    assert "at most 36,500" in training  # --days
    assert f"at most {MAX_REQUEST_TOKENS:g}" in inference  # --output-tokens
    assert "1 to 1,000,000" in inference  # --batch
    assert f"100 to {MAX_SAMPLES:,}" in inference


def _finite(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return not isinstance(value, float) or math.isfinite(value)


@pytest.mark.parametrize(
    "args",
    [
        [*TRAIN, "--count", "10000000", "--days", "36500", "--pue", "5", "--samples", "100",
         "--seed", str(2**64 - 1)],
        [*TRAIN, "--params", "1e15", "--tokens", "1e16", "--mfu", "0.001", "--samples", "100"],
        ["estimate", "inference", "-a", "H100 SXM", "--params", "1e15", "--output-tokens", "1e9",
         "--input-tokens", "1e9", "--batch", "1000000", "--count", "10000000", "--boundary",
         "facility", "--pue", "5", "--samples", "100"],
    ],
)  # fmt: skip
def test_at_the_caps_the_result_is_finite(args: list[str]) -> None:
    out = run_cli([*args, "--json"])
    assert out.returncode == 0, out.stderr[-2000:]
    assert "RuntimeWarning" not in out.stderr
    assert "NaN" not in out.stdout
    assert "Infinity" not in out.stdout
    data = json.loads(out.stdout)
    assert _finite(data)
    energy = data["energy_j"]
    assert 0 < energy["p5"] <= energy["p50"] <= energy["p95"]


def test_a_whole_batch_range_and_numbers_with_magnitudes_still_work() -> None:
    out = run_cli([*TOKENS, "--batch", "16..64", "--samples", "2k", "--seed", "0", "--json"])
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(out.stdout)
    assert 16 <= data["batch"] <= 64
