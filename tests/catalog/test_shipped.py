"""Every shipped row validates, carries a source and a year, and key facts are right."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from wattlens.catalog import KINDS, Accelerator, Catalog, Grid, Model

MINIMUM_ROWS = {
    "accelerators": 20,
    "cpus": 25,
    "models": 20,
    "grids": 61,  # at least 60 countries plus the world average
    "grids_yearly": 400,  # six years (2019-2024) for the world and most countries
    "regions": 30,
    "water": 6,
    "prices": 20,
    "prices_yearly": 140,  # 2019-2025 for the EU countries of prices and the US
    "exchange_rates": 5,
    "pue": 5,
    "equivalents": 10,
    "embodied": 8,  # device and server footprints, lifetimes and utilisations
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_shipped_row_validates_and_has_source_and_year(catalog: Catalog, kind: str) -> None:
    entries = catalog.entries(kind)
    assert len(entries) >= MINIMUM_ROWS[kind]
    for entry in entries:
        assert entry.origin == "shipped"
        assert len(entry.row.source) >= 3, entry.row.id
        assert 1950 <= entry.row.year <= 2100, entry.row.id
        if entry.row.estimate:
            assert entry.row.basis, f"{kind}/{entry.row.id} is an estimate without a basis"


@pytest.mark.parametrize("kind", list(KINDS))
def test_shipped_files_have_no_unknown_or_missing_columns(kind: str) -> None:
    path = resources.files("wattlens.catalog") / "data" / f"{kind}.csv"
    with path.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert set(header) <= set(KINDS[kind].row_type.model_fields)
    assert {"id", "source", "year"} <= set(header)


def test_every_shipped_data_file_is_a_known_kind() -> None:
    data = resources.files("wattlens.catalog") / "data"
    stems = {p.name.removesuffix(".csv") for p in data.iterdir() if p.name.endswith(".csv")}
    assert stems == set(KINDS)


def test_world_average_and_sixty_countries(catalog: Catalog) -> None:
    grids = [r for r in catalog.rows("grids") if isinstance(r, Grid)]
    assert sum(1 for g in grids if g.kind == "country") >= 60
    world = catalog.get_typed("grids", "world", Grid)
    # Ember / IEA put the world average between roughly 400 and 500 g/kWh in 2020-2024.
    assert 400 <= world.co2e_g_per_kwh <= 500


def test_h100_sxm_datasheet_values(catalog: Catalog) -> None:
    h100 = catalog.get_typed("accelerators", "H100 SXM", Accelerator)
    assert h100.tdp_w == 700  # NVIDIA H100 datasheet: up to 700 W (SXM)
    assert h100.memory_gb == 80
    # Dense BF16 is 989 TFLOP/s (1,979 with sparsity); sparse figures must not leak in.
    assert h100.bf16_tflops is not None
    assert 980 <= h100.bf16_tflops <= 1000
    assert h100.peak_flops("bf16") == pytest.approx(h100.bf16_tflops * 1e12)


def test_gpt3_parameters_and_tokens(catalog: Catalog) -> None:
    gpt3 = catalog.get_typed("models", "GPT-3 175B", Model)
    assert gpt3.params_total == pytest.approx(1.75e11)
    assert gpt3.architecture == "dense"
    assert gpt3.training_tokens == pytest.approx(3e11)


def test_moe_models_have_fewer_active_than_total_parameters(catalog: Catalog) -> None:
    moes = [r for r in catalog.rows("models") if isinstance(r, Model) and r.architecture == "moe"]
    assert moes, "Mixtral and DeepSeek-V3 are mixture-of-experts models"
    for model in moes:
        if model.params_active is not None and model.params_total is not None:
            assert model.params_active < model.params_total, model.id


@pytest.mark.parametrize("name", ["GPT-4", "GPT-4o", "Claude 3.5 Sonnet", "Gemini 1.5 Pro"])
def test_undisclosed_models_are_flagged_estimates_with_ranges(catalog: Catalog, name: str) -> None:
    model = catalog.get_typed("models", name, Model)
    assert model.open_weights is False
    assert model.estimate, f"{model.id}: undisclosed parameters can only be estimates"
    assert model.basis
    assert model.params_total_low is not None
    assert model.params_total_high is not None
    assert model.params_total_low <= model.params_total_high
