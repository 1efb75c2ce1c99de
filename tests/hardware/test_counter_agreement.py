"""On a GPU machine: the energy counter against the vendor tool's integrated power.

A known load (dense matrix products through torch, where installed; else the
idle GPU) runs for :data:`LOAD_S` seconds while ``nvidia-smi`` (or
``amd-smi``) reports power every 100 ms in a subprocess. The counter's
energy and the trapezoid integral of the tool's power must agree within
:data:`TOLERANCE`; the figures are printed (``pytest -s``) and recorded as
test properties for the note. The tool's power on Ampere and newer is a
1-second trailing mean (NVML API reference, ``nvmlDeviceGetPowerUsage``),
which shifts its integral by about half a second of power at each edge:
small against ``LOAD_S``.

Skips, naming the reason, where the GPU, its Python library or its tool is absent.
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable

import pytest

from wattlens.sensors.base import Sensor

pytestmark = pytest.mark.hardware

LOAD_S = 15.0
TOLERANCE = 0.10
"""Relative disagreement allowed between counter and integrated tool power."""


def _load(seconds: float, device: str) -> str:
    """Keep the GPU busy for ``seconds``; say what the load was."""
    try:
        import torch
    except ImportError:
        time.sleep(seconds)
        return "idle (torch not installed)"
    if not torch.cuda.is_available():
        time.sleep(seconds)
        return "idle (torch has no GPU)"
    a = torch.randn(8192, 8192, device=device, dtype=torch.float16)
    b = torch.randn(8192, 8192, device=device, dtype=torch.float16)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        a = (a @ b).clamp_(-1, 1)
        n += 1
        if n % 20 == 0:
            torch.cuda.synchronize()
    torch.cuda.synchronize()
    return f"{n} fp16 8192² matrix products"


def _integrate(samples: list[tuple[float, float]]) -> float:
    return sum((p0 + p1) / 2 * (t1 - t0) for (t0, p0), (t1, p1) in itertools.pairwise(samples))


def _poll(read_w: Callable[[], float | None], stop: threading.Event) -> list[tuple[float, float]]:
    samples: list[tuple[float, float]] = []
    while not stop.is_set():
        watts = read_w()
        if watts is not None:
            samples.append((time.monotonic(), watts))
        stop.wait(0.1)
    return samples


def _compare(
    sensor: Sensor, cid: str, read_w: Callable[[], float | None], record: Callable[..., None]
) -> None:
    stop = threading.Event()
    box: list[list[tuple[float, float]]] = []
    poller = threading.Thread(target=lambda: box.append(_poll(read_w, stop)))
    before = sensor.read()
    poller.start()
    load = _load(LOAD_S, "cuda:0")
    stop.set()
    poller.join()
    after = sensor.read()
    samples = box[0]
    assert len(samples) > LOAD_S * 2, "the tool answered too rarely to integrate"
    tool_j = _integrate(samples)
    counter_j = after.energy_j[cid] - before.energy_j[cid]
    # Align the windows: the tool's samples span slightly less than the counter's.
    span = samples[-1][0] - samples[0][0]
    counter_w = counter_j / (after.timestamp_s - before.timestamp_s)
    tool_w = tool_j / span
    agreement = counter_w / tool_w - 1
    report = (
        f"{cid}: load {load}; counter {counter_w:.1f} W, tool {tool_w:.1f} W over "
        f"{span:.1f} s ({len(samples)} samples): {agreement:+.2%}"
    )
    print(report)
    record("agreement", report)
    assert abs(agreement) <= TOLERANCE, report


def test_nvml_counter_agrees_with_nvidia_smi(record_property: Callable[..., None]) -> None:
    pytest.importorskip("pynvml", reason="nvidia-ml-py is not installed (wattlens[nvidia])")
    if shutil.which("nvidia-smi") is None:
        pytest.skip("nvidia-smi is not on PATH")
    from wattlens.sensors.nvml import NvmlSensor, probe_nvml

    probe = probe_nvml()
    if not probe.available:
        pytest.skip(f"NVML unavailable: {probe.reason}")
    sensor = NvmlSensor()
    try:
        comp = sensor.components()[0]
        if comp.method != "counter":
            pytest.skip(f"{comp.id} has no energy counter (pre-Volta)")
        uuid = comp.basis.split("(")[1].split(")")[0]

        def read_w() -> float | None:
            query = ["--query-gpu=power.draw", "--format=csv,noheader,nounits"]
            out = subprocess.run(
                ["nvidia-smi", "-i", uuid, *query],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            try:
                return float(out.stdout.strip().splitlines()[0])
            except (ValueError, IndexError):
                return None

        _compare(sensor, comp.id, read_w, record_property)
    finally:
        sensor.close()


def test_amdsmi_counter_agrees_with_amd_smi(record_property: Callable[..., None]) -> None:
    pytest.importorskip("amdsmi", reason="amdsmi is not installed (wattlens[amd])")
    if shutil.which("amd-smi") is None:
        pytest.skip("amd-smi is not on PATH")
    from wattlens.sensors.amdsmi import AmdSmiSensor, probe_amdsmi

    probe = probe_amdsmi()
    if not probe.available:
        pytest.skip(f"AMD SMI unavailable: {probe.reason}")
    sensor = AmdSmiSensor()
    try:
        comp = sensor.components()[0]
        if comp.method != "counter":
            pytest.skip(f"{comp.id} has no energy counter")
        index = comp.basis.rsplit("processor ", 1)[1].split(";")[0]

        def read_w() -> float | None:
            out = subprocess.run(
                ["amd-smi", "metric", "--power", "--gpu", index, "--json"],
                capture_output=True, text=True, timeout=5, check=False,
            )  # fmt: skip
            try:
                data = json.loads(out.stdout)
                entry = data[0] if isinstance(data, list) else data
                power = entry["power"]
                value = power.get("socket_power", power.get("average_socket_power"))
                return float(value["value"] if isinstance(value, dict) else value)
            except (ValueError, KeyError, IndexError, TypeError):
                return None

        _compare(sensor, comp.id, read_w, record_property)
    finally:
        sensor.close()
