"""Scenarios: a service or fleet over time, from a YAML file, with levers.

``load(path)`` reads and validates a scenario file (errors name file, line,
field and fix); ``run(loaded)`` projects daily and yearly energy, carbon,
water and cost with p5/p50/p95; ``waterfall(loaded)`` applies the file's
levers one after another. Names resolve lazily: ``import wattlens.scenario``
loads neither numpy nor pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.scenario.engine import Engine, run
    from wattlens.scenario.levers import waterfall
    from wattlens.scenario.loader import Issue, LoadedScenario, ScenarioError, load, loads
    from wattlens.scenario.schema import Scenario

_WHERE = {
    "Engine": "wattlens.scenario.engine",
    "run": "wattlens.scenario.engine",
    "waterfall": "wattlens.scenario.levers",
    "Issue": "wattlens.scenario.loader",
    "LoadedScenario": "wattlens.scenario.loader",
    "ScenarioError": "wattlens.scenario.loader",
    "load": "wattlens.scenario.loader",
    "loads": "wattlens.scenario.loader",
    "Scenario": "wattlens.scenario.schema",
}

__all__ = [
    "Engine",
    "Issue",
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "load",
    "loads",
    "run",
    "waterfall",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'wattlens.scenario' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
