"""NVIDIA GPU energy through NVML (the ``nvidia-ml-py`` package, module ``pynvml``).

Nothing here touches the driver at import: ``pynvml`` is imported inside
:func:`_load_pynvml`, and the module can be injected (``nvml_module=``) so
tests run the real code against a fake.

Per GPU, the best source wins:

- ``counter``: ``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the
  driver was loaded (NVML API reference; Volta and newer). A 64-bit count
  that does not wrap in practice; a driver reload resets it, which
  :class:`~wattlens.sensors.wrap.WrapAccumulator` absorbs.
- ``sampled``: ``nvmlDeviceGetPowerUsage`` (milliwatts), integrated with the
  trapezoid rule between successive :meth:`NvmlSensor.read` calls, so the
  meter must poll (``needs_polling``). On Ampere (except GA100) and newer the
  driver returns power averaged over one second (NVML API reference,
  ``nvmlDeviceGetPowerUsage``), which smooths but does not bias the integral.

GPU numbering follows what the user's CUDA program sees: with
``CUDA_VISIBLE_DEVICES=2,0`` component ``gpu:0`` is NVML device 2. Entries
may be indices or ``GPU-`` UUIDs (or unique UUID prefixes, as CUDA accepts);
as in CUDA, the list stops at the first entry that names no device. ``MIG-``
entries are ignored with a note in :attr:`NvmlSensor.notes`: NVML reports
energy for the whole physical GPU, not for one MIG instance. CUDA orders
devices fastest-first unless ``CUDA_DEVICE_ORDER=PCI_BUS_ID``; NVML orders by
PCI bus, so on machines with mixed GPU models set ``CUDA_DEVICE_ORDER=PCI_BUS_ID``
for the indices to agree (CUDA C Programming Guide, "CUDA Environment Variables").

Every NVML error goes through one table, :data:`_NVML_ERRORS`, into
:class:`~wattlens.errors.SensorError` or
:class:`~wattlens.errors.SensorPermissionError` with a hint.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Component, Probe, Reading, probe_and_close, start_sensor
from wattlens.sensors.wrap import WrapAccumulator

INSTALL_HINT = "install the NVIDIA extra: pip install 'wattlens[nvidia]'"

# One table for every NVML error wattlens can meet: exception class name (as
# nvidia-ml-py generates them from NVML_ERROR_*) -> (wattlens class, hint).
# Names rather than classes so the table needs no import of pynvml and fits
# any module with the same API.
_NVML_ERRORS: dict[str, tuple[type[SensorError], str]] = {
    "NVMLError_LibraryNotFound": (
        SensorError,
        "libnvidia-ml.so.1 was not found: install the NVIDIA driver, or inside a "
        "container run with the NVIDIA Container Toolkit (`--gpus all`)",
    ),
    "NVMLError_DriverNotLoaded": (
        SensorError,
        "the NVIDIA kernel driver is not loaded: check `nvidia-smi` and `lsmod | grep nvidia`",
    ),
    "NVMLError_NoPermission": (
        SensorPermissionError,
        "NVML refused this user: check the permissions of /dev/nvidia* (the `video` "
        "group on many distributions) or run as root",
    ),
    "NVMLError_NotSupported": (
        SensorError,
        "this GPU or driver does not support the query (total energy needs Volta or newer)",
    ),
    "NVMLError_GpuIsLost": (
        SensorError,
        "the GPU fell off the bus: see `dmesg` for an Xid 79, then reset the GPU or reboot",
    ),
    "NVMLError_LibRmVersionMismatch": (
        SensorError,
        "the NVIDIA driver was upgraded without a reboot: reboot or reload the nvidia modules",
    ),
    "NVMLError_Uninitialized": (
        SensorError,
        "NVML was shut down while in use: create a new sensor",
    ),
    "NVMLError_FunctionNotFound": (
        SensorError,
        "the NVIDIA driver is too old for this query: upgrade the driver",
    ),
    "NVMLError_InsufficientPower": (
        SensorError,
        "a GPU power cable is not connected properly",
    ),
    "NVMLError_ResetRequired": (
        SensorError,
        "the GPU needs a reset: `sudo nvidia-smi --gpu-reset` or reboot",
    ),
    "NVMLError_Timeout": (SensorError, "the driver timed out: retry; check `dmesg` if it persists"),
}


def _nvml_error(exc: Exception, action: str) -> SensorError:
    """Translate one NVML exception into a wattlens error, through :data:`_NVML_ERRORS`."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _NVML_ERRORS:
            kind, hint = _NVML_ERRORS[cls.__name__]
            return kind(f"NVML failed to {action}: {exc}", hint=hint)
    return SensorError(f"NVML failed to {action}: {exc}")


