"""AMD GPU energy through AMD SMI (the ``amdsmi`` Python package shipped with ROCm).

Nothing here touches the driver at import: ``amdsmi`` is imported inside
:func:`_load_amdsmi` (with its stdout silenced: it prints there when
``libamd_smi.so`` is missing, which would corrupt ``--json`` output), and the
module can be injected (``amdsmi_module=``) so tests run the real code
against a fake.

Per GPU, the best source wins:

- ``counter``: ``amdsmi_get_energy_count`` returns an accumulator in ticks
  and ``counter_resolution`` in µJ per tick (amdsmi.h, "Power Queries");
  energy is their product. The key is ``power`` up to amdsmi 6.2.x, both
  ``power`` and ``energy_accumulator`` in 6.3.x, and ``energy_accumulator``
  only from 6.4; all are accepted. The accumulator is not the clean 64-bit
  counter the header suggests: on several Radeon GPUs it is a 32-bit SMU
  field that wraps at 2**32 ticks (about 65.7 kJ), unsupported counters read
  ``UINT32_MAX``/``UINT64_MAX`` with a success status, and some are stuck;
  :class:`~wattlens.sensors.counters.GpuCounter` handles wraps, sentinels and
  backward glitches, and the counter is checked once against integrated
  power. MI300-series counters tick in 2**-16 J (15.259 µJ), not the 15.3 µJ
  the library reports (+0.27 %); the basis says which was used.
- ``sampled``: ``amdsmi_get_power_info`` in watts (``socket_power`` since
  ROCm 7, ``current_socket_power`` on MI300 and newer,
  ``average_socket_power`` on older parts), integrated with the trapezoid
  rule between reads, so the meter must poll. Unsupported fields read
  ``"N/A"`` (amdsmi 6.2+), the raw ``0xFFFF`` (6.0/6.1, ``amd_smi.cc``
  pre-fills every field with it) or ``UINT32_MAX`` (7.x); all are rejected,
  as is anything above a plausible ceiling.

Components are ``gpu:N`` in HIP order, filtered by ``ROCR_VISIBLE_DEVICES``
and ``HIP_VISIBLE_DEVICES`` (or ``CUDA_VISIBLE_DEVICES``), so that ``gpu:N``
is the device a HIP program calls ``N``.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Component, Probe, Reading, probe_and_close, start_sensor
from wattlens.sensors.counters import (
    MAX_PLAUSIBLE_W,
    SENTINELS,
    UINT32_MAX,
    CounterSpec,
    FaultLog,
    GpuCounter,
    PowerIntegral,
    read_parts,
)

INSTALL_HINT = (
    "install the AMD extra: pip install 'wattlens[amd]' (the amdsmi version must match "
    "the installed ROCm; ROCm also ships it in /opt/rocm/share/amd_smi)"
)

# amdsmi_status_t values (amdsmi.h) -> (wattlens class, hint). One table for
# every AMD SMI error wattlens can meet.
_AMDSMI_STATUS: dict[int, tuple[type[SensorError], str]] = {
    2: (SensorError, "this GPU or driver does not support the query"),  # NOT_SUPPORTED
    4: (SensorError, "libamd_smi could not be loaded: install ROCm"),  # FAIL_LOAD_MODULE
    10: (  # NO_PERM
        SensorPermissionError,
        "AMD SMI refused this user: add it to the `render` and `video` groups "
        "(`sudo usermod -aG render,video $USER`, then log in again) or run as root",
    ),
    18: (SensorError, "AMD SMI could not initialise: check `amd-smi list`"),  # INIT_ERROR
    32: (SensorError, "AMD SMI is not initialised: create a new sensor"),  # NOT_INIT
    34: (  # DRIVER_NOT_LOADED
        SensorError,
        "the amdgpu kernel driver is not loaded: `sudo modprobe amdgpu`",
    ),
}
_NOT_SUPPORTED = 2
_NOT_INIT = 32
_TRANSIENT = frozenset({8, 9, 30})  # TIMEOUT, RETRY, BUSY (amdsmi_wrapper.py)
# "Not supported" values: 0xFFFF from amdsmi 6.0/6.1, which pre-fill every
# amdsmi_power_info_t field with it and return raw ints (amd_smi.cc at
# rocm-6.0.0/6.1.0); UINT32_MAX and UINT64_MAX from later versions.
_UNSUPPORTED_VALUES = frozenset({0xFFFF, *SENTINELS})
_CHECK_J = 50.0
_CHECK_S = 5.0
"""A counter is compared once with integrated power after both this many joules
and seconds: enough for several updates of a counter refreshed every second."""


def _error_code(exc: Exception) -> int | None:
    getter = getattr(exc, "get_error_code", None)
    code = getter() if callable(getter) else getattr(exc, "err_code", None)
    return int(code) if isinstance(code, int) else None


def _amdsmi_error(exc: Exception, action: str) -> SensorError:
    """Translate one AMD SMI exception into a wattlens error, through :data:`_AMDSMI_STATUS`."""
    code = _error_code(exc)
    if code is not None and code in _AMDSMI_STATUS:
        kind, hint = _AMDSMI_STATUS[code]
        return kind(f"AMD SMI failed to {action}: {exc}", hint=hint)
    return SensorError(f"AMD SMI failed to {action}: {exc}")


def _load_amdsmi() -> Any:
    # amdsmi prints to stdout when libamd_smi.so is missing (amdsmi_wrapper.py).
    with contextlib.redirect_stdout(io.StringIO()):
        import amdsmi

    return amdsmi


def _plausible_w(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # "N/A" and other text
    if value in _UNSUPPORTED_VALUES or not 0 <= value <= MAX_PLAUSIBLE_W:
        return None
    return float(value)


def _watts(info: dict[str, Any]) -> float | None:
    for key in ("socket_power", "current_socket_power", "average_socket_power"):
        watts = _plausible_w(info.get(key))
        if watts is not None:
            return watts
    return None


def _power_limit_w(info: Any) -> float:
    """The GPU's power limit (W) where reported, else the plausibility ceiling."""
    limit = _plausible_w(info.get("power_limit")) if isinstance(info, dict) else None
    return limit if limit else MAX_PLAUSIBLE_W


