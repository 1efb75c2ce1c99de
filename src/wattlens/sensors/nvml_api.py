"""The NVML library as wattlens meets it: loading, errors, names and device visibility.

Nothing here touches the driver at import: ``pynvml`` is imported inside
:func:`load_pynvml`. Every NVML error goes through one table,
:data:`NVML_ERRORS`, into :class:`~wattlens.errors.SensorError` or
:class:`~wattlens.errors.SensorPermissionError` with a hint.
:func:`visible_nvml_indices` maps ``CUDA_VISIBLE_DEVICES`` to NVML indices as
CUDA numbers the devices.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wattlens.errors import SensorError, SensorPermissionError

__all__ = [
    "NVML_ERRORS",
    "is_nvml_error",
    "load_pynvml",
    "nvml_error",
    "nvml_text",
    "visible_nvml_indices",
]

# One table for every NVML error wattlens can meet: exception class name (as
# nvidia-ml-py generates them from NVML_ERROR_*) -> (wattlens class, hint).
# Names rather than classes so the table needs no import of pynvml and fits
# any module with the same API.
NVML_ERRORS: dict[str, tuple[type[SensorError], str]] = {
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
        "this GPU, its mode (MIG, vGPU) or the driver does not support the query "
        "(the total-energy counter needs Volta or newer)",
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


def nvml_error(exc: Exception, action: str) -> SensorError:
    """Translate one NVML exception into a wattlens error, through :data:`NVML_ERRORS`."""
    for cls in type(exc).__mro__:
        if cls.__name__ in NVML_ERRORS:
            kind, hint = NVML_ERRORS[cls.__name__]
            return kind(f"NVML failed to {action}: {exc}", hint=hint)
    return SensorError(f"NVML failed to {action}: {exc}")


def is_nvml_error(nvml: Any, exc: Exception, *names: str) -> bool:
    """True when ``exc`` is an NVML error (or one of the named NVMLError_* subclasses)."""
    if names:
        return any(isinstance(exc, getattr(nvml, n, ())) for n in names)
    return isinstance(exc, getattr(nvml, "NVMLError", ()))


def load_pynvml() -> Any:
    import pynvml

    return pynvml


def nvml_text(value: str | bytes) -> str:
    # nvidia-ml-py returned bytes before 11.5 and str since; accept both.
    return value.decode() if isinstance(value, bytes) else value


def visible_nvml_indices(
    value: str | None,
    uuids: list[str],
    notes: list[str] | None = None,
    *,
    mig_parent: Callable[[str], int | None] | None = None,
    mig: set[int] | None = None,
) -> list[int]:
    """Map ``CUDA_VISIBLE_DEVICES`` to NVML indices, in the order CUDA numbers them.

    Args:
        value: The variable's value, or ``None`` when unset (all devices).
        uuids: The UUID of each NVML device, by NVML index (``GPU-…``).
        notes: Where to append a note for every entry that is ignored.
        mig_parent: Resolves a ``MIG-`` UUID to the index of its parent GPU
            (``None`` when it names no instance); without it MIG entries are
            ignored with a note.
        mig: Where to add the positions (CUDA indices) that are MIG instances.

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
        index: int | None = None
        if entry.startswith("MIG-"):
            if mig_parent is None:
                notes.append(
                    f"CUDA_VISIBLE_DEVICES entry {entry} ignored: NVML measures whole GPUs, "
                    "not MIG instances"
                )
                continue
            index = mig_parent(entry)
            if index is not None and index not in chosen and mig is not None:
                mig.add(len(chosen))
        elif entry.lstrip("-").isdigit():
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