def _is_nvml_error(nvml: Any, exc: Exception, *names: str) -> bool:
    """True when ``exc`` is an NVML error (or one of the named NVMLError_* subclasses)."""
    if names:
        return any(isinstance(exc, getattr(nvml, n, ())) for n in names)
    return isinstance(exc, getattr(nvml, "NVMLError", ()))


def _load_pynvml() -> Any:
    import pynvml

    return pynvml


def _text(value: str | bytes) -> str:
    # nvidia-ml-py returned bytes before 11.5 and str since; accept both.
    return value.decode() if isinstance(value, bytes) else value


@dataclass
class _Gpu:
    index: int
    """The index the user sees (position in CUDA_VISIBLE_DEVICES)."""
    nvml_index: int
    handle: Any
    name: str
    uuid: str
    has_counter: bool
    component: Component
    accumulator: WrapAccumulator | None = None
    last_power_w: float | None = None
    last_time_s: float | None = None
    sampled_j: float = 0.0
    last_util_timestamp_us: int = 0


def visible_nvml_indices(
    value: str | None, uuids: list[str], notes: list[str] | None = None
) -> list[int]:
    """Map ``CUDA_VISIBLE_DEVICES`` to NVML indices, in the order CUDA numbers them.

    Args:
        value: The variable's value, or ``None`` when unset (all devices).
        uuids: The UUID of each NVML device, by NVML index (``GPU-…``).
        notes: Where to append a note for every entry that is ignored.

    Returns:
        NVML indices; position ``i`` in the list is what CUDA calls device ``i``.
    """
    if value is None:
        return list(range(len(uuids)))
    notes = notes if notes is not None else []
    chosen: list[int] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            break
        if entry.startswith("MIG-"):
            notes.append(
                f"CUDA_VISIBLE_DEVICES entry {entry} ignored: NVML measures whole GPUs, "
                "not MIG instances"
            )
            continue
        index: int | None = None
        if entry.lstrip("-").isdigit():
            number = int(entry)
            index = number if 0 <= number < len(uuids) else None
        else:
            matches = [i for i, u in enumerate(uuids) if u.startswith(entry)]
            if not entry.startswith("GPU-"):
                matches = [i for i, u in enumerate(uuids) if u.startswith("GPU-" + entry)]
            index = matches[0] if len(matches) == 1 else None
        if index is None or index in chosen:
            # CUDA stops enumerating at the first invalid or repeated entry.
            notes.append(f"CUDA_VISIBLE_DEVICES stops at {entry!r}: it names no unique GPU")
            break
        chosen.append(index)
    return chosen


