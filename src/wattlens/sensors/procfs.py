"""Cheap reads of Linux /proc for the utilisation model (microseconds each).

Reading ``/proc`` directly instead of through psutil or py-cpuinfo keeps the
start and stop of a measurement in the sub-millisecond range.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


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
    """CPU seconds of this process (all threads) plus its reaped descendants."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


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
