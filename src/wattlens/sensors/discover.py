"""Which sensors this machine has, found in a documented order.

Probe order: NVIDIA GPUs (NVML), AMD GPUs (AMD SMI), CPU packages and DRAM
(RAPL), then the utilisation model for whatever is left uncovered (CPU when
RAPL is missing or unreadable, RAM when RAPL has no DRAM zone). Every
backend that is skipped says why and what would enable it, which is what
``wattlens doctor`` prints. Nothing is probed at import; the first
:func:`default_discovery` call probes once per process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wattlens.errors import SensorError
from wattlens.sensors.base import Probe, Sensor


@dataclass(frozen=True)
class Discovery:
    """The sensors to use and the probe report behind the choice."""

    sensors: tuple[Sensor, ...]
    probes: tuple[Probe, ...]


def _try(
    backend: str, probe: Callable[[], Probe], build: Callable[[], Sensor]
) -> tuple[Sensor | None, Probe]:
    report = probe()
    if not report.available:
        return None, report
    try:
        sensor = build()
    except (SensorError, ImportError, OSError) as exc:
        message = getattr(exc, "message", str(exc))
        return None, Probe(backend, False, f"probe passed but start failed: {message}",
                           getattr(exc, "hint", None))  # fmt: skip
    return sensor, Probe(backend, True, report.reason, None, tuple(sensor.components()))


def discover(
    *,
    rapl_root: Path | None = None,
    rapl_reader: Callable[[Path], str] | None = None,
    nvml_module: Any | None = None,
    amdsmi_module: Any | None = None,
    use_model: bool = True,
) -> Discovery:
    """Probe every backend in order and build the sensors to measure with."""
    from wattlens.sensors import amdsmi as amd
    from wattlens.sensors import nvml, rapl

    sensors: list[Sensor] = []
    probes: list[Probe] = []

    # GPU backends are started once: the probe and the sensor come from the same start.
    for sensor, report in (nvml.open_nvml(nvml_module), amd.open_amdsmi(amdsmi_module)):
        probes.append(report)
        if sensor is not None:
            sensors.append(sensor)

    root = rapl_root or rapl.DEFAULT_ROOT
    cpu, report = _try(
        "rapl",
        lambda: rapl.probe_rapl(root, reader=rapl_reader),
        lambda: rapl.RaplSensor(root, reader=rapl_reader),
    )
    probes.append(report)
    kinds = set()
    if cpu is not None:
        sensors.append(cpu)
        kinds = {c.kind for c in cpu.components()}

    need_cpu, need_ram = "cpu" not in kinds, "dram" not in kinds
    if use_model and (need_cpu or need_ram):
        from wattlens.sensors.model import ModelSensor

        try:
            model = ModelSensor(include_cpu=need_cpu, include_ram=need_ram)
            model.read()  # the model reads /proc: fail here, with a reason, not mid-run
        except OSError as exc:
            probes.append(
                Probe(
                    "model",
                    False,
                    f"the utilisation model needs Linux /proc ({exc.strerror or exc})",
                    "measure on Linux, or with an NVIDIA or AMD GPU sensor",
                )
            )
            return Discovery(tuple(sensors), tuple(probes))
        covered = " and ".join(p for p, n in (("CPU", need_cpu), ("RAM", need_ram)) if n)
        probes.append(
            Probe(
                "model",
                True,
                f"modelling {covered} from utilisation ({model.profile.basis})",
                "a readable RAPL powercap interface would replace the model with counters"
                if need_cpu
                else None,
                tuple(model.components()),
            )
        )
        sensors.append(model)
    return Discovery(tuple(sensors), tuple(probes))


_default: Discovery | None = None
_default_lock = threading.Lock()


def default_discovery() -> Discovery:
    """The process-wide discovery, probed once on first use."""
    global _default  # noqa: PLW0603 - hardware is probed once per process
    with _default_lock:
        if _default is None:
            _default = discover()
        return _default
