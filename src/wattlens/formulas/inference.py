"""Inference energy per request from a roofline: pure formulas, one per quantity.

A request is a prefill of its input tokens and a decode of its output tokens,
served in a batch of ``B`` concurrent requests on ``n`` accelerators (tensor
or expert parallel: the weights are split, every step uses all of them).

- **Prefill** is compute-bound: ``2 N_active`` FLOPs per input token (forward
  pass only; Kaplan et al. 2020, sec. 2.1), at a fraction of peak.
- **Decode** makes one step per output token for the whole batch. A step
  reads the weights once and each sequence's KV cache, and computes
  ``2 N_active`` FLOPs per sequence. Its time is the larger of memory time
  and compute time (the roofline model: Williams, Waterman & Patterson 2009,
  "Roofline", CACM 52(4)): memory-bound at small batch, compute-bound at
  large batch. The step's time is shared by the ``B`` requests of the batch:
  this is where batching saves energy.
- **Mixture of experts**: a step reads only the experts its tokens route to.
  With ``E`` experts, ``k`` routed per token and independent routing, ``B``
  tokens touch in expectation ``E (1 - (1 - k/E)^B)`` distinct experts; the
  non-expert weights ``S`` (attention, embeddings, shared experts) follow from
  ``N_active = S + (k/E)(N_total - S)`` and are read every step. With the
  experts spread over ``n`` devices (expert parallelism) the step waits for the
  device that holds the most touched experts. Where ``E`` and ``k`` are not
  known, every weight counts as an expert at the share ``f = N_active / N_total``:
  ``N_total (1 - (1 - f)^B)`` (dense: ``f = 1``, all of them).
- **KV cache** per token: ``2 (K and V) x layers x d_model x kv_heads/heads``
  values (grouped-query attention shrinks it by ``heads/kv_heads``).
- **Expert parallelism**: experts spread over several devices exchange each MoE
  layer's tokens twice per step (dispatch and combine), a latency per layer.
- **Pipeline parallelism** over ``P`` stages (each holds ``L/P`` layers on
  ``n/P`` tensor-parallel devices): the engine keeps ``P`` micro-batches of
  ``B/P`` requests in flight, one per stage (vLLM's ``LLMEngine`` runs one
  scheduler, a "virtual engine", per stage), so that no stage idles on another
  (GPipe's micro-batches, Huang et al. 2019; Narayanan et al. 2021, sec. 2.2).
  Every micro-batch reads every stage's weights once per token: a round in
  which each of the ``B`` requests gains one token reads the weights ``P``
  times and the KV cache once, over all ``n`` devices. A micro-batch's token
  also waits for its ``P - 1`` hand-overs between stages and its own host
  work: the pipeline's bubble in decode, where the next token needs the last.
- **Power** between idle and busy draw, linear in utilisation (the share of
  a step spent on roofline-bound work; prefill is fully busy). A busy step that
  only streams weights draws a share of the compute-bound busy power, rising to
  all of it as its compute time reaches its memory time.
- **8-bit weights** halve the bytes, but their kernels reach only part of the
  ideal 2x (scaling and conversion work): an efficiency factor on both sides.
"""

from __future__ import annotations

import math
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt

# Numbers or numpy arrays: the same formulas serve point estimates and Monte Carlo.
F = TypeVar("F", float, npt.NDArray[np.float64])

BYTES_PER_PARAM = {"fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0,
                   "int8": 1.0, "int4": 0.5}  # fmt: skip
#: Matmul precision used for FLOP/s: weight-only int4 runs 16-bit matmuls on
#: most serving stacks; int8/fp8 use their tensor-core rate where it exists.
COMPUTE_PRECISION = {"fp32": "fp32", "tf32": "tf32", "bf16": "bf16", "fp16": "fp16",
                     "fp8": "fp8", "int8": "int8", "int4": "bf16"}  # fmt: skip
KV_BYTES = 2.0  # KV cache kept in 16-bit, the serving default (vLLM kv_cache_dtype="auto")


def weight_bytes(params_total: float, precision: str) -> float:
    """Bytes of the weights at a precision."""
    return params_total * BYTES_PER_PARAM[precision]


def kv_bytes_per_token(
    layers: int, hidden_size: int, heads: int, kv_heads: int, head_dim: int | None = None
) -> float:
    """KV-cache bytes per token: 2 (K, V) x layers x kv_heads x head_dim x 2 bytes.

    ``head_dim`` defaults to ``hidden_size / heads``.
    """
    dim = head_dim if head_dim is not None else hidden_size / heads
    return 2.0 * layers * kv_heads * dim * KV_BYTES


def prefill_flops(params_active: F, input_tokens: F) -> F:
    """Forward FLOPs of the input tokens: ``2 N_active`` per token (Kaplan et al. 2020)."""
    return 2.0 * params_active * input_tokens


