"""Which share of an NVIDIA GPU's energy belongs to a set of processes.

NVML lists the compute processes on each GPU
(``nvmlDeviceGetComputeRunningProcesses``) and their SM utilisation
(``nvmlDeviceGetProcessUtilization``); :func:`process_share` turns them into a
fraction in ``[0, 1]``, or ``None`` where NVML cannot say.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wattlens.sensors.nvml_api import is_nvml_error

__all__ = ["ShareState", "pid_exists", "process_share"]


@dataclass
class ShareState:
    """What one GPU's share carries from one call to the next."""

    last_util_timestamp_us: int = 0
    """The newest utilisation sample seen (NVML returns those after it)."""
    last_share: float | None = None
    """The last SM share measured on a shared GPU, kept while the driver has no new sample."""


def pid_exists(pid: int) -> bool:
    """Whether a process id exists in this PID namespace."""
    return os.path.exists(f"/proc/{pid}")


def process_share(
    nvml: Any,
    handle: Any,
    state: ShareState,
    pids: set[int],
    *,
    mig: bool = False,
    exists: Callable[[int], bool] = pid_exists,
) -> float | None:
    """The fraction of one GPU's energy attributable to ``pids``.

    The rule, from ``nvmlDeviceGetComputeRunningProcesses``:

    - no compute process on the GPU: ``0.0``;
    - every compute process on the GPU in ``pids``: ``1.0``;
    - none of them in ``pids``: ``0.0``, unless one of them does not exist
      in this PID namespace: NVML lists host PIDs, so inside a container
      they cannot be matched (NVIDIA/nvidia-docker#1483) and the share is
      ``None`` (unknown), not 0;
    - mixed: the share of SM utilisation of ``pids`` in the samples of
      ``nvmlDeviceGetProcessUtilization`` since the previous call; when the
      driver has no new sample (``NOT_FOUND``, routine at sub-second
      polling) the last share measured; ``None`` when there is none, the
      samples are all zero, or their PIDs are not those of the process list
      (a namespace mismatch, Project-HAMi/HAMi-core#112);
    - a MIG partition (``mig``), or any failure of the query (including
      ``NVMLLibraryMismatchError``, which is not an ``NVMLError``): ``None``.

    Args:
        nvml: The ``pynvml`` module (or one with its API).
        handle: The GPU's NVML handle.
        state: The GPU's :class:`ShareState`, updated in place.
        pids: Process ids of the measured process tree.
        mig: The GPU is a MIG instance or in MIG mode.
        exists: Whether a process id exists in this PID namespace.
    """
    if mig:
        return None
    try:
        procs = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
        on_gpu = {int(p.pid) for p in procs}
    except Exception:  # NVMLError, NVMLLibraryMismatchError, garbage structs
        return None
    ours = on_gpu & pids
    if not on_gpu:
        return 0.0
    if ours == on_gpu:
        return 1.0
    if not ours:
        return None if any(not exists(p) for p in on_gpu) else 0.0
    return _sm_share(nvml, handle, state, pids, on_gpu)


def _sm_share(
    nvml: Any, handle: Any, state: ShareState, pids: set[int], on_gpu: set[int]
) -> float | None:
    try:
        samples = nvml.nvmlDeviceGetProcessUtilization(handle, state.last_util_timestamp_us)
    except Exception as exc:
        # NotFound: no sample since the timestamp (NVML API reference).
        if is_nvml_error(nvml, exc, "NVMLError_NotFound"):
            return state.last_share
        return None
    if samples:
        state.last_util_timestamp_us = max(int(s.timeStamp) for s in samples)
    if samples and not {int(s.pid) for s in samples} & on_gpu:
        return None
    total = sum(int(s.smUtil) for s in samples)
    if total <= 0:
        return None
    state.last_share = min(sum(int(s.smUtil) for s in samples if int(s.pid) in pids) / total, 1.0)
    return state.last_share
