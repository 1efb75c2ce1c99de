"""A real Prometheus server (Debian's) scrapes the exporter; its stored counters are the meter's.

Two exporters are scraped every second: one in this process over fake GPUs (so that the
energy is known exactly) and `wattlens exporter` in its own process over this machine's
sensors. A missing Prometheus fails these tests (`make test` installs it); only an explicit
WATTLENS_SKIP_PROMETHEUS=1 skips them.
"""

from __future__ import annotations

import bisect
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.exporter._support import (
    SKIP_PROMETHEUS,
    BoundedModelSensor,
    Prometheus,
    running_prometheus,
)
from tests.exporter.test_dashboard import load, panel_exprs, variable_queries
from wattlens.exporter import Exporter, MetricsServer
from wattlens.meter import Meter
from wattlens.sensors.fake import FakeSensor

pytestmark = pytest.mark.skipif(
    SKIP_PROMETHEUS,
    reason="WATTLENS_SKIP_PROMETHEUS=1: the tests against Prometheus were asked to be skipped",
)

POWER_W = {"gpu:0": 300.0, "gpu:1": 120.0}
UPDATE_S = 0.25


@dataclass
class Recorded:
    """The in-process exporter, and its totals after every update (wall time, joules)."""

    exporter: Exporter
    server: MetricsServer
    times: list[float] = field(default_factory=list)
    totals: list[dict[str, float]] = field(default_factory=list)
    windows: list[dict[str, float]] = field(default_factory=list)
    """Each update's window energy, as the meter measured it."""


@dataclass
class Stack:
    prometheus: Prometheus
    recorded: Recorded
    cli: subprocess.Popen[str]


def _updates(recorded: Recorded, stop: threading.Event) -> None:
    step = 0
    while not stop.wait(UPDATE_S):
        with recorded.exporter.window("step" if step % 2 else "eval"):
            time.sleep(0.01)
        measurement = recorded.exporter.update()
        recorded.times.append(time.time())
        recorded.windows.append({c.id: c.energy_j for c in measurement.components})
        recorded.totals.append(recorded.exporter.totals_j())
        step += 1


