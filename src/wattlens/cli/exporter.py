"""``wattlens exporter``: this machine's energy as a Prometheus endpoint."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Annotated

import typer

from wattlens.exporter import DEFAULT_INTERVAL_S, DEFAULT_PORT


def exporter(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. 127.0.0.1 serves this machine only; 0.0.0.0 (or ::) "
            "lets a Prometheus server on another machine scrape it.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", min=0, max=65535, help="TCP port (0: any free port, printed)."
        ),
    ] = DEFAULT_PORT,
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            min=0.1,
            max=3600,
            help="Seconds between two reads of the sensors. A scrape returns the totals of "
            "the last read; the power gauge is the average over one interval.",
        ),
    ] = DEFAULT_INTERVAL_S,
    host_label: Annotated[
        str | None,
        typer.Option(
            "--host-label",
            metavar="NAME",
            help="Value of the host label on every series (default: this machine's name).",
        ),
    ] = None,
    run: Annotated[
        str | None,
        typer.Option(
            "--run",
            metavar="NAME",
            help="Add run=NAME to every series (one value per exporter, e.g. a job name).",
        ),
    ] = None,
) -> None:
    """Serve this machine's energy to Prometheus at http://HOST:PORT/metrics.

    The sensors `wattlens doctor` lists (NVML and AMD SMI GPUs, RAPL CPU and
    DRAM counters, else the CPU and RAM model) are read every --interval
    seconds; each scrape returns the totals of the last read, so scraping is
    cheap and any number of Prometheus servers may scrape it.

    Metrics, each labelled component (gpu, cpu, dram, ram, module), device
    (gpu:0, cpu:package-0 …), host and method (measured: a hardware counter or
    power samples; modelled: utilisation x catalog figures):
    wattlens_energy_joules_total (counter, joules since the exporter started;
    use rate() for watts and increase() for energy over a time range),
    wattlens_power_watts (gauge, average over the last interval),
    wattlens_energy_range_joules_total{bound="low"|"high"} (the bounds of a
    modelled component), wattlens_component_up (0 while a sensor fails),
    wattlens_component_info (name and sensor of each device), and
    wattlens_exporter_last_update_timestamp_seconds.

    Scrape it from prometheus.yml (HOST: this machine as Prometheus reaches it):

      scrape_configs:
        - job_name: wattlens
          static_configs:
            - targets: ["HOST:9464"]

    A Grafana dashboard over these metrics ships in the source tree as
    deploy/grafana/wattlens.json (Grafana: Dashboards > New > Import).

    It runs until interrupted: Ctrl-C or SIGTERM adds the last interval, closes
    the port and exits 0. A port that cannot be bound is an error (exit 2).

    Example: wattlens exporter --host 0.0.0.0 --port 9464 --interval 5
    """
    from wattlens.cli._output import stderr
    from wattlens.cli._safe_text import safe
    from wattlens.exporter import Exporter, method_label
    from wattlens.meter import Meter
    from wattlens.units import format_duration, format_energy

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    meter = Meter()
    # The exporter reports whole devices: no process's share is exported, so the meter is
    # spared listing the process tree at every read (tens of ms on a busy machine).
    meter.track_pids(set)
    started = time.monotonic()
    try:
        metrics = Exporter(meter, host_label=host_label, run=run)
    except BaseException:
        meter.close()
        raise
    try:
        server = metrics.serve(host, port)
        devices = ", ".join(
            f"{c.id} ({method_label(c.method)})" for s in meter.sensors for c in s.components()
        )
        stderr.print(
            safe(
                f"wattlens exporter on {server.url}: {devices or 'no component'}; read every "
                f"{format_duration(interval)}; stop with Ctrl-C or SIGTERM"
            ),
            highlight=False,
            soft_wrap=True,
        )
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            metrics.start(interval)
            # Short waits: the signal handler runs between them, in this thread.
            while not stop.wait(0.5):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    finally:
        metrics.close()
        meter.close()
    total = sum(metrics.totals_j().values())
    stderr.print(
        f"stopped after {format_duration(time.monotonic() - started)}: "
        f"{format_energy(total)} exported in {metrics.updates} reads",
        highlight=False,
        soft_wrap=True,
    )
