"""Forgiving but never guessing name matching."""

from __future__ import annotations

import pytest

from wattlens.catalog import Catalog, normalise_name
from wattlens.errors import AmbiguousNameError, UnknownNameError


def test_normalise_ignores_case_spaces_and_punctuation() -> None:
    assert normalise_name("H100-SXM") == normalise_name("h100 sxm") == "h100sxm"


@pytest.mark.parametrize("name", ["h100", "H100-SXM", "NVIDIA H100 80GB HBM3", "nvidia h100 sxm"])
def test_h100_spellings_reach_the_same_row(catalog: Catalog, name: str) -> None:
    assert catalog.get("accelerators", name).id == catalog.get("accelerators", "H100 SXM").id


@pytest.mark.parametrize(
    ("name", "expected_id_part"),
    [
        ("NVIDIA A100-SXM4-80GB", "a100"),
        ("Tesla T4", "t4"),
        ("NVIDIA GeForce RTX 4090", "4090"),
    ],
)
def test_nvidia_smi_names_resolve(catalog: Catalog, name: str, expected_id_part: str) -> None:
    assert expected_id_part in catalog.get("accelerators", name).id


def test_ambiguous_name_lists_candidates(catalog: Catalog) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        catalog.get("accelerators", "a100")
    assert len(info.value.candidates) >= 2
    assert all("a100" in c for c in info.value.candidates)


def test_unknown_name_suggests_close_entries(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError) as info:
        catalog.get("accelerators", "H1000 SXM")
    assert any("h100" in s for s in info.value.suggestions)
    assert isinstance(info.value, ValueError)


def test_unknown_kind_is_a_usage_error(catalog: Catalog) -> None:
    with pytest.raises(UnknownNameError, match="unknown catalog kind name 'gpus'"):
        catalog.entries("gpus")


def test_country_codes_and_names_reach_grid_rows(catalog: Catalog) -> None:
    assert catalog.get("grids", "FR").id == catalog.get("grids", "France").id == "fr"
    assert catalog.get("grids", "USA").id == "us"
