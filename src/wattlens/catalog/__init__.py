"""The catalog: facts with sources (accelerators, CPUs, models, grids, water, prices …).

Every row is validated on load and carries ``source`` and ``year``. See
:mod:`wattlens.catalog.loader` for user files and name matching. Names are
imported lazily: the CLI can list kinds without loading pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.catalog.loader import KINDS, Catalog, Entry, get_catalog, use_catalog
    from wattlens.catalog.schema import (
        Accelerator,
        CatalogRow,
        Cpu,
        Equivalent,
        ExchangeRate,
        Grid,
        GridYear,
        HardwareFootprint,
        Model,
        Price,
        PriceYear,
        Pue,
        Region,
        Water,
        normalise_name,
    )

_LOADER = ("KINDS", "Catalog", "Entry", "get_catalog", "use_catalog")

__all__ = [
    "KINDS",
    "Accelerator",
    "Catalog",
    "CatalogRow",
    "Cpu",
    "Entry",
    "Equivalent",
    "ExchangeRate",
    "Grid",
    "GridYear",
    "HardwareFootprint",
    "Model",
    "Price",
    "PriceYear",
    "Pue",
    "Region",
    "Water",
    "get_catalog",
    "normalise_name",
    "use_catalog",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'wattlens.catalog' has no attribute {name!r}")
    module = "wattlens.catalog.loader" if name in _LOADER else "wattlens.catalog.schema"
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
