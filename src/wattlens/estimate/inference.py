"""Per-request inference-energy estimates from a roofline, with ranges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wattlens.bounds import check_numbers
from wattlens.errors import InputValueError
from wattlens.estimate._common import (
    HOST_FRACTION,
    Assumption,
    Boundary,
    InferenceEstimate,
    as_input,
    check_boundary,
    check_precision,
    count_input,
    default_pue,
    is_range,
    resolve_accelerators,
    resolve_model,
)
from wattlens.formulas.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED, Input, Uncertain, central
from wattlens.types import Range, WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.estimate._common import Array
    from wattlens.estimate.stacks import Experts

#: Prompt tokens when none are given. Stated in every estimate's assumptions and
#: warnings: it is an assumption, not a measurement.
INPUT_TOKENS = Uncertain(
    100, 2000, "loguniform",
    basis="assumption (no --input-tokens): one chat turn's prompt plus a system prompt and "
    "earlier turns; public chat prompt sets carry prompts of tens to hundreds of tokens "
    "(ML.ENERGY's 500 ShareGPT first turns: mean 94, median 29 Llama tokens), system "
    "prompts and history add hundreds more",
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
    experts: Experts | None = None
    """MoE routing where the model's experts are known (formulas/data/moe_experts.csv)."""
    layers: int = 0
    """Transformer layers (given, from the catalog, or from the size)."""
    hidden_size: float = 0.0
    """``d_model`` (given, from the catalog, or from the size)."""


def _experts(model_id: str, sources: list[str], assumptions: list[Assumption]) -> Experts | None:
    """The model's MoE routing where it is known, stated as an assumption with its source."""
    from wattlens.estimate.stacks import moe_experts

    experts = moe_experts().get(model_id)
    if experts is not None:
        sources.append(f"moe_experts/{model_id}")
        routing = f"{experts.per_token} of {experts.experts} routed per token"
        assumptions.append(
            Assumption("experts", f"{routing}, {experts.moe_layers} MoE layers", experts.source)
        )
    return experts


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
    experts: Experts | None = None
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
        experts = _experts(row.id, sources, assumptions)
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
    n_layers = layers or formulas.layers_from_size(central(total))
    d_model = hidden_size or formulas.hidden_size_from_size(central(total))
    return _Shape(total, active, kv, label, experts, n_layers, float(d_model))


def _summary(values: Array, *, keep: bool = False) -> Range:
    """p5/p50/p95/mean of a sample; a point estimate's single value without percentiles."""
    if values.size == 1:
        v = float(values[0])
        return Range(v, v, v, v, values if keep else None)
    return Range.from_samples(values, keep=keep)


