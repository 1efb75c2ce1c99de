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
    assert len(sources) >= 3, sources
    assert all(len(_by_source(s)) >= 5 for s in sources)


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
