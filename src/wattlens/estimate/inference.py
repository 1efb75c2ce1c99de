"""Per-request inference-energy estimates from a roofline, with ranges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wattlens.errors import InputValueError
from wattlens.estimate._common import (
    HOST_FRACTION,
    Assumption,
    Estimate,
    as_input,
    check_boundary,
    default_pue,
    impacts_quantiles,
    positive,
    resolve_accelerator,
    resolve_model,
)
from wattlens.models.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED, Input, Uncertain, central

if TYPE_CHECKING:
    from wattlens.catalog import Catalog

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
    params: float | None,
    active_params: float | None,
    layers: int | None,
    hidden_size: int | None,
    heads: int | None,
    kv_heads: int | None,
    sources: list[str],
    warnings: list[str],
    assumptions: list[Assumption],
) -> _Shape:
    from wattlens.models import inference as formulas

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
            warnings.append(f"{row.name}: size is an estimate, not published ({row.basis})")
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
        # Without the shape: Kaplan et al. 2020 (sec. 2.1) N ~ 12 L d^2 with d/L ~ 128,
        # and grouped-query attention with 8 query heads per KV head (Llama 3 style).
        n = central(total)
        d = (128 * n / 12) ** (1 / 3)
        n_layers = max(1, round(d / 128))
        kv = 2.0 * n_layers * d * (1 / 8) * formulas.KV_BYTES
        warnings.append(
            "model shape unknown: KV cache sized from N ~ 12 L d^2, d/L = 128 and 8 query "
            "heads per KV head; pass --model or the shape for a better estimate"
        )
    assumptions.append(Assumption("KV cache", f"{kv / 1024:.0f} KiB per token (16-bit)",
                                  "2 x layers x d_model x kv_heads/heads x 2 bytes"))  # fmt: skip
    return _Shape(total, active, kv, label)


def inference(  # noqa: PLR0912, PLR0915 - one check per input, then one pipeline
    *,
    output_tokens: float,
    accelerator: str,
    model: str | None = None,
    params: float | None = None,
    active_params: float | None = None,
    input_tokens: Input | tuple[float, float] | None = None,
    count: int | None = None,
    batch: float | None = None,
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
) -> Estimate:
    """Estimate the energy of one LLM request (prefill + decode) on given hardware.

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
        An :class:`Estimate` of joules per request; ``extra`` holds ``count``,
        ``batch``, per-phase energy and the time per request.

    Raises:
        InputValueError: a value out of range, or a model that does not fit.
        UnknownNameError: an unknown accelerator or model (close names suggested).
    """
    import numpy as np

    from wattlens.catalog import get_catalog
    from wattlens.models import inference as formulas
    from wattlens.models.uncertainty import sample, sensitivity, summarise

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
    positive("output tokens", output_tokens, "the number of generated tokens, e.g. 400")
    if batch is not None:
        positive("batch", batch, "concurrent requests per replica, e.g. 64")
    if count is not None and count < 1:
        raise InputValueError(f"count must be at least 1, got {count}")
    positive("params", params, "parameters are an absolute count, e.g. 8e9")
    positive("active params", active_params, "active parameters per token, e.g. 3.7e10")
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
    warnings: list[str] = []
    assumptions = [
        Assumption(
            "accelerator",
            f"{acc.name}: TDP {acc.tdp_w:g} W, {acc.memory_gb:g} GB at "
            f"{acc.memory_bandwidth_gbs:g} GB/s, {compute_precision} {peak / 1e12:g} TFLOP/s",
            acc.source,
        )
    ]
    shape = _model_shape(
        catalog, model=model, params=params, active_params=active_params, layers=layers,
        hidden_size=hidden_size, heads=heads, kv_heads=kv_heads, sources=sources,
        warnings=warnings, assumptions=assumptions,
    )  # fmt: skip
    batch_size = float(batch) if batch is not None else DEFAULT_BATCH
    if batch is None:
        assumptions.append(Assumption("batch", f"{DEFAULT_BATCH:g}", "default; pass --batch"))
    bpp = formulas.BYTES_PER_PARAM[precision]
    weights = central(shape.params_total) * bpp
    context_max = central(tokens_in) + output_tokens
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
            f"the KV cache of {batch_size:g} requests does not fit next to the weights on "
            f"{count} x {acc.name}: a real server would run a smaller batch"
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
    draws = sample(inputs, samples, seed)
    n_total = draws["params_total"]
    n_active = np.minimum(draws["params_active"], n_total)
    eff_c = draws["compute_efficiency"] * (draws["moe_compute_efficiency"] if is_moe else 1.0)
    bandwidth = acc.memory_bandwidth_gbs * 1e9
    # Decode: one step per output token for the whole batch, its time shared by B requests.
    context = draws["input_tokens"] + output_tokens / 2
    bytes_read = (
        formulas.params_read_per_step(n_total, n_active, batch_size) * bpp
        + batch_size * context * shape.kv_bytes_per_token
    )
    step_s = formulas.decode_step_s(bytes_read, 2.0 * n_active * batch_size, count, bandwidth,
                                    peak, draws["mem_efficiency"], eff_c,
                                    draws["step_overhead_s"])  # fmt: skip
    decode_s = output_tokens * step_s / batch_size
    prefill_s = formulas.prefill_s(
        formulas.prefill_flops(n_active, draws["input_tokens"]), count, peak, eff_c
    )
    busy_s = decode_s + prefill_s  # wall time of the replica attributable to this request
    busy_fraction = np.maximum(draws["power_fraction"], draws["idle_fraction"])
    decode_util = formulas.utilisation(step_s, draws["step_overhead_s"])
    decode_power = formulas.power_w(acc.tdp_w, draws["idle_fraction"], busy_fraction, decode_util)
    e_decode = count * decode_power * decode_s
    e_prefill = count * acc.tdp_w * busy_fraction * prefill_s
    e_acc = e_decode + e_prefill
    e_server = e_acc + count * acc.tdp_w * draws["host_fraction"] * busy_s
    e_facility = e_server * draws["pue"]
    by_boundary = {"accelerator": e_acc, "server": e_server, "facility": e_facility}
    chosen = by_boundary[bound]

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
            "server boundary excludes idle provisioned capacity and the data centre's overhead"
            if bound == "server"
            else "accelerator boundary: chips only (no host, no idle capacity, no PUE)"
        )
    extra: dict[str, Any] = {
        "count": count,
        "batch": batch_size,
        "precision": precision,
        "output_tokens": output_tokens,
        "prefill_energy_j": summarise(e_prefill),
        "decode_energy_j": summarise(e_decode),
        "time_per_request_s": summarise(busy_s),
    }
    return Estimate(
        kind="inference",
        boundary=bound,
        energy_j=summarise(chosen),
        energy_by_boundary_j={k: summarise(v) for k, v in by_boundary.items()},
        assumptions=tuple(assumptions),
        sensitivity=tuple(sensitivity(draws, chosen)),
        sources=tuple(sources),
        warnings=tuple(warnings),
        extra=extra,
        impacts=impacts_quantiles(e_facility, e_server, location, catalog),
        samples_j=by_boundary,
    )
