"""Energy per generated token of a real local generation loop, beside the estimator's prediction.

A Llama-architecture model is built from a config with random weights (seeded; nothing is
downloaded) and ``transformers``' ``generate`` runs greedy decoding for a fixed number of
new tokens; each run is one ``wattlens.measure`` window. Printed are the medians over
``--runs`` runs (and their spread, min-max) of:

* measured J per generated token, machine level (every component the meter reads) and,
  on a GPU, the GPU components alone; each with the method behind it (``counter`` is a
  hardware counter, ``modeled`` a utilisation model: see ``wattlens doctor``);
* the estimator's p5 / p50 / p95 J per token for the same configuration (parameters,
  layers, hidden size, heads, KV heads, prompt and output tokens, batch, precision, the
  ``hf`` serving stack) at the accelerator boundary (beside the GPU energy) and the server
  boundary (beside the machine energy).

The estimator models accelerators (the catalog's GPU and TPU rows); on a CPU there is no
catalog row, so only the measured side prints, unless ``--accelerator`` names a row of
your own catalog (README, "Your own rows") with sourced figures for the chip.

Usage (from the repository root; needs ``transformers`` and ``torch``)::

    .venv/bin/python benchmarks/bench_serving_local.py                  # CPU, tiny model
    .venv/bin/python benchmarks/bench_serving_local.py --runs 5 --tokens 128 --batch 4
    .venv/bin/python benchmarks/bench_serving_local.py --device cuda --size 1b --batch 32

On a GPU the accelerator is the catalog row named by the device (``torch.cuda.
get_device_name``), or ``--accelerator``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import wattlens
from wattlens.errors import WattlensError

#: Llama-architecture shapes: a tiny one for CPUs and a 1B-class one for GPUs (the shape of
#: Llama 3.2 1B: 16 layers, d_model 2048, 32 heads, 8 KV heads, FFN 8192), random weights.
SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4,
             "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 8000},
    "1b": {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
           "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000},
}  # fmt: skip


@dataclass
class Run:
    seconds: float
    tokens: int
    energy_j: float
    gpu_energy_j: float
    methods: tuple[str, ...]


def build(size: str, device: str, dtype: Any) -> tuple[Any, dict[str, int], int]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    shape = SIZES[size]
    torch.manual_seed(0)
    config = LlamaConfig(**shape, max_position_embeddings=4096, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).to(device=device, dtype=dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    return model, shape, params


def generate_once(model: Any, args: argparse.Namespace, device: str, seed: int) -> Run:
    import torch

    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    prompt = torch.randint(3, vocab, (args.batch, args.prompt), generator=generator).to(device)
    with torch.inference_mode(), wattlens.measure("serving-local") as block:
        start = time.perf_counter()
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=args.tokens,
            min_new_tokens=args.tokens,
            do_sample=False,
            pad_token_id=0,
            eos_token_id=None,
        )
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    m = block.result
    tokens = int(out.shape[0] * (out.shape[1] - prompt.shape[1]))
    gpu = sum(c.energy_j for c in m.components if c.kind == "gpu")
    return Run(seconds, tokens, m.energy_j, gpu, tuple(m.methods))


def estimate(args: argparse.Namespace, shape: dict[str, int], params: int, acc: str) -> Any:
    return wattlens.estimate.inference(
        output_tokens=args.tokens,
        input_tokens=args.prompt,
        accelerator=acc,
        params=float(params),
        layers=shape["num_hidden_layers"],
        hidden_size=shape["hidden_size"],
        heads=shape["num_attention_heads"],
        kv_heads=shape["num_key_value_heads"],
        batch=float(args.batch),
        count=1,
        precision=args.precision,
        stack="hf",
    )


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--size", choices=tuple(SIZES), default=None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per sequence")
    parser.add_argument("--prompt", type=int, default=32, help="prompt tokens per sequence")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--accelerator", default=None, help="catalog row for the estimate")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    size = args.size or ("1b" if device == "cuda" else "tiny")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    args.precision = "bf16" if device == "cuda" else "fp32"
    if args.threads:
        torch.set_num_threads(args.threads)

    model, shape, params = build(size, device, dtype)
    print(f"model: random Llama-architecture '{size}', {params / 1e6:.1f} M parameters, "
          f"{args.precision} on {device} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads)")  # fmt: skip
    print(f"load: batch {args.batch} x (prompt {args.prompt} + {args.tokens} new tokens), "
          f"greedy, {args.runs} runs after one warm-up")  # fmt: skip
    generate_once(model, argparse.Namespace(**{**vars(args), "tokens": 4}), device, seed=-1)
    runs = [generate_once(model, args, device, seed=i) for i in range(args.runs)]

    def per_token(values: list[float]) -> str:
        med = statistics.median(values)
        return f"{med:.4g} J/token (min {min(values):.4g} - max {max(values):.4g})"

    methods = sorted({m for r in runs for m in r.methods})
    machine = [r.energy_j / r.tokens for r in runs]
    rate = statistics.median(r.tokens / r.seconds for r in runs)
    print(f"throughput: {rate:.1f} tokens/s (median)")
    print(f"measured, machine: {per_token(machine)}  [method: {', '.join(methods)}]")
    if any(r.gpu_energy_j > 0 for r in runs):
        print(f"measured, GPUs:    {per_token([r.gpu_energy_j / r.tokens for r in runs])}")

    acc = args.accelerator or (torch.cuda.get_device_name(0) if device == "cuda" else None)
    if acc is None:
        print("estimated: none - the inference estimator models accelerators (the catalog's "
              "GPU and TPU rows) and the catalog has no row for a CPU; pass --accelerator "
              "with a row of your own catalog to compare")  # fmt: skip
        return 0
    try:
        est = estimate(args, shape, params, acc)
    except WattlensError as exc:
        print(f"estimated: none - {exc}")
        return 0
    for boundary, beside in (("accelerator", "GPUs"), ("server", "machine")):
        r = est.energy_by_boundary[boundary]
        n = args.tokens
        print(f"estimated, {boundary} (beside {beside}): p5 {r.p5 / n:.4g} / p50 {r.p50 / n:.4g} "
              f"/ p95 {r.p95 / n:.4g} J/token  [{est.accelerator}, stack hf]")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
