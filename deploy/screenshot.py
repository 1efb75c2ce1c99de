"""Render the Grafana dashboard's queries against a real Prometheus into docs/img.

Grafana is not needed: an in-process exporter over two fake GPUs (varying power) and
this machine's modelled CPU is scraped every second by a real ``prometheus``; after
about 40 s each panel of ``deploy/grafana/wattlens.json`` is queried through
Prometheus's HTTP API (``/api/v1/query_range``) and drawn with plotly, under the
panel's title. The figure says what it is: the dashboard's queries, not Grafana.

Run from the repository root (needs ``prometheus`` on PATH, kaleido and Chromium)::

    .venv/bin/python deploy/screenshot.py
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wattlens.errors import WattlensError
from wattlens.exporter import Exporter
from wattlens.meter import Meter
from wattlens.report.render import write_pngs
from wattlens.sensors.fake import FakeSensor
from wattlens.sensors.model import ModelSensor

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy" / "grafana" / "wattlens.json"
OUTPUT = ROOT / "docs" / "img" / "exporter-dashboard.png"
HOST = "fake-node"
SCRAPE_S = 1
# Grafana's $__rate_interval: max($__interval + scrape interval, 4 x scrape interval),
# with a 1 s step and a 1 s scrape interval.
RATE_INTERVAL = f"{4 * SCRAPE_S}s"
WIDTH, HEIGHT = 1200, 820
TITLE = "wattlens Grafana dashboard queries, rendered from a real Prometheus (fake GPUs)"

# Fake GPUs: a mean power with a sinusoidal swing (watts, period in seconds, phase).
GPUS: dict[str, tuple[float, float, float, float]] = {
    "gpu:0": (260.0, 90.0, 20.0, 0.0),
    "gpu:1": (140.0, 50.0, 13.0, 1.5),
}

UNITS: dict[str, tuple[str, float]] = {
    "kwatth": ("kWh", 1.0),
    "watt": ("W", 1.0),
    "percentunit": ("%", 100.0),
    "joule": ("J", 1.0),
    "ops": ("/s", 1.0),
    "hertz": ("Hz", 1.0),
    "s": ("s", 1.0),
    "none": ("", 1.0),
}


def _gpu_energy(elapsed_s: float) -> dict[str, float]:
    """Exact cumulative joules of P(t) = mean + swing * sin(2 pi t / period + phase)."""
    energy = {}
    for gpu, (mean, swing, period, phase) in GPUS.items():
        omega = 2 * math.pi / period
        swing_j = swing / omega * (math.cos(phase) - math.cos(omega * elapsed_s + phase))
        energy[gpu] = mean * elapsed_s + swing_j
    return energy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Prometheus:
    """A running Prometheus server's HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}", timeout=30) as response:
            body = json.loads(response.read())
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus {path} failed: {body}")
        return body["data"]

    def query_range(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        data = self.api(
            "/api/v1/query_range",
            query=expr,
            start=f"{start:.3f}",
            end=f"{end:.3f}",
            step=f"{SCRAPE_S}s",
        )
        result: list[dict[str, Any]] = data["result"]
        return result


@contextmanager
def running_prometheus(binary: str, target: str, directory: Path) -> Iterator[Prometheus]:
    """``binary`` scraping ``target`` (host:port) every second, storing under ``directory``."""
    config = directory / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {SCRAPE_S}s\n  scrape_timeout: {SCRAPE_S}s\n"
        f"scrape_configs:\n  - job_name: wattlens\n    static_configs:\n"
        f"      - targets: ['{target}']\n"
    )
    log = directory / "prometheus.log"
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Prometheus(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "Prometheus did not start:\n" + log.read_text(errors="replace")[-2000:]
                )
            try:
                with urllib.request.urlopen(f"{server.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _windows_and_updates(exporter: Exporter, stop: threading.Event) -> None:
    """A training-like loop: short ``step`` windows and, every fifth, a longer ``eval``."""
    count = 0
    while not stop.is_set():
        name, duration_s = ("eval", 0.8) if count % 5 == 4 else ("step", 0.3)
        with exporter.window(name):
            stop.wait(duration_s)
        exporter.update()
        count += 1


def _expr(expr: str, range_s: int) -> str:
    return (
        expr.replace("$__rate_interval", RATE_INTERVAL)
        .replace("$__range", f"{range_s}s")
        .replace("$host", HOST)
    )


def _legend(template: str | None, labels: Mapping[str, str]) -> str:
    if not template:
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__")
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)


