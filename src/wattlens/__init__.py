"""wattlens: measure, model and project the electricity, carbon, water and cost of AI.

The public API is re-exported here and imported lazily, so ``import wattlens``
stays light (no numpy, pydantic or hardware libraries until they are needed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from wattlens._version import __version__

if TYPE_CHECKING:
    from wattlens import equivalents, estimate, impacts, physics, scenario
    from wattlens.api import measure, measured
    from wattlens.catalog import Catalog, get_catalog
    from wattlens.errors import (
        AmbiguousNameError,
        CatalogError,
        InputValueError,
        UnknownNameError,
        UsageError,
        WattlensError,
    )
    from wattlens.integrations.llm import instrument, session, uninstrument
    from wattlens.measurement import Measurement
    from wattlens.meter import Meter

_LAZY: dict[str, str] = {
    "measure": "wattlens.api",
    "measured": "wattlens.api",
    "Meter": "wattlens.meter",
    "Measurement": "wattlens.measurement",
    "Catalog": "wattlens.catalog",
    "get_catalog": "wattlens.catalog",
    "WattlensError": "wattlens.errors",
    "UsageError": "wattlens.errors",
    "UnknownNameError": "wattlens.errors",
    "AmbiguousNameError": "wattlens.errors",
    "InputValueError": "wattlens.errors",
    "CatalogError": "wattlens.errors",
    "instrument": "wattlens.integrations.llm",
    "uninstrument": "wattlens.integrations.llm",
    "session": "wattlens.integrations.llm",
}

__all__ = [
    "AmbiguousNameError",
    "Catalog",
    "CatalogError",
    "InputValueError",
    "Measurement",
    "Meter",
    "UnknownNameError",
    "UsageError",
    "WattlensError",
    "__version__",
    "equivalents",
    "estimate",
    "get_catalog",
    "impacts",
    "instrument",
    "measure",
    "measured",
    "physics",
    "scenario",
    "session",
    "uninstrument",
]


#: Subpackages reachable as attributes: ``wattlens.estimate.inference(...)``.
_SUBMODULES = ("estimate", "scenario", "impacts", "equivalents", "physics")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module_object = importlib.import_module(f"wattlens.{name}")
        globals()[name] = module_object
        return module_object
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wattlens' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


# IPython's hooks for `%load_ext wattlens`: outside __all__, and IPython is imported only when
# a notebook loads the extension.
def load_ipython_extension(ipython: Any) -> None:
    """Register ``%wattlens`` and ``%%wattlens`` (see :mod:`wattlens.integrations.notebook`)."""
    from wattlens.integrations.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the ``%wattlens`` magics (``%unload_ext wattlens``)."""
    from wattlens.integrations.notebook import unload_ipython_extension as unload

    unload(ipython)
