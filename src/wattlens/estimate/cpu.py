"""Inference on a CPU: a socket, or a slice of its cores, as the roofline's device.

The inference roofline needs of its device a power (TDP), a memory bandwidth and a
dense peak. A catalog CPU row gives them for the whole socket: its vendor TDP, its
DRAM bandwidth (channels x transfer rate x 8 bytes) and its peak (cores x base clock
x FLOPs per cycle). A model served on ``N`` of the socket's ``C`` cores (a cloud
VM's vCPUs, or a process pinned to some cores) gets shares of them:

- **compute**: ``N / C`` of the peak (each core has its own vector units);
- **power**: ``N / C`` of the TDP for whole cores, ``N / T`` (``T`` hardware
  threads) for vCPUs that are one thread of a core whose sibling serves someone
  else; the range spans both. This is the usage x TDP-per-core model of Green
  Algorithms (Lannelongue, Grealey & Inouye 2021, Adv. Sci. 8:2100707, eq. 1);
  the share includes the uncore (memory controllers, I/O die) a slice uses;
- **memory bandwidth**: between the fair share ``N / C`` (every core of the socket
  streams) and a multiple of it (idle neighbours leave bandwidth free), capped at
  the socket: the bandwidth of a slice is the least certain of the three.

The serving stacks (``hf``, ``llama.cpp``) keep their profiles, except the constants
that differ on a CPU (``formulas/data/cpu_stacks.csv``: bandwidth and compute
efficiency of eager PyTorch on CPU cores, busy power, and the power while a step
runs host code, which on a CPU runs on the same busy cores). Engines with no CPU
profile (``current``, ``older``) are refused on a CPU.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, replace
from importlib import resources
from typing import TYPE_CHECKING

from wattlens.errors import InputValueError
from wattlens.formulas.uncertainty import Input, Uncertain
from wattlens.types import WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Accelerator, Catalog, Cpu
    from wattlens.estimate._common import Array, Assumption
    from wattlens.estimate.stacks import StackProfile

_ALL = "all"
_GREEN_ALGORITHMS = "Lannelongue, Grealey & Inouye 2021, Green Algorithms, Adv. Sci. 8:2100707"


def _rows() -> list[dict[str, str]]:
    text = (resources.files("wattlens.formulas") / "data" / "cpu_stacks.csv").read_text(
        encoding="utf-8"
    )
    return list(csv.DictReader(text.splitlines()))


def _uncertain(row: dict[str, str]) -> Uncertain:
    mode = float(row["mode"]) if row["mode"] else None
    basis = f"{row['kind']} on a CPU ({row['source']}): {row['basis']}"
    return Uncertain(float(row["low"]), float(row["high"]), row["shape"] or "uniform",  # type: ignore[arg-type]
                     mode, basis)  # fmt: skip


@functools.cache
def cpu_overrides() -> dict[str, dict[str, Uncertain]]:
    """The constants a stack takes on a CPU, by stack name (``formulas/data/cpu_stacks.csv``)."""
    out: dict[str, dict[str, Uncertain]] = {}
    for row in _rows():
        if row["stack"] != _ALL:
            out.setdefault(row["stack"], {})[row["parameter"]] = _uncertain(row)
    return out


@functools.cache
def _every_stack(parameter: str) -> Uncertain:
    """A CPU constant that holds for every stack (the file's ``all`` rows)."""
    for row in _rows():
        if row["stack"] == _ALL and row["parameter"] == parameter:
            return _uncertain(row)
    raise ValueError(f"cpu_stacks.csv lacks the all,{parameter} row")


def _bandwidth_boost() -> Uncertain:
    return _every_stack("slice_bandwidth_boost")


@dataclass(frozen=True)
class CpuSlice:
    """``cores`` of one CPU socket as the device of an inference estimate."""

    cpu: Cpu
    cores: int
    row: Accelerator
    """The whole socket's figures in the shape the roofline reads."""
    power_share: Input
    bandwidth_share: Input

    @property
    def compute_share(self) -> float:
        assert self.cpu.cores is not None
        return self.cores / self.cpu.cores

    @property
    def label(self) -> str:
        whole = self.cores == self.cpu.cores
        return (
            self.cpu.name if whole else f"{self.cpu.name}, {self.cores} of {self.cpu.cores} cores"
        )

    def inputs(self) -> dict[str, Input]:
        """The slice's shares as Monte Carlo inputs (stated, with their basis, in the result).

        The rest of the server (``host_fraction``) is a CPU server's, not the GPU
        servers' default: the CPU already is the host.
        """
        return {
            "cpu_power_share": self.power_share,
            "cpu_bandwidth_share": self.bandwidth_share,
            "host_fraction": _every_stack("host_fraction"),
        }

    def scale(
        self, draws: dict[str, Array], tdp: Array | float, bandwidth: Array | float,
        peak: Array | float,
    ) -> tuple[Array, Array, Array | float]:  # fmt: skip
        """The socket's TDP, bandwidth and peak, cut to the slice's shares."""
        return (
            tdp * draws["cpu_power_share"],
            bandwidth * draws["cpu_bandwidth_share"],
            peak * self.compute_share,
        )

    def profiles(self, chosen: list[StackProfile]) -> list[StackProfile]:
        """The chosen stacks with their CPU constants; stacks with none are refused."""
        overrides = cpu_overrides()
        usable = [p for p in chosen if p.name in overrides]
        if not usable:
            raise InputValueError(
                f"the {chosen[0].name!r} serving stack has no CPU profile",
                hint=f"on a CPU use --stack {' or --stack '.join(overrides)} (or unknown)",
            )
        return [
            replace(
                p,
                params={**p.params, **overrides[p.name]},
                sources=(*p.sources, "formulas/data/cpu_stacks.csv"),
            )
            for p in usable
        ]

    def assumptions(self) -> list[Assumption]:
        from wattlens.estimate._common import Assumption

        cpu = self.cpu
        peak = self.row.fp32_tflops
        out = [
            Assumption(
                "cpu",
                f"{cpu.name}: {cpu.memory_channels} x {cpu.memory_mts:g} MT/s = "
                f"{cpu.memory_bandwidth_gbs:g} GB/s, fp32 peak {peak:g} TFLOP/s = {cpu.cores} "
                f"cores x {cpu.base_clock_ghz:g} GHz x {cpu.fp32_flops_per_cycle:g} FLOP/cycle",
                f"{cpu.source}; FLOPs per cycle: {cpu.flops_basis}",
            ),
            Assumption(
                "cpu slice",
                f"{self.cores} of {cpu.cores} cores: {self.compute_share:.3g} of the peak",
                "each core has its own vector units; pass --cores",
            ),
        ]
        if cpu.max_memory_gb is None:
            out.append(Assumption("memory", "not checked",
                                  "the catalog has no maximum memory for this part"))  # fmt: skip
        return out

    def warnings(self) -> list[WarningItem]:
        """What a slice of a socket leaves uncertain (nothing for the whole socket)."""
        if self.cores == self.cpu.cores:
            return []
        return [WarningItem(
            "cpu-slice",
            f"{self.label}: power and memory bandwidth are shares of the socket's (ranges); "
            "a slice's bandwidth depends on what the other cores do, and weights that fit in "
            "the caches are read faster than from DRAM",
        )]  # fmt: skip


def cpu_slice(name: str, cores: int | None, catalog: Catalog) -> CpuSlice | None:
    """The CPU (or ``cores`` of it) that ``name`` names, or None where it names no CPU.

    Raises:
        InputValueError: ``cores`` out of the part's range, ``cores`` with an accelerator,
            or a CPU whose row lacks the figures a roofline needs.
        UnknownNameError: ``cores`` given and ``name`` names no catalog CPU.
    """
    from wattlens.catalog import Cpu
    from wattlens.errors import AmbiguousNameError, UnknownNameError

    if cores is not None and cores < 1:
        raise InputValueError(
            f"cores must be at least 1, got {cores}",
            hint="the cores of the CPU that run the model, e.g. --cores 2",
        )
    try:
        cpu = catalog.get_typed("cpus", name, Cpu)
    except (UnknownNameError, AmbiguousNameError) as not_a_cpu:
        if cores is None:
            return None
        try:
            catalog.get("accelerators", name)
        except (UnknownNameError, AmbiguousNameError):
            raise not_a_cpu from None
        raise InputValueError(
            f"--cores applies to a CPU; {name!r} is an accelerator",
            hint="drop --cores, or name a CPU (wattlens catalog ls cpus)",
        ) from None
    missing = [
        label
        for label, value in (
            ("cores", cpu.cores),
            ("TDP", cpu.tdp_w),
            ("memory bandwidth", cpu.memory_bandwidth_gbs),
            ("base clock", cpu.base_clock_ghz),
            ("FP32 FLOPs per cycle", cpu.fp32_flops_per_cycle),
        )
        if value is None
    ]
    if missing:
        raise InputValueError(
            f"the catalog has no {', '.join(missing)} for {cpu.name}: "
            "inference on it cannot be modelled",
            hint="name a CPU whose row gives them (amd-epyc-7763, intel-xeon-6980p, ...) or add "
            "your own row with sourced figures (README, 'Your own rows')",
        )
    assert cpu.cores is not None
    n = cpu.cores if cores is None else cores
    if n > cpu.cores:
        raise InputValueError(
            f"{cpu.name} has {cpu.cores} cores; --cores {n} is more",
            hint=f"use --cores 1 to {cpu.cores}; several sockets: --count SOCKETS",
        )
    return CpuSlice(cpu, n, _device_row(cpu), _power_share(cpu, n), _bandwidth_share(cpu, n))


def _device_row(cpu: Cpu) -> Accelerator:
    from wattlens.catalog import Accelerator

    peak_bf16 = cpu.peak_flops("bf16")
    peak_fp32 = cpu.peak_flops("fp32")
    assert peak_fp32 is not None
    return Accelerator(
        id=cpu.id,
        name=cpu.name,
        vendor=cpu.vendor,
        form_factor="cpu",
        # The memory a CPU serves from is the machine's; the part's maximum bounds it.
        memory_gb=cpu.max_memory_gb or float("inf"),
        memory_bandwidth_gbs=cpu.memory_bandwidth_gbs,
        tdp_w=cpu.tdp_w,
        fp32_tflops=peak_fp32 / 1e12,
        bf16_tflops=None if peak_bf16 is None else peak_bf16 / 1e12,
        release_year=cpu.release_year,
        source=cpu.source,
        year=cpu.year,
    )


def _power_share(cpu: Cpu, cores: int) -> Input:
    assert cpu.cores is not None
    whole = cores / cpu.cores
    if not cpu.threads or cpu.threads <= cpu.cores:
        return whole
    return Uncertain(
        cores / cpu.threads, whole, "loguniform",
        basis=f"{cores} cores (or vCPUs) of {cpu.cores} cores / {cpu.threads} threads: "
        f"{cores}/{cpu.cores} of the TDP for whole cores, {cores}/{cpu.threads} for vCPUs that "
        f"are one thread of a core shared with another tenant (usage x TDP per core, "
        f"{_GREEN_ALGORITHMS})",
    )  # fmt: skip


def _bandwidth_share(cpu: Cpu, cores: int) -> Input:
    assert cpu.cores is not None
    fair = cores / cpu.cores
    boost = _bandwidth_boost()
    high = min(1.0, fair * boost.high)
    if high <= fair:
        return fair
    return Uncertain(
        fair, high, "loguniform",
        basis=f"fair share {cores}/{cpu.cores} of the socket's bandwidth up to {high:.3g} "
        f"({boost.basis})",
    )  # fmt: skip
