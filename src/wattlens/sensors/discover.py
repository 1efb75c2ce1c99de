"""Which sensors this machine has, found in a documented order.

Probe order: NVIDIA GPUs (NVML), AMD GPUs (AMD SMI), CPU packages and DRAM
(RAPL), then the utilisation model for whatever is left uncovered (CPU when
RAPL is missing or unreadable, RAM when RAPL has no DRAM zone). Every
backend that is skipped says why and what would enable it, which is what
``wattlens doctor`` prints. Nothing is probed at import; the first
:func:`default_discovery` call probes once per process.

Four cross-backend rules:

- When NVML found GPUs, AMD GPUs are ``gpu:amd:N`` so that the ids of two
  vendors never collide (an AMD iGPU next to an NVIDIA dGPU).
- A superchip module counter (GH200, GB200: ``kind == "module"``) already
  covers the CPU and memory, so the model does not add them again.
- An APU (MI300A) next to a CPU component gives a warning: whether AMD SMI's
  socket energy also covers the CPU cores is not documented.
- GPU device nodes without a working backend (``/dev/nvidia0`` without NVML,
  ``/dev/kfd`` without AMD SMI) give a warning for every measurement: the
  GPUs exist but are not measured. With ROCm PyTorch, ``import torch`` before
  ``amdsmi`` can hide every GPU from AMD SMI (pytorch/pytorch#186516).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
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
    warnings: tuple[str, ...] = ()
    """What every measurement with these sensors must say (unmeasured GPUs)."""


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
    dev_root: Path = Path("/dev"),
    environ: Mapping[str, str] | None = None,
) -> Discovery:
    """Probe every backend in order and build the sensors to measure with.

    Args:
        rapl_root: The powercap class directory (tests pass a fake tree).
        rapl_reader: Reads one sysfs file (tests simulate permissions).
        nvml_module: A module with the ``pynvml`` API (tests pass a fake).
        amdsmi_module: A module with the ``amdsmi`` API (tests pass a fake).
        use_model: Model what no sensor covers.
        dev_root: Where the GPU device nodes are (``/dev``).
        environ: Where the GPU backends read the visibility variables
            (``CUDA_VISIBLE_DEVICES``…); default ``os.environ``.
    """
    from wattlens.sensors import amdsmi as amd
    from wattlens.sensors import nvml, rapl

    sensors: list[Sensor] = []
    probes: list[Probe] = []
    warnings: list[str] = []

    # GPU backends are started once: the probe and the sensor come from the same start.
    nv, report = nvml.open_nvml(nvml_module, environ)
    probes.append(report)
    if nv is not None:
        sensors.append(nv)
    elif _has_nodes(dev_root, "nvidia[0-9]*"):
        warnings.append(f"NVIDIA GPUs are present but not measured: {report.reason}")
    prefix = "gpu:amd" if nv is not None else "gpu"
    amd_sensor, report = amd.open_amdsmi(amdsmi_module, environ, id_prefix=prefix)
    probes.append(report)
    if amd_sensor is not None:
        sensors.append(amd_sensor)
    elif _has_nodes(dev_root, "kfd"):
        warnings.append(f"AMD GPUs are present but not measured: {report.reason}")

    root = rapl_root or rapl.DEFAULT_ROOT
    cpu, report = _try(
        "rapl",
        lambda: rapl.probe_rapl(root, reader=rapl_reader),
        lambda: rapl.RaplSensor(root, reader=rapl_reader),
    )
    probes.append(report)
    if cpu is not None:
        sensors.append(cpu)
    kinds = {c.kind for s in sensors for c in s.components()}

    # A superchip module counter covers CPU and memory already (ml-energy/zeus#172).
    need_cpu = not kinds & {"cpu", "module"}
    need_ram = not kinds & {"dram", "module"}
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
            return Discovery(tuple(sensors), tuple(probes), (*warnings, *_apu_overlap(sensors)))
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
    return Discovery(tuple(sensors), tuple(probes), (*warnings, *_apu_overlap(sensors)))


# APUs whose AMD SMI socket is the whole package, CPU cores included: the MI300A puts
# "Zen 4" CPU cores, CDNA 3 GPU and HBM in one package (AMD Instinct MI300A APU data sheet).
_APU_NAMES = ("MI300A",)


def _apu_overlap(sensors: list[Sensor]) -> list[str]:
    """A warning where an APU's GPU energy may already hold the CPU energy counted again."""
    components = [c for s in sensors for c in s.components()]
    apus = [c for c in components if c.sensor == "amdsmi" and any(n in c.name for n in _APU_NAMES)]
    cpus = [c.id for c in components if c.kind == "cpu"]
    if not apus or not cpus:
        return []
    return [
        f"{apu.id} ({apu.name}) is an APU: AMD SMI does not document whether its socket "
        f"energy includes the CPU cores that {' and '.join(cpus)} also "
        f"{'counts' if len(cpus) == 1 else 'count'}, so CPU energy "
        "may be counted twice"
        for apu in apus
    ]


def _has_nodes(dev_root: Path, pattern: str) -> bool:
    try:
        return any(dev_root.glob(pattern))
    except OSError:
        return False


_default: Discovery | None = None
_default_lock = threading.Lock()


def default_discovery() -> Discovery:
    """The process-wide discovery, probed once on first use."""
    global _default  # noqa: PLW0603 - hardware is probed once per process
    with _default_lock:
        if _default is None:
            _default = discover()
        return _default
