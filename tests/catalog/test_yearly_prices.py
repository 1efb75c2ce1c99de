"""Business electricity prices per country and year: sourced, consistent with the
current prices table, and every row tied to a known country in its currency."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from wattlens.catalog import Catalog, Price, PriceYear
from wattlens.errors import CatalogError

YEARS = set(range(2019, 2026))


def _series(catalog: Catalog) -> dict[str, dict[int, PriceYear]]:
    series: dict[str, dict[int, PriceYear]] = {}
    for entry in catalog.entries("prices_yearly"):
        assert isinstance(entry.row, PriceYear)
        series.setdefault(entry.row.price_id, {})[entry.row.data_year] = entry.row
    return series


def test_seven_years_for_every_eu_country_and_the_us(catalog: Catalog) -> None:
    series = _series(catalog)
    eur = {r.id for r in catalog.rows("prices") if isinstance(r, Price) and r.currency == "EUR"}
    assert len(eur) >= 20
    assert eur | {"us"} == set(series)
    for country, years in series.items():
        assert set(years) == YEARS, country
        for row in years.values():
            assert row.id == f"{country}-{row.data_year}"
            if country == "us":
                assert row.currency == "USD"
                assert "EIA" in row.source
                assert "sectorid=IND" in row.source
            else:
                assert row.currency == "EUR"
                for part in ("nrg_pc_205", "MWH500-1999", "X_VAT", f"{row.data_year}-S2"):
                    assert part in row.source, row.id
            assert re.search(r"commit [0-9a-f]{40}", row.source), row.id


def test_eu_years_are_the_mean_of_their_two_semesters(catalog: Catalog) -> None:
    for rows in _series(catalog).values():
        for row in rows.values():
            if row.currency != "EUR":
                continue
            assert row.notes is not None
            match = re.search(r"S1 ([0-9.]+), S2 ([0-9.]+) EUR/kWh", row.notes)
            assert match, row.id
            s1, s2 = float(match[1]), float(match[2])
            assert row.price_local_per_kwh == pytest.approx((s1 + s2) / 2, abs=1e-9), row.id


def test_known_values(catalog: Catalog) -> None:
    series = _series(catalog)
    # Germany, band IC excl. VAT: 2021-S1 0.1813 and 2021-S2 0.1860 EUR/kWh.
    assert series["de"][2021].price_local_per_kwh == pytest.approx(0.18365)
    # The 2022 energy crisis: Italy's S2 2022 was 0.3372 EUR/kWh, S1 0.2525.
    assert series["it"][2022].price_local_per_kwh == pytest.approx(0.29485)
    # US industrial, 2023: the monthly mean sits within 1% of EIA's annual 0.0806 USD/kWh.
    us = catalog.get_typed("prices", "us", Price)
    assert us.data_year == 2023
    assert us.price_local_per_kwh is not None
    assert series["us"][2023].price_local_per_kwh == pytest.approx(us.price_local_per_kwh, rel=0.01)


def test_latest_semester_matches_the_current_prices_table(catalog: Catalog) -> None:
    """The current table is Eurostat's 2025-S2; the series' 2025 row names that semester."""
    mismatched = []
    for country, rows in _series(catalog).items():
        current = catalog.get_typed("prices", country, Price)
        if current.currency != "EUR":
            continue
        assert current.data_year == 2025
        notes = rows[2025].notes or ""
        match = re.search(r"S2 ([0-9.]+) EUR/kWh", notes)
        assert match, country
        if float(match[1]) != pytest.approx(current.price_local_per_kwh, abs=1e-6):
            mismatched.append(country)
    # The Netherlands: the current table reads 0.1991, the cached Eurostat series 0.2011.
    assert mismatched == ["nl"]


def _user_file(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "prices_yearly-mine.csv"
    path.write_text(
        "id,price_id,data_year,price_local_per_kwh,currency,source,year\n" + row + "\n",
        encoding="utf-8",
    )
    return path


def test_a_row_naming_an_unknown_country_fails(tmp_path: Path) -> None:
    bad = _user_file(tmp_path, "xx-2020,xx,2020,0.1,EUR,my source,2024")
    with pytest.raises(CatalogError, match="names country 'xx'"):
        Catalog([bad], user_dir=False).entries("prices_yearly")


def test_a_row_in_another_currency_than_its_country_fails(tmp_path: Path) -> None:
    bad = _user_file(tmp_path, "de-2020,de,2020,0.1,USD,my source,2024")
    with pytest.raises(CatalogError, match="in USD, but prices/de is in EUR"):
        Catalog([bad], user_dir=False).entries("prices_yearly")


def test_catalog_ls_lists_the_series(cli: Any) -> None:
    result = cli("catalog", "ls", "prices_yearly")
    assert result.exit_code == 0, result.stderr
    assert "de-2021" in result.stdout
    assert "0.18365" in result.stdout
