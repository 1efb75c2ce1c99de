"""``wattlens exporter``: help, errors with hints, and a clean stop on SIGTERM and Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families


def test_help_documents_metrics_config_and_stopping(cli: Any) -> None:
    result = cli("exporter", "--help")
    assert result.exit_code == 0
    text = result.stdout
    for needed in (
        "wattlens_energy_joules_total",
        "wattlens_power_watts",
        "measured",
        "modelled",
        "scrape_configs:",
        "- targets:",
        "deploy/grafana/wattlens.json",
        "SIGTERM",
        "--interval",
        "--port",
        "9464",
    ):
        assert needed in text, needed


def test_a_busy_port_is_an_error_with_a_hint(cli: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("exporter", "--port", str(port))
    assert result.exit_code == 2
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "hint: another program listens on port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval"),
        (["--port", "70000"], "--port"),
        (["--run", " "], "error: the run label is empty"),
        (["--host", "no-such-host.invalid", "--port", "0"], "error: cannot listen on"),
    ],
)
def test_bad_options_exit_2(cli: Any, args: list[str], message: str) -> None:
    result = cli("exporter", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_stops_cleanly_on_a_signal(stop: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "wattlens", "exporter", "--port", "0", "--interval", "0.2"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    try:
        line = process.stderr.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/metrics): (.+); read every", line)
        assert match is not None, line
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            families = {f.name: f for f in text_string_to_metric_families(response.read().decode())}
        devices = {s.labels["device"] for s in families["wattlens_energy_joules"].samples}
        # The startup line names the same components the endpoint exports.
        assert devices == {part.split(" ")[0] for part in match.group(2).split(", ")}
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
        rest = process.stderr.read()
        assert re.search(r"stopped after .+: .+ exported in \d+ reads", rest), rest
        assert "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()
