"""The catalog: facts with sources (accelerators, CPUs, models, grids, water, prices …).

Every row is validated on load and carries ``source`` and ``year``. See
:mod:`wattlens.catalog.loader` for user files and name matching.
"""

from wattlens.catalog.loader import KINDS, Catalog, Entry, get_catalog, use_catalog
from wattlens.catalog.schema import (
    Accelerator,
    CatalogRow,
    Cpu,
    Equivalent,
    ExchangeRate,
    Grid,
    Model,
    Price,
    Pue,
    Region,
    Water,
    normalise_name,
)

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
    "Model",
    "Price",
    "Pue",
    "Region",
    "Water",
    "get_catalog",
    "normalise_name",
    "use_catalog",
]
