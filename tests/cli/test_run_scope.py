"""`wattlens run --scope`: impacts for the process tree beside the machine's, in every output."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jsonschema

from tests.meter.test_scope import cpu_hog

WATTLENS = [sys.executable, "-m", "wattlens"]
WORK = [sys.executable, "-c", "sum(i * i for i in range(2 * 10**6))"]


def wattlens(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATTLENS, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _measurement_schema() -> dict[str, Any]:
    out = wattlens("schema", "measurement")
    assert out.returncode == 0, out.stderr
    schema: dict[str, Any] = json.loads(out.stdout)
    return schema


def test_other_load_gives_process_tree_impacts_beside_the_machines() -> None:
    with cpu_hog():
        out = wattlens("run", "--json", "--no-store", "--", *WORK)
        human = wattlens("run", "--no-store", "--", *WORK)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, _measurement_schema())
    assert data["scope"] == "workload"
    assert 0 < data["workload_cpu_share"] < 0.9
    assert data["scope_reason"].startswith("other load present: ")
    assert data["scope_energy_j"] == data["attributed_energy_j"] < data["energy_j"]
    assert data["impacts"]["co2e_g"]["central"] < data["machine_impacts"]["co2e_g"]["central"]
    assert (
        data["impacts"]["facility_energy_j"]["central"]
        < data["machine_impacts"]["facility_energy_j"]["central"]
    )
    assert human.returncode == 0, human.stderr
    text = " ".join(human.stderr.split())  # rich wraps long lines
    assert "impacts for the process tree (other load present: " in text
    assert "of busy CPU time was other processes)" in text
    assert "; machine: " in text


def test_scope_machine_is_forced_and_said() -> None:
    with cpu_hog():
        out = wattlens("run", "--json", "--no-store", "--scope", "machine", "--", *WORK)
        human = wattlens("run", "--no-store", "--scope", "machine", "--", *WORK)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, _measurement_schema())
    assert data["scope"] == "machine"
    assert data["scope_reason"] == "machine scope asked for"
    assert data["scope_energy_j"] == data["energy_j"]
    assert data["impacts"] == data["machine_impacts"]
    text = " ".join(human.stderr.split())
    assert "impacts for the whole machine (machine scope asked for)" in text
    assert "; machine: " not in text


def test_runs_show_states_the_scope() -> None:
    with cpu_hog():
        out = wattlens("run", "--json", "--", *WORK)
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout)["run_id"]
    shown = wattlens("runs", "show", run_id)
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    scope_row = next(line for line in shown.stdout.splitlines() if "impacts for" in line)
    assert "│ process tree (other load present: " in scope_row
    assert "impacts (process tree)" in text
    assert "impacts (whole machine)" in text
    again = json.loads(wattlens("runs", "show", run_id, "--json").stdout)
    assert again["scope"] == "workload"
    assert again["machine_impacts"] == json.loads(out.stdout)["machine_impacts"]


def test_a_bad_scope_is_a_usage_error() -> None:
    out = wattlens("run", "--scope", "tree", "--", "true")
    assert out.returncode == 2
    text = " ".join(out.stderr.replace("│", " ").split())
    assert "Invalid value for '--scope': 'tree' is not one of 'auto', 'workload', 'machine'" in text
