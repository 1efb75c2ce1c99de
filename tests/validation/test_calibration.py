"""The shipped serving-stack constants are what benchmarks/calibrate_inference.py fits.

``make calibrate`` (or ``python benchmarks/calibrate_inference.py --write`` with the
``calibrate`` extra) regenerates the fitted rows of
src/wattlens/formulas/data/serving_stacks.csv. The quick tests check, without scipy,
that the shipped `current` constants sit at a minimum of the script's loss and that
the shipped residual range is the one the script computes from them; the slow one
runs the fit itself and compares its constants with the shipped ones.
"""

from __future__ import annotations

import csv
import importlib
from pathlib import Path
from types import ModuleType

import pytest

from tests.validation.benchmark_scripts import load_benchmark

MEASURED = Path(__file__).with_name("measured_inference.csv")


@pytest.fixture(scope="module")
def calibrate() -> ModuleType:
    return load_benchmark("calibrate_inference")


def test_the_fit_uses_exactly_the_fit_split_of_its_stack(calibrate: ModuleType) -> None:
    with MEASURED.open(encoding="utf-8") as handle:
        measured = list(csv.DictReader(handle))
    fit_rows = {r["case_id"] for r in measured
                if r["split"] == "fit" and r["stack"] == calibrate.PROFILE}  # fmt: skip
    assert {r["case_id"] for r in calibrate.rows()} == fit_rows
    # Today they are the 30 ML.ENERGY v3 rows, each with its published inter-token latency.
    assert {r["source_id"] for r in calibrate.rows()} == {"mlenergy-v3-2026"}
    assert len(fit_rows) == 30
    assert all(calibrate.measured_itl_s(r) for r in calibrate.rows())
    # No other source's rows reach the fit: every other row is held out or another profile's.
    assert all(r["split"] == "holdout" for r in measured
               if r["source_id"] not in ("mlenergy-v3-2026", "mlenergy-v1-2023"))  # fmt: skip
    assert calibrate.rows(exclude=["mlenergy-v3-2026"]) == []


def test_a_source_left_out_is_refitted_without_its_rows(
    calibrate: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two fitted sources of one stack: leaving one out refits the profile on the other."""
    with MEASURED.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        measured = list(reader)
    for r in measured:  # the v3 B200 rows stand in for a second fitted source
        if r["source_id"] == "mlenergy-v3-2026" and r["accelerator"] == "B200":
            r["source_id"] = "second"
    table = tmp_path / "measured.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(measured)
    monkeypatch.setattr(calibrate, "MEASURED", table)
    kept = calibrate.rows(exclude=["second"])
    assert kept
    assert {r["accelerator"] for r in kept} == {"H100 SXM"}
    assert {r["accelerator"] for r in calibrate.rows(exclude=["mlenergy-v3-2026"])} == {"B200"}


def test_shipped_constants_are_a_minimum_of_the_fit(calibrate: ModuleType) -> None:
    table = calibrate.rows()
    shipped = calibrate.centrals()
    best = calibrate.loss(shipped, table)
    for name in calibrate.FITTED:
        for k in (0.9, 1.1):
            moved = {**shipped, name: shipped[name] * k}
            if name in calibrate.FRACTIONS and moved[name] > 1:
                continue
            # 1 % slack: Nelder-Mead stops within its tolerance of the minimum.
            assert calibrate.loss(moved, table) >= best * 0.99, (name, k)


def test_shipped_residual_range_is_the_fitted_one(calibrate: ModuleType) -> None:
    from wattlens.estimate.stacks import model_residual

    low, high = calibrate.residual_range(calibrate.centrals(), calibrate.rows())
    shipped = model_residual()
    assert shipped.low == pytest.approx(low, rel=0.01)
    assert shipped.high == pytest.approx(high, rel=0.01)


@pytest.mark.slow
def test_a_fresh_fit_reproduces_the_shipped_constants(calibrate: ModuleType) -> None:
    importlib.import_module("scipy.optimize")  # the dev extra installs it: never a silent skip
    table = calibrate.rows()
    shipped = calibrate.centrals()
    fitted = calibrate.fit(table)
    for name in calibrate.FITTED:
        # The file keeps 4 significant digits and the simplex stops within its tolerance.
        assert fitted[name] == pytest.approx(shipped[name], rel=0.03), name
    assert calibrate.loss(fitted, table) == pytest.approx(calibrate.loss(shipped, table), rel=0.01)
