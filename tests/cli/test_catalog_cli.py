"""`wattlens catalog` from the command line: JSON contracts, errors and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wattlens.catalog import KINDS

# Field names are a public contract for scripts: changing them breaks users.
STABLE_FIELDS = {
    "accelerators": {
        "id", "name", "vendor", "form_factor", "memory_gb", "memory_bandwidth_gbs", "tdp_w",
        "idle_w", "fp32_tflops", "tf32_tflops", "bf16_tflops", "fp16_tflops", "fp8_tflops",
        "int8_tops", "release_year", "aliases", "source", "year", "estimate", "basis", "notes",
        "origin",
    },
    "grids": {
        "id", "name", "kind", "co2e_g_per_kwh", "data_year", "aliases", "source", "year",
        "estimate", "basis", "notes", "origin",
    },
    "models": {
        "id", "name", "developer", "architecture", "params_total", "params_active",
        "params_total_low", "params_total_high", "params_active_low", "params_active_high",
        "layers", "hidden_size", "attention_heads", "kv_heads", "head_dim", "context_length",
        "training_tokens", "release_year", "open_weights", "aliases", "source", "year",
        "estimate", "basis", "notes", "origin",
    },
}  # fmt: skip


def test_version(cli: Any) -> None:
    from wattlens import __version__

    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"wattlens {__version__}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_ls_json_parses_with_rows_and_count(cli: Any, kind: str) -> None:
    result = cli("catalog", "ls", kind, "--json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["kind"] == kind
    assert data["count"] == len(data["rows"]) > 0
    for row in data["rows"]:
        assert row["source"]
        assert row["year"]
        if kind in STABLE_FIELDS:
            assert set(row) == STABLE_FIELDS[kind]


def test_ls_without_kind_lists_every_kind(cli: Any) -> None:
    data = cli("catalog", "ls", "--json").json()
    assert [k["kind"] for k in data["kinds"]] == list(KINDS)


def test_show_json_reaches_row_through_nvidia_smi_name(cli: Any) -> None:
    result = cli("catalog", "show", "accelerators", "NVIDIA H100 80GB HBM3", "--json")
    assert result.exit_code == 0, result.stderr
    row = result.json()["row"]
    assert row["tdp_w"] == 700
    assert row["origin"] == "shipped"


def test_show_human_output_names_source(cli: Any) -> None:
    result = cli("catalog", "show", "models", "gpt-3 175b")
    assert result.exit_code == 0
    assert "source" in result.stdout
    assert "175" in result.stdout or "1.75e+11" in result.stdout


def test_unknown_name_exits_2_with_suggestions(cli: Any) -> None:
    result = cli("catalog", "show", "accelerators", "H1000")
    assert result.exit_code == 2
    assert "unknown accelerators name 'H1000'" in result.stderr
    assert "did you mean" in result.stderr


def test_ambiguous_name_exits_2_and_lists_entries(cli: Any) -> None:
    result = cli("catalog", "show", "accelerators", "A100")
    assert result.exit_code == 2
    assert "ambiguous" in result.stderr
    assert "use one of" in result.stderr


def test_bad_kind_exits_2(cli: Any) -> None:
    result = cli("catalog", "ls", "gpus")
    assert result.exit_code == 2
    assert "gpus" in result.stderr


def test_catalog_option_overrides_and_malformed_file_exits_2(cli: Any, tmp_path: Path) -> None:
    good = tmp_path / "pue-good.csv"
    good.write_text("id,name,pue,source,year\nmy-dc,My DC,1.31,meter logs,2026\n")
    result = cli("--catalog", good, "catalog", "show", "pue", "my dc", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.json()["row"]["pue"] == 1.31

    bad = tmp_path / "pue-bad.csv"
    bad.write_text("id,name,pue,source,year\nbad-dc,Bad DC,0.7,meter logs,2026\n")
    result = cli("--catalog", bad, "catalog", "ls", "pue")
    assert result.exit_code == 2
    assert f"{bad}:2: column 'pue': Input should be greater than or equal to 1" in result.stderr


def test_validate_reports_counts(cli: Any) -> None:
    result = cli("catalog", "validate", "--json")
    assert result.exit_code == 0
    data = result.json()
    assert data["valid"] is True
    assert set(data["counts"]) == set(KINDS)


def test_every_command_has_help(cli: Any) -> None:
    for args in (["--help"], ["catalog", "--help"], ["catalog", "ls", "--help"],
                 ["catalog", "show", "--help"], ["catalog", "validate", "--help"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0
        assert "Usage" in result.stdout
