"""Current open and closed models, and TPU v2: rows resolve, shapes are consistent,
closed models are flagged ranges, and every row gives a finite inference estimate."""

from __future__ import annotations

import math
from typing import Any

import pytest

from wattlens.catalog import Accelerator, Catalog, Model
from wattlens.estimate import inference

OPEN = {
    # id: (total, active, layers, kv_heads)
    "llama-4-scout": (1.09e11, 1.7e10, 48, 8),
    "llama-4-maverick": (4e11, 1.7e10, 48, 8),
    "qwen3-8b": (8.19e9, 8.19e9, 36, 8),
    "qwen3-32b": (3.276e10, 3.276e10, 64, 8),
    "gemma-3-4b": (3.88e9, 3.88e9, 34, 4),
    "gemma-3-12b": (1.177e10, 1.177e10, 48, 8),
    "gemma-3-27b": (2.701e10, 2.701e10, 62, 16),
    "mistral-small-3-24b": (2.357e10, 2.357e10, 40, 8),
    "mistral-large-2": (1.23e11, 1.23e11, None, None),
    "gpt-oss-20b": (2.09e10, 3.6e9, 24, 8),
    "gpt-oss-120b": (1.168e11, 5.1e9, 36, 8),
    "deepseek-r1": (6.71e11, 3.7e10, 61, 128),
}
CLOSED = {
    # id: (total, active low, active high)
    "gpt-5": (3e11, 3e10, 9e10),
    "gpt-4.1": (3.52e11, 3.5e10, 1.06e11),
    "claude-opus-4": (2e12, 2e11, 6e11),
    "claude-sonnet-4": (4.4e11, 4.4e10, 1.32e11),
    "gemini-2.5-pro": (2e12, 2e11, 6e11),
    "gemini-2.5-flash": (4.4e11, 4.4e10, 1.32e11),
}
ALIASES = {
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "llama-4-scout",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct": "llama-4-maverick",
    "Qwen/Qwen3-32B": "qwen3-32b",
    "google/gemma-3-27b-it": "gemma-3-27b",
    "mistralai/Mistral-Small-24B-Instruct-2501": "mistral-small-3-24b",
    "mistralai/Mistral-Large-Instruct-2407": "mistral-large-2",
    "openai/gpt-oss-120b": "gpt-oss-120b",
    "deepseek-ai/DeepSeek-R1": "deepseek-r1",
    "gpt-5-2025-08-07": "gpt-5",
    "claude-opus-4-20250514": "claude-opus-4",
    "claude-sonnet-4-20250514": "claude-sonnet-4",
}


@pytest.mark.parametrize("model_id", list(OPEN))
def test_open_model_rows(catalog: Catalog, model_id: str) -> None:
    row = catalog.get_typed("models", model_id, Model)
    total, active, layers, kv = OPEN[model_id]
    assert row.open_weights is True
    assert not row.estimate
    assert row.params_total == pytest.approx(total)
    assert row.params_active == pytest.approx(active)
    assert row.layers == layers
    assert row.kv_heads == kv
    if row.architecture == "moe":
        assert row.params_active is not None
        assert row.params_total is not None
        assert row.params_active < row.params_total
    else:
        assert row.params_active == row.params_total
    assert row.context_length is not None
    assert row.context_length >= 32768
    assert row.year >= 2024


def test_config_shapes_reproduce_the_published_parameter_counts(catalog: Catalog) -> None:
    # Dense decoder: embeddings (tied or not) + per layer attention + 3 MLP matrices.
    def count(shape: tuple[int, int, int, int, int, int, int], tied: bool) -> float:
        vocab, h, layers, heads, kv, hd, ff = shape
        per_layer = 2 * h * heads * hd + 2 * h * kv * hd + 3 * h * ff
        return vocab * h * (1 if tied else 2) + layers * per_layer

    # Mistral Small 3: the published text parameter count is 23,572,403,200 (norms aside).
    published = 23_572_403_200
    assert count((131072, 5120, 40, 32, 8, 128, 32768), False) == pytest.approx(published, rel=1e-4)
    # Qwen3 32B: model card 32.8B total, 31.2B non-embedding.
    assert count((151936, 5120, 64, 64, 8, 128, 25600), False) == pytest.approx(3.276e10, rel=1e-3)
    # Gemma 3 27B: the language model with its tied embedding.
    assert count((262144, 5376, 62, 32, 16, 128, 21504), True) == pytest.approx(2.701e10, rel=1e-3)
    gemma = catalog.get_typed("models", "gemma-3-27b", Model)
    assert gemma.head_dim == 128  # set apart from hidden / heads (5376 / 32 = 168)


@pytest.mark.parametrize("model_id", list(CLOSED))
def test_closed_models_are_flagged_ranges_with_their_basis(catalog: Catalog, model_id: str) -> None:
    row = catalog.get_typed("models", model_id, Model)
    total, low, high = CLOSED[model_id]
    assert row.open_weights is False
    assert row.estimate
    assert row.basis is not None
    assert "EcoLogits" in row.basis
    assert "EcoLogits" in row.source
    assert row.params_total_low == row.params_total_high == pytest.approx(total)
    assert row.params_active_low == pytest.approx(low)
    assert row.params_active_high == pytest.approx(high)
    assert row.params_active is None  # the source gives no central value
    assert high == pytest.approx(0.3 * total, rel=0.02)  # EcoLogits' 10-30 % activation
    assert low == pytest.approx(0.1 * total, rel=0.02)


@pytest.mark.parametrize(("alias", "model_id"), list(ALIASES.items()))
def test_published_names_resolve(catalog: Catalog, alias: str, model_id: str) -> None:
    assert catalog.get("models", alias).id == model_id


@pytest.mark.parametrize("model_id", [*OPEN, *CLOSED])
def test_every_new_row_gives_a_finite_inference_range(catalog: Catalog, model_id: str) -> None:
    est = inference(
        model=model_id, accelerator="H100 SXM", output_tokens=300, samples=400, catalog=catalog
    )
    q = est.energy
    assert all(math.isfinite(v) for v in (q.p5, q.p50, q.p95, q.mean))
    assert 0 < q.p5 <= q.p50 <= q.p95
    assert est.embodied is not None
    assert est.embodied.carbon_kgco2e.p95 > 0


def test_cli_shows_and_estimates_a_new_row(cli: Any) -> None:
    shown = cli("catalog", "show", "models", "gpt-oss-120b")
    assert shown.exit_code == 0, shown.stderr
    assert "116.8B total" in " ".join(shown.stdout.split())
    out = cli("estimate", "inference", "--model", "llama-4-maverick", "-a", "H100 SXM",
              "--output-tokens", "300", "--samples", "400", "--json")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    energy = out.json()["energy_j"]
    assert all(math.isfinite(energy[k]) for k in ("p5", "p50", "p95"))


def test_tpu_v2_has_a_sourced_tdp(catalog: Catalog) -> None:
    tpu = catalog.get_typed("accelerators", "TPU v2", Accelerator)
    assert tpu.tdp_w == 280
    assert tpu.bf16_tflops == 45
    assert "TPUv4i" in tpu.source
    assert tpu.notes is not None
    assert "upper bound" in tpu.notes
