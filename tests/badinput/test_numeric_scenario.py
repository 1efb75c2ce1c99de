"""Scenario numbers at the bounds they share with estimates (:mod:`wattlens.bounds`).

The numbers of ``test_scenario_numbers`` (``users: 1e400``, ``growth_per_year:
1e300%``, 10,000 request classes) stay there; these are the cases the shared
bounds add: the issue's 20,000 request classes, half a request in a batch, a
fraction of a parameter, and the one samples cap of scenarios, estimates and
the dashboard.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.badinput.bounded import assert_clean_error, run_cli
from wattlens import bounds
from wattlens.scenario import loads
from wattlens.scenario import schema as scenario_schema
from wattlens.scenario.loader import ScenarioError

BASE = """\
name: bounds
demand:
  users: 100
  requests_per_user_per_day: 20
hardware:
  accelerator: H100 SXM
  batch: 64
requests:
  - name: chat
    share: 1
    model: llama-3.1-8b
    output_tokens: 300..500
location: de
"""


def test_twenty_thousand_request_classes_are_refused_at_their_line(tmp_path: Path) -> None:
    # Compact flow mappings keep 20,000 classes under the 1 MiB cap on YAML files.
    classes = "".join(
        f"- {{name: c{i},share: 5e-5,energy_per_request: 1J}}\n" for i in range(20_000)
    )
    text = f"name: many\ndemand:\n  requests_per_day: 1M\nrequests:\n{classes}"
    assert len(text.encode()) < 1024 * 1024
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")
    error = assert_clean_error(run_cli(["scenario", "run", str(path)]), f"{path}:4: requests:")
    assert "has 20000 items; at most 100 are allowed" in error


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem"),
    [
        ("batch: 64", "batch: 0.5", 7, "hardware.batch", "must be >= 1"),
        ("batch: 64", "batch: 16.5..64", 7, "hardware.batch", "not a whole number"),
        ("batch: 64", "batch: 1.5", 7, "hardware.batch", "not a whole number"),
        ("model: llama-3.1-8b", "params: 0.5", 11, "requests[0].params", ">= 1"),
        ("location: de", "location: de\nseed: 18446744073709551616", 14, "seed", "less than"),
    ],
)
def test_the_shared_bounds_name_their_line(
    old: str, new: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        loads(BASE.replace(old, new), "s.yaml")
    issue = caught.value.issues[0]
    assert (issue.line, issue.field) == (line, field), str(issue)
    assert problem in issue.problem, str(issue)


def test_a_whole_batch_range_still_loads() -> None:
    spec = loads(BASE.replace("batch: 64", "batch: 16..64")).spec
    assert spec.hardware is not None
    assert (spec.hardware.batch.low, spec.hardware.batch.high) == (16.0, 64.0)


def test_one_samples_cap_for_scenarios_estimates_and_the_dashboard() -> None:
    assert scenario_schema.MAX_SAMPLES == bounds.MAX_SAMPLES == 200_000
    assert scenario_schema.MAX_ACCELERATORS == bounds.MAX_ACCELERATORS
    assert bounds.FIELDS["samples"].high == bounds.MAX_SAMPLES
