"""`wattlens run` end to end, in real subprocesses: exit codes, signals, store, JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

WATTLENS = [sys.executable, "-m", "wattlens"]
PY = sys.executable


def wattlens(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATTLENS, *args], capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


def stored_runs() -> list[dict[str, Any]]:
    out = wattlens("runs", "ls", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    runs: list[dict[str, Any]] = data["runs"] if isinstance(data, dict) else data
    return runs


def test_json_result_has_components_methods_and_impacts() -> None:
    out = wattlens(
        "run", "--json", "--name", "sq", "--", PY, "-c", "sum(i*i for i in range(10**6))"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["name"] == "sq"
    assert data["exit_code"] == 0
    assert data["status"] == "completed"
    assert data["command"][1:] == ["-c", "sum(i*i for i in range(10**6))"]
    assert data["duration_s"] > 0
    assert data["energy_low_j"] <= data["energy_j"] <= data["energy_high_j"]
    for component in data["components"]:
        assert component["method"] in {"counter", "sampled", "modeled"}
        assert component["basis"]
    assert data["impacts"]["location"]["grid_id"] == "world"
    assert set(data["impacts"]["co2e_g"]) == {"low", "central", "high"}
    assert data["run_id"] in {r["run_id"] for r in stored_runs()}


def test_child_keeps_stdout_and_summary_goes_to_stderr() -> None:
    out = wattlens("run", "--", PY, "-c", "print('hello from child')")
    assert out.returncode == 0
    assert out.stdout == "hello from child\n"
    assert "wattlens" in out.stderr
    assert "total (machine)" in out.stderr
    # No hardware sensor here: the summary must say that numbers are modelled.
    if "modeled" in out.stderr:
        assert "Modelled, not measured" in out.stderr


def test_child_exit_code_is_returned_and_run_recorded() -> None:
    out = wattlens("run", "--json", "--", PY, "-c", "import sys; sys.exit(3)")
    assert out.returncode == 3
    data = json.loads(out.stdout)
    assert data["exit_code"] == 3
    assert data["status"] == "failed"
    assert data["run_id"] in {r["run_id"] for r in stored_runs()}


def test_missing_command_exits_127_with_message_and_is_recorded() -> None:
    out = wattlens("run", "--json", "--", "no-such-command-wattlens")
    assert out.returncode == 127
    assert "command not found: no-such-command-wattlens" in out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == "not_started"
    assert data["run_id"] in {r["run_id"] for r in stored_runs()}


def test_killed_child_reports_signal_exit_code() -> None:
    script = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    out = wattlens("run", "--json", "--", PY, "-c", script)
    assert out.returncode == 128 + signal.SIGKILL
    data = json.loads(out.stdout)
    assert data["status"] == "killed"
    assert any("SIGKILL" in w for w in data["warnings"])


def test_sigterm_is_forwarded_and_measurement_kept(tmp_path: Path) -> None:
    marker = tmp_path / "got-term"
    ready = tmp_path / "ready"
    script = (
        "import signal, sys, time, pathlib\n"
        f"def h(s, f): pathlib.Path({str(marker)!r}).write_text('term'); sys.exit(7)\n"
        "signal.signal(signal.SIGTERM, h)\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        "time.sleep(30)\n"
    )
    output = tmp_path / "result.json"
    proc = subprocess.Popen(
        [*WATTLENS, "run", "--output", str(output), "--", PY, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "child never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert marker.read_text() == "term"
    assert proc.returncode == 7
    data = json.loads(output.read_text())
    assert data["exit_code"] == 7
    assert any("SIGTERM" in w for w in data["warnings"])
    assert data["duration_s"] > 0


def test_sigint_is_forwarded_without_a_terminal(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    script = (
        "import time, pathlib\n"
        f"pathlib.Path({str(ready)!r}).write_text('1')\n"
        "try:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    raise SystemExit(130)\n"
    )
    proc = subprocess.Popen(
        [*WATTLENS, "run", "--json", "--", PY, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert json.loads(out)["status"] == "failed"


def test_concurrent_runs_are_both_recorded() -> None:
    procs = [
        subprocess.Popen(
            [*WATTLENS, "run", "--json", "--name", f"parallel-{i}", "--", PY, "-c",
             "import time; time.sleep(0.5)"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]  # fmt: skip
    ids = set()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids.add(json.loads(out)["run_id"])
    assert len(ids) == 3
    assert ids <= {r["run_id"] for r in stored_runs()}


def test_unwritable_store_still_prints_result(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {**os.environ, "WATTLENS_DB": f"sqlite:///{blocker}/sub/runs.sqlite"}
    out = wattlens("run", "--json", "--", PY, "-c", "pass", env=env)
    assert out.returncode == 0
    assert json.loads(out.stdout)["exit_code"] == 0
    assert "the run was not stored" in out.stderr
    assert str(blocker) in out.stderr


def test_output_file_and_location_pue(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    out = wattlens("run", "--location", "fr", "--pue", "1.2", "--output", str(path), "--",
                   PY, "-c", "pass")  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(path.read_text())
    assert data["impacts"]["location"]["grid_id"] == "fr"
    assert data["impacts"]["pue"] == 1.2


def test_bad_location_fails_before_running(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    out = wattlens("run", "--location", "Atlantis", "--", PY, "-c",
                   f"open({str(marker)!r}, 'w').write('x')")  # fmt: skip
    assert out.returncode == 2
    assert "unknown location name 'Atlantis'" in out.stderr
    assert not marker.exists()


@pytest.mark.parametrize("args", [["--pue", "0.5"], ["--interval", "0"]])
def test_bad_options_exit_2(args: list[str]) -> None:
    out = wattlens("run", *args, "--", PY, "-c", "pass")
    assert out.returncode == 2


def test_no_command_exits_2() -> None:
    out = wattlens("run")
    assert out.returncode == 2


def test_timeline_is_recorded(tmp_path: Path) -> None:
    out = wattlens("run", "--json", "--timeline", "--interval", "0.05", "--", PY, "-c",
                   "import time; t=time.time()\nwhile time.time()-t<0.6: pass")  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len(data["timeline"]) >= 5
    first = data["timeline"][0]
    assert set(first["power_w"]) == {c["id"] for c in data["components"]}


def test_output_to_a_device_writes_into_it_and_keeps_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    out = wattlens("run", "--output", str(fifo), "--", PY, "-c", "pass")
    document, _ = reader.communicate(timeout=30)
    assert out.returncode == 0, out.stderr
    assert json.loads(document)["exit_code"] == 0
    assert not fifo.is_file()  # still a FIFO, not replaced by a regular file


def test_run_is_dispatched_without_building_the_other_commands() -> None:
    """`wattlens run` must stay cheap: the other command modules are not imported."""
    code = (
        "import sys; from wattlens.cli import _select_app; _select_app(['run']); "
        "print(sorted(m for m in sys.modules if m.startswith('wattlens.cli.') and "
        "m not in ('wattlens.cli.run', 'wattlens.cli._output', 'wattlens.cli._safe_text')))"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
