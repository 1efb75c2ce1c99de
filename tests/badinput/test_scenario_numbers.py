"""Absurd numbers in scenario files and options: a ``file:line`` error, never ``nan`` or a crash.

Every number field is finite and within the physical bounds documented in
:mod:`wattlens.scenario.schema`; at those bounds every result is still finite.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.badinput.bounded import assert_clean_error, run_cli
from wattlens.scenario import loads
from wattlens.scenario.loader import Issue, ScenarioError
from wattlens.scenario.schema import MAX_REQUEST_CLASSES, MAX_SAMPLES

BASE = """\
name: bounds
demand:
  users: 100
  requests_per_user_per_day: 20
  growth_per_year: 10%
hardware:
  accelerator: H100 SXM
requests:
  - name: chat
    share: 1
    model: llama-3.1-8b
    output_tokens: 300..500
location: de
"""


def _with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_USERS, _GROWTH, _TOKENS = "users: 100", "growth_per_year: 10%", "output_tokens: 300..500"
_HW, _END = "  accelerator: H100 SXM", "location: de"
_TRAIN = _END + "\ntraining:\n  - {name: t, accelerator: H100 SXM, "
_BIG = "1" + "0" * 400
ABSURD = [
    (_USERS, "users: 1e400", 3, "demand.users", "too large"),
    (_USERS, "users: 1.0e+400", 3, "demand.users", "not a finite number"),
    (_USERS, "users: .inf", 3, "demand.users", "not a finite number"),
    (_USERS, "users: .nan", 3, "demand.users", "not a finite number"),
    (_USERS, f"users: {_BIG}", 3, "demand.users", "401-digit number"),
    (_USERS, "users: 1e300", 3, "demand.users", "<= 1e+11"),
    (_GROWTH, "growth_per_year: 1e300%", 5, "demand.growth_per_year", "<= 100"),
    (_TOKENS, "output_tokens: 1e300", 12, "requests[0].output_tokens", "<= 1e+09"),
    ("model: llama-3.1-8b", "params: 1e300", 11, "requests[0].params", "<= 1e+15"),
    (_HW, f"{_HW}\n  count: {_BIG}", 8, "hardware.count", "less than or equal"),
    (_HW, f"{_HW}\n  batch: 1e300", 8, "hardware.batch", "<= 1e+06"),
    (_END, f"{_END}\nseed: -1", 14, "seed", "greater than or equal to 0"),
    (_END, f"{_END}\nsamples: 200000000", 14, "samples", "less than or equal to 200000"),
    (_END, f"{_END}\nonsite_water: 1e300 L/kWh", 14, "onsite_water", "out of range"),
    (
        _END, f"{_END}\nfleet: {{servers: 1e300, power_per_server: 1 kW}}",
        14, "fleet.servers", "<= 1e+09",
    ),
    (
        _END, f"{_END}\nfleet: {{servers: 10, power_per_server: 1e300 kW}}",
        14, "fleet.power_per_server", "out of range",
    ),
    (_END, _TRAIN + "params: 8e9, tokens: 1e15, mfu: 1e-320}", 15, "training[0].mfu", ">= 0.001"),
    (_END, _TRAIN + "count: 8, days: 1e300}", 15, "training[0].days", "<= 36500"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "line", "field", "problem"), ABSURD)
def test_absurd_numbers_name_their_line(
    old: str, new: str, line: int, field: str, problem: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        loads(_with(old, new), "s.yaml")
    issue = caught.value.issues[0]
    assert (issue.line, issue.field) == (line, field), str(issue)
    assert problem in issue.problem, str(issue)


_numbers = (
    st.floats()
    | st.integers(min_value=-(10**500), max_value=10**500)
    | st.from_regex(r"-?[0-9]{1,3}(\.[0-9]+)?(e[+-]?[0-9]{1,4})?%?", fullmatch=True)
)


@settings(max_examples=200, deadline=None)
@given(users=_numbers, growth=_numbers)
def test_any_number_loads_within_its_bounds_or_names_its_line(users: Any, growth: Any) -> None:
    text = _with(_USERS, f"users: {users}").replace(_GROWTH, f"growth_per_year: {growth}")
    issues: list[Issue] = []
    try:
        demand = loads(text, "s.yaml").spec.demand
    except ScenarioError as exc:
        issues = exc.issues
    assert {(i.line, i.field) for i in issues} <= {
        (3, "demand.users"),
        (5, "demand.growth_per_year"),
    }
    if issues:
        return
    assert demand is not None
    assert demand.users is not None
    assert 0 < demand.users.low <= demand.users.high <= 1e11
    assert -1 < demand.growth_per_year.low <= demand.growth_per_year.high <= 100


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("users: 100", "users: 1e400", 3, "demand.users"),
        ("growth_per_year: 10%", "growth_per_year: 1e300%", 5, "demand.growth_per_year"),
        ("users: 100", "users: 1" + "0" * 400, 3, "demand.users"),
    ],
)
def test_the_cli_refuses_them_with_exit_2(
    tmp_path: Path, old: str, new: str, line: int, field: str
) -> None:
    path = _write(tmp_path, _with(old, new))
    out = run_cli(["scenario", "run", str(path), "--samples", "200", "--years", "3"])
    assert_clean_error(out, f"{path}:{line}: {field}:")
    assert "nan" not in out.stdout


def _many_classes(n: int) -> str:
    classes = "".join(
        f"  - {{name: c{i}, share: {1 / n!r}, energy_per_request: 1 Wh, boundary: server}}\n"
        for i in range(n)
    )
    return f"name: many\ndemand:\n  requests_per_day: 1M\nrequests:\n{classes}"


def test_too_many_request_classes_are_refused_before_any_sample(tmp_path: Path) -> None:
    text = _many_classes(10_000)
    assert len(text.encode()) < 1024 * 1024
    path = _write(tmp_path, text)
    error = assert_clean_error(run_cli(["scenario", "run", str(path)]), f"{path}:4: requests:")
    assert f"has 10000 items; at most {MAX_REQUEST_CLASSES} are allowed" in error


def test_the_most_request_classes_still_run() -> None:
    from wattlens.scenario import run

    data = run(loads(_many_classes(MAX_REQUEST_CLASSES)), samples=100)
    assert math.isfinite(data["yearly"][0]["energy_j"]["p50"])


@pytest.mark.parametrize("command", ["run", "levers"])
@pytest.mark.parametrize("samples", ["200000000", str(MAX_SAMPLES + 1)])
def test_samples_are_capped(tmp_path: Path, command: str, samples: str) -> None:
    path = _write(tmp_path, BASE)
    out = run_cli(["scenario", command, str(path), "--samples", samples])
    error = assert_clean_error(out, "--samples", f"100 to {MAX_SAMPLES:,}")
    assert f"got {int(samples):,}" in error


def test_the_help_states_the_samples_cap() -> None:
    out = run_cli(["scenario", "run", "--help"])
    assert out.returncode == 0
    assert "200,000" in " ".join(out.stdout.split())


def test_the_python_api_caps_samples_too() -> None:
    from wattlens.errors import InputValueError
    from wattlens.scenario import run

    with pytest.raises(InputValueError, match="200,000"):
        run(loads(BASE), samples=MAX_SAMPLES + 1)


EXTREMES = """\
name: every bound at once
years: 100
samples: 100
demand:
  users: 1e11
  requests_per_user_per_day: 1e6
  growth_per_year: 100