def params_read_per_step(params_total: F, params_active: F, batch: F | float) -> F:
    """Parameters a decode step reads: ``N_total (1 - (1 - N_active/N_total)^B)``."""
    untouched = (1.0 - params_active / params_total) ** batch  # share of weights no token routes to
    return params_total * (1.0 - untouched)  # type: ignore[no-any-return]  # float ** float is Any


def shared_params(params_total: F, params_active: F, experts: int, per_token: int) -> F:
    """Weights every token uses (attention, embeddings, shared experts) of a MoE model.

    Solves ``N_active = S + (k/E)(N_total - S)`` for ``S``; never below 0.
    """
    share = per_token / experts
    return cast(F, np.maximum(0.0, (params_active - share * params_total) / (1.0 - share)))


def expected_max_normal(n: int) -> float:
    """Expected largest of ``n`` standard normal draws (Blom 1958's approximation).

    ``Phi^-1((n - 0.375) / (n + 0.25))``: 0 for one draw, 1.42 for eight.
    """
    from statistics import NormalDist

    return 0.0 if n <= 1 else NormalDist().inv_cdf((n - 0.375) / (n + 0.25))


def experts_read_share(experts: int, per_token: int, batch: F, devices: int) -> F:
    """Share of the expert weights whose read sets a decode step's memory time.

    ``B`` tokens touch each expert with probability ``p = 1 - (1 - k/E)^B``. With
    ``E/n`` experts on each of ``n`` devices, a device holds ``m p`` touched experts
    on average (binomial spread ``sqrt(m p (1 - p))``); the step waits for the busiest,
    about ``m p + c_n sqrt(m p (1 - p))`` with ``c_n`` the expected largest of ``n``
    normal draws. One device: the plain expectation ``p``.
    """
    p = 1.0 - (1.0 - per_token / experts) ** batch
    per_device = max(experts / devices, 1.0)
    busiest = per_device * p + expected_max_normal(devices) * np.sqrt(per_device * p * (1.0 - p))
    return np.minimum(per_device, busiest) / per_device  # type: ignore[no-any-return]


def moe_params_read_per_step(  # noqa: PLR0917 - a formula: every argument is one of its terms
    params_total: F, params_active: F, experts: int, per_token: int, batch: F, devices: int
) -> F:
    """Parameters a MoE decode step reads, in time: the shared weights and the touched experts."""
    shared = shared_params(params_total, params_active, experts, per_token)
    share = experts_read_share(experts, per_token, batch, devices)
    return shared + (params_total - shared) * share


def decode_step_s(  # noqa: PLR0917 - a formula: every argument is one of its terms
    bytes_read: F,
    flops: F,
    count: int,
    bandwidth_bps: F | float,
    peak_flops: F | float,
    mem_efficiency: F,
    compute_efficiency: F,
    overhead_s: F,
) -> F:
    """Time of one decode step: roofline ``max(memory, compute)`` plus a fixed overhead.

    The overhead stands for what a roofline does not see (kernel launches,
    scheduling, sampling, communication between tensor-parallel shards).
    """
    t_mem = bytes_read / (count * bandwidth_bps * mem_efficiency)
    t_comp = flops / (count * peak_flops * compute_efficiency)
    return cast(F, np.maximum(t_mem, t_comp) + overhead_s)


def compute_share(  # noqa: PLR0917 - a formula: every argument is one of its terms
    bytes_read: F,
    flops: F,
    bandwidth_bps: F | float,
    peak_flops: F | float,
    mem_efficiency: F,
    compute_efficiency: F,
) -> F:
    """How compute-bound a decode step is: compute time over memory time, at most 1."""
    t_mem = bytes_read / (bandwidth_bps * mem_efficiency)
    t_comp = flops / (peak_flops * compute_efficiency)
    return cast(F, np.minimum(1.0, t_comp / t_mem))


def busy_power_fraction(busy_fraction: F, memory_share: F, compute_share: F) -> F:
    """Board power of a busy step / TDP: memory-bound steps draw less than compute-bound ones.

    A step that only streams weights leaves most of the tensor cores idle: it draws
    ``memory_share`` of the compute-bound busy power, rising linearly to all of it as
    the step's compute time reaches its memory time.
    """
    return busy_fraction * (memory_share + (1.0 - memory_share) * compute_share)


def utilisation(step_s: F, overhead_s: F) -> F:
    """Share of a decode step the accelerators spend on roofline-bound work."""
    return (step_s - overhead_s) / step_s


def power_w(tdp_w: F | float, idle_fraction: F, busy_fraction: F, utilisation: F) -> F:
    """Board power between idle and its busy draw, linear in utilisation.

    The linear power-utilisation model of Fan, Weber & Barroso 2007 ("Power
    provisioning for a warehouse-sized computer", ISCA, sec. 4.1), applied to an
    accelerator: ``P = P_idle + (P_busy - P_idle) u``, both as fractions of TDP.
    """
    return tdp_w * (idle_fraction + (busy_fraction - idle_fraction) * utilisation)


