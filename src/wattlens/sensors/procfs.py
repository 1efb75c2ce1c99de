"""Cheap reads of Linux /proc for the utilisation model (microseconds each).

Reading the few machine-wide files directly instead of through psutil or
py-cpuinfo keeps the start and stop of a measurement in the sub-millisecond
range. The process tree's live descendants come from psutil, and only when
this process has children at all.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

CHILDREN_REFRESH_S = 1.0
"""How long a listing of the live process tree is reused. Listing it makes psutil read
every process's /proc entry (milliseconds on a busy machine); reading the CPU times of
the processes already listed takes microseconds each."""
_tree: tuple[int, float, list[Any]] | None = None  # (pid, listed at, psutil processes)
_tree_lock = threading.Lock()


def _reset_after_fork() -> None:
    global _tree, _tree_lock
    _tree, _tree_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


@dataclass(frozen=True)
class CpuTimes:
    """Machine-wide CPU time in seconds, summed over logical CPUs."""

    busy_s: float
    """user + nice + system + irq + softirq (steal is another guest's time: excluded)."""
    total_s: float


def machine_cpu_times(proc: Path = Path("/proc")) -> CpuTimes:
    """Aggregate CPU times from the first line of ``/proc/stat`` (see proc(5))."""
    with (proc / "stat").open() as handle:
        fields = handle.readline().split()
    values = [int(v) for v in fields[1:]]
    user, nice, system, idle, iowait, irq, softirq = values[:7]
    steal = values[7] if len(values) > 7 else 0
    busy = user + nice + system + irq + softirq
    total = busy + idle + iowait + steal
    return CpuTimes(busy_s=busy / _CLK_TCK, total_s=total / _CLK_TCK)


def process_tree_cpu_s() -> float:
    """CPU seconds of this process tree: this process, its live and its reaped descendants.

    ``os.times()`` gives this process (all threads) and every descendant it
    has reaped (getrusage(2), ``RUSAGE_CHILDREN``: a child's own reaped
    descendants are added to it when it is reaped). Live descendants, such as
    a ``multiprocessing`` pool or DataLoader workers, are not in it until they
    exit, so their CPU times come from psutil's process tree, each with its
    own reaped children. A process is thus counted either live or in its
    reaper's total, never both: ``os.times()`` is read first, and a child
    reaped afterwards is gone from the tree (then briefly missed, not
    counted twice). Descendants orphaned by a parent that exits leave the
    tree. The listing is reused for :data:`CHILDREN_REFRESH_S`: a descendant
    started within that time is counted from the next listing on, its CPU
    time so far included then.
    """
    times = os.times()
    total = times.user + times.system + times.children_user + times.children_system
    if not _has_children():
        return total
    import psutil

    for child in _live_descendants():
        try:
            t = child.cpu_times()
        except psutil.Error:  # exited since the listing: reaped ones are in os.times
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def _live_descendants() -> list[Any]:
    """This process's descendants (psutil processes), listed at most every refresh period."""
    global _tree  # noqa: PLW0603 - one listing per process, shared by every reader
    import psutil

    pid, now = os.getpid(), time.monotonic()
    with _tree_lock:
        if _tree is not None and _tree[0] == pid and now - _tree[1] < CHILDREN_REFRESH_S:
            return _tree[2]
    try:
        listed = psutil.Process().children(recursive=True)
    except psutil.Error:
        listed = []
    with _tree_lock:
        _tree = (pid, now, listed)
    return listed


def _has_children() -> bool:
    """Whether this process has any child, running or not yet reaped (one syscall)."""
    if not hasattr(os, "waitid"):  # not on macOS: ask psutil every time
        return True
    try:
        # WNOWAIT leaves a finished child for its real waiter to reap.
        os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return False
    return True


def memory_used_bytes(proc: Path = Path("/proc")) -> int:
    """Memory in use on the machine: MemTotal - MemAvailable (see proc(5))."""
    total = available = 0
    with (proc / "meminfo").open() as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                total = int(line.split()[1]) * 1024
            elif line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
                break
    return max(total - available, 0)


def memory_total_bytes(proc: Path = Path("/proc")) -> int:
    """Installed memory visible to the kernel (MemTotal)."""
    with (proc / "meminfo").open() as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def process_tree_rss_bytes() -> int:
    """Resident memory of this process now plus the peak of its reaped descendants."""
    try:
        with open("/proc/self/statm") as handle:
            own = int(handle.read().split()[1]) * _PAGE_SIZE
    except OSError:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return own + children


def cpu_model_name(proc: Path = Path("/proc")) -> str | None:
    """The CPU's marketing name as the kernel reports it (``model name`` in cpuinfo)."""
    try:
        with (proc / "cpuinfo").open() as handle:
            for line in handle:
                if line.startswith(("model name", "Model")):
                    return line.split(":", 1)[1].strip() or None
    except OSError:
        return None
    return None
