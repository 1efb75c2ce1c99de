"""A fake of the slice of nvidia-ml-py (module ``pynvml``) that wattlens calls.

It mirrors the real module's names: ``NVML_ERROR_*`` constants, the
``NVMLError`` base class whose ``value`` is the error code, one
``NVMLError_<CamelName>`` subclass per code (generated as nvidia-ml-py's
``_extractNVMLErrorsAsClasses`` does), and the functions ``nvmlInit``,
``nvmlShutdown``, ``nvmlDeviceGetCount``, ``nvmlDeviceGetHandleByIndex``,
``nvmlDeviceGetUUID``, ``nvmlDeviceGetName``,
``nvmlDeviceGetTotalEnergyConsumption`` (mJ), ``nvmlDeviceGetPowerUsage`` (mW),
``nvmlDeviceGetComputeRunningProcesses``, ``nvmlDeviceGetProcessUtilization``,
``nvmlDeviceGetHandleByUUID``, ``nvmlDeviceGetDeviceHandleFromMigDeviceHandle``
and ``nvmlDeviceGetMigMode``.

Failure shapes of real drivers, each from a report:

- ``errors``: a function fails on every call (``NOT_SUPPORTED`` after a MIG or
  vGPU change, ``GPU_IS_LOST`` after an Xid 79); ``fail_next``: it fails on
  the next calls only (``UNKNOWN``, ``TIMEOUT``: transient).
- :class:`NVMLLibraryMismatchError`: nvidia-ml-py raises it, *not* an
  ``NVMLError``, when ``nvmlDeviceGetComputeRunningProcesses_v3`` is missing
  from the driver (``throwOnVersionMismatch``; driver 535.98 removed v3,
  XuehaiPan/nvitop#89): see :data:`driver_535_98_mismatch`.
- ``open_error``: a cgroup that denies the device node makes
  ``nvmlDeviceGetHandleByIndex`` answer ``NO_PERMISSION``
  (NVIDIA/nvidia-docker#393).
- ``mig_uuids``: the GPU is in MIG mode with these instances; process
  queries on it then need privileges.
- ``pids`` are host PIDs: inside a container they do not exist in the
  container's ``/proc`` (NVIDIA/nvidia-docker#1483).
- A superchip (``name="NVIDIA GH200 480GB"``): its counter covers the module.

Use an instance as the module: ``NvmlSensor(nvml_module=FakeNvml([FakeGpu(...)]))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_ALREADY_INITIALIZED = 5
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_INSUFFICIENT_SIZE = 7
NVML_ERROR_INSUFFICIENT_POWER = 8
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_TIMEOUT = 10
NVML_ERROR_IRQ_ISSUE = 11
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_CORRUPTED_INFOROM = 14
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_RESET_REQUIRED = 16
NVML_ERROR_OPERATING_SYSTEM = 17
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_UNKNOWN = 999


class NVMLError(Exception):
    """Base of every NVML error; ``value`` is the NVML_ERROR_* code."""

    _code_to_class: dict[int, type[NVMLError]] = {}  # noqa: RUF012 (mirrors pynvml)

    def __new__(cls, value: int = NVML_ERROR_UNKNOWN) -> NVMLError:
        # Like pynvml: NVMLError(code) builds the subclass for that code.
        target = NVMLError._code_to_class.get(value, cls) if cls is NVMLError else cls
        obj = Exception.__new__(target)
        obj.value = value
        return obj

    def __init__(self, value: int = NVML_ERROR_UNKNOWN) -> None:
        super().__init__(value)

    value: int

    def __str__(self) -> str:
        return _STRINGS.get(self.value, f"NVML Error with code {self.value}")


_STRINGS = {
    NVML_ERROR_UNINITIALIZED: "Uninitialized",
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_NOT_FOUND: "Not Found",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
    NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    NVML_ERROR_LIB_RM_VERSION_MISMATCH: "RM has detected an NVML/RM version mismatch.",
    NVML_ERROR_UNKNOWN: "Unknown Error",
}


def _error_class(code_name: str, code: int) -> type[NVMLError]:
    # NVML_ERROR_GPU_IS_LOST -> NVMLError_GpuIsLost, as nvidia-ml-py names them.
    camel = "".join(part.capitalize() for part in code_name.split("_"))

    def new(cls: type[NVMLError], *args: Any) -> NVMLError:
        return NVMLError.__new__(cls, code)

    def init(self: NVMLError, *args: Any) -> None:
        Exception.__init__(self, code)

    cls = type(f"NVMLError_{camel}", (NVMLError,), {"__new__": new, "__init__": init})
    NVMLError._code_to_class[code] = cls
    return cls


_ERROR_CLASSES = {
    name.removeprefix("NVML_ERROR_"): _error_class(name.removeprefix("NVML_ERROR_"), value)
    for name, value in dict(globals()).items()
    if name.startswith("NVML_ERROR_")
}
NVMLError_Uninitialized = _ERROR_CLASSES["UNINITIALIZED"]
NVMLError_NotSupported = _ERROR_CLASSES["NOT_SUPPORTED"]
NVMLError_NoPermission = _ERROR_CLASSES["NO_PERMISSION"]
NVMLError_NotFound = _ERROR_CLASSES["NOT_FOUND"]
NVMLError_DriverNotLoaded = _ERROR_CLASSES["DRIVER_NOT_LOADED"]
NVMLError_LibraryNotFound = _ERROR_CLASSES["LIBRARY_NOT_FOUND"]
NVMLError_GpuIsLost = _ERROR_CLASSES["GPU_IS_LOST"]
NVMLError_LibRmVersionMismatch = _ERROR_CLASSES["LIB_RM_VERSION_MISMATCH"]
NVMLError_Unknown = _ERROR_CLASSES["UNKNOWN"]


class NVMLLibraryMismatchError(Exception):
    """What nvidia-ml-py raises for a versioned function the driver lacks (not an NVMLError)."""


def driver_535_98_mismatch() -> NVMLLibraryMismatchError:
    """The process query on a driver without ``nvmlDeviceGetComputeRunningProcesses_v3``."""
    return NVMLLibraryMismatchError(
        "Unversioned function called and the pyNVML version does not match the NVML lib "
        "version. Either use matching pyNVML and NVML lib versions or use a versioned "
        "function such as nvmlDeviceGetComputeRunningProcesses_v2"
    )


@dataclass
class FakeGpu:
    """One fake GPU. ``None`` for a reading means the GPU does not support it."""

    name: str | bytes = "NVIDIA H100 80GB HBM3"
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    energy_mj: int | None = 0
    """Total energy since driver load (mJ); None = pre-Volta, NotSupported."""
    power_mw: int | None = 100_000
    pids: list[int] = field(default_factory=list)
    """Compute processes running on the GPU."""
    util_samples: list[tuple[int, int, int]] | None = field(default_factory=list)
    """(pid, timeStamp µs, smUtil %) samples; None = NotSupported."""
    errors: dict[str, Exception] = field(default_factory=dict)
    """Function name -> error to raise whenever it is called on this GPU."""
    fail_next: dict[str, list[Exception]] = field(default_factory=dict)
    """Function name -> errors to raise on the next calls, one per call (transient)."""
    open_error: NVMLError | None = None
    """Raised by nvmlDeviceGetHandleByIndex (a device the cgroup hides)."""
    power_limit_mw: int | None = 700_000
    """nvmlDeviceGetEnforcedPowerLimit (mW); None = NotSupported."""
    mig_uuids: list[str] = field(default_factory=list)
    """MIG instances of this GPU (``MIG-…``); non-empty means MIG mode is on."""


def add_mj(gpu: FakeGpu, mj: int) -> None:
    """Advance a counter GPU's energy by ``mj`` millijoules."""
    assert gpu.energy_mj is not None, "a power-only GPU has no counter"
    gpu.energy_mj += mj