def decode_bytes_read(  # noqa: PLR0917 - a formula: every argument is one of its terms
    params_total: F,
    params_active: F,
    batch: F,
    bytes_per_param: F | float,
    context_tokens: F,
    kv_bytes_per_token: float,
    params_read: F | None = None,
) -> F:
    """Bytes a decode step reads: the weights its tokens route to and each sequence's KV cache.

    ``params_read`` overrides the token-level MoE share (from :func:`moe_params_read_per_step`).
    """
    if params_read is None:
        params_read = params_read_per_step(params_total, params_active, batch)
    return params_read * bytes_per_param + batch * context_tokens * kv_bytes_per_token


def layers_from_size(params_total: float) -> int:
    """Layers when only the size is known: N ~ 12 L d^2 with d/L ~ 128 (Kaplan et al. 2020)."""
    d = float((128 * params_total / 12) ** (1 / 3))
    return max(1, round(d / 128))


def kv_bytes_per_token_from_size(params_total: float) -> float:
    """KV-cache bytes per token when only the size is known.

    Kaplan et al. 2020 (sec. 2.1) N ~ 12 L d^2 with d/L ~ 128, and grouped-query
    attention with 8 query heads per KV head (Llama 3 style).
    """
    d = float((128 * params_total / 12) ** (1 / 3))
    n_layers = max(1, round(d / 128))
    return 2.0 * n_layers * d * (1 / 8) * KV_BYTES


def mean_context_tokens(input_tokens: F, output_tokens: F) -> F:
    """Average context over a request's decode: its prompt plus half its output."""
    return input_tokens + output_tokens / 2


def decode_s_per_request(output_tokens: F, step_s: F, batch: F) -> F:
    """Decode time attributable to one request: a step per output token, shared by the batch."""
    return output_tokens * step_s / batch


def static_batch_steps_factor(batch: F, static: F) -> F:
    """Decode steps of a batch per mean output length: 1, or ``H_B`` for a static batch.

    A static batch decodes until its longest response ends. For exponentially
    distributed lengths the expected maximum of ``B`` of them is the mean times
    the harmonic number ``H_B = ln B + gamma + 1/(2B) - 1/(12B^2) + ...``
    (order statistics of exponentials, Renyi 1953). ``static`` is 0 or 1.
    """
    harmonic = np.log(batch) + 0.5772156649 + 0.5 / batch - 1.0 / (12.0 * batch * batch)
    return 1.0 + static * (np.maximum(harmonic, 1.0) - 1.0)  # type: ignore[no-any-return]


def pipeline_handover_s(
    micro_batch: F, hidden_size: float, link_bytes_per_s: F, latency_s: F, stages: int
) -> F:
    """Time a micro-batch's decode step spends between pipeline stages, per token.

    Each of the ``P - 1`` hand-overs sends the micro-batch's hidden states,
    ``B/P x d_model`` 16-bit values, to the next stage: a latency plus bytes over
    the link (Narayanan et al. 2021, sec. 3.2: point-to-point sends between stages).
    """
    sent = micro_batch * hidden_size * 2.0
    return (stages - 1) * (latency_s + sent / link_bytes_per_s)


def pipeline_round_overhead_s(cycle_s: F, host_s: F, roofline_s: F, stages: int) -> F:
    """Time of a pipeline round beyond its roofline: the larger of two bounds.

    A micro-batch's next token waits for its own host work, its hand-overs and its
    pass through every stage (``cycle_s`` beyond the roofline). The engine's host work
    runs in one process, micro-batch after micro-batch (vLLM 0.5-0.6 steps its virtual
    engines as tasks of one asyncio loop), so a round also lasts at least ``P``
    micro-batches' host work ``host_s``, of which the devices' roofline time overlaps
    what it can.
    """
    return cast(F, np.maximum(cycle_s, stages * host_s - roofline_s))


def hidden_size_from_size(params_total: float) -> float:
    """``d_model`` when only the size is known: N ~ 12 L d^2 with d/L ~ 128 (Kaplan et al. 2020)."""
    return float((128 * params_total / 12) ** (1 / 3))


def energy_j(count: int, power_w: F, seconds: F) -> F:
    """Energy of ``count`` accelerators (or their hosts) at ``power_w`` each for ``seconds``."""
    return count * power_w * seconds


def prefill_s(flops: F, count: int, peak_flops: F | float, compute_efficiency: F) -> F:
    """Time to prefill one request's input tokens on ``count`` accelerators."""
    return flops / (count * peak_flops * compute_efficiency)


def min_accelerators(needed_bytes: float, memory_bytes: float, usable: float = 0.9) -> int:
    """Smallest power-of-two count whose memory holds ``needed_bytes``.

    Serving stacks shard by tensor parallelism over 1, 2, 4 or 8 devices and
    keep ~10 % of memory for activations and fragmentation (vLLM's default
    ``gpu_memory_utilization`` is 0.9).
    """
    raw = max(1, math.ceil(needed_bytes / (memory_bytes * usable)))
    return 1 << (raw - 1).bit_length()
