"""AMD GPU energy through AMD SMI (the ``amdsmi`` Python package shipped with ROCm).

Nothing here touches the driver at import: ``amdsmi`` is imported inside
:func:`_load_amdsmi`, and the module can be injected (``amdsmi_module=``)
so tests run the real code against a fake.

Per GPU, the best source wins:

- ``counter``: ``amdsmi_get_energy_count`` returns an accumulator in ticks
  and ``counter_resolution`` in µJ per tick (amdsmi.h, "Power Queries");
  energy is their product. The key was ``power`` before amdsmi 6.2.1 and is
  ``energy_accumulator`` since; both are accepted. The accumulator is 64-bit
  and does not wrap in practice; a driver reload resets it, which
  :class:`~wattlens.sensors.wrap.WrapAccumulator` absorbs.
- ``sampled``: ``amdsmi_get_power_info`` in watts (``socket_power`` since
  ROCm 7, ``current_socket_power`` on MI300 and newer,
  ``average_socket_power`` on older parts; unsupported fields read ``"N/A"``
  or ``UINT32_MAX``, amdsmi_power_info_t docs), integrated with the trapezoid
  rule between reads, so the meter must poll.

Components are ``gpu:N`` in the order of ``amdsmi_get_processor_handles``.
``HIP_VISIBLE_DEVICES`` / ``ROCR_VISIBLE_DEVICES`` are not applied: AMD SMI
does not promise the HIP enumeration order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wattlens.errors import SensorError, SensorPermissionError
from wattlens.sensors.base import Component, Probe, Reading, probe_and_close, start_sensor
from wattlens.sensors.wrap import WrapAccumulator

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
_UNSUPPORTED_VALUES = {0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF}


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
    import amdsmi

    return amdsmi


def _watts(info: dict[str, Any]) -> float | None:
    for key in ("socket_power", "current_socket_power", "average_socket_power"):
        value = info.get(key)
        if isinstance(value, int | float) and value not in _UNSUPPORTED_VALUES:
            return float(value)
    return None


def _energy_uj(count: dict[str, Any]) -> int:
    ticks = count.get("energy_accumulator", count.get("power"))
    resolution = count.get("counter_resolution")
    if not isinstance(ticks, int) or not isinstance(resolution, int | float):
        raise SensorError(f"amdsmi_get_energy_count returned no usable counter: {count!r}")
    return round(ticks * float(resolution))


@dataclass
class _Gpu:
    handle: Any
    component: Component
    accumulator: WrapAccumulator | None
    last_power_w: float | None = None
    last_time_s: float | None = None
    sampled_j: float = 0.0


class AmdSmiSensor:
    """Cumulative energy of every AMD GPU that AMD SMI sees.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API; default imports ``amdsmi``.
        clock: Seconds, monotonic; injectable so tests can integrate a known trace.

    Raises:
        SensorError: If AMD SMI cannot start, finds no GPU, or a GPU reports
            neither energy nor power.
        SensorPermissionError: If AMD SMI refuses this user.
    """

    name = "amdsmi"
    needs_polling: bool
    """True when any GPU is power-only (``sampled``)."""

    def __init__(
        self, *, amdsmi_module: Any | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._smi = amdsmi_module if amdsmi_module is not None else _load_amdsmi()
        self._clock = clock
        self._lock = threading.Lock()
        self._open = False
        self.notes: list[str] = []
        """Why devices were skipped, for ``wattlens doctor``."""
        self._call("start", self._smi.amdsmi_init, self._smi.AmdSmiInitFlags.INIT_AMD_GPUS)
        self._open = True
        try:
            self._gpus = self._discover()
            self.needs_polling = any(gpu.accumulator is None for gpu in self._gpus)
            self.read()  # anchor the counters and the sampled integrals
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

    def _discover(self) -> list[_Gpu]:
        smi = self._smi
        handles = self._call("list GPUs", smi.amdsmi_get_processor_handles)
        gpus: list[_Gpu] = []
        for index, handle in enumerate(handles):
            cid = f"gpu:{index}"
            name = self._name(handle)
            count = self._supported("read the energy counter", smi.amdsmi_get_energy_count, handle)
            has_counter = count is not None
            if not has_counter:
                info = self._supported("read power", smi.amdsmi_get_power_info, handle)
                if info is None or _watts(info) is None:
                    self.notes.append(f"{cid} ({name}) reports neither energy nor power: skipped")
                    continue
            basis = (
                "amdsmi_get_energy_count accumulator × counter_resolution"
                if has_counter
                else "amdsmi_get_power_info integrated by the trapezoid rule"
            )
            component = Component(
                id=cid,
                kind="gpu",
                name=name,
                method="counter" if has_counter else "sampled",
                sensor="amdsmi",
                basis=f"{basis}, AMD SMI processor {index}",
            )
            gpus.append(_Gpu(handle, component, WrapAccumulator(None) if has_counter else None))
        if not gpus:
            raise SensorError(
                "no AMD GPU to measure",
                hint="; ".join(self.notes) or "check `amd-smi list` and the amdgpu driver",
            )
        return gpus

    def components(self) -> list[Component]:
        """One component per measured GPU, in AMD SMI order."""
        return [gpu.component for gpu in self._gpus]

    def read(self) -> Reading:
        """Read every GPU now.

        Returns:
            Cumulative energy (J) and, where reported, power (W) per component.

        Raises:
            SensorError: If AMD SMI fails; the hint names the fix.
        """
        smi = self._smi
        with self._lock:
            energy_j: dict[str, float] = {}
            power_w: dict[str, float] = {}
            # One instant for the whole reading: the GPUs are read within microseconds.
            now_s = self._clock()
            for gpu in self._gpus:
                cid = gpu.component.id
                info = self._supported(
                    f"read the power of {cid}", smi.amdsmi_get_power_info, gpu.handle
                )
                watts = _watts(info) if isinstance(info, dict) else None
                if watts is not None:
                    power_w[cid] = watts
                if gpu.accumulator is not None:
                    count = self._call(
                        f"read the energy of {cid}", smi.amdsmi_get_energy_count, gpu.handle
                    )
                    energy_j[cid] = gpu.accumulator.update(_energy_uj(count)) / 1e6
                    continue
                if watts is None:
                    raise SensorError(
                        f"AMD SMI gave no power for {cid}, which has no energy counter"
                    )
                if gpu.last_time_s is not None and gpu.last_power_w is not None:
                    gpu.sampled_j += (gpu.last_power_w + watts) / 2 * (now_s - gpu.last_time_s)
                gpu.last_power_w, gpu.last_time_s = watts, now_s
                energy_j[cid] = gpu.sampled_j
            return Reading(timestamp_s=now_s, energy_j=energy_j, power_w=power_w)

    def close(self) -> None:
        """Shut AMD SMI down once."""
        with self._lock:
            if not self._open:
                return
            self._open = False
        self._call("shut down", self._smi.amdsmi_shut_down)


def open_amdsmi(amdsmi_module: Any | None = None) -> tuple[AmdSmiSensor | None, Probe]:
    """Start AMD SMI once: the sensor (None where it cannot run) and why; never raises.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API (default: import ``amdsmi``).
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
    sensor, probe = start_sensor("amdsmi", "AMD SMI", lambda: AmdSmiSensor(amdsmi_module=module))
    return (sensor if isinstance(sensor, AmdSmiSensor) else None), probe


def probe_amdsmi(amdsmi_module: Any | None = None) -> Probe:
    """Say whether AMD SMI can be used here and why not; never raises.

    Args:
        amdsmi_module: A module with the ``amdsmi`` API (default: import ``amdsmi``).

    Returns:
        A :class:`~wattlens.sensors.base.Probe` listing the GPUs and their method.
    """
    return probe_and_close(open_amdsmi(amdsmi_module))