def _ticks(count: Any) -> int:
    ticks = count.get("energy_accumulator", count.get("power")) if isinstance(count, dict) else None
    if not isinstance(ticks, int):
        raise SensorError(f"amdsmi_get_energy_count returned no usable counter: {count!r}")
    return ticks


def _resolution_j(count: Any) -> float:
    resolution = count.get("counter_resolution") if isinstance(count, dict) else None
    if not isinstance(resolution, int | float) or resolution <= 0:
        raise SensorError(f"amdsmi_get_energy_count returned no usable resolution: {count!r}")
    return float(resolution) * 1e-6


@dataclass
class _Gpu:
    handle: Any
    smi_index: int
    """Position in ``amdsmi_get_processor_handles`` (to find the handle again after a re-init)."""
    component: Component
    counter: GpuCounter | None
    sampled: PowerIntegral = field(default_factory=PowerIntegral)
    check_from_j: float | None = None
    """Counter total when the counter-against-power check began; None once it is done."""
    check_power: PowerIntegral = field(default_factory=PowerIntegral)
    """Power integrated since the check began."""
    power_limit_w: float | None = None

    @property
    def energy_j(self) -> float:
        return self.counter.total_j if self.counter is not None else self.sampled.total_j


def _index_list(value: str) -> list[int] | None:
    """A visibility variable's device indices; None when an entry is not an index."""
    out: list[int] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            break
        if not entry.isdigit():
            return None
        out.append(int(entry))
    return out


def _secondary_die(name: str, ticks: int, info: Any) -> bool:
    """An MI250/MI250X die that reports neither energy nor power of its own.

    Aldebaran's secondary die gets ``energy_accumulator = 0`` ("Valid power data
    is available only from primary die", ``aldebaran_ppt.c``) and reads 0 W
    (ROCm/rocm_smi_lib#160); the primary die reports the whole package.
    """
    if "MI250" not in name or ticks != 0:
        return False
    watts = _watts(info) if isinstance(info, dict) else None
    return not watts