def _query_panels(
    prometheus: Prometheus, dashboard: Mapping[str, Any], start: float, end: float
) -> list[dict[str, Any]]:
    """Each panel with a PromQL target, with its series as Prometheus returned them."""
    range_s = round(end - start)
    panels = []
    for panel in dashboard["panels"]:
        targets = [t for t in panel.get("targets", []) if t.get("expr")]
        if not targets:
            continue
        series = []
        for target in targets:
            for result in prometheus.query_range(_expr(target["expr"], range_s), start, end):
                times = [datetime.fromtimestamp(float(t), UTC) for t, _ in result["values"]]
                values = [float(v) for _, v in result["values"]]
                name = _legend(target.get("legendFormat"), result["metric"])
                series.append({"name": name, "x": times, "y": values, "labels": result["metric"]})
        if not series:
            raise RuntimeError(f"no data for the panel {panel['title']!r}: {targets}")
        panels.append({**panel, "series": series})
    return panels


def _figure(panels: list[dict[str, Any]]) -> Any:
    import plotly.graph_objects as go  # type: ignore[import-untyped]
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    stats = [p for p in panels if p["type"] == "stat"]
    charts = [p for p in panels if p["type"] == "timeseries"]
    tables = [p for p in panels if p["type"] == "table"]
    chart_rows = math.ceil((len(charts) + len(tables)) / 3)
    # A 12-column grid: the stats share the first row, three panels on each row below.
    specs: list[list[dict[str, Any] | None]] = []
    titles: list[str] = []
    span = 12 // max(len(stats), 1)
    row: list[dict[str, Any] | None] = []
    for panel in stats:
        row += [{"type": "domain", "colspan": span}] + [None] * (span - 1)
        titles.append(panel["title"])
    specs.append(row + [None] * (12 - len(row)))
    below = charts + tables
    for index in range(chart_rows):
        row = []
        for panel in below[3 * index : 3 * index + 3]:
            kind = "table" if panel["type"] == "table" else "xy"
            row += [{"type": kind, "colspan": 4}, None, None, None]
            titles.append(panel["title"])
        specs.append(row + [None] * (12 - len(row)))
    fig = make_subplots(
        rows=1 + chart_rows,
        cols=12,
        specs=specs,
        subplot_titles=titles,
        row_heights=[0.6] + [1.0] * chart_rows,
        vertical_spacing=0.085,
        horizontal_spacing=0.04,
    )
    for position, panel in enumerate(stats):
        unit, factor = UNITS.get(_unit(panel), ("", 1.0))
        last = sum(s["y"][-1] for s in panel["series"]) * factor
        fig.add_trace(
            go.Indicator(
                mode="number",
                value=last,
                number={
                    "suffix": f" {unit}" if unit else "",
                    "valueformat": ".4~g",
                    "font": {"size": 40},
                },
            ),
            row=1,
            col=1 + position * span,
        )
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for number, panel in enumerate(below):
        row_index, col_index = 2 + number // 3, 1 + 4 * (number % 3)
        if panel["type"] == "table":
            fig.add_trace(_table(panel), row=row_index, col=col_index)
            continue
        unit, factor = UNITS.get(_unit(panel), ("", 1.0))
        legend = f"legend{number + 2}"
        for index, series in enumerate(panel["series"]):
            fig.add_trace(
                go.Scatter(
                    x=series["x"],
                    y=[v * factor for v in series["y"]],
                    name=series["name"],
                    mode="lines",
                    line={"width": 1.6, "color": colors[index % len(colors)]},
                    legend=legend,
                ),
                row=row_index,
                col=col_index,
            )
        fig.update_yaxes(ticksuffix=f" {unit}" if unit else "", row=row_index, col=col_index)
        fig.update_xaxes(tickformat="%H:%M:%S", nticks=4, row=row_index, col=col_index)
        subplot = fig.get_subplot(row_index, col_index)
        fig.update_layout(
            {
                legend: {
                    "x": subplot.xaxis.domain[0] + 0.005,
                    "y": subplot.yaxis.domain[1] - 0.005,
                    "xanchor": "left",
                    "yanchor": "top",
                    "bgcolor": "rgba(255,255,255,0.7)",
                    "font": {"size": 9},
                }
            }
        )
    fig.update_annotations(font_size=12)
    fig.update_layout(
        template="plotly_white",
        width=WIDTH,
        height=HEIGHT,
        margin={"l": 50, "r": 25, "t": 70, "b": 30},
        title={"text": TITLE, "x": 0.5, "font": {"size": 16}},
        font={"size": 10},
    )
    return fig


