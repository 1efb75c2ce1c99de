"""Per-request inference-energy estimates from a roofline, with ranges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wattlens.errors import InputValueError
from wattlens.estimate._common import (
    HOST_FRACTION,
    Assumption,
    Boundary,
    InferenceEstimate,
    as_input,
    check_boundary,
    count_input,
    default_pue,
    is_range,
    resolve_accelerator,
    resolve_model,
)
from wattlens.formulas.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED, Input, Uncertain, central
from wattlens.types import Range, WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.estimate._common import Array

#: Constants of the inference model fitted on the 30 ML.ENERGY leaderboard v3
#: configurations in tests/validation/published_inference.csv (Llama 3.1
#: 8B/70B/405B, Qwen3 30B-A3B and 235B-A22B, DeepSeek-V3.1; H100 and B200; batch
#: 8-512): one set for all rows, least squares on log error, with input tokens
#: fixed at the default's centre (1,000). Per-step overhead and busy power trade
#: off along a flat valley of equally good fits; the modes below are one point of
#: it. The ranges around them are the model's uncertainty. In sample: median
#: |error| 16 %, worst factor 1.80; leaving each model out of the fit in turn:
#: median 24 %, worst factor 1.99 (`python benchmarks/calibrate_inference.py`).
MEM_EFFICIENCY = Uncertain(
    0.7, 1.0, "triangular", 0.85,
    basis="fitted (ML.ENERGY v3, 30 rows): achieved fraction of HBM bandwidth in decode",
)  # fmt: skip
COMPUTE_EFFICIENCY = Uncertain(
    0.5, 0.85, "triangular", 0.67,
    basis="fitted (ML.ENERGY v3, 30 rows): achieved fraction of dense peak in prefill",
)  # fmt: skip
SERVE_POWER_FRACTION = Uncertain(
    0.65, 1.0, "triangular", 0.81,
    basis="fitted (ML.ENERGY v3, 30 rows): board power of fully busy accelerators / TDP",
)  # fmt: skip
#: Idle board power / TDP. The catalog has no sourced idle power for data-centre
#: accelerators (its idle_w column is empty), so this is a flagged estimate.
IDLE_FRACTION = Uncertain(
    0.05, 0.2, "triangular", 0.1,
    basis="estimate (no sourced idle power in the catalog): 5-20 % of TDP",
)  # fmt: skip
STEP_OVERHEAD_S = Uncertain(
    0.001, 0.004, "triangular", 0.0021,
    basis="fitted (ML.ENERGY v3, 30 rows): per decode step, beyond the roofline",
)  # fmt: skip
MOE_COMPUTE_EFFICIENCY = Uncertain(
    0.035, 0.15, "loguniform",
    basis="fitted (ML.ENERGY v3, 9 MoE rows): expert routing, all-to-all and small expert "
    "matmuls reach a fraction of the dense compute efficiency",
)  # fmt: skip
INPUT_TOKENS = Uncertain(
    250, 4000, "loguniform",
    basis="assumption: chat requests carry a system prompt and conversation history "
    "(centre 1,000 tokens); pass --input-tokens",
)  # fmt: skip
DEFAULT_BATCH = 64.0

PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")


@dataclass(frozen=True)
class _Shape:
    """What the model needs of a transformer: sizes and KV cache per token."""

    params_total: Input
    params_active: Input
    kv_bytes_per_token: float
    label: str


def _model_shape(
    catalog: Catalog,
    *,
    model: str | None,
    params: Input | None,
    active_params: Input | None,
    layers: int | None,
    hidden_size: int | None,
    heads: int | None,
    kv_heads: int | None,
    sources: list[str],
    warnings: list[WarningItem],
    assumptions: list[Assumption],
) -> _Shape:
    from wattlens.formulas import inference as formulas

    label = "given parameters"
    head_dim: int | None = None
    total: Input | None = params
    active: Input | None = active_params
    if model is not None:
        row = resolve_model(model, catalog)
        sources.append(f"models/{row.id}")
        label = row.name
        if total is None:
            if row.params_total_low is not None and row.params_total_high is not None:
                total = Uncertain(row.params_total_low, row.params_total_high, "loguniform",
                                  basis=row.basis or row.source)  # fmt: skip
            else:
                total = row.params_total
        if active is None:
            if row.params_active_low is not None and row.params_active_high is not None:
                active = Uncertain(row.params_active_low, row.params_active_high, "loguniform",
                                   basis=row.basis or row.source)  # fmt: skip
            else:
                active = row.params_active
        layers = layers or row.layers
        hidden_size = hidden_size or row.hidden_size
        heads = heads or row.attention_heads
        kv_heads = kv_heads or row.kv_heads or heads
        head_dim = row.head_dim
        if row.estimate:
            warnings.append(
                WarningItem(
                    "model-size-estimated",
                    f"{row.name}: size is an estimate, not published ({row.basis})",
                )
            )
    if total is None:
        raise InputValueError(
            "give --model NAME or --params P", hint="e.g. --model llama-3.1-8b or --params 8e9"
        )
    active = total if active is None else active
    if central(active) > central(total) * 1.0000001:
        raise InputValueError("active parameters exceed total parameters")
    if layers and hidden_size and heads and kv_heads:
        kv = formulas.kv_bytes_per_token(layers, hidden_size, heads, kv_heads, head_dim)
    else:
        kv = formulas.kv_bytes_per_token_from_size(central(total))
        warnings.append(
            WarningItem(
                "model-shape-unknown",
                "model shape unknown: KV cache sized from N ~ 12 L d^2, d/L = 128 and 8 query "
                "heads per KV head; pass --model or the shape for a better estimate",
            )
        )
    assumptions.append(Assumption("KV cache", f"{kv / 1024:.0f} KiB per token (16-bit)",
                                  "2 x layers x d_model x kv_heads/heads x 2 bytes"))  # fmt: skip
    return _Shape(total, active, kv, label)


def inference(  # noqa: PLR0912, PLR0915 - one check per input, then one pipeline
    *,
    output_tokens: Input | tuple[float, float],
    accelerator: str,
    model: str | None = None,
    params: Input | tuple[float, float] | None = None,
    active_params: Input | tuple[float, float] | None = None,
    input_tokens: Input | tuple[float, float] | None = None,
    count: int | None = None,
    batch: Input | tuple[float, float] | None = None,
    precision: str = "bf16",
    layers: int | None = None,
    hidden_size: int | None = None,
    heads: int | None = None,
    kv_heads: int | None = None,
    boundary: str = "server",
    pue: Input | tuple[float, float] | None = None,
    location: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    catalog: Catalog | None = None,
) -> InferenceEstimate:
    """Estimate the energy of one LLM request (prefill + decode) on given hardware.

    Every count (output and input tokens, batch, parameters) takes a value or
    a ``(low, high)`` range; ranges are drawn in the Monte Carlo.

    Args:
        output_tokens: generated tokens per request.
        accelerator: catalog name of the accelerator (``"H100 SXM"``).
        model: catalog model name (closed models use their flagged parameter ranges).
        params: total parameters instead of ``model``.
        active_params: active parameters per token (MoE); default ``params``.
        input_tokens: prompt tokens, value or (low, high); default 250-4,000 (log-uniform).
        count: accelerators serving one replica; default the smallest power of two
            whose memory holds weights and KV cache.
        batch: concurrent requests per replica (default 64).
        precision: weight precision: fp32, tf32, bf16, fp16, fp8, int8 or int4.
        layers, hidden_size, heads, kv_heads: the model's shape (for the KV cache).
        boundary: ``accelerator``, ``server`` (default: adds the host) or ``facility``.
        pue: power usage effectiveness for the facility boundary (default: catalog range).
        location: country, grid zone or cloud region for the impacts (default world).
        samples: Monte Carlo samples.
        seed: random seed.
        catalog: catalog to use (default: the process catalog).

    Returns:
        An :class:`InferenceEstimate` of joules per request; ``extra`` holds
        ``count``, ``batch`` (central), per-phase energy and the time per request.

    Raises:
        InputValueError: a value out of range, or a model that does not fit.
        UnknownNameError: an unknown accelerator or model (close names suggested).
    """
    import numpy as np

    from wattlens.catalog import get_catalog
    from wattlens.formulas import inference as formulas
    from wattlens.formulas.uncertainty import sample, sensitivity
    from wattlens.impacts import estimate_impacts

    catalog = catalog or get_catalog()
    bound = check_boundary(boundary)
    if samples != 1 and samples < 100:
        raise InputValueError(
            f"samples must be 1 (a point estimate) or at least 100, got {samples}"
        )
    if precision not in PRECISIONS:
        raise InputValueError(
            f"unknown precision {precision!r}", hint=f"use one of: {', '.join(PRECISIONS)}"
        )
    tokens_out = count_input(output_tokens, "output tokens",
                             "the number of generated tokens, e.g. 400")  # fmt: skip
    assert tokens_out is not None
    batch_in = count_input(batch, "batch", "concurrent requests per replica, e.g. 64")
    if count is not None and count < 1:
        raise InputValueError(f"count must be at least 1, got {count}")
    params_in = count_input(params, "params", "parameters are an absolute count, e.g. 8e9")
    active_in = count_input(active_params, "active params",
                            "active parameters per token, e.g. 3.7e10")  # fmt: skip
    tokens_in = as_input(input_tokens, INPUT_TOKENS, "input tokens")
    low_in = tokens_in.low if isinstance(tokens_in, Uncertain) else tokens_in
    if low_in < 0:
        raise InputValueError(f"input tokens must not be negative, got {low_in}")

    acc = resolve_accelerator(accelerator, catalog)
    assert acc.tdp_w is not None
    if acc.memory_bandwidth_gbs is None or acc.memory_gb is None:
        raise InputValueError(f"the catalog has no memory size or bandwidth for {acc.name}")
    compute_precision = formulas.COMPUTE_PRECISION[precision]
    peak = acc.peak_flops(compute_precision)
    if peak is None:
        raise InputValueError(
            f"the catalog has no {compute_precision} peak for {acc.name}",
            hint="choose another --precision",
        )
    sources = [f"accelerators/{acc.id}"]
    warnings: list[WarningItem] = []
    assumptions = [
        Assumption(
            "accelerator",
            f"{acc.name}: TDP {acc.tdp_w:g} W, {acc.memory_gb:g} GB at "
            f"{acc.memory_bandwidth_gbs:g} GB/s, {compute_precision} {peak / 1e12:g} TFLOP/s",
            acc.source,
        )
    ]
    shape = _model_shape(
        catalog, model=model, params=params_in, active_params=active_in, layers=layers,
        hidden_size=hidden_size, heads=heads, kv_heads=kv_heads, sources=sources,
        warnings=warnings, assumptions=assumptions,
    )  # fmt: skip
    batch_given: Input = batch_in if batch_in is not None else DEFAULT_BATCH
    batch_size = central(batch_given)
    if batch_in is None:
        assumptions.append(Assumption("batch", f"{DEFAULT_BATCH:g}", "default; pass --batch"))
    bpp = formulas.BYTES_PER_PARAM[precision]
    weights = central(shape.params_total) * bpp
    context_max = central(tokens_in) + central(tokens_out)
    needed = weights + batch_size * context_max * shape.kv_bytes_per_token
    fit_count = formulas.min_accelerators(needed, acc.memory_gb * 1e9)
    if count is None:
        count = fit_count
        assumptions.append(Assumption(
            "count", f"{count}", f"smallest power of two holding {needed / 1e9:.0f} GB of "
            f"weights and KV cache in {acc.memory_gb:g} GB x 90 %"))  # fmt: skip
    elif weights > count * acc.memory_gb * 1e9 * 0.9:
        raise InputValueError(
            f"{shape.label} at {precision} needs {weights / 1e9:.0f} GB for its weights; "
            f"{count} x {acc.name} hold {count * acc.memory_gb * 0.9:.0f} GB usable",
            hint=f"use --count {formulas.min_accelerators(weights, acc.memory_gb * 1e9)} or "
            "more, or a smaller --precision",
        )
    elif needed > count * acc.memory_gb * 1e9 * 0.9:
        warnings.append(
            WarningItem(
                "kv-cache-overflow",
                f"the KV cache of {batch_size:g} requests does not fit next to the weights on "
                f"{count} x {acc.name}: a real server would run a smaller batch",
            )
        )

    inputs: dict[str, Input] = {
        "input_tokens": tokens_in,
        "params_total": shape.params_total,
        "params_active": shape.params_active,
        "mem_efficiency": MEM_EFFICIENCY,
        "compute_efficiency": COMPUTE_EFFICIENCY,
        "power_fraction": SERVE_POWER_FRACTION,
        "idle_fraction": IDLE_FRACTION,
        "step_overhead_s": STEP_OVERHEAD_S,
        "host_fraction": HOST_FRACTION,
        "pue": as_input(pue, default_pue(catalog), "pue"),
    }
    is_moe = central(shape.params_active) < central(shape.params_total)
    if is_moe:
        inputs["moe_compute_efficiency"] = MOE_COMPUTE_EFFICIENCY
    # Output tokens and batch given as ranges are drawn after the others, so that point
    # inputs keep the draws (and the figures) they always had.
    for name, given in (("output_tokens", tokens_out), ("batch", batch_given)):
        if is_range(given):
            inputs[name] = given
    draws = sample(inputs, samples, seed)
    n_out: Array = draws.get("output_tokens", np.full(samples, central(tokens_out)))
    n_batch: Array = draws.get("batch", np.full(samples, batch_size))
    n_total = draws["params_total"]
    n_active = np.minimum(draws["params_active"], n_total)
    eff_c = draws["compute_efficiency"] * (draws["moe_compute_efficiency"] if is_moe else 1.0)
    bandwidth = acc.memory_bandwidth_gbs * 1e9
    # Decode: one step per output token for the whole batch, its time shared by B requests.
    context = formulas.mean_context_tokens(draws["input_tokens"], n_out)
    bytes_read = formulas.decode_bytes_read(
        n_total,
        n_active,
        n_batch,
        bpp,
        context,
        shape.kv_bytes_per_token,
    )
    step_s = formulas.decode_step_s(bytes_read, 2.0 * n_active * n_batch, count, bandwidth,
                                    peak, draws["mem_efficiency"], eff_c,
                                    draws["step_overhead_s"])  # fmt: skip
    decode_s = formulas.decode_s_per_request(n_out, step_s, n_batch)
    prefill_s = formulas.prefill_s(
        formulas.prefill_flops(n_active, draws["input_tokens"]), count, peak, eff_c
    )
    busy_s = decode_s + prefill_s  # wall time of the replica attributable to this request
    busy_fraction = np.maximum(draws["power_fraction"], draws["idle_fraction"])
    decode_util = formulas.utilisation(step_s, draws["step_overhead_s"])
    decode_power = formulas.power_w(acc.tdp_w, draws["idle_fraction"], busy_fraction, decode_util)
    e_decode = formulas.energy_j(count, decode_power, decode_s)
    e_prefill = formulas.energy_j(count, acc.tdp_w * busy_fraction, prefill_s)
    e_acc = e_decode + e_prefill
    e_server = e_acc + formulas.energy_j(count, acc.tdp_w * draws["host_fraction"], busy_s)
    impacts, chain = estimate_impacts(e_server, draws["pue"], location, catalog)
    by_boundary: dict[Boundary, Range] = {
        "accelerator": Range.from_samples(e_acc, keep=True),
        "server": Range.from_samples(e_server, keep=True),
        "facility": Range.from_samples(chain.facility_j, keep=True),
    }
    chosen = by_boundary[bound]
    assert chosen.samples is not None

    for name, value in inputs.items():
        if name in ("params_total", "params_active"):
            shown = value.describe() if isinstance(value, Uncertain) else f"{central(value):.3g}"
            assumptions.append(Assumption(name, shown, shape.label))
            continue
        basis = value.basis if isinstance(value, Uncertain) else "given"
        shown = value.describe() if isinstance(value, Uncertain) else f"{central(value):g}"
        assumptions.append(Assumption(name, shown, basis))
    if bound != "facility":
        warnings.append(
            WarningItem("server-boundary",
                        "server boundary excludes idle provisioned capacity and the data "
                        "centre's overhead")
            if bound == "server"
            else WarningItem("accelerator-boundary",
                             "accelerator boundary: chips only (no host, no idle capacity, "
                             "no PUE)")
        )  # fmt: skip
    return InferenceEstimate(
        accelerator=acc.name,
        boundary=bound,
        energy=chosen,
        energy_by_boundary=by_boundary,
        assumptions=tuple(assumptions),
        sensitivity=tuple(sensitivity(draws, chosen.samples)),
        sources=tuple(sources),
        warnings=tuple(warnings),
        typed_impacts=impacts,
        count=count,
        batch=Range.point(batch_size) if not is_range(batch_given)
        else Range.from_samples(draws["batch"]),
        precision=precision,
        output_tokens=Range.point(central(tokens_out)) if not is_range(tokens_out)
        else Range.from_samples(draws["output_tokens"]),
        prefill_energy_j=Range.from_samples(e_prefill),
        decode_energy_j=Range.from_samples(e_decode),
        time_per_request_s=Range.from_samples(busy_s),
    )  # fmt: skip
