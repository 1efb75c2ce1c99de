"""A fake of the slice of the ``amdsmi`` Python package that wattlens calls.

Mirrors the real names: ``AmdSmiException`` and ``AmdSmiLibraryException``
(with ``get_error_code()`` / ``err_code``), ``AmdSmiInitFlags``, the
``AMDSMI_STATUS_*`` codes of amdsmi.h, and ``amdsmi_init``,
``amdsmi_shut_down``, ``amdsmi_get_processor_handles``,
``amdsmi_get_gpu_asic_info``, ``amdsmi_get_energy_count`` (accumulator ticks ×
``counter_resolution`` µJ), ``amdsmi_get_power_info`` (W),
``amdsmi_get_gpu_enumeration_info`` (``hip_id``, 6.4+) and
``amdsmi_get_gpu_kfd_info`` (``node_id``).

The dict shapes follow the library version (``FakeAmdSmi(version=...)``), as
the PyPI wheels and the ROCm/amdsmi tags show them:

- ``6.1`` (and 6.0): energy under ``power``; power info with
  ``current_socket_power``/``average_socket_power`` as raw ints, unsupported
  fields pre-filled with ``0xFFFF`` (``amd_smi.cc``);
- ``6.2``: energy under ``power``; unsupported fields ``"N/A"``;
- ``6.3``: energy under both ``power`` and ``energy_accumulator``;
- ``6.4``: ``energy_accumulator`` only; ``hip_id`` in the enumeration info;
- ``7.0`` (default): adds ``socket_power``; unsupported fields ``UINT32_MAX``
  (not mapped to ``"N/A"`` by the 7.0.2 wheel).

Failure shapes of real GPUs: a 32-bit accumulator (``counter_bits=32``,
Radeon SMU tables) that wraps through :meth:`FakeAmdGpu.add_energy_j`;
``energy_ticks`` set to ``UINT32_MAX``/``UINT64_MAX`` (the unsupported
sentinel read with a success status); a counter that goes back or sticks
(assign ``energy_ticks``); ``errors`` (every call) and ``fail_next`` (the next
calls: ``BUSY``, ``RETRY``); :meth:`FakeAmdSmi.lose_init` (another user shut
the library down: ``NOT_INIT``); the secondary die of an MI250/MI250X (0 ticks
and 0 W: ``aldebaran_ppt.c`` reports the package on the primary die only); MI300X
compute partitions (``compute_partition``, and ``socket`` for partitions that
read one socket counter, which real devices may or may not do: AMD SMI does not
document it).
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
AMDSMI_STATUS_TIMEOUT = 8
AMDSMI_STATUS_RETRY = 9
AMDSMI_STATUS_NO_PERM = 10
AMDSMI_STATUS_INIT_ERROR = 18
AMDSMI_STATUS_BUSY = 30
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
    """Answer with the pre-6.3 key ``power`` instead of ``energy_accumulator``."""
    power_w: int | str | None = 300
    """``socket_power`` in W; "N/A" like the real library for unsupported fields."""
    current_supported: bool = True
    """Whether ``current_socket_power`` is supported (MI200: only the average is)."""
    power_limit_w: int = 750
    counter_bits: int = 64
    """Width of the SMU field behind the accumulator (32 on several Radeon GPUs)."""
    hip_id: int | None = None
    """HIP's index for this GPU where it differs from the AMD SMI order."""
    compute_partition: str | None = None
    """``amdsmi_get_gpu_compute_partition`` (``SPX``, ``DPX``, ``CPX``...); None: not supported."""
    socket: FakeAmdGpu | None = None
    """A partition whose energy counter is the socket's: reads come from that GPU's counter."""
    errors: dict[str, AmdSmiException] = field(default_factory=dict)
    fail_next: dict[str, list[AmdSmiException]] = field(default_factory=dict)
    """Function name -> errors to raise on the next calls, one per call (transient)."""

    def add_energy_j(self, joules: float) -> None:
        """Advance the accumulator by ``joules``, wrapping at its width like the hardware."""
        assert self.energy_ticks is not None
        ticks = round(joules / (self.counter_resolution_uj * 1e-6))
        self.energy_ticks = (self.energy_ticks + ticks) % (1 << self.counter_bits)


