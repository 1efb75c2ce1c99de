"""Scenarios: a service or fleet over time, from a YAML file, with levers.

``load(path)`` reads and validates a scenario file (errors name file, line,
field and fix); ``project(loaded)`` projects daily and yearly energy, carbon,
water and cost with p5/p50/p95 as a typed :class:`ScenarioResult` (``run``
gives its JSON form); ``lever_waterfall(loaded)`` applies the file's levers
one after another (a typed :class:`Waterfall`; ``waterfall`` gives its JSON).
Names resolve lazily: ``import wattlens.scenario`` loads neither numpy nor
pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wattlens.scenario.engine import evaluate, project, run
    from wattlens.scenario.levers import Waterfall, lever_waterfall, waterfall
    from wattlens.scenario.loader import Issue, LoadedScenario, ScenarioError, load, loads
    from wattlens.scenario.results import ScenarioResult
    from wattlens.scenario.sampling import Context, Draws, context
    from wattlens.scenario.schema import Scenario

_WHERE = {
    "evaluate": "wattlens.scenario.engine",
    "project": "wattlens.scenario.engine",
    "run": "wattlens.scenario.engine",
    "ScenarioResult": "wattlens.scenario.results",
    "Context": "wattlens.scenario.sampling",
    "Draws": "wattlens.scenario.sampling",
    "context": "wattlens.scenario.sampling",
    "waterfall": "wattlens.scenario.levers",
    "lever_waterfall": "wattlens.scenario.levers",
    "Waterfall": "wattlens.scenario.levers",
    "Issue": "wattlens.scenario.loader",
    "LoadedScenario": "wattlens.scenario.loader",
    "ScenarioError": "wattlens.scenario.loader",
    "load": "wattlens.scenario.loader",
    "loads": "wattlens.scenario.loader",
    "Scenario": "wattlens.scenario.schema",
}

__all__ = [
    "Context",
    "Draws",
    "Issue",
    "LoadedScenario",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Waterfall",
    "context",
    "evaluate",
    "lever_waterfall",
    "load",
    "loads",
    "project",
    "run",
    "waterfall",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'wattlens.scenario' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