class _Partitions:
    """Which GPUs are partitions (DPX, CPX...) of one device, and which share a counter.

    An MI300X in a compute partition mode other than SPX is several AMD SMI
    devices (``amdsmi_get_gpu_compute_partition``). AMD SMI does not document
    whether each partition's energy counter is its own or the whole socket's;
    partitions whose counters read the same non-zero value at the same moment
    are taken to share the socket's counter, which is then counted once.
    """

    def __init__(self, smi: Any, handles: list[Any], name_of: Callable[[Any], str]) -> None:
        self._modes: dict[int, str] = {}
        self._groups: dict[int, tuple[int, ...]] = {}
        self._claimed: dict[int, str] = {}
        query = getattr(smi, "amdsmi_get_gpu_compute_partition", None)
        if query is None:
            return  # an amdsmi before partitions
        keys: dict[int, tuple[str, int]] = {}
        for i, handle in enumerate(handles):
            try:
                mode = str(query(handle)).strip().upper()
            except Exception:  # unsupported on this GPU or library: not partitioned
                continue
            if mode in ("", "N/A", "SPX"):
                continue
            self._modes[i] = mode
            try:
                ticks = _ticks(smi.amdsmi_get_energy_count(handle))
                name = name_of(handle)
            except Exception:  # no counter: nothing to share
                continue
            if ticks not in SENTINELS and ticks != 0:
                keys[i] = (name, ticks)
        for i, key in keys.items():
            self._groups[i] = tuple(j for j, other in keys.items() if other == key)

    def mode(self, smi_index: int) -> str | None:
        """The partition mode (``CPX``...), None when the GPU is not partitioned."""
        return self._modes.get(smi_index)

    def _sharing(self, smi_index: int) -> tuple[int, ...]:
        return self._groups.get(smi_index, (smi_index,))

    def counted_in(self, smi_index: int) -> str | None:
        """The component that already counts this partition's shared counter."""
        for j in self._sharing(smi_index):
            if j in self._claimed:
                return self._claimed[j]
        return None

    def claim(self, smi_index: int, cid: str) -> None:
        self._claimed[smi_index] = cid

    def describe(self, smi_index: int) -> str:
        mode, n = self._modes[smi_index], len(self._sharing(smi_index))
        if n > 1:
            return f"; a {mode} partition whose counter is the socket's, shared by {n} partitions"
        return (
            f"; a {mode} partition: AMD SMI does not document whether its counter covers "
            "the partition or the whole socket"
        )

    def warning(self, cid: str, name: str, smi_index: int) -> str:
        mode, n = self._modes[smi_index], len(self._sharing(smi_index))
        if n > 1:
            return (
                f"{cid} ({name}) is a {mode} partition that reads the socket's energy "
                f"counter, shared by {n} partitions: its energy includes partitions this "
                "job may not use"
            )
        return (
            f"{cid} ({name}) is a {mode} partition: AMD SMI does not document whether its "
            "energy covers this partition or the whole socket, so GPU energy may count the "
            "socket more than once"
        )


