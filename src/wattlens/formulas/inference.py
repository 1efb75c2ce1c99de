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
  With each token using a fraction ``f = N_active / N_total`` of the weights
  and independent routing, a batch of ``B`` tokens touches in expectation
  ``N_total (1 - (1 - f)^B)`` parameters (dense: ``f = 1``, all of them).
- **KV cache** per token: ``2 (K and V) x layers x d_model x kv_heads/heads``
  values (grouped-query attention shrinks it by ``heads/kv_heads``).
- **Power** between idle and busy draw, linear in utilisation (the share of
  a step spent on roofline-bound work; prefill is fully busy).
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
    bytes_per_param: float,
    context_tokens: F,
    kv_bytes_per_token: float,
) -> F:
    """Bytes a decode step reads: the weights its tokens route to and each sequence's KV cache."""
    weights = params_read_per_step(params_total, params_active, batch) * bytes_per_param
    return weights + batch * context_tokens * kv_bytes_per_token


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