hardware:
  accelerator: H100 SXM
  batch: 1
requests:
  - name: big
    share: 0.5
    params: 1e15
    input_tokens: 1e9
    output_tokens: 1e9
    energy_factors: [1000]
  - name: given
    share: 0.5
    energy_per_request: 1 MWh
    boundary: facility
location: de
onsite_water: 100 L/kWh
training:
  - name: t
    accelerator: H100 SXM
    params: 1e15
    tokens: 1e16
    mfu: 0.001
fleet:
  servers: 1e9
  power_per_server: 10 MW
levers:
  - kind: efficiency
    factor: 1000
    basis: every bound at once
"""


def _non_finite(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}[{i}]")]
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    return []


def test_at_the_bounds_every_result_is_finite(tmp_path: Path) -> None:
    path = _write(tmp_path, EXTREMES)
    for command in ("run", "levers"):
        out = run_cli(["scenario", command, str(path), "--json"])
        assert out.returncode == 0, out.stderr
        assert "RuntimeWarning" not in out.stderr
        data = json.loads(out.stdout)
        assert _non_finite(data) == []
        assert "NaN" not in out.stdout
        assert "Infinity" not in out.stdout
    yearly = json.loads(run_cli(["scenario", "run", str(path), "--json"]).stdout)["yearly"]
    assert yearly[-1]["energy_j"]["p50"] > yearly[0]["energy_j"]["p50"] > 0
