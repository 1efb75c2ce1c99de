"""The measured inference table: independent sources, each row traceable and well-formed.

tests/validation/measured_inference.csv is what the estimator is scored on out
of sample, so a wrong row would flatter or slander it silently. These checks
hold every row to what a reader needs to trust it: a model and chip the
estimator can resolve, finite positive numbers in sane units, a citation down
to the file and commit (or the paper's table), and, for every source beyond the
two the profiles were built from, a note in tests/validation/sources/ that says
how each column was derived.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from wattlens.catalog import get_catalog
from wattlens.estimate._common import resolve_accelerators, resolve_model

HERE = Path(__file__).resolve().parent
TABLE = HERE / "measured_inference.csv"
SOURCES = HERE / "sources"
STACKS = HERE.parents[1] / "src" / "wattlens" / "formulas" / "data" / "serving_stacks.csv"

COLUMNS = [
    "case_id", "source_id", "split", "model", "accelerator", "count", "batch", "precision",
    "stack", "output_tokens", "input_tokens", "energy_j_per_response", "boundary", "source",
]  # fmt: skip
#: Sources whose provenance lives with the fit (published_inference.csv, the
#: serving-stack profiles' basis) rather than in a note of their own.
FIT_SOURCES = {"mlenergy-v1-2023", "mlenergy-v3-2026"}
#: A file in a repository at a commit (``owner/repo path/to/file.ext @abc1234``) ...
FILE_AT_COMMIT = re.compile(r"\b[\w.-]+/[\w.-]+ [^@]*?\.\w+ @[0-9a-f]{7,40}\b")
#: ... or a paper's table or figure with its page or section.
PAPER_TABLE = re.compile(r"\b(Table|Tab\.) [0-9IVX]+[a-z]?\b")


def _rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = _rows()


def _by_source(source_id: str) -> list[dict[str, str]]:
    return [r for r in ROWS if r["source_id"] == source_id]


def test_at_least_three_independent_sources() -> None:
    sources = {r["source_id"] for r in ROWS}
    # Three sources of five rows or more carry the leave-one-source-out claim; a
    # further source may be smaller (a benchmark publishing a few configurations)
    # but never a single row, which would make its per-source error one number.
    assert sum(len(_by_source(s)) >= 5 for s in sources) >= 3, sources
    assert all(len(_by_source(s)) >= 2 for s in sources)


def test_case_ids_are_unique() -> None:
    ids = [r["case_id"] for r in ROWS]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("row", ROWS, ids=[r["case_id"] for r in ROWS])
def test_row_resolves_in_the_catalog(row: dict[str, str]) -> None:
    catalog = get_catalog()
    assert resolve_model(row["model"], catalog).id == row["model"]
    chips = resolve_accelerators(row["accelerator"], catalog)
    assert chips
    assert all(chip.tdp_w is not None and chip.tdp_w > 0 for chip in chips)


def test_every_row_is_finite_positive_and_in_sane_units() -> None:
    for row in ROWS:
        numbers = {k: row[k] for k in ("count", "batch", "output_tokens", "energy_j_per_response")}
        if row["input_tokens"]:
            numbers["input_tokens"] = row["input_tokens"]
        for column, text in numbers.items():
            value = float(text)
            assert math.isfinite(value), (row["case_id"], column, text)
            assert value > 0, (row["case_id"], column, text)
        assert float(row["count"]).is_integer(), row["case_id"]
        # A decode step holds at least one sequence, so a mean batch below 1 is a slip.
        assert float(row["batch"]) >= 1, row["case_id"]
        # GPU joules per output token from 0.01 (small model, huge batch) to 100
        # (hundreds of billions of parameters, batch 1): outside that, a unit slipped
        # (kWh or Wh for J, tokens per request for per batch).
        per_token = float(row["energy_j_per_response"]) / float(row["output_tokens"])
        assert 0.01 < per_token < 100, (row["case_id"], per_token)


def test_categorical_columns_take_known_values() -> None:
    with STACKS.open(encoding="utf-8", newline="") as handle:
        profiles = {r["stack"] for r in csv.DictReader(handle)}
    for row in ROWS:
        assert row["split"] in {"fit", "holdout"}, row["case_id"]
        assert row["stack"] in profiles, (row["case_id"], row["stack"])
        assert row["boundary"] in {"accelerator", "server", "facility"}, row["case_id"]
        assert row["precision"] in {"fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"}


def test_every_row_cites_a_file_at_a_commit_or_a_paper_table() -> None:
    for row in ROWS:
        source = row["source"]
        assert FILE_AT_COMMIT.search(source) or PAPER_TABLE.search(source), (
            row["case_id"],
            source,
        )


def test_every_new_source_has_a_note_and_never_enters_a_fit() -> None:
    for source_id in {r["source_id"] for r in ROWS} - FIT_SOURCES:
        note = SOURCES / f"{source_id}.md"
        assert note.is_file(), f"no derivation note {note}"
        text = note.read_text(encoding="utf-8")
        # The note names the commits its rows cite.
        for row in _by_source(source_id):
            commit = re.search(r"@([0-9a-f]{7,40})", row["source"])
            if commit:
                assert commit.group(1) in text, (row["case_id"], commit.group(1))
        assert {r["split"] for r in _by_source(source_id)} == {"holdout"}, source_id
    for note in SOURCES.glob("*.md"):
        assert _by_source(note.stem), f"{note.name} documents no rows of the table"


# Values read back from the source files (ml-energy/benchmark @b10121d5), so a
# slip in transcription or rounding of the table shows here.
V2_SPOT_CHECKS = [
    # (case_id, Energy/req (J), Avg Output Tokens, Avg BS (reqs), TP x PP)
    ("mlenergy_v2_llama-3p1-8b-instruct_a100x1_tp1pp1_bs32", 102.65286690513797, 485.745,
     31.938292820096233, 1),
    ("mlenergy_v2_mixtral-8x22b-instruct_a100x16_tp8pp2_bs256", 521.574942332967,
     387.80066666666664, 510.2610236220472, 16),
    ("mlenergy_v2_llama-3p1-405b-instruct_h100x16_tp8pp2_bs256", 1759.748581481864, 452.929,
     508.7456683168317, 16),
    ("mlenergy_v2_gemma-2-9b-it_h100x1_tp1pp1_bs192", 68.11600430916434, 381.6685,
     191.55900501349788, 1),
]  # fmt: skip


@pytest.mark.parametrize(("case_id", "energy", "output", "batch", "count"), V2_SPOT_CHECKS)
def test_v2_rows_match_their_source_files(
    case_id: str, energy: float, output: float, batch: float, count: int
) -> None:
    (row,) = [r for r in ROWS if r["case_id"] == case_id]
    assert float(row["energy_j_per_response"]) == pytest.approx(energy, abs=0.005)
    assert float(row["output_tokens"]) == pytest.approx(output, abs=0.05)
    assert float(row["batch"]) == pytest.approx(batch, abs=0.005)
    assert int(row["count"]) == count
    assert row["stack"] == "older"
    assert row["boundary"] == "accelerator"


# MLPerf Inference v4.1, NVIDIA 8x H200 MaxQ, Server scenario, read back from
# mlcommons/inference_results_v4.1 @a2f5d66d (performance/run_1 of each benchmark):
# node AC power averaged over power_begin..power_end of spl.txt (equal to the
# published result), and mlperf_log_detail.txt's completed samples and tokens per
# second, mean latency and mean time per output token.
MLPERF_REPLICAS = 8
MLPERF_POWER_LIMIT_W = 500.0
MLPERF_SPOT_CHECKS = [
    # (case_id, node W, samples/s, tokens/s, mean latency s, mean TPOT s, gpu_batch_size cap)
    ("mlperf_v4.1_llama-2-70b_h200x8-maxq_server", 6280.214, 79.3572, 23113.1, 39.6961556,
     0.136483939, 896),
    ("mlperf_v4.1_mixtral-8x7b_h200x8-maxq_server", 6174.8963, 311.753, 45497.0, 18.8724508,
     0.129142817, 1200),
]  # fmt: skip


def test_mlperf_source_has_exactly_its_server_rows() -> None:
    rows = _by_source("mlperf-inference-v4.1-2024")
    assert sorted(r["case_id"] for r in rows) == sorted(c[0] for c in MLPERF_SPOT_CHECKS)
    for row in rows:
        # Node wall power: the server boundary, never the chips alone.
        assert row["boundary"] == "server", row["case_id"]
        assert (row["stack"], row["precision"], row["count"]) == ("current", "fp8", "1")
        # The prompt lengths are not published with the results: no invented input.
        assert row["input_tokens"] == "", row["case_id"]
        assert "spl.txt @a2f5d66d" in row["source"], row["case_id"]


@pytest.mark.parametrize("check", MLPERF_SPOT_CHECKS, ids=[c[0] for c in MLPERF_SPOT_CHECKS])
def test_mlperf_rows_follow_from_their_logs(
    check: tuple[str, float, float, float, float, float, int],
) -> None:
    case_id, watts, samples_s, tokens_s, latency_s, tpot_s, cap = check
    (row,) = [r for r in ROWS if r["case_id"] == case_id]
    # Energy per response = average node power / completed responses per second.
    assert float(row["energy_j_per_response"]) == pytest.approx(watts / samples_s, abs=0.005)
    assert float(row["output_tokens"]) == pytest.approx(tokens_s / samples_s, abs=0.05)
    # Sequences in flight per replica by Little's law (arrival rate x time in system) ...
    littles = samples_s * latency_s / MLPERF_REPLICAS
    assert float(row["batch"]) == pytest.approx(littles, abs=0.005)
    # ... agree with the decode view (tokens per second x time per token): queueing
    # before the first token is negligible, so the figure is the running batch ...
    assert tokens_s * tpot_s / MLPERF_REPLICAS == pytest.approx(littles, rel=0.01)
    # ... which stayed below the engine's configured maximum batch.
    assert float(row["batch"]) < cap


@pytest.mark.parametrize("case_id", [c[0] for c in MLPERF_SPOT_CHECKS])
def test_mlperf_rows_are_physically_plausible(case_id: str) -> None:
    (row,) = [r for r in ROWS if r["case_id"] == case_id]
    (check,) = [c for c in MLPERF_SPOT_CHECKS if c[0] == case_id]
    (chip,) = resolve_accelerators(row["accelerator"], get_catalog())
    assert chip.tdp_w == 700
    # Node power per GPU, host share included: the GPUs alone may draw up to their
    # 500 W limit, and the host (two CPUs, fans, NICs, supply losses) adds less than
    # another TDP per GPU; under load it cannot fall below a third of the TDP.
    per_gpu_w = float(row["energy_j_per_response"]) * check[2] / MLPERF_REPLICAS
    assert 0.33 * chip.tdp_w < per_gpu_w < MLPERF_POWER_LIMIT_W + chip.tdp_w
    # Joules per output token at the node: ML.ENERGY measured 0.36-0.77 J on the GPUs
    # alone for the same sizes (70B dense, Mixtral 8x7B) in bf16 on four H100 at
    # batch 256 and above; fp8 on one H200 per replica halves the bytes per token and
    # the host adds less than as much again, so a row outside 0.05-1.5 J slipped.
    per_token = float(row["energy_j_per_response"]) / float(row["output_tokens"])
    assert 0.05 < per_token < 1.5, per_token