def _cli_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    line = process.stderr.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line)
    assert match is not None, line + process.stderr.read()
    return f"127.0.0.1:{match.group(1)}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    meter = Meter([FakeSensor(POWER_W), BoundedModelSensor(40.0, 0.5, 2.0)])
    exporter = Exporter(meter, host_label="fake-node", run="e2e")
    recorded = Recorded(exporter, exporter.serve("127.0.0.1", 0))
    stop = threading.Event()
    updater = threading.Thread(target=_updates, args=(recorded, stop), daemon=True)
    updater.start()
    cli = subprocess.Popen(
        [sys.executable, "-m", "wattlens", "exporter", "--port", "0", "--interval", "0.5"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        jobs = {"lib": f"127.0.0.1:{recorded.server.port}", "cli": _cli_url(cli)}
        with running_prometheus(jobs, tmp_path_factory.mktemp("prometheus")) as prometheus:
            yield Stack(prometheus, recorded, cli)
    finally:
        stop.set()
        updater.join(timeout=10)
        exporter.close()
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        if cli.stderr is not None:
            cli.stderr.close()


def _samples(stack: Stack, device: str, count: int) -> list[tuple[float, float]]:
    """At least ``count`` raw samples of one device's counter, as Prometheus stored them."""
    expr = f'wattlens_energy_joules_total{{job="lib",device="{device}"}}[2m]'
    result = stack.prometheus.wait_for(
        expr, lambda r: bool(r) and len(r[0]["values"]) >= count, timeout_s=90
    )
    return [(float(t), float(v)) for t, v in result[0]["values"]]


@pytest.mark.parametrize("device", sorted(POWER_W))
def test_stored_counters_are_the_meters_totals(stack: Stack, device: str) -> None:
    samples = _samples(stack, device, 5)
    recorded = stack.recorded
    totals = [t[device] for t in list(recorded.totals)]
    # Every stored value is a total the exporter reached after one of its updates.
    for _, value in samples:
        assert any(abs(value - total) <= 1e-9 * max(total, 1.0) for total in totals), value
    (t0, v0), (t1, v1) = samples[0], samples[-1]
    first = min(range(len(totals)), key=lambda i: abs(totals[i] - v0))
    last = min(range(len(totals)), key=lambda i: abs(totals[i] - v1))
    windows = list(recorded.windows)
    measured = sum(w[device] for w in windows[first + 1 : last + 1])
    # The increase Prometheus saw is the energy the meter measured over those updates.
    assert v1 - v0 == pytest.approx(measured, rel=1e-9)
    # And the fake GPU's power times the time between the scrapes, to one update at each end.
    slack = POWER_W[device] * (2 * UPDATE_S + 0.5)
    assert abs((v1 - v0) - POWER_W[device] * (t1 - t0)) <= slack


def test_increase_over_a_range_matches_the_energy_drawn(stack: Stack) -> None:
    _samples(stack, "gpu:0", 8)
    at = time.time()
    (result,) = stack.prometheus.query(
        'sum(increase(wattlens_energy_joules_total{job="lib",method="measured"}[6s]))', at=at
    )
    increase = float(result["value"][1])
    # increase() extrapolates the samples of the range to its edges: the drawn energy to
    # within the updates' granularity and the scrapes' jitter.
    drawn = sum(POWER_W.values()) * 6
    assert increase == pytest.approx(drawn, rel=0.2)
    recorded = stack.recorded
    index = bisect.bisect_right(recorded.times, at) - 1
    before = bisect.bisect_right(recorded.times, at - 6) - 1
    metered = sum(recorded.totals[index][d] - recorded.totals[before][d] for d in sorted(POWER_W))
    assert increase == pytest.approx(metered, rel=0.2)


def test_labels_and_modelled_bounds_reach_prometheus(stack: Stack) -> None:
    _samples(stack, "gpu:0", 2)
    result = stack.prometheus.query('wattlens_energy_joules_total{job="lib"}')
    labels = {r["metric"]["device"]: r["metric"] for r in result}
    assert set(labels) == {"gpu:0", "gpu:1", "cpu"}
    assert labels["cpu"]["method"] == "modelled"
    assert labels["gpu:0"]["method"] == "measured"
    assert {r["metric"]["host"] for r in result} == {"fake-node"}
    assert {r["metric"]["run"] for r in result} == {"e2e"}
    bounds = stack.prometheus.query(
        'wattlens_energy_range_joules_total{job="lib"} / ignoring(bound) group_left '
        'wattlens_energy_joules_total{job="lib"}'
    )
    ratios = {r["metric"]["bound"]: float(r["value"][1]) for r in bounds}
    assert ratios == pytest.approx({"low": 0.5, "high": 2.0})
    windows = stack.prometheus.query('wattlens_windows_total{job="lib"}')
    assert {r["metric"]["window"] for r in windows} <= {"step", "eval"}


def test_every_dashboard_query_returns_data(stack: Stack) -> None:
    _samples(stack, "gpu:0", 6)
    dashboard = load()
    for expr in panel_exprs(dashboard):
        query = (
            expr.replace("$__rate_interval", "5s").replace("$__range", "1m").replace("$host", ".*")
        )
        result = stack.prometheus.query(query)
        assert result, f"no data for the dashboard query {expr!r}"
    for definition in variable_queries(dashboard):
        metric = re.fullmatch(r"label_values\((\w+), host\)", definition)
        assert metric is not None
        hosts = stack.prometheus.api("/api/v1/label/host/values", **{"match[]": metric.group(1)})
        assert "fake-node" in hosts


def test_the_cli_exporter_is_scraped_and_stops_on_sigterm(stack: Stack) -> None:
    prometheus = stack.prometheus
    prometheus.wait_for('up{job="cli"} == 1', bool)
    result = prometheus.wait_for(
        'wattlens_energy_joules_total{job="cli"}',
        lambda r: len(r) > 0 and all(float(x["value"][1]) > 0 for x in r),
    )
    assert {r["metric"]["method"] for r in result} <= {"measured", "modelled"}
    # The counters only grow between scrapes.
    series = prometheus.wait_for(
        'wattlens_exporter_updates_total{job="cli"}[1m]', lambda r: len(r[0]["values"]) >= 3
    )
    values = [float(v) for _, v in series[0]["values"]]
    assert values == sorted(values)
    assert values[-1] > values[0]
    stack.cli.send_signal(signal.SIGTERM)
    assert stack.cli.wait(timeout=30) == 0
    assert stack.cli.stderr is not None
    rest = stack.cli.stderr.read()
    assert "stopped after" in rest
    assert "Traceback" not in rest
    prometheus.wait_for('up{job="cli"} == 0', bool)