def inference(  # noqa: PLR0912, PLR0915 - one check per input, then one pipeline
    *,
    output_tokens: Input | tuple[float, float],
    accelerator: str,
    model: str | None = None,
    params: Input | tuple[float, float] | None = None,
    active_params: Input | tuple[float, float] | None = None,
    input_tokens: Input | tuple[float, float] | None = None,
    count: int | None = None,
    pipeline: int = 1,
    cores: int | None = None,
    batch: Input | tuple[float, float] | None = None,
    precision: str = "bf16",
    layers: int | None = None,
    hidden_size: int | None = None,
    heads: int | None = None,
    kv_heads: int | None = None,
    stack: str = "unknown",
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
        input_tokens: prompt tokens, value or (low, high); default 100-2,000 (log-uniform),
            stated as an assumption in the result.
        count: accelerators serving one replica, every pipeline stage together;
            default the smallest power of two per stage whose memory holds its share
            of the weights and KV cache.
        pipeline: pipeline-parallel stages (default 1); ``count`` is stages x
            tensor-parallel devices per stage, and ``batch`` counts every
            stage's micro-batch together.
        cores: on a CPU (``accelerator`` names a catalog CPU), the cores that serve the
            model (default: the whole socket); see :mod:`wattlens.estimate.cpu`.
        batch: concurrent requests per replica (default 64).
        precision: weight precision: fp32, tf32, bf16, fp16, fp8, int8 or int4.
        layers, hidden_size, heads, kv_heads: the model's shape (for the KV cache).
        stack: serving stack (``current``, ``older``, ``hf``, ``llama.cpp``), or
            ``unknown`` (default): a range spanning them all (see
            :mod:`wattlens.estimate.stacks`).
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
    check_numbers(locals())  # only the arguments are local yet: see wattlens.bounds
    import numpy as np

    from wattlens.catalog import get_catalog
    from wattlens.embodied import embodied
    from wattlens.estimate.cpu import cpu_slice
    from wattlens.estimate.stacks import (
        FITTED_ACCELERATORS,
        UNKNOWN,
        check_stack,
        every_stack,
        model_residual,
        stacks,
    )
    from wattlens.formulas import inference as formulas
    from wattlens.formulas.uncertainty import sample, sample_mixture, sensitivity
    from wattlens.impacts import apply_pue, estimate_impacts

    catalog = catalog or get_catalog()
    bound = check_boundary(boundary)
    stack = check_stack(stack)
    profiles_by_name = stacks()
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
    if count is not None and count % pipeline:
        raise InputValueError(
            f"{count} accelerators do not split into {pipeline} pipeline stages",
            hint="--count is stages x tensor-parallel devices per stage, e.g. "
            f"--count {pipeline * -(-count // pipeline)} --pipeline {pipeline}",
        )
    params_in = count_input(params, "params", "parameters are an absolute count, e.g. 8e9")
    active_in = count_input(active_params, "active params",
                            "active parameters per token, e.g. 3.7e10")  # fmt: skip
    tokens_in = as_input(input_tokens, INPUT_TOKENS, "input tokens")
    low_in = tokens_in.low if isinstance(tokens_in, Uncertain) else tokens_in
    if low_in < 0:
        raise InputValueError(f"input tokens must not be negative, got {low_in}")

    cpu = cpu_slice(accelerator, cores, catalog)  # a CPU socket or some of its cores, or None
    accs = [cpu.row] if cpu is not None else resolve_accelerators(accelerator, catalog)
    count = 1 if cpu is not None and count is None else count  # one socket unless told
    compute_precision = formulas.COMPUTE_PRECISION[precision]
    peaks: list[float] = []
    for one in accs:
        if one.memory_bandwidth_gbs is None or one.memory_gb is None:
            raise InputValueError(f"the catalog has no memory size or bandwidth for {one.name}")
        check_precision(one, precision)
        one_peak = one.peak_flops(compute_precision)
        if one_peak is None:
            raise InputValueError(
                f"the catalog has no {compute_precision} peak for {one.name}",
                hint="choose another --precision",
            )
        peaks.append(one_peak)
    # The variant with the least memory sizes the replica: it must hold the model too.
    acc = min(accs, key=lambda a: a.memory_gb or 0.0)
    assert acc.tdp_w is not None
    assert acc.memory_gb is not None
    sources = [f"accelerators/{one.id}" for one in accs]
    warnings: list[WarningItem] = []
    assumptions = [
        Assumption(
            "accelerator",
            f"{one.name}: TDP {one.tdp_w:g} W, {one.memory_gb:g} GB at "
            f"{one.memory_bandwidth_gbs:g} GB/s, {compute_precision} {p / 1e12:g} TFLOP/s",
            one.source,
        )
        for one, p in zip(accs, peaks, strict=True)
    ]
    acc_label = acc.name
    if cpu is not None:
        acc_label, sources = cpu.label, [f"cpus/{cpu.cpu.id}"]
        assumptions.extend(cpu.assumptions())
        warnings.extend(cpu.warnings())
    if len(accs) > 1:
        acc_label = f"{accelerator} ({len(accs)} variants)"
        tdps = [one.tdp_w or 0.0 for one in accs]
        warnings.append(
            WarningItem(
                "accelerator-family",
                f"{accelerator!r} names {len(accs)} variants ({', '.join(a.name for a in accs)}): "
                f"the range spans them (TDP {min(tdps):g}-{max(tdps):g} W); name one to narrow",
            )
        )
    if input_tokens is None:
        span = f"{INPUT_TOKENS.low:,.0f}-{INPUT_TOKENS.high:,.0f}"
        warnings.append(WarningItem(
            "input-tokens-assumed",
            f"input tokens not given: assumed {span} tokens, log-uniform ({INPUT_TOKENS.basis}); "
            "pass --input-tokens"))  # fmt: skip
    shape = _model_shape(
        catalog, model=model, params=params_in, active_params=active_in, layers=layers,
        hidden_size=hidden_size, heads=heads, kv_heads=kv_heads, sources=sources,
        warnings=warnings, assumptions=assumptions,
    )  # fmt: skip
    if pipeline > shape.layers:
        raise InputValueError(
            f"{pipeline} pipeline stages for {shape.layers} layers: every stage holds at least "
            "one layer", hint=f"use --pipeline {shape.layers} or fewer")  # fmt: skip
    batch_given: Input = batch_in if batch_in is not None else DEFAULT_BATCH
    batch_size = central(batch_given)
    if batch_in is None:
        assumptions.append(Assumption("batch", f"{DEFAULT_BATCH:g}", "default; pass --batch"))
    bpp = formulas.BYTES_PER_PARAM[precision]
    weights = central(shape.params_total) * bpp
    if count is not None and len(accs) > 1:
        # A family with a given count: only the variants that hold the weights can serve.
        holding = [a for a in accs if weights <= count * (a.memory_gb or 0.0) * 1e9 * 0.9]
        if holding and len(holding) < len(accs):
            dropped = [a.name for a in accs if a not in holding]
            warnings.append(
                WarningItem(
                    "accelerator-family",
                    f"{', '.join(dropped)}: {count} of them cannot hold the weights; left out",
                )
            )
            peaks = [p for a, p in zip(accs, peaks, strict=True) if a in holding]
            sources = [s for s in sources if not any(s == f"accelerators/{a.id}" for a in accs
                                                     if a not in holding)]  # fmt: skip
            assumptions = [a for a in assumptions
                           if not any(a.value.startswith(f"{d}:") for d in dropped)]  # fmt: skip
            accs = holding
            acc = min(accs, key=lambda a: a.memory_gb or 0.0)
    memory_gb = acc.memory_gb or 0.0
    context_max = central(tokens_in) + central(tokens_out)
    needed = weights + batch_size * context_max * shape.kv_bytes_per_token
    # Each pipeline stage holds its share of the weights and KV cache on its own devices.
    fit_count = pipeline * formulas.min_accelerators(needed / pipeline, memory_gb * 1e9)
    if count is None:
        count = fit_count
        per_stage = f" per stage, {pipeline} stages" if pipeline > 1 else ""
        assumptions.append(Assumption(
            "count", f"{count}", f"smallest power of two{per_stage} holding {needed / 1e9:.0f} "
            f"GB of weights and KV cache in {memory_gb:g} GB x 90 %"))  # fmt: skip
    elif weights > count * memory_gb * 1e9 * 0.9:
        raise InputValueError(
            f"{shape.label} at {precision} needs {weights / 1e9:.0f} GB for its weights; "
            f"{count} x {acc.name} hold {count * memory_gb * 0.9:.0f} GB usable",
            hint=f"use --count {formulas.min_accelerators(weights, memory_gb * 1e9)} or "
            "more, or a smaller --precision",
        )
    elif needed > count * memory_gb * 1e9 * 0.9:
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
        "host_fraction": HOST_FRACTION,
        "pue": as_input(pue, default_pue(catalog), "pue"),
        "model_residual": model_residual(),
    }
    is_moe = central(shape.params_active) < central(shape.params_total)
    # Output tokens and batch given as ranges are drawn after the others, so that point
    # inputs keep the draws (and the figures) they always had.
    for name, given in (("output_tokens", tokens_out), ("batch", batch_given)):
        if is_range(given):
            inputs[name] = given
    # Experts spread over a stage's devices exchange every MoE layer's tokens in each step.
    tensor = count // pipeline
    expert_parallel = is_moe and tensor > 1
    if expert_parallel:
        inputs["ep_alltoall_s"] = every_stack("ep_alltoall_s")
    if pipeline > 1:
        inputs["pp_link_bytes_per_s"] = every_stack("pp_link_bytes_per_s")
        inputs["pp_link_latency_s"] = every_stack("pp_link_latency_s")
        assumptions.append(Assumption(
            "pipeline", f"{pipeline} stages of {tensor} device(s), {pipeline} micro-batches of "
            f"{batch_size / pipeline:g} requests in flight",
            "one scheduler per stage (vLLM LLMEngine's virtual engines); every micro-batch "
            "reads every stage's weights"))  # fmt: skip
    # A chip no fitted measurement ran on carries the chip-to-chip spread of the fit.
    if cpu is not None:  # its efficiencies are the CPU rows' own ranges, not the chips'
        inputs.update(cpu.inputs())
    elif not any(one.id in FITTED_ACCELERATORS for one in accs):
        inputs["chip_residual"] = every_stack("chip_residual")
        warnings.append(WarningItem(
            "accelerator-unfitted",
            f"no fitted measurement ran on {acc_label}: its efficiencies are those of the "
            "fitted chips through its own bandwidth, peak and TDP, with a wider range",
        ))  # fmt: skip
    # 8-bit weights halve the bytes, but their kernels do not reach twice the 16-bit rate.
    eight_bit = precision in ("fp8", "int8")
    if eight_bit:
        inputs["eight_bit_efficiency"] = every_stack("eight_bit_efficiency")
    draws = sample(inputs, samples, seed)
    if stack != UNKNOWN:
        profiles = [profiles_by_name[stack]]
    else:  # engines that do not serve batches this large leave the mixture
        profiles = [p for p in profiles_by_name.values() if batch_size <= p.max_batch]
    if cpu is not None:
        profiles = cpu.profiles(profiles)
    stack_draws, which = sample_mixture(
        [p.params for p in profiles], [p.weight for p in profiles], samples, seed + 1,
        skip=() if is_moe else ("moe_compute_efficiency",),  # dense: not drawn at all
    )  # fmt: skip
    draws.update(stack_draws)
    if len(profiles) > 1:
        draws["serving_stack"] = which
    sources.extend(f"serving_stacks/{p.name}" for p in profiles)
    # Fixed values as one sample (NumPy broadcasts it), as sample() gives them.
    n_out: Array = draws.get("output_tokens", np.full(1, central(tokens_out)))
    n_batch: Array = draws.get("batch", np.full(1, batch_size))
    n_total = draws["params_total"]
    n_active = np.minimum(draws["params_active"], n_total)
    # Prefill runs every expert on a share of a chunk's tokens: smaller matmuls than a dense
    # model's. Decode is the roofline of the experts its tokens touch (below).
    eff_matmul = draws["compute_efficiency"] * (draws["eight_bit_efficiency"] if eight_bit else 1.0)
    eff_prefill = eff_matmul * (draws["moe_compute_efficiency"] if is_moe else 1.0)
    # A family: each sample runs on one of its variants, drawn uniformly (seeded).
    if len(accs) > 1 and samples > 1:
        variant = np.random.default_rng(seed + 2).integers(len(accs), size=samples)
        draws["accelerator_variant"] = variant.astype(float)
    else:
        variant = None
    tdp: Array | float
    bandwidth: Array | float
    peak_s: Array | float
    if variant is None:  # one accelerator (or a family's point estimate): plain numbers
        one = acc if len(accs) == 1 else accs[len(accs) // 2]
        tdp = one.tdp_w or 0.0
        bandwidth = (one.memory_bandwidth_gbs or 0.0) * 1e9
        peak_s = peaks[accs.index(one)]
    else:
        tdp = np.array([one.tdp_w or 0.0 for one in accs])[variant]
        bandwidth = np.array([(one.memory_bandwidth_gbs or 0.0) * 1e9 for one in accs])[variant]
        peak_s = np.array(peaks)[variant]
    if cpu is not None:
        tdp, bandwidth, peak_s = cpu.scale(draws, tdp, bandwidth, peak_s)
    # Decode: one step per output token for the whole batch, its time shared by B requests.
    # Under pipeline parallelism a step is a round of P micro-batches of B/P requests.
    # The overhead beyond the roofline grows with the (micro-)batch (work per sequence).
    micro = n_batch / pipeline if pipeline > 1 else n_batch
    overhead_s = draws["step_overhead_s"] + draws["step_overhead_per_seq_s"] * micro
    if expert_parallel:
        moe_layers = shape.experts.moe_layers if shape.experts else shape.layers
        overhead_s = overhead_s + moe_layers * draws["ep_alltoall_s"]
    if pipeline > 1:  # a micro-batch's token waits for its hand-overs between stages
        overhead_s = overhead_s + formulas.pipeline_handover_s(
            micro, shape.hidden_size, draws["pp_link_bytes_per_s"], draws["pp_link_latency_s"],
            pipeline)  # fmt: skip
    context = formulas.mean_context_tokens(draws["input_tokens"], n_out)
    params_read = (
        formulas.moe_params_read_per_step(n_total, n_active, shape.experts.experts,
                                          shape.experts.per_token, micro, tensor)
        if is_moe and shape.experts is not None
        else None
    )  # fmt: skip
    # 8-bit weights read and multiply below their ideal rate; the KV cache stays 16-bit.
    weight_bpp = bpp / draws["eight_bit_efficiency"] if eight_bit else bpp
    # Each of the P micro-batches reads the weights; the KV cache is read once per request.
    bytes_read = formulas.decode_bytes_read(
        n_total,
        n_active,
        micro,
        weight_bpp,
        context,
        shape.kv_bytes_per_token,
        params_read,
    )
    if pipeline > 1:
        bytes_read = pipeline * bytes_read
    if pipeline > 1:
        # One engine process does every micro-batch's host work in turn: a round lasts at
        # least P micro-batches' host work, whatever the devices do meanwhile.
        roofline_s = formulas.decode_step_s(bytes_read, 2.0 * n_active * n_batch, count,
                                            bandwidth, peak_s, draws["mem_efficiency"],
                                            eff_matmul, np.zeros_like(overhead_s))  # fmt: skip
        host_s = draws["step_overhead_s"] + (
            draws["step_overhead_per_seq_s"] * micro * draws["per_seq_on_host"]
        )
        overhead_s = formulas.pipeline_round_overhead_s(overhead_s, host_s, roofline_s, pipeline)
    step_s = formulas.decode_step_s(bytes_read, 2.0 * n_active * n_batch, count, bandwidth,
                                    peak_s, draws["mem_efficiency"], eff_matmul,
                                    overhead_s)  # fmt: skip
    steps_per_token = (
        formulas.static_batch_steps_factor(micro, draws["static_batching"])
        if any(p.params["static_batching"].high > 0 for p in profiles)
        else 1.0
    )
    decode_s = formulas.decode_s_per_request(n_out * steps_per_token, step_s, n_batch)
    prefill_s = formulas.prefill_s(
        formulas.prefill_flops(n_active, draws["input_tokens"]), count, peak_s, eff_prefill
    )
    busy_s = decode_s + prefill_s  # wall time of the replica attributable to this request
    # While a step waits on the host the chips draw the stack's overhead power: a step
    # can be far slower than the roofline at far less than full power.
    waiting = draws["overhead_power_fraction"]
    busy_fraction = np.maximum(draws["power_fraction"], waiting)
    flops = 2.0 * n_active * n_batch
    eff_m, eff_d = draws["mem_efficiency"], eff_matmul
    intensity = formulas.compute_share(bytes_read, flops, bandwidth, peak_s, eff_m, eff_d)
    decode_busy = np.maximum(
        formulas.busy_power_fraction(busy_fraction, draws["memory_power_share"], intensity),
        waiting,
    )
    # Per-sequence work on the host (older engines' Python sampling) leaves the chips waiting;
    # on the current engine it is GPU work (attention, sampling kernels) at busy power.
    host_wait_s = overhead_s - draws["step_overhead_per_seq_s"] * micro * (
        1.0 - draws["per_seq_on_host"]
    )
    decode_util = formulas.utilisation(step_s, host_wait_s)
    decode_power = formulas.power_w(tdp, waiting, decode_busy, decode_util)
    # What the roofline leaves unexplained scales the chips' energy (a fitted residual range).
    residual = draws["model_residual"] * draws.get("chip_residual", 1.0)
    e_decode = formulas.energy_j(count, decode_power, decode_s) * residual
    e_prefill = formulas.energy_j(count, tdp * busy_fraction, prefill_s) * residual
    e_acc = e_decode + e_prefill
    e_server = e_acc + formulas.energy_j(count, tdp * draws["host_fraction"], busy_s)
    by_boundary: dict[Boundary, Range] = {
        "accelerator": _summary(e_acc, keep=True),
        "server": _summary(e_server, keep=True),
        "facility": _summary(apply_pue(e_server, draws["pue"]), keep=True),
    }
    impacts, _ = estimate_impacts(e_server, draws["pue"], location, catalog,
                                  it_range=by_boundary["server"],
                                  facility_range=by_boundary["facility"])  # fmt: skip
    chosen = by_boundary[bound]
    assert chosen.samples is not None

    if stack == UNKNOWN:
        assumptions.append(
            Assumption(
                "serving stack",
                "unknown: " + ", ".join(f"{p.name} {p.weight:.0%}" for p in profiles),
                "each sample draws its stack by these prior weights; pass --stack to narrow",
            )
        )
    else:
        assumptions.append(Assumption("serving stack", stack, profiles[0].label))
    shown_inputs: dict[str, Input] = {**inputs}
    if len(profiles) == 1:
        shown_inputs.update({k: v for k, v in profiles[0].params.items() if k in draws})
    for name, value in shown_inputs.items():
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
        accelerator=acc_label,
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
        else _summary(draws["batch"]),
        precision=precision,
        output_tokens=Range.point(central(tokens_out)) if not is_range(tokens_out)
        else _summary(draws["output_tokens"]),
        prefill_energy_j=_summary(e_prefill),
        decode_energy_j=_summary(e_decode),
        time_per_request_s=_summary(busy_s),
        decode_step_s=_summary(step_s),
        embodied=None if cpu is not None  # the footprints are of accelerators, not CPUs
        else embodied([a.id for a in accs], busy_s * count / 3600.0, catalog),
    )  # fmt: skip
