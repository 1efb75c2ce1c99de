"""Test support for the exporter: a modelled sensor with bounds, and a real Prometheus server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from wattlens.sensors.base import Component, Reading

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
SKIP_PROMETHEUS = os.environ.get("WATTLENS_SKIP_PROMETHEUS") == "1"


class BoundedModelSensor:
    """A modelled component drawing a constant power, with a low and a high bound."""

    name = "model"
    needs_polling = False
    max_read_interval_s: float | None = None

    def __init__(
        self, power_w: float, low: float, high: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._power, self._low, self._high = power_w, low, high
        self._clock = clock
        self._origin = clock()

    def components(self) -> list[Component]:
        return [Component("cpu", "cpu", "test CPU", "modeled", "model", "a constant in a test")]

    def read(self) -> Reading:
        now = self._clock()
        energy = self._power * (now - self._origin)
        return Reading(
            timestamp_s=now,
            energy_j={"cpu": energy},
            energy_low_j={"cpu": energy * self._low},
            energy_high_j={"cpu": energy * self._high},
        )

    def close(self) -> None:
        return None


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Prometheus:
    """A running Prometheus server and its HTTP API."""

    def __init__(self, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=10) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        data = self.api("/api/v1/query", **params)
        result: list[dict[str, Any]] = data["result"]
        return result

    def wait_for(
        self, expr: str, ready: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 60.0
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.query(expr)
            if ready(result):
                return result
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"Prometheus: {expr} not ready after {timeout_s} s: {result}\n"
                    + self.log.read_text(errors="replace")[-2000:]
                )
            time.sleep(0.3)


@contextmanager
def running_prometheus(jobs: dict[str, str], directory: Path) -> Iterator[Prometheus]:
    """Debian's prometheus scraping each job's target (host:port) every second."""
    if not Path(PROMETHEUS).exists():
        pytest.fail(
            "Prometheus is not installed: the exporter's end-to-end tests need a real server. "
            "`make test` installs Debian's (apt-get install prometheus); "
            "set WATTLENS_SKIP_PROMETHEUS=1 to skip these tests"
        )
    scrape = "\n".join(
        f"  - job_name: {name}\n    static_configs:\n      - targets: ['{target}']"
        for name, target in jobs.items()
    )
    config = directory / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{scrape}\n"
    )
    log = directory / "prometheus.log"
    for _attempt in range(3):  # the free port may be taken between choosing and binding
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    PROMETHEUS,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Prometheus(f"http://127.0.0.1:{port}", process, log)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        if process.poll() is None:
            break
    else:
        raise AssertionError("Prometheus did not start:\n" + log.read_text(errors="replace"))
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
