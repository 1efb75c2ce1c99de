"""Impacts for the process tree or the machine: the scope a window's impacts are computed on.

The background load is a real process outside the measured tree (a detached
busy loop); the energy comes from a fake powercap tree, so that the machine's
figure is known exactly and the process tree's share follows from real CPU
times.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import wattlens.meter as meter_module
from tests.fakes.powercap import FakePowercap
from wattlens.api import measure
from wattlens.errors import UsageError
from wattlens.impacts import measured_impacts_typed
from wattlens.measurement import OTHER_LOAD_BELOW_SHARE, Measurement, choose_scope
from wattlens.meter import Meter
from wattlens.sensors.fake import FakeSensor
from wattlens.sensors.rapl import RaplSensor

PACKAGE = "cpu:package-0"
_BUSY = "import time\nend = time.monotonic() + 60\nwhile time.monotonic() < end: pass\n"
_DETACH = (
    "import subprocess, sys\n"
    "p = subprocess.Popen([sys.executable, '-c', sys.argv[1]], start_new_session=True,\n"
    "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(p.pid, flush=True)\n"
)


@contextlib.contextmanager
def cpu_hog() -> Iterator[int]:
    """A busy loop in a process outside this process tree (its parent exits at once).

    Yields its pid once it has used CPU time; it is killed on exit (and stops by
    itself after a minute).
    """
    out = subprocess.run(
        [sys.executable, "-c", _DETACH, _BUSY], capture_output=True, text=True, check=True
    )
    pid = int(out.stdout.split()[0])
    try:
        hog = psutil.Process(pid)
        deadline = time.monotonic() + 20
        while sum(hog.cpu_times()[:2]) < 0.2:
            assert time.monotonic() < deadline, "the background busy loop did not start"
            time.sleep(0.02)
        assert pid not in {p.pid for p in psutil.Process().children(recursive=True)}
        yield pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _spin(cpu_s: float) -> None:
    start = time.process_time()
    while time.process_time() - start < cpu_s:
        pass


def _rapl(tmp_path: Path) -> tuple[FakePowercap, RaplSensor]:
    tree = FakePowercap(tmp_path / "powercap")
    tree.add_package(0, energy_uj=1_000_000, dram=False, core=False)
    return tree, RaplSensor(tree.root, reader=tree.reader)


def _window(meter: Meter, tree: FakePowercap, joules: float = 100.0) -> Measurement:
    meter.begin("w")
    _spin(0.3)
    tree.advance(PACKAGE, int(joules * 1e6))
    try:
        return meter.end("w")
    finally:
        meter.close()


def test_auto_scope_picks_the_process_tree_when_another_process_is_busy(tmp_path: Path) -> None:
    tree, rapl = _rapl(tmp_path)
    with cpu_hog():
        m = _window(Meter([rapl]), tree)
    assert m.energy_j == pytest.approx(100.0)
    assert m.workload_cpu_share is not None
    assert 0.0 < m.workload_cpu_share < OTHER_LOAD_BELOW_SHARE
    assert m.scope == "workload"
    assert m.scope_reason is not None
    assert m.scope_reason.startswith("other load present: ")
    other = f"{1 - m.workload_cpu_share:.0%} of busy CPU time was other processes"
    assert other in m.scope_reason
    attributed = m.attributed_energy_j
    assert attributed is not None
    assert attributed == pytest.approx(100.0 * m.workload_cpu_share)
    assert m.scope_energy_j == attributed
    # The impacts are the process tree's, below the machine's, which stay beside them.
    expected = measured_impacts_typed(attributed, attributed, attributed)
    assert m.typed_impacts.co2e_g.p50 == pytest.approx(expected.co2e_g.p50)
    machine = measured_impacts_typed(100.0, 100.0, 100.0)
    assert m.typed_machine_impacts.co2e_g.p50 == pytest.approx(machine.co2e_g.p50)
    data = m.to_dict()
    assert data["impacts"]["co2e_g"]["central"] < data["machine_impacts"]["co2e_g"]["central"]
    assert data["scope"] == "workload"
    assert data["scope_energy_j"] == pytest.approx(attributed)


def test_scope_machine_forces_the_machine_figure(tmp_path: Path) -> None:
    tree, rapl = _rapl(tmp_path)
    with cpu_hog():
        m = _window(Meter([rapl], scope="machine"), tree)
    assert m.scope == "machine"
    assert m.scope_reason == "machine scope asked for"
    assert m.attributed_energy_j is not None
    assert m.attributed_energy_j < m.energy_j  # known, but not what the impacts are for
    assert m.scope_energy_j == pytest.approx(100.0)
    assert m.impacts == m.machine_impacts
    assert m.to_dict()["impacts"]["facility_energy_j"]["central"] == pytest.approx(100.0)


def _fake_cpu_times(
    monkeypatch: pytest.MonkeyPatch, tree_s: float, busy_s: float
) -> list[tuple[float, float | None]]:
    """Make the window's edges see ``tree_s`` of the process tree in ``busy_s`` machine-busy."""
    edges: list[tuple[float, float | None]] = [(10.0, 1000.0), (10.0 + tree_s, 1000.0 + busy_s)]
    monkeypatch.setattr(meter_module, "_cpu_times", lambda: edges.pop(0))
    return edges


