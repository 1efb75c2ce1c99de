"""The meter reads wrapping counters and the RAM model often enough, from one thread.

The reader runs on a simulated clock here (``CadenceReader(threaded=False)``,
driven by ``run_due``), so an hour of load takes milliseconds and no test sleeps.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.powercap import DEFAULT_MAX_RANGE_UJ, FakePowercap
from wattlens.errors import SensorError
from wattlens.meter import WARNING_MISSED_READS, CadenceReader, Meter
from wattlens.sensors.base import Reading
from wattlens.sensors.fake import FakeSensor
from wattlens.sensors.model import RAM_W_PER_GIB, CpuProfile, ModelSensor
from wattlens.sensors.rapl import RaplSensor

GIB = 1024**3
PACKAGE = "cpu:package-0"


class Clock:
    def __init__(self) -> None:
        self.t = 5000.0

    def __call__(self) -> float:
        return self.t


class Load:
    """Drives simulated time: the package draws ``power_w``; the reader gets its ticks."""

    def __init__(self, tree: FakePowercap, clock: Clock, reader: CadenceReader) -> None:
        self.tree, self.clock, self.reader = tree, clock, reader
        self.energy_j = 0.0

    def run(
        self, seconds: float, power_w: float, *, step_s: float = 20.0, ticks: bool = True
    ) -> None:
        steps = round(seconds / step_s)
        for _ in range(steps):
            self.clock.t += step_s
            self.tree.advance(PACKAGE, round(power_w * step_s * 1e6))
            self.energy_j += power_w * step_s
            if ticks:
                self.reader.run_due()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reader(clock: Clock) -> CadenceReader:
    return CadenceReader(clock=clock, threaded=False)


def _rapl(tmp_path: Path) -> tuple[FakePowercap, RaplSensor]:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, energy_uj=123_456_789, dram=False)
    return tree, RaplSensor(tree.root, reader=tree.reader)


def _package_j(result: Any) -> float:
    return float(next(c.energy_j for c in result.components if c.id == PACKAGE))


def test_window_across_five_wraps_counts_all_energy(
    tmp_path: Path, clock: Clock, reader: CadenceReader
) -> None:
    tree, rapl = _rapl(tmp_path)
    meter = Meter([rapl], clock=clock, reader=reader)
    load = Load(tree, clock, reader)
    meter.begin("long")
    # 5.5 wraps of 262 kJ at a varying load.
    for power_w in (350.0, 120.0, 410.0, 260.0):
        load.run(DEFAULT_MAX_RANGE_UJ / 1e6 * 5.5 / 4 / power_w, power_w)
    assert load.energy_j > 5 * DEFAULT_MAX_RANGE_UJ / 1e6
    result = meter.end("long")
    assert _package_j(result) == pytest.approx(load.energy_j, rel=1e-3)
    assert not [w for w in result.warnings if getattr(w, "code", "") == WARNING_MISSED_READS]


def test_issue_example_thirty_minutes_at_350_w(
    tmp_path: Path, clock: Clock, reader: CadenceReader
) -> None:
    tree, rapl = _rapl(tmp_path)
    meter = Meter([rapl], clock=clock, reader=reader)
    meter.begin("half-hour")
    Load(tree, clock, reader).run(1800, 350.0)
    assert _package_j(meter.end("half-hour")) == pytest.approx(630_000.0, rel=1e-6)


def test_reads_only_at_the_edges_would_lose_the_wraps(
    tmp_path: Path, clock: Clock, reader: CadenceReader
) -> None:
    # What the counter shows without the cadence: the 105,713 J of the old meter.
    tree, rapl = _rapl(tmp_path)
    meter = Meter([rapl], clock=clock, reader=reader)
    meter.begin("half-hour")
    Load(tree, clock, reader).run(1800, 350.0, ticks=False)
    assert _package_j(meter.end("half-hour")) == pytest.approx(105_713.3, abs=1.0)


def test_the_reader_reads_at_the_declared_interval(clock: Clock, reader: CadenceReader) -> None:
    sensor = FakeSensor({"cpu:package-0": 10.0}, clock=clock, max_read_interval_s=60.0)
    meter = Meter([sensor], clock=clock, reader=reader)
    meter.begin("w")
    edge_reads = sensor.reads
    for _ in range(600):  # 10 minutes, ticking every second
        clock.t += 1.0
        reader.run_due()
    assert sensor.reads - edge_reads == 10
    meter.end("w")
    assert reader.held() == []
    clock.t += 600
    reader.run_due()
    assert sensor.reads - edge_reads == 11  # the end read only: nobody holds it any more


def test_windows_and_meters_share_one_hold_per_sensor(clock: Clock, reader: CadenceReader) -> None:
    sensor = FakeSensor({"cpu:package-0": 10.0}, clock=clock, max_read_interval_s=60.0)
    plain = FakeSensor({"gpu:0": 10.0}, clock=clock)
    first = Meter([sensor, plain], clock=clock, reader=reader)
    second = Meter([sensor], clock=clock, reader=reader)
    first.begin("a")
    first.begin("b")
    second.begin("c")
    assert reader.held() == [sensor]  # the 64-bit counter needs no reads
    first.end("a")
    first.cancel("b")
    assert reader.held() == [sensor]  # window c still needs it
    second.end("c")
    assert reader.held() == []


def test_no_thread_for_sensors_without_cadence() -> None:
    before = set(threading.enumerate())
    meter = Meter([FakeSensor({"gpu:0": 10.0})])  # the process-wide reader
    meter.begin("w")
    assert set(threading.enumerate()) == before
    meter.end("w")


def _reader_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "wattlens-reader"}


def test_one_thread_while_windows_need_it_and_none_after() -> None:
    # Other tests' shared readers may still be lingering: count only the threads started here.
    before = _reader_threads()
    reader = CadenceReader(linger_s=0.0)
    sensor = FakeSensor({"cpu:package-0": 10.0}, max_read_interval_s=0.01)
    meter = Meter([sensor], reader=reader)
    meter.begin("a")
    meter.begin("b")
    thread = reader.thread
    assert thread is not None
    assert thread.is_alive()
    assert _reader_threads() - before == {thread}
    deadline = time.monotonic() + 5
    while sensor.reads < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sensor.reads >= 10  # reads between the edges, from the thread
    meter.end("a")
    assert reader.held() == [sensor]  # window b still needs it
    assert thread.is_alive()
    meter.end("b")
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert reader.thread is None
    meter.begin("again")  # a new window starts a new thread
    again = reader.thread
    assert again is not None
    assert again.is_alive()
    meter.close()  # closing the meter releases its open windows too
    again.join(timeout=5)
    assert not again.is_alive()


def test_a_sampler_fast_enough_replaces_the_cadence_reader(
    clock: Clock, reader: CadenceReader
) -> None:
    sensor = FakeSensor({"cpu:package-0": 10.0}, max_read_interval_s=30.0)
    with Meter([sensor], timeline=True, interval_s=0.05, reader=reader) as meter:
        meter.begin("w")
        assert reader.held() == []
        meter.end("w")
    with Meter([sensor], timeline=True, interval_s=60.0, reader=reader) as slow:
        slow.begin("w")
        assert reader.held() == [sensor]
        slow.end("w")


class Flaky(FakeSensor):
    """Fails its reads while ``failing`` is set (a transient driver error)."""

    failing = False

    def read(self) -> Reading:
        if self.failing:
            raise SensorError("counter file vanished")
        return super().read()


def test_failed_and_late_reads_are_reported(clock: Clock, reader: CadenceReader) -> None:
    sensor = Flaky({"cpu:package-0": 10.0}, clock=clock, max_read_interval_s=10.0)
    meter = Meter([sensor], clock=clock, reader=reader)
    meter.begin("w")
    sensor.failing = True
    clock.t += 10
    reader.run_due()  # fails, and the reader keeps going
    sensor.failing = False
    clock.t += 100  # the process was stopped: the next read comes far too late
    reader.run_due()
    result = meter.end("w")
    missed = [w for w in result.warnings if getattr(w, "code", "") == WARNING_MISSED_READS]
    assert len(missed) == 2
    assert "1 periodic read(s) of the fake sensor failed" in missed[0]
    assert "counter file vanished" in missed[0]
    assert "needs a read every 10 s" in missed[1]
    assert result.energy_j == pytest.approx(1100.0)


def test_ram_model_integrates_the_memory_curve(
    tmp_path: Path, clock: Clock, reader: CadenceReader
) -> None:
    """10 GiB before and after, 200 GiB for an hour in between: ~268 kJ, not 13.4 kJ."""
    (tmp_path / "stat").write_text("cpu  100 0 100 1000 0 0 0 0 0 0\n")

    def use(gib: int) -> None:
        total_kib = 512 * 1024 * 1024
        (tmp_path / "meminfo").write_text(
            f"MemTotal: {total_kib} kB\nMemAvailable: {total_kib - gib * 1024 * 1024} kB\n"
        )

    use(10)
    tree_listings: list[float] = []

    def tree_cpu_s() -> float:
        tree_listings.append(clock.t)
        return 0.0

    profile = CpuProfile("Test CPU", 8, 2.0, 1.0, 3.0, ("cpus/test",), "test", "catalog")
    model = ModelSensor(
        profile, proc=tmp_path, tree_cpu_s=tree_cpu_s, tree_rss_bytes=lambda: 0, clock=clock
    )
    meter = Meter([model], clock=clock, reader=reader)
    meter.begin("job")
    use(200)
    for _ in range(3600):
        clock.t += 1.0
        reader.run_due()
    use(10)
    ram = next(c for c in meter.end("job").components if c.id == "ram")
    expected = 200 * 3600 * RAM_W_PER_GIB  # 268,200 J
    # Only the first and last read interval (5 s each) see the 10 GiB edges.
    assert ram.energy_j == pytest.approx(expected, rel=0.005)
    two_point = (10 + 10) / 2 * 3600 * RAM_W_PER_GIB  # 13,410 J: the edges joined
    assert ram.energy_j > 10 * two_point
    # The 720 cadence reads integrate RAM only: the process tree is listed at the edges.
    assert tree_listings == [5000.0, 8600.0]


class SimulatedJob:
    """Stands in for the child process: ``wait()`` runs two simulated hours of load."""

    def __init__(self, load: Load) -> None:
        self.load = load
        self.pid = os.getpid()
        self.returncode: int | None = None

    def wait(self) -> int:
        self.load.run(2 * 3600, 300.0)
        self.returncode = 0
        return 0

    def send_signal(self, signum: int) -> None:  # pragma: no cover - nothing sends one
        raise AssertionError(signum)


def test_wattlens_run_of_a_two_hour_job_loses_nothing(
    tmp_path: Path,
    clock: Clock,
    reader: CadenceReader,
    monkeypatch: pytest.MonkeyPatch,
    cli: Any,
) -> None:
    import subprocess

    from wattlens import meter as meter_module
    from wattlens.sensors import discover

    tree, rapl = _rapl(tmp_path)
    load = Load(tree, clock, reader)
    monkeypatch.setattr(discover, "_default", discover.Discovery((rapl,), ()))
    monkeypatch.setattr(meter_module, "_shared_reader", reader)
    monkeypatch.setattr(subprocess, "Popen", lambda command, **options: SimulatedJob(load))
    out = cli("run", "--json", "--no-store", "--", "train")
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert load.energy_j == pytest.approx(2_160_000.0)  # 300 W for 2 h: 8.2 wraps
    package = next(c for c in data["components"] if c["id"] == PACKAGE)
    assert package["energy_j"] == pytest.approx(load.energy_j, rel=1e-6)
    assert reader.held() == []


def _reads_in_forked_child(_: int) -> int:
    sensor = FakeSensor({"cpu:package-0": 10.0}, max_read_interval_s=0.01)
    meter = Meter([sensor])  # the process-wide reader of this (forked) process
    meter.begin("child")
    time.sleep(0.3)
    meter.end("child")
    return sensor.reads - 2  # minus the window's edge reads


def test_a_forked_child_gets_a_reader_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing
    import warnings

    from wattlens import meter as meter_module

    reader = CadenceReader(linger_s=0.0)
    monkeypatch.setattr(meter_module, "_shared_reader", reader)
    parent = FakeSensor({"cpu:package-0": 10.0}, max_read_interval_s=0.05)
    reader.hold(parent)  # the parent's reader thread runs while the child is forked
    thread = reader.thread
    assert thread is not None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            with multiprocessing.get_context("fork").Pool(1) as pool:
                reads = pool.apply(_reads_in_forked_child, (0,))
    finally:
        reader.release(parent)
        thread.join(timeout=5)
    assert reads >= 5
