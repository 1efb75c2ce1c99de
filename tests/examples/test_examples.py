"""Real PyTorch workloads, measured end to end by `wattlens run`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_measured(*args: str) -> tuple[dict[str, object], str]:
    out = subprocess.run(
        [sys.executable, "-m", "wattlens", "run", "--json", "--",
         sys.executable, *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    # With --json the child's stdout goes to stderr: stdout is the JSON document alone.
    return json.loads(out.stdout), out.stderr


def test_tiny_transformer_learns_and_is_measured() -> None:
    result, log = run_measured(
        "examples/train_tiny_transformer.py", "--steps", "60", "--log-every", "10"
    )
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", log)]
    assert losses[0] > 3.5  # ~ln(64) at the start
    assert losses[-1] < losses[0] - 1.0  # it learned
    assert result["exit_code"] == 0
    assert isinstance(result["energy_j"], float)
    assert result["energy_j"] > 0
    assert result["duration_s"] > 1.0  # type: ignore[operator]
    components = result["components"]
    assert isinstance(components, list)
    cpu = next(c for c in components if c["kind"] == "cpu")
    # Training is CPU-bound: the tree owns a real share of the machine's CPU energy
    # (not all of it: other processes on a shared machine count for the machine).
    assert 0 < cpu["attributed_energy_j"] <= cpu["energy_j"]
    assert cpu["attributed_energy_j"] > 1.0  # joules: seconds of full-core training


def test_text_generation_produces_text_and_is_measured() -> None:
    result, log = run_measured("examples/generate_text.py", "--train-steps", "20", "--chars", "200")
    assert "--- generated" in log
    generated = log.split("--- generated", 1)[1].split("\n", 1)[1].split("\n---", 1)[0]
    assert len(generated) >= 200
    assert result["status"] == "completed"
    assert result["energy_j"] > 0  # type: ignore[operator]
