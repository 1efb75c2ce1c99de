"""Grid intensity per country and year, and claims checked against their own year."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from wattlens.audit import audit_claims, parse_claims
from wattlens.catalog import Catalog, GridYear
from wattlens.errors import CatalogError


def _series(catalog: Catalog, grid: str) -> dict[int, float]:
    return {
        e.row.data_year: e.row.co2e_g_per_kwh
        for e in catalog.entries("grids_yearly")
        if isinstance(e.row, GridYear) and e.row.grid_id == grid
    }


def test_six_years_for_the_world_and_every_country() -> None:
    catalog = Catalog(user_dir=False)
    grids = [e.row.id for e in catalog.entries("grids")]
    complete = 0
    for grid in grids:
        years = _series(catalog, grid)
        assert len(years) >= 4, grid  # Ukraine stops in 2022
        assert set(years) <= set(range(2019, 2025)), grid
        complete += set(years) == set(range(2019, 2025))
    assert complete >= 60
    assert set(_series(catalog, "world")) == set(range(2019, 2025))
    for entry in catalog.entries("grids_yearly"):
        assert "ourworldindata.org" in entry.row.source
        assert entry.row.year == 2025


def test_latest_year_matches_the_grids_table() -> None:
    """The series and the single-year table come from the same Ember release."""
    catalog = Catalog(user_dir=False)
    us = catalog.entry("grids", "us").row
    assert _series(catalog, "us")[2024] == pytest.approx(us.co2e_g_per_kwh, abs=0.01)  # type: ignore[attr-defined]


def test_a_row_naming_an_unknown_grid_fails(tmp_path: Path) -> None:
    bad = tmp_path / "grids_yearly-mine.csv"
    bad.write_text(
        "id,grid_id,data_year,co2e_g_per_kwh,source,year\nxx-2020,xx,2020,100,my source,2024\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="names grid 'xx'"):
        Catalog([bad], user_dir=False).entries("grids_yearly")


def test_as_of_selects_the_year_of_a_claim() -> None:
    text = textwrap.dedent(
        """
        date: 2024-04-20
        claims:
          - {id: y2019, text: t, value: 439 g/kWh, as_of: 2019, recompute: 'cat("grids", "us")'}
          - {id: dated, text: t, value: 439 g/kWh, date: 2019, recompute: 'cat("grids", "us")'}
          - id: article_year
            text: t
            value: 439 g/kWh
            tolerance: 5%
            recompute: 'cat("grids", "us")'
          - {id: future, text: t, value: 384 g/kWh, as_of: 2030, recompute: 'cat("grids", "us")'}
        """
    )
    report = audit_claims(parse_claims(text, "t.yaml"))
    claims = {r.claim.id: r for r in report.results}
    assert claims["y2019"].recomputed is not None
    assert claims["y2019"].recomputed.central == pytest.approx(439.41 / 3.6e6)
    assert claims["y2019"].verdict == "consistent"
    assert "grids_yearly/us-2019" in claims["y2019"].sources[-1]
    assert claims["dated"].verdict == "consistent"  # the figure's own date picks 2019
    # No as_of or date on the claim: the article's year (2024), 383.55 g/kWh.
    assert claims["article_year"].recomputed is not None
    assert claims["article_year"].recomputed.central == pytest.approx(383.55 / 3.6e6)
    assert claims["article_year"].verdict == "inconsistent"
    assert "nearest year to 2030" in claims["future"].sources[-1]