class NvmlSensor:
    """Cumulative energy of every visible NVIDIA GPU.

    Args:
        nvml_module: A module with the ``pynvml`` API; default imports ``pynvml``.
        environ: Where to read ``CUDA_VISIBLE_DEVICES`` (default ``os.environ``).
        clock: Seconds, monotonic; injectable so tests can integrate a known trace.

    Raises:
        SensorError: If NVML cannot start, no GPU is visible, or a GPU reports
            neither energy nor power. The hint names the fix.
        SensorPermissionError: If NVML refuses this user.
    """

    name = "nvml"
    needs_polling: bool
    """True when any GPU is power-only (``sampled``)."""

    def __init__(
        self,
        *,
        nvml_module: Any | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._nvml = nvml_module if nvml_module is not None else _load_pynvml()
        self._clock = clock
        env = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._open = False
        self.notes: list[str] = []
        """Why devices or entries were skipped, for ``wattlens doctor``."""
        self._call("start", self._nvml.nvmlInit)
        self._open = True
        try:
            self._gpus = self._discover(env.get("CUDA_VISIBLE_DEVICES"))
            self.needs_polling = any(not gpu.has_counter for gpu in self._gpus)
            self.read()  # anchor the sampled integrals and the counters
        except BaseException:
            self.close()  # NVML is reference-counted: never leak an init
            raise

    def _call(self, action: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            if _is_nvml_error(self._nvml, exc):
                raise _nvml_error(exc, action) from exc
            raise

    def _discover(self, visible: str | None) -> list[_Gpu]:
        nvml = self._nvml
        count = int(self._call("count GPUs", nvml.nvmlDeviceGetCount))
        handles = [self._call("open GPU", nvml.nvmlDeviceGetHandleByIndex, i) for i in range(count)]
        uuids = [_text(self._call("read GPU UUID", nvml.nvmlDeviceGetUUID, h)) for h in handles]
        gpus: list[_Gpu] = []
        for user_index, nvml_index in enumerate(visible_nvml_indices(visible, uuids, self.notes)):
            handle = handles[nvml_index]
            name = _text(self._call("read GPU name", nvml.nvmlDeviceGetName, handle))
            has_counter = self._probe(nvml.nvmlDeviceGetTotalEnergyConsumption, handle)
            if not has_counter and not self._probe(nvml.nvmlDeviceGetPowerUsage, handle):
                self.notes.append(
                    f"gpu:{user_index} ({name}) reports neither total energy nor power: skipped"
                )
                continue
            where = f"NVML device {nvml_index} ({uuids[nvml_index]})"
            basis = (
                f"nvmlDeviceGetTotalEnergyConsumption counter, {where}"
                if has_counter
                else f"nvmlDeviceGetPowerUsage integrated by the trapezoid rule, {where}"
            )
            component = Component(
                id=f"gpu:{user_index}",
                kind="gpu",
                name=name,
                method="counter" if has_counter else "sampled",
                sensor="nvml",
                basis=basis,
            )
            gpus.append(
                _Gpu(
                    index=user_index,
                    nvml_index=nvml_index,
                    handle=handle,
                    name=name,
                    uuid=uuids[nvml_index],
                    has_counter=has_counter,
                    component=component,
                    accumulator=WrapAccumulator(None) if has_counter else None,
                )
            )
        if not gpus:
            where = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
            raise SensorError(
                f"no NVIDIA GPU to measure{where}",
                hint="; ".join(self.notes)
                or "check `nvidia-smi -L` and the CUDA_VISIBLE_DEVICES variable",
            )
        return gpus

    def _probe(self, fn: Any, handle: Any) -> bool:
        """Whether a query works on this GPU; only NotSupported means 'no'."""
        try:
            fn(handle)
        except Exception as exc:
            if _is_nvml_error(self._nvml, exc, "NVMLError_NotSupported"):
                return False
            if _is_nvml_error(self._nvml, exc):
                raise _nvml_error(exc, "query the GPU") from exc
            raise
        return True

    def components(self) -> list[Component]:
        """One component per measured GPU, ordered by the index the user sees."""
        return [gpu.component for gpu in self._gpus]

    def read(self) -> Reading:
        """Read every GPU now.

        Counter GPUs report the driver's energy counter (mJ → J); power-only
        GPUs add the trapezoid ``(P_prev + P_now) / 2 × Δt`` since the last
        read, so their accuracy depends on how often this is called.

        Returns:
            Cumulative energy (J) and, where the GPU reports it, power (W).

        Raises:
            SensorError: If NVML fails; the hint names the fix.
        """
        nvml = self._nvml
        with self._lock:
            energy_j: dict[str, float] = {}
            power_w: dict[str, float] = {}
            # One instant for the whole reading: the GPUs are read within microseconds.
            now_s = self._clock()
            for gpu in self._gpus:
                cid = gpu.component.id
                watts = self._power_w(gpu)
                if watts is not None:
                    power_w[cid] = watts
                if gpu.accumulator is not None:
                    raw_mj = int(
                        self._call(
                            f"read the energy of {cid}",
                            nvml.nvmlDeviceGetTotalEnergyConsumption,
                            gpu.handle,
                        )
                    )
                    energy_j[cid] = gpu.accumulator.update(raw_mj) / 1e3
                    continue
                if watts is None:
                    raise SensorError(f"NVML gave no power for {cid}, which has no energy counter")
                if gpu.last_time_s is not None and gpu.last_power_w is not None:
                    gpu.sampled_j += (gpu.last_power_w + watts) / 2 * (now_s - gpu.last_time_s)
                gpu.last_power_w, gpu.last_time_s = watts, now_s
                energy_j[cid] = gpu.sampled_j
            return Reading(timestamp_s=now_s, energy_j=energy_j, power_w=power_w)

    def _power_w(self, gpu: _Gpu) -> float | None:
        try:
            return float(self._nvml.nvmlDeviceGetPowerUsage(gpu.handle)) / 1e3
        except Exception as exc:
            if gpu.has_counter and _is_nvml_error(self._nvml, exc, "NVMLError_NotSupported"):
                return None  # power is a courtesy when the counter gives energy
            if _is_nvml_error(self._nvml, exc):
                raise _nvml_error(exc, f"read the power of gpu:{gpu.index}") from exc
            raise

    def attribution(self, pids: set[int]) -> dict[str, float | None]:
        """The fraction of each GPU's energy attributable to the given processes.

        The rule, per GPU, from ``nvmlDeviceGetComputeRunningProcesses``:

        - no compute process on the GPU, or none of them in ``pids``: ``0.0``;
        - every compute process on the GPU in ``pids``: ``1.0``;
        - mixed: the share of SM utilisation of ``pids`` in the samples of
          ``nvmlDeviceGetProcessUtilization`` since the previous call, or
          ``None`` when the driver keeps no samples or they are all zero.

        PIDs are those of the host: inside a container without the host's PID
        namespace they do not match, and the result reads ``0.0``.

        Args:
            pids: Process ids of the measured process tree.

        Returns:
            A fraction in ``[0, 1]`` or ``None`` per component id (``gpu:N``).
        """
        nvml = self._nvml
        shares: dict[str, float | None] = {}
        with self._lock:
            for gpu in self._gpus:
                cid = gpu.component.id
                procs = self._call(
                    f"list the processes on {cid}",
                    nvml.nvmlDeviceGetComputeRunningProcesses,
                    gpu.handle,
                )
                on_gpu = {int(p.pid) for p in procs}
                ours = on_gpu & pids
                if not ours:
                    shares[cid] = 0.0
                elif ours == on_gpu:
                    shares[cid] = 1.0
                else:
                    shares[cid] = self._sm_share(gpu, pids)
        return shares

    def _sm_share(self, gpu: _Gpu, pids: set[int]) -> float | None:
        try:
            samples = self._nvml.nvmlDeviceGetProcessUtilization(
                gpu.handle, gpu.last_util_timestamp_us
            )
        except Exception as exc:
            # NotFound: no sample since the timestamp (NVML API reference).
            if _is_nvml_error(self._nvml, exc, "NVMLError_NotSupported", "NVMLError_NotFound"):
                return None
            if _is_nvml_error(self._nvml, exc):
                raise _nvml_error(exc, f"read process utilisation on gpu:{gpu.index}") from exc
            raise
        if samples:
            gpu.last_util_timestamp_us = max(int(s.timeStamp) for s in samples)
        total = sum(int(s.smUtil) for s in samples)
        if total <= 0:
            return None
        return sum(int(s.smUtil) for s in samples if int(s.pid) in pids) / total

    def close(self) -> None:
        """Shut NVML down (it is reference-counted: one shutdown per init)."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        try:
            self._nvml.nvmlShutdown()
        except Exception as exc:
            if _is_nvml_error(self._nvml, exc):
                raise _nvml_error(exc, "shut down") from exc
            raise


def open_nvml(
    nvml_module: Any | None = None, environ: Mapping[str, str] | None = None
) -> tuple[NvmlSensor | None, Probe]:
    """Start NVML once: the sensor (None where it cannot run) and why; never raises.

    Args:
        nvml_module: A module with the ``pynvml`` API (default: import ``pynvml``).
        environ: Where to read ``CUDA_VISIBLE_DEVICES`` (default ``os.environ``).
    """
    if nvml_module is None:
        try:
            nvml_module = _load_pynvml()
        except ImportError:
            return None, Probe(
                backend="nvml",
                available=False,
                reason="nvidia-ml-py (module pynvml) is not installed",
                fix=INSTALL_HINT,
            )
    module = nvml_module
    sensor, probe = start_sensor(
        "nvml", "NVML", lambda: NvmlSensor(nvml_module=module, environ=environ)
    )
    return (sensor if isinstance(sensor, NvmlSensor) else None), probe


def probe_nvml(nvml_module: Any | None = None, environ: Mapping[str, str] | None = None) -> Probe:
    """Say whether NVML can be used here and why not; never raises.

    Args:
        nvml_module: A module with the ``pynvml`` API (default: import ``pynvml``).
        environ: Where to read ``CUDA_VISIBLE_DEVICES`` (default ``os.environ``).

    Returns:
        A :class:`~wattlens.sensors.base.Probe` listing the GPUs and which have
        an energy counter.
    """
    return probe_and_close(open_nvml(nvml_module, environ))
