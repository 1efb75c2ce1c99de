"""Serving-stack profiles: the constants of the inference model, per engine generation.

One data file, ``formulas/data/serving_stacks.csv``, holds every constant of the
inference model with its range, its kind (``fitted``, ``bound`` or
``estimate``), its basis and the data it was fitted on. A request runs on a
*stack*: ``current`` (an optimised engine of 2025), ``older`` (an engine
generation of 2023-2024), ``hf`` (plain transformers ``generate``) or
``llama.cpp``; ``unknown`` (the default) draws each Monte Carlo sample's stack
from all of them by the file's prior weights, so its range spans them all.
The file's ``all`` rows hold for every stack: the fitted residual, the
expert-parallel exchange per MoE layer, the 8-bit kernels' efficiency and the
wider range of chips no fitted row ran on. ``formulas/data/moe_experts.csv``
holds the routing (experts, experts per token, MoE layers) of the catalog's MoE
models.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

from wattlens.errors import InputValueError
from wattlens.formulas.uncertainty import Uncertain

UNKNOWN = "unknown"
#: Catalog accelerators that the fitted rows ran on (ML.ENERGY v3: H100 SXM, B200; v1: A100).
#: Any other chip goes through the same roofline with the ``all,chip_residual`` range on top.
FITTED_ACCELERATORS = frozenset(
    {"nvidia-h100-sxm", "nvidia-b200", "nvidia-a100-sxm4-40gb", "nvidia-a100-sxm4-80gb"}
)
ALL = "all"  # rows that hold for every stack
#: The inputs every profile sets (beside its label and prior weight).
PARAMETERS = (
    "mem_efficiency",
    "compute_efficiency",
    "power_fraction",
    "memory_power_share",
    "overhead_power_fraction",
    "step_overhead_s",
    "step_overhead_per_seq_s",
    "per_seq_on_host",
    "moe_compute_efficiency",
    "static_batching",
)


@dataclass(frozen=True)
class StackProfile:
    """One serving stack: its constants (each an :class:`Uncertain` with a basis)."""

    name: str
    label: str
    weight: float
    params: dict[str, Uncertain]
    max_batch: float
    """The largest batch at which the unknown-stack mixture includes this engine."""
    sources: tuple[str, ...]


def _uncertain(row: dict[str, str]) -> Uncertain:
    low, high = float(row["low"]), float(row["high"])
    mode = float(row["mode"]) if row["mode"] else None
    shape = row["shape"] or "uniform"
    basis = f"{row['kind']} ({row['source']}): {row['basis']}"
    return Uncertain(low, high, shape, mode, basis)  # type: ignore[arg-type]


@functools.cache
def stacks() -> dict[str, StackProfile]:
    """Every named profile of the data file, by name (``unknown`` is not one of them)."""
    text = (resources.files("wattlens.formulas") / "data" / "serving_stacks.csv").read_text(
        encoding="utf-8"
    )
    rows: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(text.splitlines()):
        rows.setdefault(row["stack"], []).append(row)
    out: dict[str, StackProfile] = {}
    for name, entries in rows.items():
        if name == ALL:
            continue
        by_param = {r["parameter"]: r for r in entries}
        missing = set(PARAMETERS) - set(by_param)
        if missing:  # a broken data file is a packaging error, not a user error
            raise ValueError(f"serving_stacks.csv: {name} lacks {sorted(missing)}")
        out[name] = StackProfile(
            name=name,
            label=by_param["label"]["basis"],
            weight=float(by_param["weight"]["low"]),
            params={p: _uncertain(by_param[p]) for p in PARAMETERS},
            max_batch=float(by_param["max_batch"]["low"])
            if "max_batch" in by_param
            else float("inf"),
            sources=tuple(sorted({by_param[p]["source"] for p in PARAMETERS})),
        )
    return out


@functools.cache
def every_stack(parameter: str) -> Uncertain:
    """A constant that holds for every stack (the file's ``all`` rows)."""
    text = (resources.files("wattlens.formulas") / "data" / "serving_stacks.csv").read_text(
        encoding="utf-8"
    )
    for row in csv.DictReader(text.splitlines()):
        if row["stack"] == ALL and row["parameter"] == parameter:
            return _uncertain(row)
    raise ValueError(f"serving_stacks.csv lacks the all,{parameter} row")


def model_residual() -> Uncertain:
    """The factor the roofline leaves unexplained (every stack): measured / estimated."""
    return every_stack("model_residual")


@dataclass(frozen=True)
class Experts:
    """A mixture-of-experts model's routing: experts per layer, routed per token, MoE layers."""

    experts: int
    per_token: int
    moe_layers: int
    source: str


@functools.cache
def moe_experts() -> dict[str, Experts]:
    """Routing of the catalog's MoE models (``formulas/data/moe_experts.csv``), by model id."""
    text = (resources.files("wattlens.formulas") / "data" / "moe_experts.csv").read_text(
        encoding="utf-8"
    )
    out = {}
    for row in csv.DictReader(text.splitlines()):
        counts = (int(row["experts"]), int(row["experts_per_token"]), int(row["moe_layers"]))
        out[row["model"]] = Experts(*counts, row["source"])
    return out


def stack_names() -> tuple[str, ...]:
    """``unknown`` followed by the named profiles."""
    return (UNKNOWN, *stacks())


def check_stack(name: str) -> str:
    """The profile name, or an error listing the known ones."""
    key = name.strip().lower()
    aliases = {"vllm": "current", "sglang": "current", "transformers": "hf",
               "huggingface": "hf", "llamacpp": "llama.cpp"}  # fmt: skip
    key = aliases.get(key, key)
    if key not in stack_names():
        raise InputValueError(
            f"unknown serving stack {name!r}",
            hint=f"use one of: {', '.join(stack_names())} (unknown spans them all)",
        )
    return key
