"""The shipped Grafana dashboard queries only metrics that the exporter exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.exporter._support import BoundedModelSensor
from wattlens.exporter import Exporter
from wattlens.meter import Meter
from wattlens.sensors.fake import FakeSensor

DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "wattlens.json"
# PromQL words that are not metric names (operators, modifiers, literals).
KEYWORDS = {
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "atan2",
    "group_left",
    "group_right",
}
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")


def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def panel_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def variable_queries(dashboard: dict[str, Any]) -> list[str]:
    return [v["definition"] for v in dashboard["templating"]["list"]]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values and strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = GROUPING.sub("", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)(?![\w:])", text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group(1) in KEYWORDS:
            continue  # a function call or an operator
        names.add(match.group(1))
    return names


def exposed_names() -> set[str]:
    """Every sample name of an exporter with a measured and a modelled component and a window."""
    meter = Meter([FakeSensor({"gpu:0": 100.0}), BoundedModelSensor(10.0, 0.5, 2.0)])
    exporter = Exporter(meter)
    with exporter.window("step"):
        pass
    exporter.update()
    text = exporter.exposition()
    exporter.close()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_the_name_extraction_sees_metrics_not_functions_or_labels() -> None:
    expr = (
        'sum by (host, device) (rate(wattlens_energy_joules_total{host=~"$host"}[5m])) '
        "/ on (host) group_left wattlens_power_watts * 3.6e6 > bool 0 or vector(0)"
    )
    assert metric_names(expr) == {"wattlens_energy_joules_total", "wattlens_power_watts"}
    assert metric_names("label_values(wattlens_energy_joules_total, host)") == {
        "wattlens_energy_joules_total",
        "host",
    }


def test_the_dashboard_is_an_importable_grafana_dashboard() -> None:
    dashboard = load()
    assert dashboard["uid"] == "wattlens-energy"
    assert dashboard["title"]
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 8
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}, panel
        assert panel["targets"], panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_query_uses_only_metrics_the_exporter_exposes() -> None:
    exposed = exposed_names()
    dashboard = load()
    used: set[str] = set()
    for expr in panel_exprs(dashboard):
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        assert names <= exposed, f"{expr!r} uses {sorted(names - exposed)}"
        used |= names
    for query in variable_queries(dashboard):
        match = re.fullmatch(r"label_values\((\w+), (\w+)\)", query)
        assert match is not None, query
        assert match.group(1) in exposed
        assert match.group(2) == "host"
    # The main metrics are all on the dashboard.
    assert {
        "wattlens_energy_joules_total",
        "wattlens_power_watts",
        "wattlens_energy_range_joules_total",
        "wattlens_component_up",
        "wattlens_component_info",
        "wattlens_window_energy_joules_total",
        "wattlens_windows_total",
    } <= used


@pytest.mark.parametrize("name", ["wattlens_energy_joules", "wattlens_energy_joule_total"])
def test_a_wrong_metric_name_would_be_caught(name: str) -> None:
    assert not metric_names(f"sum(rate({name}[5m]))") <= exposed_names()
