"""Bad scenario files: every problem with file, line, field and a fix; exit 2; no output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wattlens.scenario import ScenarioError, load

GOOD = """\
name: ok
demand:
  requests_per_day: 1000
hardware:
  accelerator: H100 SXM
requests:
  - name: chat
    share: 0.6
    model: llama-3.1-8b
    output_tokens: 400
  - name: given
    share: 0.4
    energy_per_request: 1 Wh
    boundary: server
location: us
pue: 1.2
"""


def _broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


CASES = [
    # (what, old text, new text, line, field, words in the problem, words in the fix)
    ("wrong type", "pue: 1.2", "pue: [1.2]", 16, "pue", "expected a number", "1.1..1.4"),
    ("missing field", "    output_tokens: 400\n", "", 7, "requests[0]", "output_tokens",
     "output_tokens: 500"),
    ("missing required", "  - name: chat\n", "  - share: 0.6\n", 7, "requests[0].name",
     "is missing", "add `name:"),
    ("unit that does not parse", "1 Wh", "1 Wx", 13, "requests[1].energy_per_request",
     "unknown unit 'Wx'", "Wh"),
    ("unit missing", "1 Wh", "1", 13, "requests[1].energy_per_request", "a unit is missing",
     "Wh"),
    ("unknown model", "llama-3.1-8b", "llama-3.1-8bb", 9, "requests[0].model",
     "unknown model 'llama-3.1-8bb'", "llama-3.1-8b"),
    ("unknown accelerator", "H100 SXM", "H1000", 5, "hardware.accelerator",
     "unknown accelerator 'H1000'", "did you mean"),
    ("unknown location", "location: us", "location: atlantis", 15, "location",
     "unknown location 'atlantis'", ""),
    ("shares", "share: 0.4", "share: 0.3", 6, "requests", "add up to 0.9", "sum to 1"),
    ("negative demand", "requests_per_day: 1000", "requests_per_day: -1000", 3,
     "demand.requests_per_day", "must be > 0", "200e6"),
    ("misspelt field", "  requests_per_day: 1000", "  requests_per_dya: 1000", 3,
     "demand.requests_per_dya", "not a field", "requests_per_day"),
    ("yaml bool location", "location: us", "location: no", 15, "location",
     "YAML read this location as False", "quote it"),
    ("bad lever kind", "pue: 1.2", "pue: 1.2\nlevers:\n  - {kind: teleport}", 18, "levers[0]",
     "lever kind", "relocate"),
    ("range on a share", "share: 0.4", "share: 0.3..0.5", 12, "requests[1].share",
     "one number", ""),
    ("invalid yaml", "pue: 1.2", "pue: [1.2", 17, "", "not valid YAML", "indentation"),
    ("duplicate key", "pue: 1.2", "pue: 1.2\npue: 1.3", 17, "pue", "appears twice", "keep one"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "problem", "fix"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_file_names_line_field_and_fix(  # noqa: PLR0917 - one parameter per column
    write: Callable[[str], Path], old: str, new: str, line: int, field: str, problem: str,
    fix: str,
) -> None:  # fmt: skip
    path = write(_broken(old, new))
    with pytest.raises(ScenarioError) as info:
        load(path)
    issue = info.value.issues[0]
    assert (issue.line, issue.field) == (line, field), info.value.issues
    assert problem in issue.problem
    assert fix in issue.fix
    assert f"{path}:{line}" in str(info.value)


def test_all_problems_at_once(write: Callable[[str], Path]) -> None:
    text = _broken("pue: 1.2", "pue: 0.5").replace("1 Wh", "1 Wx").replace("1000", "-3")
    with pytest.raises(ScenarioError) as info:
        load(write(text))
    fields = {i.field for i in info.value.issues}
    assert {"pue", "requests[1].energy_per_request", "demand.requests_per_day"} <= fields
    assert info.value.exit_code == 2


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load("/nonexistent/scenario.yaml")


@pytest.mark.parametrize("command", ["run", "levers"])
def test_cli_exit_2_with_nothing_half_written(
    scenario_cli: Any, write: Callable[[str], Path], command: str
) -> None:
    path = write(_broken("llama-3.1-8b", "llama-9"))
    result = scenario_cli("scenario", command, path, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}:9: requests[0].model: unknown model 'llama-9'" in result.stderr
    assert "hint:" in result.stderr


def test_cli_levers_without_levers_exits_2(scenario_cli: Any, write: Callable[[str], Path]) -> None:
    result = scenario_cli("scenario", "levers", write(GOOD))
    assert result.exit_code == 2
    assert "lists no levers" in result.stderr
    assert result.stdout == ""


def test_model_error_points_at_the_class(scenario_cli: Any, write: Callable[[str], Path]) -> None:
    text = _broken("    output_tokens: 400\n", "    output_tokens: 400\n    count: 1\n").replace(
        "llama-3.1-8b", "llama-3.1-405b"
    )
    result = scenario_cli("scenario", "run", write(text))
    assert result.exit_code == 2
    assert ":7: requests[0]: chat:" in result.stderr
    assert "count: 16" in result.stderr
