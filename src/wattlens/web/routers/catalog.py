"""``/api/catalog``: the fact catalog, as ``wattlens catalog … --json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wattlens.web import services
from wattlens.web.deps import CatalogDep

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


@router.get("", summary="Kinds of facts (catalog ls --json)")
def api_catalog(catalog: CatalogDep) -> dict[str, Any]:
    return services.catalog_kinds(catalog)


@router.get("/{kind}", summary="Rows of a kind (catalog ls KIND)")
def api_catalog_kind(catalog: CatalogDep, kind: str) -> dict[str, Any]:
    return services.catalog_rows(kind, catalog)


@router.get("/{kind}/{name}", summary="One row (catalog show)")
def api_catalog_row(catalog: CatalogDep, kind: str, name: str) -> dict[str, Any]:
    return services.catalog_row(kind, name, catalog)
