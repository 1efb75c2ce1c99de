"""A fake of the slice of nvidia-ml-py (module ``pynvml``) that wattlens calls.

It mirrors the real module's names: ``NVML_ERROR_*`` constants, the
``NVMLError`` base class whose ``value`` is the error code, one
``NVMLError_<CamelName>`` subclass per code (generated as nvidia-ml-py's
``_extractNVMLErrorsAsClasses`` does), and the functions ``nvmlInit``,
``nvmlShutdown``, ``nvmlDeviceGetCount``, ``nvmlDeviceGetHandleByIndex``,
``nvmlDeviceGetUUID``, ``nvmlDeviceGetName``,
``nvmlDeviceGetTotalEnergyConsumption`` (mJ), ``nvmlDeviceGetPowerUsage`` (mW),
``nvmlDeviceGetComputeRunningProcesses`` and ``nvmlDeviceGetProcessUtilization``.

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
    errors: dict[str, NVMLError] = field(default_factory=dict)
    """Function name -> error to raise when it is called on this GPU."""


class FakeNvml:
    """An object that quacks like the ``pynvml`` module."""

    def __init__(self, gpus: list[FakeGpu], *, init_error: NVMLError | None = None) -> None:
        self.gpus = gpus
        self.init_error = init_error
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
        if not 0 <= index < len(self.gpus):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return SimpleNamespace(gpu=self.gpus[index])

    def nvmlDeviceGetUUID(self, handle: Any) -> str:
        return self._gpu(handle, "nvmlDeviceGetUUID").uuid

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

    def nvmlDeviceGetComputeRunningProcesses(self, handle: Any) -> list[Any]:
        gpu = self._gpu(handle, "nvmlDeviceGetComputeRunningProcesses")
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
