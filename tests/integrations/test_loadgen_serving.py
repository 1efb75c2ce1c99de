"""benchmarks/loadgen_serving.py against a real local HTTP server, with a real measurement."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import wattlens
from tests.integrations.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, Server
from tests.validation.benchmark_scripts import load_benchmark

loadgen = load_benchmark("loadgen_serving")
REQUESTS, CONCURRENCY = 6, 3


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert loadgen.main([*argv, "--json"]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def _load_args(server: Server) -> list[str]:
    return [
        "--base-url", f"{server.base_url}/v1", "--model", "llama-3-8b",
        "--requests", str(REQUESTS), "--concurrency", str(CONCURRENCY), "--max-tokens", "300",
    ]  # fmt: skip


def test_measured_load_window_gives_joules_per_token(capsys: pytest.CaptureFixture[str]) -> None:
    with Server() as server:
        result = _run(
            capsys, *_load_args(server), "--measure",
            "--catalog-model", "llama-3-8b", "--accelerator", "H100 SXM",
        )  # fmt: skip
    load = result["load"]
    assert (load["requests"], load["failed"], load["concurrency"]) == (REQUESTS, 0, CONCURRENCY)
    assert load["prompt_tokens"] == REQUESTS * PROMPT_TOKENS
    assert load["completion_tokens"] == REQUESTS * COMPLETION_TOKENS
    energy = result["energy_j"]
    assert energy > 0
    assert result["j_per_request"] == pytest.approx(energy / REQUESTS)
    assert result["j_per_output_token"] == pytest.approx(energy / (REQUESTS * COMPLETION_TOKENS))
    measured = {"counter", "sampled"} & set(result["energy_methods"])
    assert result["method"] == ("measured" if measured else "modelled")
    p = result["estimator"]
    assert p["batch"] == CONCURRENCY
    assert p["boundary"] == "server"
    r, t = p["j_per_request"], p["j_per_output_token"]
    assert 0 < r["p5"] < r["p50"] < r["p95"]
    assert t["p50"] == pytest.approx(r["p50"] / COMPLETION_TOKENS)
    direct = wattlens.estimate.inference(
        model="llama-3-8b", accelerator="H100 SXM", input_tokens=PROMPT_TOKENS,
        output_tokens=COMPLETION_TOKENS, batch=CONCURRENCY, stack="current", boundary="server",
    )  # fmt: skip
    assert r["p50"] == pytest.approx(direct.energy.p50)


def test_energy_from_a_run_file_a_store_record_or_a_figure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with Server() as server, wattlens.measure("serve") as m:
        saved = tmp_path / "load.json"
        assert loadgen.main([*_load_args(server), "--save-load", str(saved)]) == 0
    capsys.readouterr()
    run = m.result
    run_file = tmp_path / "serve.json"
    run_file.write_text(json.dumps(run.to_dict()), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    wattlens.store.save(run, url)
    from_file = _run(capsys, "--from-load", str(saved), "--run-json", str(run_file))
    from_store = _run(capsys, "--from-load", str(saved), "--run-id", run.run_id, "--store", url)
    for result in (from_file, from_store):
        assert result["energy_j"] == pytest.approx(run.energy_j)
        assert result["energy_methods"] == run.methods
        assert result["j_per_output_token"] == pytest.approx(
            run.energy_j / (REQUESTS * COMPLETION_TOKENS)
        )
        assert result["estimator"] is None
    given = _run(capsys, "--from-load", str(saved), "--energy-j", "900")
    assert (given["method"], given["j_per_request"]) == ("given", 150.0)
    assert given["j_per_token"] == pytest.approx(
        900 / (REQUESTS * (PROMPT_TOKENS + COMPLETION_TOKENS))
    )


def test_no_energy_source_and_no_save_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        loadgen.main(["--base-url", "http://127.0.0.1:9/v1", "--model", "m"])
    assert exc.value.code == 2
    assert "--run-json, --run-id, --energy-j or --measure" in capsys.readouterr().err


def test_a_server_that_serves_nothing_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 (discard) refuses: every request fails, there is no token to divide by.
    with pytest.raises(SystemExit, match="no request was served"):
        loadgen.main(
            ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--requests", "2",
             "--energy-j", "10"]
        )  # fmt: skip
    assert capsys.readouterr().err.count("request failed") == 2


SERVE = """
import pathlib, sys, time
sys.path.insert(0, sys.argv[1])
from tests.integrations.llm_server import Server
with Server() as server:
    pathlib.Path(sys.argv[2]).write_text(server.base_url)
    while not pathlib.Path(sys.argv[3]).exists():
        time.sleep(0.05)
"""


def test_the_readme_recipe_with_wattlens_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``wattlens run -o serve.json -- SERVER``, the load in another process, then the division."""
    root = Path(__file__).resolve().parents[2]
    url_file, stop, run_file = tmp_path / "url", tmp_path / "stop", tmp_path / "serve.json"
    command = [sys.executable, "-m", "wattlens", "run", "-o", str(run_file), "--",
               sys.executable, "-c", SERVE, str(root), str(url_file), str(stop)]  # fmt: skip
    serving = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not url_file.exists() or not url_file.read_text():
            assert serving.poll() is None, "the served command ended early"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        saved = tmp_path / "load.json"
        argv = ["--base-url", f"{url_file.read_text()}/v1", "--model", "llama-3.1-8b",
                "--requests", "8", "--concurrency", "4", "--save-load", str(saved)]  # fmt: skip
        assert loadgen.main(argv) == 0
    finally:
        stop.touch()
        assert serving.wait(timeout=120) == 0
    capsys.readouterr()
    run = json.loads(run_file.read_text(encoding="utf-8"))
    result = _run(capsys, "--from-load", str(saved), "--run-json", str(run_file),
                  "--catalog-model", "llama-3.1-8b", "--accelerator", "H100 SXM")  # fmt: skip
    assert result["energy_j"] == pytest.approx(run["energy_j"])
    assert run["energy_j"] > 0
    assert result["load"]["completion_tokens"] == 8 * COMPLETION_TOKENS
    assert result["j_per_output_token"] == pytest.approx(run["energy_j"] / (8 * COMPLETION_TOKENS))
    # The run spans the server's start-up and idle time too: longer than the load.
    assert run["duration_s"] > result["load"]["duration_s"]
    assert result["estimator"]["catalog_model"] == "llama-3.1-8b"