def add_ticks(gpu: FakeAmdGpu, ticks: int) -> None:
    """Advance a counter GPU's accumulator by ``ticks`` (no wrap: see ``add_energy_j``)."""
    assert gpu.energy_ticks is not None, "a power-only GPU has no counter"
    gpu.energy_ticks += ticks


class FakeAmdSmi:
    """An object that quacks like the ``amdsmi`` module."""

    AmdSmiException = AmdSmiException
    AmdSmiLibraryException = AmdSmiLibraryException
    AmdSmiInitFlags = AmdSmiInitFlags

    def __init__(
        self,
        gpus: list[FakeAmdGpu],
        *,
        init_error: Exception | None = None,
        version: str = "7.0",
    ):
        self.gpus = gpus
        self.init_error = init_error
        self.initialised = False
        self.init_flags: int | None = None
        self.init_count = 0
        self.version = tuple(int(p) for p in version.split("."))
        self._generation = 0

    def lose_init(self) -> None:
        """Shut the library down behind wattlens's back: old handles die, calls say NOT_INIT."""
        self.initialised = False

    def _gpu(self, handle: Any, fn: str) -> FakeAmdGpu:
        if not self.initialised or handle.generation != self._generation:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        gpu: FakeAmdGpu = handle.gpu
        if gpu.fail_next.get(fn):
            raise gpu.fail_next[fn].pop(0)
        if fn in gpu.errors:
            raise gpu.errors[fn]
        return gpu

    def _unsupported(self) -> int | str:
        if self.version < (6, 2):
            return 0xFFFF
        if self.version >= (7, 0):
            return 0xFFFFFFFF
        return "N/A"

    def amdsmi_init(self, flags: int = AmdSmiInitFlags.INIT_AMD_GPUS) -> None:
        if self.init_error is not None:
            raise self.init_error
        if not self.initialised:
            self._generation += 1  # handles of an earlier init are invalid
        self.initialised = True
        self.init_flags = flags
        self.init_count += 1

    def amdsmi_shut_down(self) -> None:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        self.initialised = False

    def amdsmi_get_processor_handles(self) -> list[Any]:
        if not self.initialised:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_INIT)
        return [SimpleNamespace(gpu=g, generation=self._generation) for g in self.gpus]

    def amdsmi_get_gpu_asic_info(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_gpu_asic_info")
        return {"market_name": gpu.market_name, "vendor_id": "0x1002", "device_id": "0x74a1"}

    def amdsmi_get_energy_count(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_energy_count")
        if gpu.socket is not None:
            gpu = gpu.socket
        if gpu.energy_ticks is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        if gpu.legacy_energy_key or self.version < (6, 3):
            keys = ["power"]
        elif self.version < (6, 4):
            keys = ["power", "energy_accumulator"]
        else:
            keys = ["energy_accumulator"]
        out: dict[str, Any] = dict.fromkeys(keys, gpu.energy_ticks)
        out["counter_resolution"] = gpu.counter_resolution_uj
        out["timestamp"] = 1_700_000_000_000_000_000
        return out

    def amdsmi_get_power_info(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_power_info")
        if gpu.power_w is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        na = self._unsupported()
        power: int | str = gpu.power_w if isinstance(gpu.power_w, int) else na
        info: dict[str, Any] = {
            "current_socket_power": power if gpu.current_supported else na,
            "average_socket_power": na if gpu.current_supported else power,
            "gfx_voltage": na,
            "soc_voltage": na,
            "mem_voltage": na,
            "power_limit": gpu.power_limit_w,
        }
        if self.version >= (7, 0):
            info["socket_power"] = power if gpu.current_supported else na
        return info

    def amdsmi_get_gpu_compute_partition(self, handle: Any) -> str:
        gpu = self._gpu(handle, "amdsmi_get_gpu_compute_partition")
        if gpu.compute_partition is None:
            raise AmdSmiLibraryException(AMDSMI_STATUS_NOT_SUPPORTED)
        return gpu.compute_partition

    def amdsmi_get_gpu_enumeration_info(self, handle: Any) -> dict[str, Any]:
        gpu = self._gpu(handle, "amdsmi_get_gpu_enumeration_info")
        if self.version < (6, 4):
            raise AttributeError("amdsmi_get_gpu_enumeration_info")  # not in this version
        hip = gpu.hip_id if gpu.hip_id is not None else self.gpus.index(gpu)
        return {"hip_id": hip, "drm_card": hip, "drm_render": 128 + hip, "hsa_id": hip}
