"""Hostile catalog CSV files: other encodings, huge cells, infinite and NaN numbers.

Each is refused with the catalog's ``file:line: column 'name': problem`` and a fix,
from the CLI (exit 2) and from the Python API (:class:`CatalogError`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.badinput.bounded import assert_clean_error, run_cli
from wattlens.catalog import Accelerator, Catalog
from wattlens.catalog.loader import read_rows
from wattlens.errors import CatalogError

HEADER = "id,name,vendor,tdp_w,memory_gb,bf16_tflops,aliases,source,year,estimate,basis\n"
ROW = "lab-npu,Lab NPU,Acme,{tdp},32,100,,{source},2025,,\n"


def _catalog(tmp_path: Path, body: str | bytes) -> Path:
    data = body.encode("utf-8") if isinstance(body, str) else body
    (tmp_path / "accelerators-lab.csv").write_bytes(HEADER.encode() + data)
    return tmp_path / "accelerators-lab.csv"


def _show(path: Path) -> list[str]:
    return ["--catalog", str(path.parent), "catalog", "show", "accelerators", "lab-npu"]


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "nan", "NaN", "1e400", "-1e999"])
def test_a_non_finite_number_is_refused(tmp_path: Path, value: str) -> None:
    path = _catalog(tmp_path, ROW.format(tdp=value, source="Acme datasheet"))
    error = assert_clean_error(run_cli(_show(path)), f"{path}:2:", "column 'tdp_w'")
    assert f"must be a finite number (got {value!r})" in error


def test_every_number_column_must_be_finite(tmp_path: Path) -> None:
    path = _catalog(tmp_path, "lab-npu,Lab NPU,Acme,700,32,nan,,Acme datasheet,2025,,\n")
    with pytest.raises(CatalogError, match=r":2: column 'bf16_tflops': must be a finite number"):
        read_rows(path, Accelerator)


def test_text_columns_may_say_inf(tmp_path: Path) -> None:
    path = _catalog(tmp_path, "inf,inf,NaN,700,32,100,,Acme datasheet,2025,,\n")
    (row,) = read_rows(path, Accelerator)
    assert (row.id, row.name, row.tdp_w) == ("inf", "inf", 700)


def test_another_encoding_names_line_and_column(tmp_path: Path) -> None:
    path = _catalog(
        tmp_path, "lab-npu,Lab NPU,Acm\xe9,700,32,100,,Acme datasheet,2025,,\n".encode("latin-1")
    )
    error = assert_clean_error(run_cli(_show(path)), f"{path}:2:", "column 'vendor'", "not UTF-8")
    assert "0xe9" in error


def test_a_huge_cell_names_line_and_column(tmp_path: Path) -> None:
    body = ROW.format(tdp=700, source="Acme datasheet") + ROW.format(tdp=700, source="x" * 140_000)
    path = _catalog(tmp_path, body.replace("lab-npu", "lab-npu-2", 1))
    error = assert_clean_error(run_cli(_show(path)), f"{path}:3:", "column 'source'")
    assert "larger than 128 KiB" in error


def test_a_huge_quoted_cell_with_commas_names_its_column(tmp_path: Path) -> None:
    path = _catalog(
        tmp_path, 'lab-npu,"Lab, NPU",Acme,700,32,100,,"' + "a,b" * 50_000 + '",2025,,\n'
    )
    with pytest.raises(CatalogError, match=r":2: column 'source': a cell is larger than 128 KiB"):
        read_rows(path, Accelerator)


def test_a_huge_header_cell_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accelerators.csv"
    path.write_text("id," + "x" * 140_000 + "\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r":1: column '#2': a cell is larger than 128 KiB"):
        read_rows(path, Accelerator)


def test_an_endless_file_is_read_only_to_the_cap(tmp_path: Path) -> None:
    (tmp_path / "accelerators.csv").symlink_to("/dev/zero")
    out = run_cli(["--catalog", str(tmp_path), "catalog", "show", "accelerators", "H100 SXM"])
    assert_clean_error(out, f"{tmp_path / 'accelerators.csv'}:", "larger than 64 MiB")


def test_the_shipped_catalog_still_loads() -> None:
    counts = Catalog(user_dir=False).validate_all()
    assert counts["accelerators"] > 10
    assert all(n > 0 for n in counts.values())


@settings(max_examples=200, deadline=None)
@given(st.floats() | st.text(alphabet="0123456789.eE+-infatyINFATY", min_size=1, max_size=12))
def test_any_number_cell_loads_finite_or_fails_cleanly(
    tmp_path_factory: pytest.TempPathFactory, cell: float | str
) -> None:
    path = _catalog(tmp_path_factory.mktemp("cat"), ROW.format(tdp=cell, source="Acme datasheet"))
    try:
        (row,) = read_rows(path, Accelerator)
    except CatalogError as exc:
        message, tdp = str(exc), 1.0
    else:
        message, tdp = f"{path}:2: column 'tdp_w': (loaded)", row.tdp_w or math.nan
    assert message.startswith(f"{path}:2: column 'tdp_w': ")
    assert math.isfinite(tdp)
    assert tdp > 0
