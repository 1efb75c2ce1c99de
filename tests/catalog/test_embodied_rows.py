"""The ``embodied`` catalog kind: every constant sourced, scopes complete, references real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wattlens.catalog import KINDS, Catalog, HardwareFootprint
from wattlens.catalog.loader import read_rows
from wattlens.errors import CatalogError

HEADER = (
    "id,name,scope,applies_to,boundary,carbon_kgco2e,adp_kgsbeq,water_l,devices_per_server,"
    "lifetime_years,utilisation,source,year,estimate,basis"
)


def _rows(catalog: Catalog) -> list[HardwareFootprint]:
    rows = catalog.rows("embodied")
    assert all(isinstance(r, HardwareFootprint) for r in rows)
    return rows  # type: ignore[return-value]


def test_embodied_is_a_catalog_kind_with_its_row_type() -> None:
    assert KINDS["embodied"].row_type is HardwareFootprint
    assert "manufacturing" in KINDS["embodied"].description


def test_every_constant_has_a_source_a_year_and_a_basis_when_estimated(catalog: Catalog) -> None:
    for row in _rows(catalog):
        assert len(row.source) > 20, row.id
        assert 2020 <= row.year <= 2026, row.id
        if row.estimate:
            assert row.basis, row.id


def test_every_scope_is_covered_and_each_row_carries_its_value(catalog: Catalog) -> None:
    rows = _rows(catalog)
    scopes = {r.scope for r in rows}
    assert scopes == {"accelerator", "server", "lifetime", "utilisation"}
    for row in rows:
        if row.scope == "server":
            assert row.devices_per_server == 8
            assert row.carbon_kgco2e is not None
        elif row.scope == "lifetime":
            assert row.lifetime_years is not None
            assert 1 <= row.lifetime_years <= 10
        elif row.scope == "utilisation":
            assert row.utilisation is not None
            assert 0 < row.utilisation <= 1
        else:
            assert row.carbon_kgco2e is not None or row.adp_kgsbeq is not None


def test_vendor_footprints_name_existing_accelerators(catalog: Catalog) -> None:
    named = [r for r in _rows(catalog) if r.accelerator_ids]
    assert {a for r in named for a in r.accelerator_ids} == {"nvidia-h100-sxm", "nvidia-b200"}
    for row in named:
        for acc in row.accelerator_ids:
            assert catalog.get("accelerators", acc).id == acc


def test_published_per_gpu_figures(catalog: Catalog) -> None:
    h100 = catalog.get_typed("embodied", "nvidia-hgx-h100-per-gpu", HardwareFootprint)
    assert h100.carbon_kgco2e == pytest.approx(1312 / 8)
    assert "HGX-H100-PCF-Summary" in h100.source
    b200 = catalog.get_typed("embodied", "HGX B200 PCF", HardwareFootprint)
    assert b200.carbon_kgco2e == pytest.approx(2274 / 8)
    bloom = catalog.get_typed("embodied", "bloom-gpu-lower-bound", HardwareFootprint)
    assert bloom.carbon_kgco2e == 150
    assert bloom.estimate


def _write(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "embodied.csv"
    path.write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("srv,Srv,server,,,1000,,,,,,Some LCA 2024,2024,false,", "devices_per_server"),
        ("life,Life,lifetime,,,,,,,,,Some fleet report,2024,false,", "lifetime_years"),
        ("use,Use,utilisation,,,,,,,,,Some fleet report,2024,false,", "needs utilisation"),
        ("dev,Dev,accelerator,,,,,,,,,Some LCA 2024,2024,false,", "needs carbon_kgco2e"),
        ("use,Use,utilisation,,,,,,,,1.2,Some fleet report,2024,false,", "less than or equal"),
        ("dev,Dev,accelerator,,,-5,,,,,,Some LCA 2024,2024,false,", "greater than 0"),
        ("dev,Dev,accelerator,,,100,,,,,,Some LCA 2024,2024,true,", "requires a basis"),
    ],
)
def test_a_malformed_user_row_fails_with_the_reason(
    tmp_path: Path, line: str, message: str
) -> None:
    with pytest.raises(CatalogError, match=message):
        read_rows(_write(tmp_path, line), HardwareFootprint)


def test_a_user_file_adds_a_footprint_for_an_accelerator(tmp_path: Path) -> None:
    from wattlens.embodied import footprint

    line = "l4-lca,L4 LCA,accelerator,nvidia-l4,cradle-to-gate,60,,,,,,My own LCA 2025,2025,false,"
    _write(tmp_path, line)
    catalog = Catalog([tmp_path], user_dir=False)
    fp = footprint("L4", catalog)
    assert fp.specific
    assert fp.device_kgco2e == (60.0, 60.0)
    assert "embodied/l4-lca" in fp.sources


def test_catalog_cli_lists_and_shows_embodied_rows(cli: Any) -> None:
    listed = cli("catalog", "ls", "embodied", "--json")
    assert listed.exit_code == 0, listed.stderr
    data = listed.json()
    rows = data["rows"] if isinstance(data, dict) else data
    assert {r["id"] for r in rows} >= {"nvidia-hgx-h100-per-gpu", "bloom-server"}
    shown = cli("catalog", "show", "embodied", "HGX H100 PCF")
    assert shown.exit_code == 0, shown.stderr
    assert "1,312" in shown.stdout
