"""User catalog files: overrides, and malformed files rejected with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from wattlens.catalog import Accelerator, Catalog
from wattlens.errors import CatalogError

HEADER = "id,name,vendor,tdp_w,memory_gb,bf16_tflops,aliases,source,year,estimate,basis\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_user_row_is_added_and_found_by_alias(tmp_path: Path) -> None:
    write(
        tmp_path / "accelerators-lab.csv",
        HEADER
        + "lab-npu,Lab NPU 1,Acme,123,32,100,LNPU|Acme Lab NPU,Acme datasheet rev 2,2025,,\n",
    )
    catalog = Catalog([tmp_path], user_dir=False)
    entry = catalog.entry("accelerators", "acme lab-npu")
    assert entry.row.id == "lab-npu"
    assert isinstance(entry.row, Accelerator)
    assert entry.row.tdp_w == 123
    assert entry.origin == str(tmp_path / "accelerators-lab.csv")


def test_user_row_overrides_shipped_row_with_same_id(tmp_path: Path) -> None:
    shipped = Catalog(user_dir=False).get_typed("accelerators", "H100 SXM", Accelerator)
    write(
        tmp_path / "accelerators.csv",
        HEADER + f"{shipped.id},My H100,NVIDIA,600,80,989,,our power-capped fleet,2026,,\n",
    )
    catalog = Catalog([tmp_path], user_dir=False)
    row = catalog.get_typed("accelerators", shipped.id, Accelerator)
    assert row.tdp_w == 600
    assert catalog.entry("accelerators", shipped.id).origin.endswith("accelerators.csv")


def test_environment_variable_adds_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pue-mine.csv", "id,name,pue,source,year\nmy-dc,My DC,1.3,meter logs,2026\n")
    monkeypatch.setenv("WATTLENS_CATALOG", str(tmp_path))
    assert Catalog(user_dir=False).get("pue", "My DC").id == "my-dc"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # a negative TDP on line 3, column tdp_w
        (
            "ok1,OK 1,Acme,100,,,,src doc,2024,,\nbad,Bad,Acme,-5,,,,src doc,2024,,\n",
            ":3: column 'tdp_w': Input should be greater than 0 (got '-5')",
        ),
        # no source
        ("nosrc,No source,Acme,100,,,,,2024,,\n", ":2: column 'source': Field required"),
        # a year that is not a number
        ("y,Y,Acme,100,,,,src doc,last year,,\n", ":2: column 'year': Input should be a valid"),
        # an estimate without its basis
        ("e,E,Acme,100,,,,src doc,2024,true,\n", ":2: column '(row)': Value error, estimate=true"),
        # duplicate id
        (
            "d,D,Acme,100,,,,src doc,2024,,\nd,D2,Acme,100,,,,src doc,2024,,\n",
            ":3: duplicate id 'd' (first on line 2)",
        ),
    ],
)
def test_malformed_rows_are_rejected_with_file_line_and_column(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = write(tmp_path / "accelerators.csv", HEADER + body)
    with pytest.raises(CatalogError) as info:
        Catalog([path], user_dir=False).entries("accelerators")
    assert str(path) in info.value.message
    assert expected in info.value.message


def test_unknown_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "pue.csv", "id,name,pue,sauce,year\nx,X,1.2,oops,2024\n")
    with pytest.raises(CatalogError, match=r"pue.csv:1: unknown column 'sauce'"):
        Catalog([path], user_dir=False).entries("pue")


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path / "pue.csv", "id,name,pue,year\nx,X,1.2,2024\n")
    with pytest.raises(CatalogError, match=r"pue.csv:1: missing column 'source'"):
        Catalog([path], user_dir=False).entries("pue")


def test_file_of_unknown_kind_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "acelerators.csv", HEADER)
    with pytest.raises(CatalogError, match="cannot tell which kind"):
        Catalog([tmp_path], user_dir=False).validate_all()


def test_alias_clash_between_rows_fails_loudly(tmp_path: Path) -> None:
    write(
        tmp_path / "accelerators.csv",
        HEADER + "clash,Clash,Acme,100,,,H100 SXM,src doc,2024,,\n",
    )
    with pytest.raises(CatalogError, match="points to both"):
        Catalog([tmp_path], user_dir=False).entries("accelerators")


def test_region_pointing_at_unknown_grid_fails(tmp_path: Path) -> None:
    write(
        tmp_path / "regions.csv",
        "id,name,provider,region,grid_id,source,year\n"
        "aws-moon-1,Moon,aws,moon-1,moon,AWS docs,2025\n",
    )
    with pytest.raises(CatalogError, match="names grid 'moon'"):
        Catalog([tmp_path], user_dir=False).entries("regions")


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        Catalog([tmp_path / "nope.csv"], user_dir=False).entries("pue")
