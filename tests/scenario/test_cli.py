"""`wattlens scenario run|levers`: JSON contract and human output."""

from __future__ import annotations

from typing import Any

import pytest

from tests.scenario.conftest import EXAMPLES
from wattlens.cli.scenario import _progress

QUANTILES = {"p5", "p50", "p95", "mean"}


def test_run_json(scenario_cli: Any) -> None:
    result = scenario_cli("scenario", "run", EXAMPLES / "chatgpt-2025.yaml", "--json",
                          "--samples", "500", "--years", "5")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert {"scenario", "daily", "yearly", "total", "per_request", "requests", "sources",
            "assumptions", "warnings", "locations"} <= set(data)  # fmt: skip
    assert data["samples"] == 500
    assert len(data["yearly"]) == 5
    year = data["yearly"][0]
    assert {"energy_j", "co2e_location_g", "co2e_market_g", "water_l", "cost", "requests"} <= set(
        year
    )
    assert set(year["energy_j"]) == QUANTILES
    assert set(year["water_l"]) == {"onsite", "offsite", "total"}
    assert set(year["cost"]) == {"currency", "amount", "amount_usd"}


def test_run_human(scenario_cli: Any) -> None:
    result = scenario_cli("scenario", "run", EXAMPLES / "chatgpt-2023-article.yaml",
                          "--samples", "500")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for words in ("per day", "per year", "CO2e market-based", "top-down fleet", "CNY",
                  "sources", "de Vries"):  # fmt: skip
        assert words in out, words
    assert "564 MWh" in out


def test_levers_json_and_human(scenario_cli: Any) -> None:
    path = EXAMPLES / "selfhosted-8b-h100.yaml"
    data = scenario_cli("scenario", "levers", path, "--json", "--samples", "500").json()
    assert [s["kind"] for s in data["steps"]] == ["quantise", "batch", "shorter_outputs", "pue",
                                                  "relocate", "clean_energy"]  # fmt: skip
    for step in data["steps"]:
        assert set(step["saving"]["energy_j"]) == QUANTILES
    human = scenario_cli("scenario", "levers", path, "--samples", "500")
    assert human.exit_code == 0
    assert "baseline" in human.stdout
    assert "optimised" in human.stdout
    assert "quantise to" in human.stdout
    assert "EUR" in human.stdout


def test_bad_option_exits_2(scenario_cli: Any) -> None:
    result = scenario_cli("scenario", "run", EXAMPLES / "gpt3-training.yaml", "--samples", "5")
    assert result.exit_code == 2


def test_no_progress_when_not_a_terminal() -> None:
    with _progress(True) as progress:
        assert progress is None


def test_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from wattlens.cli import _output

    monkeypatch.setattr(type(_output.stderr), "is_terminal", property(lambda self: True))
    with _progress(True) as progress:
        assert progress is not None
        progress("estimating")


def test_import_wattlens_scenario_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wattlens, wattlens.scenario; "
        "print(','.join(m for m in ('numpy', 'pydantic', 'yaml', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