class AmdSmiSensor:
    """Cumulative energy of every AMD GPU this process may use.

    GPUs are numbered as HIP numbers them and filtered by the visibility
    variables (``ROCR_VISIBLE_DEVICES``, then ``HIP_VISIBLE_DEVICES`` or, when
    unset, ``CUDA_VISIBLE_DEVICES``), so a job on one GPU of a shared node is
    billed for its GPU only. After the first read, a failing GPU never fails a
    read: its energy is held at the last good value and the failure is counted
    in ``Reading.faults``.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API; default imports ``amdsmi``.
        clock: Seconds, monotonic; injectable so tests can integrate a known trace.
        environ: Where to read the visibility variables (default ``os.environ``).
        id_prefix: Component ids are ``{id_prefix}:N``; ``gpu:amd`` when another
            vendor's GPUs are ``gpu:N`` on the same machine.

    Raises:
        SensorError: If AMD SMI cannot start, finds no GPU, or a GPU reports
            neither energy nor power.
        SensorPermissionError: If AMD SMI refuses this user.
    """

    name = "amdsmi"
    needs_polling: bool
    """True when any GPU is power-only (``sampled``)."""
    max_read_interval_s: float | None = None
    """Set when a counter may be a 32-bit field (it wraps): half its wrap period at full power."""

    def __init__(
        self,
        *,
        amdsmi_module: Any | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: Mapping[str, str] | None = None,
        id_prefix: str = "gpu",
    ) -> None:
        self._smi = amdsmi_module if amdsmi_module is not None else _load_amdsmi()
        self._clock = clock
        self._lock = threading.Lock()
        self._open = False
        self._faults = FaultLog()
        self._id_prefix = id_prefix
        self.notes: list[str] = []
        """Why devices were skipped, for ``wattlens doctor``."""
        self.warnings: list[str] = []
        """What every measurement with this sensor must say."""
        self._call("start", self._smi.amdsmi_init, self._smi.AmdSmiInitFlags.INIT_AMD_GPUS)
        self._open = True
        try:
            self._gpus = self._discover(os.environ if environ is None else environ)
            self.needs_polling = any(gpu.counter is None for gpu in self._gpus)
            self._read(strict=True)  # anchor the counters and the sampled integrals
        except BaseException:
            self.close()
            raise

    def _call(self, action: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            if isinstance(exc, self._smi.AmdSmiException):
                raise _amdsmi_error(exc, action) from exc
            raise

    def _supported(self, action: str, fn: Any, handle: Any) -> Any | None:
        """Call ``fn(handle)``; ``None`` when the GPU does not support it."""
        try:
            return fn(handle)
        except Exception as exc:
            if isinstance(exc, self._smi.AmdSmiException):
                if _error_code(exc) == _NOT_SUPPORTED:
                    return None
                raise _amdsmi_error(exc, action) from exc
            raise

    def _name(self, handle: Any) -> str:
        asic = self._supported("read the GPU name", self._smi.amdsmi_get_gpu_asic_info, handle)
        name = asic.get("market_name") if isinstance(asic, dict) else None
        return name if isinstance(name, str) and name and name != "N/A" else "AMD GPU"

    def _hip_order(self, handles: list[Any]) -> list[int]:
        """SMI positions in the order HIP numbers the GPUs.

        HIP may enumerate in a different order than the PCI order of AMD SMI
        (zeus ``AMDGPUs``: MI350X in SPX/NPS1). ``hip_id`` of
        ``amdsmi_get_gpu_enumeration_info`` (amdsmi 6.4+) gives it; before,
        the KFD ``node_id`` order does.
        """
        for getter, key in (
            ("amdsmi_get_gpu_enumeration_info", "hip_id"),
            ("amdsmi_get_gpu_kfd_info", "node_id"),
        ):
            fn = getattr(self._smi, getter, None)
            if fn is None:
                continue
            try:
                keys = [int(fn(h)[key]) for h in handles]
            except Exception:  # older library or driver: try the next source
                continue
            if len(set(keys)) == len(keys):
                return sorted(range(len(handles)), key=lambda i: keys[i])
        return list(range(len(handles)))

    def _visible(self, order: list[int], env: Mapping[str, str]) -> list[int]:
        # ROCR_VISIBLE_DEVICES filters first; HIP_VISIBLE_DEVICES (or CUDA_VISIBLE_DEVICES,
        # which HIP honours when it is unset) then indexes what ROCr left (ROCm docs,
        # "GPU isolation techniques").
        hip_name = "HIP_VISIBLE_DEVICES" if "HIP_VISIBLE_DEVICES" in env else "CUDA_VISIBLE_DEVICES"
        for name in ("ROCR_VISIBLE_DEVICES", hip_name):
            value = env.get(name)
            if value is None:
                continue
            indices = _index_list(value)
            if indices is None:
                self.notes.append(
                    f"{name}={value!r} names devices by UUID, which wattlens cannot map: "
                    "every AMD GPU is measured"
                )
                self.warnings.append(
                    f"{name} could not be applied: the energy of every AMD GPU is reported"
                )
                continue
            picked: list[int] = []
            for i in indices:
                if not 0 <= i < len(order) or order[i] in picked:
                    self.notes.append(f"{name} stops at {i}: it names no unique GPU")
                    break
                picked.append(order[i])
            order = picked
        return order

    def _discover(self, env: Mapping[str, str]) -> list[_Gpu]:
        smi = self._smi
        handles = list(self._call("list GPUs", smi.amdsmi_get_processor_handles))
        gpus: list[_Gpu] = []
        wrap_periods: list[float] = []
        shared = _Partitions(smi, handles, self._name)
        for index, smi_index in enumerate(self._visible(self._hip_order(handles), env)):
            handle = handles[smi_index]
            cid = f"{self._id_prefix}:{index}"
            name = self._name(handle)
            count = self._supported("read the energy counter", smi.amdsmi_get_energy_count, handle)
            counter = self._counter(cid, name, count)
            info = self._supported("read power", smi.amdsmi_get_power_info, handle)
            if counter is None and (not isinstance(info, dict) or _watts(info) is None):
                self.notes.append(f"{cid} ({name}) reports neither energy nor power: skipped")
                continue
            same = shared.counted_in(smi_index) if counter is not None else None
            if same is not None:
                self.notes.append(
                    f"{cid} ({name}, {shared.mode(smi_index)} partition) reads the same "
                    f"socket energy counter as {same}: counted once, in {same}"
                )
                continue
            where = f"AMD SMI processor {smi_index}"
            if counter is not None:
                basis = (
                    f"amdsmi_get_energy_count accumulator × {counter.tick_j * 1e6:g} µJ, {where}"
                )
                if counter.tick_j != _resolution_j(count):
                    basis += (
                        "; the kernel counts MI300-series energy in 2^-16 J (15.259 µJ) units "
                        "(smu_v13_0_6_ppt.c), not the 15.3 µJ the library reports"
                    )
                if _ticks(count) <= UINT32_MAX:
                    limit = _power_limit_w(info)
                    wrap_periods.append((2**32) * counter.tick_j / limit)
                    basis += "; a 32-bit accumulator on some GPUs, read often enough to see wraps"
            else:
                basis = f"amdsmi_get_power_info integrated by the trapezoid rule, {where}"
            if counter is not None and _secondary_die(name, _ticks(count), info):
                basis += (
                    "; the secondary die (GCD) of an MI250/MI250X: the package's power and "
                    "energy are reported on its primary die only (aldebaran_ppt.c, "
                    "ROCm/rocm_smi_lib#160), so this die reads 0 J"
                )
                self.warnings.append(
                    f"{cid} ({name}) is the secondary die of an MI250/MI250X, which reports "
                    "no energy of its own (0 J): the energy of both dies is in the figure "
                    "of the package's primary die, counted only where that die is visible"
                )
            if shared.mode(smi_index) is not None:
                basis += shared.describe(smi_index)
                self.warnings.append(shared.warning(cid, name, smi_index))
                shared.claim(smi_index, cid)
            component = Component(
                id=cid,
                kind="gpu",
                name=name,
                method="counter" if counter is not None else "sampled",
                sensor="amdsmi",
                basis=basis,
            )
            published = _plausible_w(info.get("power_limit")) if isinstance(info, dict) else None
            gpus.append(
                _Gpu(handle, smi_index, component, counter, power_limit_w=published or None)
            )
        if not gpus:
            raise SensorError(
                "no AMD GPU to measure",
                hint="; ".join(self.notes)
                or "check `amd-smi list`, the amdgpu driver and HIP_VISIBLE_DEVICES",
            )
        if wrap_periods:
            # Half the wrap period at the power limit: a margin for reads that come late.
            self.max_read_interval_s = min(wrap_periods) / 2
        return gpus

    def _counter(self, cid: str, name: str, count: Any) -> GpuCounter | None:
        """The GPU's counter, or None when it is unsupported or reads a sentinel."""
        if count is None:
            return None
        ticks = _ticks(count)
        if ticks in SENTINELS:
            self.notes.append(
                f"{cid} ({name}): the energy counter reads {ticks:#x}, the driver's "
                "'not supported' value: power is sampled instead"
            )
            return None
        tick_j = _resolution_j(count)
        # MI300-series: "Energy counter reported in 15.259uJ (2^-16) units"
        # (smu_v13_0_6_ppt.c), while rocm_smi hard-codes 15.3 for every ASIC.
        if "MI3" in name and abs(tick_j - 15.3e-6) < 1e-12:
            tick_j = 2.0**-16
        return GpuCounter(tick_j, may_wrap_32=True, sentinels=True)

    def _reopen(self) -> None:
        """Initialise AMD SMI again and find each GPU's new handle (after NOT_INIT)."""
        smi = self._smi
        smi.amdsmi_init(smi.AmdSmiInitFlags.INIT_AMD_GPUS)
        handles = list(smi.amdsmi_get_processor_handles())
        for gpu in self._gpus:
            if gpu.smi_index < len(handles):
                gpu.handle = handles[gpu.smi_index]

    def _query(self, action: str, fn: Any, gpu: _Gpu) -> Any:
        """Call ``fn(gpu.handle)``, once more after a transient status or a lost init.

        ``AMDSMI_STATUS_TIMEOUT``, ``RETRY`` and ``BUSY`` are transient (a suspended
        Navi GPU answers BUSY, ROCm/rocm-systems#8024); ``NOT_INIT`` means another
        user of the library shut it down: re-initialise, as codecarbon does
        (``gpu_amd.py``, ``_call_amdsmi_with_reinit``).
        """
        try:
            return fn(gpu.handle)
        except Exception as exc:
            if not isinstance(exc, self._smi.AmdSmiException):
                raise
            code = _error_code(exc)
            if code == _NOT_INIT:
                try:
                    self._reopen()
                except Exception as again:
                    raise _amdsmi_error(exc, action) from again
            elif code not in _TRANSIENT:
                raise _amdsmi_error(exc, action) from exc
        return self._call(action, fn, gpu.handle)

    def components(self) -> list[Component]:
        """One component per measured GPU, in HIP order."""
        return [gpu.component for gpu in self._gpus]

    def counter_specs(self) -> list[CounterSpec]:
        """Width, resolution and update period of each GPU's energy source."""
        specs = []
        for gpu in self._gpus:
            if gpu.counter is not None:
                specs.append(
                    CounterSpec(
                        gpu.component.id,
                        "counter: amdsmi_get_energy_count (ticks × counter_resolution)",
                        32 if self.max_read_interval_s is not None else 64,
                        gpu.counter.tick_j,
                        None,
                        "not documented by AMD SMI; `wattlens doctor --check` measures it",
                        False,
                        gpu.power_limit_w,
                    )
                )
            else:
                specs.append(
                    CounterSpec(
                        gpu.component.id,
                        "sampled: amdsmi_get_power_info (W)",
                        None,
                        None,
                        None,
                        "not documented by AMD SMI; energy resolution depends on the polling",
                        False,
                        gpu.power_limit_w,
                    )
                )
        return specs

    def read(self) -> Reading:
        """Read every GPU now.

        Returns:
            Cumulative energy (J), power (W) where reported, and faults per component.
        """
        return self._read(strict=False)

    def _read(self, *, strict: bool) -> Reading:
        with self._lock:
            return read_parts(
                self._gpus, self._read_gpu, self._faults, self._clock(), strict=strict
            )

    def _power_w(self, gpu: _Gpu) -> float | None:
        action = f"read the power of {gpu.component.id}"
        try:
            info = self._query(action, self._smi.amdsmi_get_power_info, gpu)
        except Exception:
            if gpu.counter is not None:
                # Power is a courtesy on counter GPUs; ROCm 6.0/6.1 even return the
                # power-cap query's status after filling in power (amd_smi.cc).
                return None
            raise
        return _watts(info) if isinstance(info, dict) else None

    def _read_gpu(self, gpu: _Gpu, now_s: float) -> float | None:
        cid = gpu.component.id
        watts = self._power_w(gpu)
        if gpu.counter is not None:
            count = self._query(f"read the energy of {cid}", self._smi.amdsmi_get_energy_count, gpu)
            try:
                note = gpu.counter.update(_ticks(count), now_s)
            except ValueError as exc:
                raise SensorError(f"AMD SMI energy of {cid}: {exc}") from exc
            if note is not None:
                self._faults.record(cid, f"{cid}: {note}")
            self._check_counter(gpu, watts, now_s)
            return watts
        if watts is None:
            raise SensorError(f"AMD SMI gave no usable power for {cid}, which has no counter")
        gpu.sampled.add(watts, now_s)
        return watts

    def _check_counter(self, gpu: _Gpu, watts: float | None, now_s: float) -> None:
        """Compare the counter with integrated power once, as zeus does (``amd.py``).

        Stuck counters are known (MI100, ROCm/amdsmi#38; MI210 within one process,
        ROCm/rocm_smi_lib#180). Once the power integral reaches
        :data:`_CHECK_J`, over :data:`_CHECK_S` seconds at least, a counter that
        moved less than a tenth or more than ten times as much is replaced by the
        power integral from the start of the check.
        """
        assert gpu.counter is not None
        if watts is None:
            return
        if gpu.check_power.start_s is None:
            gpu.check_from_j = gpu.counter.total_j
        if gpu.check_from_j is None:
            return  # checked already
        gpu.check_power.add(watts, now_s)
        power_j, since_s = gpu.check_power.total_j, gpu.check_power.start_s
        if power_j < _CHECK_J or since_s is None or now_s - since_s < _CHECK_S:
            return
        ratio = (gpu.counter.total_j - gpu.check_from_j) / power_j
        if 0.1 <= ratio <= 10.0:
            gpu.check_from_j = None
            return
        cid = gpu.component.id
        gpu.sampled = PowerIntegral(gpu.check_from_j + power_j)
        gpu.sampled.add(watts, now_s)
        gpu.counter = None
        gpu.check_from_j = None
        self.needs_polling = True
        self._faults.record(
            cid,
            f"the energy counter of {cid} moved {ratio:.2f}× the integrated power "
            "(stuck or wrong): energy is taken from power samples instead",
        )

    def close(self) -> None:
        """Shut AMD SMI down once."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        self._call("shut down", self._smi.amdsmi_shut_down)


def open_amdsmi(
    amdsmi_module: Any | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    id_prefix: str = "gpu",
) -> tuple[AmdSmiSensor | None, Probe]:
    """Start AMD SMI once: the sensor (None where it cannot run) and why; never raises.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API (default: import ``amdsmi``).
        environ: Where to read the visibility variables (default ``os.environ``).
        id_prefix: Component ids are ``{id_prefix}:N``.
    """
    if amdsmi_module is None:
        try:
            amdsmi_module = _load_amdsmi()
        except ImportError:
            return None, Probe(
                backend="amdsmi",
                available=False,
                reason="the amdsmi package is not installed",
                fix=INSTALL_HINT,
            )
        except Exception as exc:  # amdsmi loads libamd_smi.so at import and can fail there
            return None, Probe(
                backend="amdsmi",
                available=False,
                reason=f"amdsmi failed to load: {exc}",
                fix="install ROCm (libamd_smi.so) matching the amdsmi package",
            )
    module = amdsmi_module
    sensor, probe = start_sensor(
        "amdsmi",
        "AMD SMI",
        lambda: AmdSmiSensor(amdsmi_module=module, environ=environ, id_prefix=id_prefix),
    )
    return (sensor if isinstance(sensor, AmdSmiSensor) else None), probe


def probe_amdsmi(amdsmi_module: Any | None = None) -> Probe:
    """Say whether AMD SMI can be used here and why not; never raises.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API (default: import ``amdsmi``).

    Returns:
        A :class:`~wattlens.sensors.base.Probe` listing the GPUs and their method.
    """
    return probe_and_close(open_amdsmi(amdsmi_module))
