"""NVIDIA GPU energy through NVML (the ``nvidia-ml-py`` package, module ``pynvml``).

Nothing here touches the driver at import: ``pynvml`` is imported inside
:func:`~wattlens.sensors.nvml_api.load_pynvml`, and the module can be injected (``nvml_module=``) so
tests run the real code against a fake.

Per GPU, the best source wins:

- ``counter``: ``nvmlDeviceGetTotalEnergyConsumption``, millijoules since the
  driver was loaded (NVML API reference; Volta and newer). A 64-bit count
  that does not wrap in practice. A driver reload resets it but also
  invalidates the handles, so a decrease is a glitch
  (:class:`~wattlens.sensors.counters.GpuCounter`).
- ``sampled``: ``nvmlDeviceGetPowerUsage`` (milliwatts), integrated with the
  trapezoid rule between successive :meth:`NvmlSensor.read` calls, so the
  meter must poll (``needs_polling``). On Ampere (except GA100) and newer the
  driver returns power averaged over one second (NVML API reference,
  ``nvmlDeviceGetPowerUsage``): a trailing mean that lags the load by about
  half a second, which shifts the energy of windows of a few seconds.

GPU numbering follows what the user's CUDA program sees: with
``CUDA_VISIBLE_DEVICES=2,0`` component ``gpu:0`` is NVML device 2. Entries
may be indices or ``GPU-`` UUIDs (or unique UUID prefixes, as CUDA accepts);
as in CUDA, the list stops at the first entry that names no device. A
``MIG-`` entry is measured as its parent GPU: NVML reports energy for the
whole physical GPU, not for one MIG instance, so the component says it is
shared, cannot be attributed, and every measurement warns. Devices that
this process may not open (a cgroup hiding some ``/dev/nvidia*``) are
skipped with a note and not numbered, as CUDA does not see them. CUDA orders
devices fastest-first unless ``CUDA_DEVICE_ORDER=PCI_BUS_ID``; NVML orders by
PCI bus, so on machines with mixed GPU models set ``CUDA_DEVICE_ORDER=PCI_BUS_ID``
for the indices to agree (CUDA C Programming Guide, "CUDA Environment Variables");
measurements warn when the GPUs differ and the variable is not set.

Every NVML error goes through one table,
:data:`~wattlens.sensors.nvml_api.NVML_ERRORS`, into
:class:`~wattlens.errors.SensorError` or
:class:`~wattlens.errors.SensorPermissionError` with a hint. Which share of a
GPU belongs to the measured processes is
:func:`~wattlens.sensors.nvml_attribution.process_share`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wattlens.errors import SensorError
from wattlens.sensors.base import Component, Probe, Reading, probe_and_close, start_sensor
from wattlens.sensors.counters import (
    MAX_PLAUSIBLE_W,
    CounterSpec,
    FaultLog,
    GpuCounter,
    PowerIntegral,
    read_parts,
)
from wattlens.sensors.nvml_api import (
    is_nvml_error,
    load_pynvml,
    nvml_error,
    nvml_text,
    visible_nvml_indices,
)
from wattlens.sensors.nvml_attribution import ShareState, pid_exists, process_share

__all__ = ["INSTALL_HINT", "NvmlSensor", "open_nvml", "probe_nvml", "visible_nvml_indices"]

INSTALL_HINT = "install the NVIDIA extra: pip install 'wattlens[nvidia]'"

# Superchips whose NVML energy counter covers the whole module (GPU, CPU and
# memory): "On GH200 … the cumulative energy counter is for the entire
# chip/module, which includes not only the GPU, but also CPU, memory"
# (ml-energy/zeus#172).
_MODULE_NAMES = ("GH200", "GB200", "GB300")
# Superchips that join two GPUs to one Grace CPU: "two NVIDIA Blackwell Tensor Core GPUs
# and an NVIDIA Grace CPU" per GB200 superchip, 72 GPUs and 36 Grace CPUs per rack (NVIDIA,
# GB200 NVL72 and GB300 NVL72 product pages). GH200 is one GPU and one Grace CPU.
_SHARED_CPU_NAMES = ("GB200", "GB300")


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
    counter: GpuCounter | None = None
    sampled: PowerIntegral = field(default_factory=PowerIntegral)
    share: ShareState = field(default_factory=ShareState)
    mig: bool = False
    """A MIG instance (or a GPU in MIG mode): the whole GPU is measured, not attributable."""
    power_limit_w: float | None = None

    @property
    def energy_j(self) -> float:
        return self.counter.total_j if self.counter is not None else self.sampled.total_j


class NvmlSensor:
    """Cumulative energy of every visible NVIDIA GPU.

    After the first read, a failing GPU never fails a read: its energy is held
    at the last good value and the failure is counted in ``Reading.faults``
    (the meter marks the window ``partial``). A counter that turns
    ``NOT_SUPPORTED`` mid-run (a MIG or vGPU change) hands over to power
    sampling from its last value.

    Args:
        nvml_module: A module with the ``pynvml`` API; default imports ``pynvml``.
        environ: Where to read ``CUDA_VISIBLE_DEVICES`` (default ``os.environ``).
        clock: Seconds, monotonic; injectable so tests can integrate a known trace.
        pid_exists: Whether a process id exists in this PID namespace (default:
            ``/proc/<pid>`` exists); injectable for tests.

    Raises:
        SensorError: If NVML cannot start, no GPU is visible, or a GPU reports
            neither energy nor power. The hint names the fix.
        SensorPermissionError: If NVML refuses this user.
    """

    name = "nvml"
    needs_polling: bool
    """True when any GPU is power-only (``sampled``)."""
    # 64-bit millijoule counters: 2**64 mJ never wraps in practice (sensors/wrap.py).
    max_read_interval_s: float | None = None

    def __init__(
        self,
        *,
        nvml_module: Any | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        pid_exists: Callable[[int], bool] = pid_exists,
    ) -> None:
        self._nvml = nvml_module if nvml_module is not None else load_pynvml()
        self._clock = clock
        self._pid_exists = pid_exists
        env = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._open = False
        self._faults = FaultLog()
        self.notes: list[str] = []
        """Why devices or entries were skipped, for ``wattlens doctor``."""
        self.warnings: list[str] = []
        """What every measurement with this sensor must say (MIG, superchip modules)."""
        self._call("start", self._nvml.nvmlInit)
        self._open = True
        try:
            self._gpus = self._discover(env.get("CUDA_VISIBLE_DEVICES"))
            self._note_device_order(env.get("CUDA_DEVICE_ORDER"))
            self.needs_polling = any(not gpu.has_counter for gpu in self._gpus)
            self._read(strict=True)  # anchor the sampled integrals and the counters
        except BaseException:
            self.close()  # NVML is reference-counted: never leak an init
            raise

    def _call(self, action: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            if is_nvml_error(self._nvml, exc):
                raise nvml_error(exc, action) from exc
            raise

    def _open_devices(self) -> list[tuple[int, Any, str]]:
        """(NVML index, handle, UUID) of every device this process may open."""
        nvml = self._nvml
        count = int(self._call("count GPUs", nvml.nvmlDeviceGetCount))
        opened: list[tuple[int, Any, str]] = []
        for i in range(count):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(i)
                uuid = nvml_text(nvml.nvmlDeviceGetUUID(handle))
            except Exception as exc:
                if not is_nvml_error(nvml, exc):
                    raise
                # A cgroup that denies some /dev/nvidia* makes NVML answer "Insufficient
                # Permissions" for them (NVIDIA/nvidia-docker#393); CUDA does not see them
                # either, so they are not numbered.
                self.notes.append(f"NVML device {i} skipped: {exc}")
                continue
            opened.append((i, handle, uuid))
        return opened

    def _mig_parent(self, opened: list[tuple[int, Any, str]]) -> Callable[[str], int | None]:
        nvml = self._nvml
        uuids = [u for _, _, u in opened]

        def parent(entry: str) -> int | None:
            # nvmlDeviceGetHandleByUUID takes "the UUID of the target GPU or MIG
            # instance"; nvmlDeviceGetDeviceHandleFromMigDeviceHandle gives its GPU.
            try:
                instance = nvml.nvmlDeviceGetHandleByUUID(entry)
                handle = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(instance)
                uuid = nvml_text(nvml.nvmlDeviceGetUUID(handle))
            except Exception:  # an unknown instance, or a driver without MIG
                return None
            return uuids.index(uuid) if uuid in uuids else None

        return parent

    def _in_mig_mode(self, handle: Any) -> bool:
        getter = getattr(self._nvml, "nvmlDeviceGetMigMode", None)
        if getter is None:
            return False
        try:
            current, _pending = getter(handle)
        except Exception:  # NotSupported on GPUs without MIG
            return False
        return bool(current)

    def _discover(self, visible: str | None) -> list[_Gpu]:
        nvml = self._nvml
        opened = self._open_devices()
        uuids = [u for _, _, u in opened]
        mig_positions: set[int] = set()
        chosen = visible_nvml_indices(
            visible, uuids, self.notes, mig_parent=self._mig_parent(opened), mig=mig_positions
        )
        gpus: list[_Gpu] = []
        for user_index, position in enumerate(chosen):
            nvml_index, handle, uuid = opened[position]
            name = nvml_text(self._call("read GPU name", nvml.nvmlDeviceGetName, handle))
            has_counter = self._probe(nvml.nvmlDeviceGetTotalEnergyConsumption, handle)
            if not has_counter and not self._probe(nvml.nvmlDeviceGetPowerUsage, handle):
                self.notes.append(
                    f"gpu:{user_index} ({name}) reports neither total energy nor power: skipped"
                )
                continue
            cid = f"gpu:{user_index}"
            where = f"NVML device {nvml_index} ({uuid})"
            basis = (
                f"nvmlDeviceGetTotalEnergyConsumption counter, {where}"
                if has_counter
                else f"nvmlDeviceGetPowerUsage integrated by the trapezoid rule, {where}"
            )
            mig = user_index in mig_positions or self._in_mig_mode(handle)
            if mig:
                basis += "; the GPU is partitioned (MIG): the whole GPU's energy, shared"
                self.warnings.append(
                    f"{cid} is a MIG partition of {name}: NVML reports the whole GPU's "
                    "energy, shared with the other partitions, and cannot attribute it"
                )
            module = any(n in name for n in _MODULE_NAMES)
            if module:
                basis += (
                    "; a superchip: the counter covers the module (GPU, CPU and memory), "
                    "so CPU and RAM are not added again"
                )
                self.warnings.append(
                    f"{cid} ({name}) is a superchip module: its energy includes the CPU "
                    "and memory of the module, not the GPU alone"
                )
            component = Component(
                id=cid,
                kind="module" if module else "gpu",
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
                    uuid=uuid,
                    has_counter=has_counter,
                    component=component,
                    counter=GpuCounter(1e-3) if has_counter else None,
                    mig=mig,
                )
            )
        if not gpus:
            where = f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else ""
            raise SensorError(
                f"no NVIDIA GPU to measure{where}",
                hint="; ".join(self.notes)
                or "check `nvidia-smi -L` and the CUDA_VISIBLE_DEVICES variable",
            )
        self._note_shared_cpu(gpus)
        return gpus

    def _note_shared_cpu(self, gpus: list[_Gpu]) -> None:
        # NVML does not say how the module counters of the two GPUs of one superchip split
        # the Grace CPU and its memory between them; say so instead of guessing.
        shared = [g.component.id for g in gpus if any(n in g.name for n in _SHARED_CPU_NAMES)]
        if not shared:
            return
        which = " and ".join([", ".join(shared[:-1]), shared[-1]] if len(shared) > 1 else shared)
        self.warnings.append(
            f"{which} are GPU modules of superchips that pair two GPUs with one Grace CPU: "
            "NVML does not document which module's energy includes the shared CPU and its "
            "memory, so the module total may count the CPU twice, or bill a one-GPU job "
            "for a CPU it shares"
            if len(shared) > 1
            else f"{which} is a GPU module of a superchip that pairs two GPUs with one Grace "
            "CPU: NVML does not document whether its energy includes the shared CPU and its "
            "memory, which the other GPU of the superchip also uses"
        )

    def _note_device_order(self, order: str | None) -> None:
        # CUDA numbers fastest-first unless CUDA_DEVICE_ORDER=PCI_BUS_ID; NVML by PCI bus.
        # With one GPU model both orders agree; with several they may not.
        names = {gpu.name for gpu in self._gpus}
        if len(names) > 1 and order != "PCI_BUS_ID":
            self.warnings.append(
                "GPUs of different models and CUDA_DEVICE_ORDER is not PCI_BUS_ID: CUDA may "
                "number them differently from NVML, so gpu:N may not be the GPU your program "
                "calls device N (set CUDA_DEVICE_ORDER=PCI_BUS_ID)"
            )

    def _probe(self, fn: Any, handle: Any) -> bool:
        """Whether a query works on this GPU; only NotSupported means 'no'."""
        try:
            fn(handle)
        except Exception as exc:
            if is_nvml_error(self._nvml, exc, "NVMLError_NotSupported"):
                return False
            if is_nvml_error(self._nvml, exc):
                raise nvml_error(exc, "query the GPU") from exc
            raise
        return True

    def components(self) -> list[Component]:
        """One component per measured GPU, ordered by the index the user sees."""
        return [gpu.component for gpu in self._gpus]

    def _power_limit_w(self, gpu: _Gpu) -> float | None:
        getter = getattr(self._nvml, "nvmlDeviceGetEnforcedPowerLimit", None)
        if getter is None:
            return None
        try:
            return float(getter(gpu.handle)) / 1e3  # mW
        except Exception:  # NotSupported on some boards: the limit is then unknown
            return None

    def counter_specs(self) -> list[CounterSpec]:
        """Width, resolution, update period and power limit of each GPU's energy source."""
        specs = []
        for gpu in self._gpus:
            if gpu.has_counter:
                specs.append(
                    CounterSpec(
                        gpu.component.id,
                        "counter: nvmlDeviceGetTotalEnergyConsumption (mJ)",
                        64,
                        1e-3,
                        0.1,
                        # The only published figure: "energy readings are updated every
                        # 20-100 ms" (PETSc PetscLogGpuEnergyMeter docs); the upper end.
                        "20-100 ms, PETSc PetscLogGpuEnergyMeter documentation",
                        not gpu.mig,
                        self._power_limit_w(gpu),
                    )
                )
            else:
                specs.append(
                    CounterSpec(
                        gpu.component.id,
                        "sampled: nvmlDeviceGetPowerUsage (mW)",
                        None,
                        None,
                        None,
                        "power averaged over 1 s on Ampere (except GA100) and newer "
                        "(NVML API reference); energy resolution depends on the polling",
                        not gpu.mig,
                        self._power_limit_w(gpu),
                    )
                )
        return specs

    def read(self) -> Reading:
        """Read every GPU now.

        Counter GPUs report the driver's energy counter (mJ → J); power-only
        GPUs add the trapezoid ``(P_prev + P_now) / 2 × Δt`` since the last
        read, so their accuracy depends on how often this is called. A GPU
        that fails is held at its last energy and counted in ``faults``.

        Returns:
            Cumulative energy (J), power (W) where the GPU reports it, and faults.
        """
        return self._read(strict=False)

    def _read(self, *, strict: bool) -> Reading:
        with self._lock:
            return read_parts(
                self._gpus, self._read_gpu, self._faults, self._clock(), strict=strict
            )

    def _read_gpu(self, gpu: _Gpu, now_s: float) -> float | None:
        """Advance one GPU's energy to ``now_s``; its power, where known."""
        cid = gpu.component.id
        watts = self._power_w(gpu)
        if gpu.counter is not None:
            try:
                raw_mj = int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(gpu.handle))
            except Exception as exc:
                if not is_nvml_error(self._nvml, exc):
                    raise
                if is_nvml_error(self._nvml, exc, "NVMLError_NotSupported") and watts is not None:
                    self._fall_back_to_power(gpu, watts, now_s)
                    self._faults.record(
                        cid,
                        f"the energy counter of {cid} stopped ({exc}: a MIG or vGPU change?); "
                        "energy continues from power samples",
                    )
                    return watts
                raise nvml_error(exc, f"read the energy of {cid}") from exc
            note = gpu.counter.update(raw_mj, now_s)
            if note is not None:
                self._faults.record(cid, f"{cid}: {note}")
            return watts
        if watts is None:
            raise SensorError(f"NVML gave no power for {cid}, which has no energy counter")
        gpu.sampled.add(watts, now_s)
        return watts

    def _fall_back_to_power(self, gpu: _Gpu, watts: float, now_s: float) -> None:
        assert gpu.counter is not None
        gpu.sampled = PowerIntegral(gpu.counter.total_j)
        gpu.sampled.add(watts, now_s)
        gpu.counter = None
        gpu.has_counter = False
        self.needs_polling = True

    def _power_w(self, gpu: _Gpu) -> float | None:
        try:
            watts = float(self._nvml.nvmlDeviceGetPowerUsage(gpu.handle)) / 1e3
        except Exception as exc:
            if gpu.counter is not None:
                return None  # power is a courtesy when the counter gives energy
            if is_nvml_error(self._nvml, exc):
                raise nvml_error(exc, f"read the power of gpu:{gpu.index}") from exc
            raise
        if not 0.0 <= watts <= MAX_PLAUSIBLE_W:
            if gpu.counter is not None:
                return None
            raise SensorError(f"NVML reported {watts:g} W for gpu:{gpu.index}: not plausible")
        return watts

    def attribution(self, pids: set[int]) -> dict[str, float | None]:
        """The fraction of each GPU's energy attributable to the given processes.

        Per GPU, by the rule of
        :func:`~wattlens.sensors.nvml_attribution.process_share`: 0 or 1 where
        the processes on the GPU are none or all of ``pids``, the SM-utilisation
        share where they are mixed, and ``None`` (unknown) for MIG, container
        PIDs that cannot be matched, or any failure of the query.

        Args:
            pids: Process ids of the measured process tree.

        Returns:
            A fraction in ``[0, 1]`` or ``None`` per component id (``gpu:N``).
        """
        shares: dict[str, float | None] = {}
        with self._lock:
            for gpu in self._gpus:
                shares[gpu.component.id] = process_share(
                    self._nvml, gpu.handle, gpu.share, pids, mig=gpu.mig, exists=self._pid_exists
                )
        return shares

    def close(self) -> None:
        """Shut NVML down (it is reference-counted: one shutdown per init)."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        try:
            self._nvml.nvmlShutdown()
        except Exception as exc:
            if is_nvml_error(self._nvml, exc):
                raise nvml_error(exc, "shut down") from exc
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
            nvml_module = load_pynvml()
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