class FakeNvml:
    """An object that quacks like the ``pynvml`` module."""

    def __init__(
        self, gpus: list[FakeGpu], *, init_error: Exception | None = None, driver: str = "550.54"
    ) -> None:
        """``driver`` selects the process-query shape of that driver branch:
        ``"535.98"`` lacks ``_v3`` (:class:`NVMLLibraryMismatchError`,
        XuehaiPan/nvitop#89); ``"535.43"`` changed the v3 struct without a
        version bump, so the PIDs read are garbage (nvitop#79, #181).
        """
        self.gpus = gpus
        self.init_error = init_error
        self.driver = driver
        self.init_count = 0
        self.calls: list[str] = []
        for name, value in globals().items():
            if name.startswith(("NVML_", "NVMLError")):
                setattr(self, name, value)

    def _gpu(self, handle: Any, fn: str) -> FakeGpu:
        self.calls.append(fn)
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        gpu: FakeGpu = handle.gpu
        if gpu.fail_next.get(fn):
            raise gpu.fail_next[fn].pop(0)
        if fn in gpu.errors:
            raise gpu.errors[fn]
        return gpu

    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self.init_error is not None:
            raise self.init_error
        self.init_count += 1

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        self.init_count -= 1

    def nvmlDeviceGetCount(self) -> int:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        if not 0 <= index < len(self.gpus):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        error = self.gpus[index].open_error
        if error is not None:
            raise error
        return SimpleNamespace(gpu=self.gpus[index], mig=None)

    def nvmlDeviceGetHandleByUUID(self, uuid: str | bytes) -> Any:
        if self.init_count <= 0:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        text = uuid.decode() if isinstance(uuid, bytes) else uuid
        for gpu in self.gpus:
            if gpu.uuid == text:
                return SimpleNamespace(gpu=gpu, mig=None)
            if text in gpu.mig_uuids:
                return SimpleNamespace(gpu=gpu, mig=text)
        raise NVMLError(NVML_ERROR_NOT_FOUND)

    def nvmlDeviceGetDeviceHandleFromMigDeviceHandle(self, handle: Any) -> Any:
        if handle.mig is None:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return SimpleNamespace(gpu=handle.gpu, mig=None)

    def nvmlDeviceGetMigMode(self, handle: Any) -> tuple[int, int]:
        gpu = self._gpu(handle, "nvmlDeviceGetMigMode")
        mode = 1 if gpu.mig_uuids else 0
        return mode, mode

    def nvmlDeviceGetUUID(self, handle: Any) -> str:
        gpu = self._gpu(handle, "nvmlDeviceGetUUID")
        return handle.mig if handle.mig is not None else gpu.uuid

    def nvmlDeviceGetName(self, handle: Any) -> str | bytes:
        return self._gpu(handle, "nvmlDeviceGetName").name

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetTotalEnergyConsumption")
        if gpu.energy_mj is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu.energy_mj

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetPowerUsage")
        if gpu.power_mw is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu.power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetEnforcedPowerLimit")
        if gpu.power_limit_mw is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return gpu.power_limit_mw

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> list[Any]:
        gpu = self._gpu(handle, "nvmlDeviceGetComputeRunningProcesses")
        if self.driver == "535.98":
            raise driver_535_98_mismatch()
        if self.driver == "535.43":
            # The struct grew a field: pid is read from the wrong offset.
            return [SimpleNamespace(pid=(1 << 30) + 7 * pid, usedGpuMemory=pid) for pid in gpu.pids]
        return [
            SimpleNamespace(pid=pid, usedGpuMemory=1 << 30, gpuInstanceId=0xFFFFFFFF)
            for pid in gpu.pids
        ]

    def nvmlDeviceGetProcessUtilization(self, handle: Any, timeStamp: int) -> list[Any]:  # noqa: N803
        gpu = self._gpu(handle, "nvmlDeviceGetProcessUtilization")
        if gpu.util_samples is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        samples = [
            SimpleNamespace(pid=pid, timeStamp=ts, smUtil=sm, memUtil=0, encUtil=0, decUtil=0)
            for pid, ts, sm in gpu.util_samples
            if ts > timeStamp
        ]
        if not samples:
            # The real call answers NOT_FOUND when no sample is newer than timeStamp.
            raise NVMLError(NVML_ERROR_NOT_FOUND)
        return samples
