"""The measured process tree includes live workers (a multiprocessing pool) and reaped children.

Real processes doing real CPU work: the properties asserted are CPU-second
balances, which hold whatever else the machine is doing.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from wattlens.api import measure
from wattlens.sensors import procfs
from wattlens.sensors.model import CpuProfile, ModelSensor

PROFILE = CpuProfile("Test CPU", 8, 2.0, 1.0, 3.0, ("cpus/test",), "test", "catalog")


def _spin(cpu_s: float) -> float:
    """Burn ``cpu_s`` seconds of CPU; return the CPU seconds this call used."""
    start = time.process_time()
    while time.process_time() - start < cpu_s:
        sum(i * i for i in range(1000))
    return time.process_time() - start


def _ready(_: int) -> int:
    return os.getpid()


def test_live_pool_workers_are_attributed_while_alive() -> None:
    model = ModelSensor(PROFILE)
    with multiprocessing.Pool(2) as pool:
        pool.map(_ready, range(2))  # workers exist before the window opens
        tree_before = procfs.process_tree_cpu_s()
        with measure("pool", sensors=[model]) as block:
            worker_cpu_s = sum(pool.map(_spin, [0.3] * 4))
        tree_after = procfs.process_tree_cpu_s()
        # Still alive: nothing of this work has reached os.times' children fields.
        assert len(multiprocessing.active_children()) == 2
    assert worker_cpu_s >= 1.2
    assert tree_after - tree_before >= 0.9 * worker_cpu_s
    cpu = next(c for c in block.result.components if c.id == "cpu")
    attributed_cpu_s = (cpu.attributed_energy_j or 0.0) / PROFILE.w_per_thread
    # The old tree count (this process + reaped children only) gave ~0 here.
    assert attributed_cpu_s >= 0.8 * worker_cpu_s
    assert attributed_cpu_s <= cpu.energy_j / PROFILE.w_per_thread + 1e-9


def test_a_child_reaped_inside_the_window_is_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procfs, "CHILDREN_REFRESH_S", 0.0)  # list the tree at every read
    code = "import time\nt=time.process_time()\nwhile time.process_time()-t<0.6: pass"
    child = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 10
    import psutil

    proc = psutil.Process(child.pid)
    while proc.cpu_times().user + proc.cpu_times().system < 0.2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    reaped_before = os.times().children_user + os.times().children_system
    begin = procfs.process_tree_cpu_s()  # counts the live child's CPU so far
    child.wait()
    end = procfs.process_tree_cpu_s()  # the child is now in os.times' children fields
    child_total = os.times().children_user + os.times().children_system - reaped_before
    assert child_total >= 0.6
    # Live at begin, reaped at end: the window sees the rest of its work, not all of it again.
    own_cpu_margin = 0.2
    assert 0.0 < end - begin <= child_total - 0.2 + own_cpu_margin


@pytest.mark.skipif(not hasattr(os, "waitid"), reason="the fast path needs waitid")
def test_no_children_means_no_process_scan() -> None:
    # Without children the tree is this process and what it reaped: one syscall, no psutil.
    assert not procfs._has_children()
    t = os.times()
    assert procfs.process_tree_cpu_s() >= t.user + t.system + t.children_user + t.children_system
