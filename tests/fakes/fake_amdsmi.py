"""A fake of the slice of the ``amdsmi`` Python package that wattlens calls.

Mirrors the real names: ``AmdSmiException`` and ``AmdSmiLibraryException``
(with ``get_error_code()`` / ``err_code``), ``AmdSmiInitFlags``, the
``AMDSMI_STATUS_*`` codes of amdsmi.h, and ``amdsmi_init``,
``amdsmi_shut_down``, ``amdsmi_get_processor_handles``,
``amdsmi_get_gpu_asic_info``, ``amdsmi_get_energy_count`` (accumulator ticks ×
``counter_resolution`` µJ) and ``amdsmi_get_power_info`` (W).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from types import SimpleNamespace
from typing import Any

AMDSMI_STATUS_SUCCESS = 0
AMDSMI_STATUS_INVAL = 1
AMDSMI_STATUS_NOT_SUPPORTED = 2
AMDSMI_STATUS_FAIL_LOAD_MODULE = 4
AMDSMI_STATUS_NO_PERM = 10
AMDSMI_STATUS_INIT_ERROR = 18
AMDSMI_STATUS_NOT_INIT = 32
AMDSMI_STATUS_DRIVER_NOT_LOADED = 34


class AmdSmiException(Exception):  # noqa: N818 (the real name)
    """Base of every amdsmi error."""


class AmdSmiLibraryException(AmdSmiException):
    """An error code returned by libamd_smi."""

    def __init__(self, err_code: int) -> None:
        super().__init__(f"Error code:\n\t{err_code}")
        self.err_code = err_code

    def get_error_code(self) -> int:
        return self.err_code


class AmdSmiInitFlags(IntEnum):
    INIT_ALL_PROCESSORS = 0xFFFFFFFF
    INIT_AMD_CPUS = 1 << 0
    INIT_AMD_GPUS = 1 << 1


@dataclass
class FakeAmdGpu:
    """One fake AMD GPU; ``None`` for a reading means NOT_SUPPORTED."""

    market_name: str = "AMD Instinct MI300X"
    energy_ticks: int | None = 0
    counter_resolution_uj: float = 15.3
    legacy_energy_key: bool = False
    """Answer with the pre-6.2.1 key ``power`` instead of ``energy_accumulator``."""
    power_w: int | str | None = 300
    """``socket_power`` in W; "N/A" like the real library for unsupported fields."""
    errors: dict[str, AmdSmiException] = field(default_factory=dict)


class FakeAmdSmi:
    """An object that quacks like the ``amdsmi`` module."""

    AmdSmiException = AmdSmiException
    AmdSmiLibraryException = AmdSmiLibraryException
    AmdSmiInitFlags = AmdSmiInitFlags

    def __init__(self, gpus: list[FakeAmdGpu], *, init_error: AmdSmiException | None = None):
        self.gpus = gpus
        self.init_error = init_error
        self.initialised = False
        self.init_flags: int | None = None

    def _gpu(self, handle: Any, fn: str) -> FakeAmdGpu:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        gpu: FakeAmdGpu = handle.gpu
        if fn in gpu.errors:
            raise gpu.errors[fn]
        return gpu

    def amdsmi_init(self, flags: int = AmdSmiInitFlags.INIT_AMD_GPUS) -> None:
        if self.init_error is not None:
            raise self.init_error
        self.initialised = True
        self.init_flags = flags

    def amdsmi_shut_down(self) -> None:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        self.initialised = False

    def amdsmi_get_processor_handles(self) -> list[Any]:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        return [SimpleNamespace(gpu=g) for g in self.gpus]

    def amdsmi_get_gpu_asic_info(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_gpu_asic_info")
        return {"market_name": gpu.market_name, "vendor_id": "0x1002", "device_id": "0x74a1"}

    def amdsmi_get_energy_count(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_energy_count")
        if gpu.energy_ticks is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        key = "power" if gpu.legacy_energy_key else "energy_accumulator"
        return {
            key: gpu.energy_ticks,
            "counter_resolution": gpu.counter_resolution_uj,
            "timestamp": 1_700_000_000_000_000_000,
        }

    def amdsmi_get_power_info(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_power_info")
        if gpu.power_w is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        return {
            "socket_power": gpu.power_w,
            "current_socket_power": gpu.power_w,
            "average_socket_power": "N/A",
            "gfx_voltage": "N/A",
            "power_limit": 750,
        }