def _unit(panel: Mapping[str, Any]) -> str:
    unit: str = panel.get("fieldConfig", {}).get("defaults", {}).get("unit") or "none"
    return unit


def _table(panel: Mapping[str, Any]) -> Any:
    import plotly.graph_objects as go

    excluded = {
        name
        for transform in panel.get("transformations", [])
        for name, hide in transform.get("options", {}).get("excludeByName", {}).items()
        if hide
    }
    rows = [s["labels"] for s in panel["series"]]
    present = {k for labels in rows for k in labels} - excluded
    # The labels wattlens sets; Prometheus's own (instance, job) would not fit the width.
    widths = {
        "host": 1.2,
        "device": 0.8,
        "component": 1.0,
        "method": 1.0,
        "name": 1.3,
        "sensor": 0.8,
    }
    columns = [c for c in widths if c in present]
    return go.Table(
        columnwidth=[widths[c] for c in columns],
        header={"values": columns, "font": {"size": 10}, "align": "left"},
        cells={
            "values": [[labels.get(c, "") for labels in rows] for c in columns],
            "font": {"size": 9},
            "align": "left",
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="data to collect first")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the PNG to write")
    parser.add_argument(
        "--prometheus",
        default=shutil.which("prometheus") or "/usr/bin/prometheus",
        help="the Prometheus server binary (default: `prometheus` on PATH)",
    )
    args = parser.parse_args(argv)
    binary: str = args.prometheus
    if not Path(binary).is_file():
        print(
            f"error: Prometheus is not installed ({binary} not found); this script needs a real "
            "server to query (Debian: apt-get install prometheus, or pass --prometheus PATH)",
            file=sys.stderr,
        )
        return 2
    dashboard = json.loads(DASHBOARD.read_text())
    meter = Meter([FakeSensor(energy_j=_gpu_energy), ModelSensor(include_ram=False)])
    exporter = Exporter(meter, host_label=HOST, run="screenshot")
    server = exporter.serve("127.0.0.1", 0)
    stop = threading.Event()
    loop = threading.Thread(target=_windows_and_updates, args=(exporter, stop), daemon=True)
    loop.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="wattlens-prometheus-") as directory,
            running_prometheus(binary, f"127.0.0.1:{server.port}", Path(directory)) as prometheus,
        ):
            start = time.time()
            print(f"collecting {args.seconds:g} s of data ...", file=sys.stderr)
            time.sleep(args.seconds)
            panels = _query_panels(prometheus, dashboard, start, time.time())
    except (RuntimeError, urllib.error.URLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        stop.set()
        loop.join(timeout=10)
        exporter.close()
    figure = _figure(panels)
    output: Path = args.output
    try:
        (written,) = write_pngs({output.stem: figure.to_dict()}, output.parent, width=WIDTH)
    except WattlensError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written} ({written.stat().st_size // 1024} KB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