@pytest.mark.parametrize(
    ("tree_s", "busy_s", "scope"),
    [(2.0, 2.0, "machine"), (1.9, 2.0, "machine"), (1.7, 2.0, "workload"), (0.5, 2.0, "workload")],
)
def test_auto_scope_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tree_s: float, busy_s: float, scope: str
) -> None:
    tree, rapl = _rapl(tmp_path)
    edges = _fake_cpu_times(monkeypatch, tree_s, busy_s)
    m = _window(Meter([rapl]), tree)
    assert not edges
    assert m.workload_cpu_share == pytest.approx(tree_s / busy_s)
    assert m.scope == scope
    if scope == "machine":
        assert m.scope_reason is not None
        assert m.scope_reason.startswith("no other load: ")
        assert m.scope_energy_j == pytest.approx(100.0)
        assert m.impacts == m.machine_impacts
    else:
        assert m.scope_energy_j == pytest.approx(100.0 * tree_s / busy_s)


def test_unknown_machine_cpu_time_keeps_the_machine_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree, rapl = _rapl(tmp_path)
    monkeypatch.setattr(meter_module, "_cpu_times", lambda: (0.0, None))
    gpu = FakeSensor({"gpu:0": 50.0}, attributed_share=0.5)  # a share known per process
    m = _window(Meter([rapl, gpu]), tree)
    assert m.scope == "machine"
    assert m.scope_reason == "other load unknown: the machine's busy CPU time could not be read"


def test_a_gpu_without_a_per_process_share_counts_at_the_machine_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree, rapl = _rapl(tmp_path)
    _fake_cpu_times(monkeypatch, 0.5, 2.0)
    gpu = FakeSensor({"gpu:0": 50.0}, attributed_share=None)
    m = _window(Meter([rapl, gpu]), tree)
    assert m.scope == "workload"
    gpu_j = next(c.energy_j for c in m.components if c.id == "gpu:0")
    assert gpu_j > 0
    # No split is invented for the GPU: its whole energy is in the process tree's figure.
    assert m.scope_energy_j == pytest.approx(25.0 + gpu_j)
    assert m.scope_reason is not None
    assert "gpu:0: no per-process share known, the machine's energy is counted" in m.scope_reason


def test_without_any_share_the_scope_is_the_machine() -> None:
    assert choose_scope("auto", 0.2, workload_known=False) == (
        "machine",
        "no component knows the process tree's share of its energy",
    )
    assert choose_scope("workload", 0.2, workload_known=False)[0] == "machine"
    assert choose_scope("workload", 0.95, workload_known=True) == (
        "workload",
        "process tree asked for (5% of busy CPU time was other processes)",
    )


def test_a_run_stored_without_a_scope_loads_as_machine_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree, rapl = _rapl(tmp_path)
    _fake_cpu_times(monkeypatch, 0.5, 2.0)
    data = _window(Meter([rapl]), tree).to_dict()
    assert data["scope"] == "workload"
    again = Measurement.from_dict(data)
    assert again.scope == "workload"
    assert again.impacts == data["impacts"]
    assert again.machine_impacts == data["machine_impacts"]
    assert again.scope_words.startswith("process tree (other load present: 75% of busy")
    old = {k: v for k, v in data.items() if not k.startswith(("scope", "workload_", "machine_"))}
    old["impacts"] = data["machine_impacts"]  # what an older wattlens stored
    legacy = Measurement.from_dict(old)
    assert legacy.scope == "machine"
    assert legacy.scope_words == "whole machine"
    assert legacy.impacts == legacy.machine_impacts == data["machine_impacts"]
    assert legacy.to_dict()["scope_energy_j"] == pytest.approx(100.0)


def test_measure_takes_a_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, rapl = _rapl(tmp_path)
    _fake_cpu_times(monkeypatch, 0.5, 2.0)
    with measure("block", sensors=[rapl], scope="machine") as block:
        tree.advance(PACKAGE, 100_000_000)
    assert block.result.scope == "machine"
    assert block.result.scope_energy_j == pytest.approx(100.0)
    with pytest.raises(UsageError, match="unknown scope 'tree'"):
        Meter([rapl], scope="tree")  # type: ignore[arg-type]


def test_report_and_notebook_views_state_the_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattlens.report.views.run import run_view

    tree, rapl = _rapl(tmp_path)
    _fake_cpu_times(monkeypatch, 0.5, 2.0)
    m = _window(Meter([rapl]), tree)
    summary = dict(run_view(m)["summary"])
    assert summary["impacts for"] == (
        "process tree (other load present: 75% of busy CPU time was other processes)"
    )
    assert summary["carbon (CO2e)"] != summary["machine: carbon (CO2e)"]
    assert "impacts for" in m._repr_html_()
    assert "process tree (other load present: 75% of busy CPU time" in m._repr_html_()
    legacy = Measurement.from_dict(
        {k: v for k, v in m.to_dict().items() if not k.startswith(("scope", "machine_"))}
    )
    legacy_summary = dict(run_view(legacy)["summary"])
    assert legacy_summary["impacts for"] == "whole machine"
    assert "machine: carbon (CO2e)" not in legacy_summary
