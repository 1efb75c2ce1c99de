"""Energy per generated token of a real local generation loop, beside the estimator's prediction.

A Llama-architecture model is built from a config with random weights (seeded; nothing is
downloaded) and ``transformers``' ``generate`` runs greedy decoding for a fixed number of
new tokens; each run is one ``wattlens.measure`` window. The sequences of a batch ask for
different numbers of new tokens, spread like an exponential distribution of mean N (its
quantiles at (i + 0.5) / B, scaled to mean N): ``generate`` decodes a static batch until its
longest sequence ends, as it does for chat replies of varying length, and only the tokens a
sequence asked for count. This is the case the estimator's ``hf`` profile models (a static
batch runs for the longest of B exponential lengths, about H_B x the mean). For every
configuration (batch x mean new tokens) it prints the medians over ``--runs`` runs of:

* measured J per generated token: the CPU (or, on a GPU, the GPUs) and the whole machine
  (every component the meter reads), with the method behind them (``counter``: a hardware
  counter such as RAPL or NVML; ``modeled``: the meter's utilisation model, see
  ``wattlens doctor``). On a CPU the figure set beside the estimate is the process tree's
  share of the CPU energy (its own CPU-seconds), so other load on the machine is left out;
* the estimator's p5 / p50 / p95 J per token for the same configuration (parameters,
  layers, hidden size, heads, KV heads, prompt and output tokens, batch, precision, the
  ``hf`` serving stack) at the accelerator boundary (beside the CPU or GPU energy), and
  measured / p50.

On a CPU the estimate runs on a catalog CPU row (peak FLOP/s, memory bandwidth, TDP) with
``--cores`` of its cores (default: torch's thread count): ``--accelerator`` names it, by
default the machine's own CPU where the catalog knows it. A cloud VM's CPU name often
lacks the model number (``AMD EPYC``); name the part then, e.g. ``--accelerator
amd-epyc-7763`` for an EPYC of family 25 model 1 (Milan) in ``lscpu``.

Usage (from the repository root; needs ``transformers`` and ``torch``)::

    .venv/bin/python benchmarks/bench_serving_local.py --accelerator amd-epyc-7763
    .venv/bin/python benchmarks/bench_serving_local.py --batches 1,8 --tokens 64 --runs 7
    .venv/bin/python benchmarks/bench_serving_local.py --device cuda --size 1b --batches 32

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
    machine_j: float
    """Every component the meter reads, machine level."""
    device_j: float
    """The device the model runs on: the process tree's share of the CPU, or the GPUs."""
    methods: tuple[str, ...]


def build(size: str, device: str, dtype: Any) -> tuple[Any, dict[str, int], int]:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    shape = SIZES[size]
    torch.manual_seed(0)
    options: dict[str, Any] = {**shape, "max_position_embeddings": 4096}
    config = LlamaConfig(**options, tie_word_embeddings=False)
    model: Any = LlamaForCausalLM(config)
    model = model.to(device=device, dtype=dtype).eval()
    params = sum(p.numel() for p in model.parameters())
    return model, shape, params


def lengths(batch: int, mean: int) -> list[int]:
    """New tokens per sequence: exponential quantiles at (i + 0.5) / B, scaled to ``mean``."""
    import math

    q = [-math.log(1.0 - (i + 0.5) / batch) for i in range(batch)]
    return [max(1, round(mean * x * batch / sum(q))) for x in q]


def generate_once(  # noqa: PLR0917 - one run of one configuration
    model: Any, batch: int, prompt_tokens: int, new_tokens: int, device: str, seed: int
) -> Run:
    import torch

    asked = lengths(batch, new_tokens)
    generator = torch.Generator().manual_seed(seed)
    vocab = model.config.vocab_size
    prompt = torch.randint(3, vocab, (batch, prompt_tokens), generator=generator).to(device)
    with torch.inference_mode(), wattlens.measure("serving-local") as block:
        start = time.perf_counter()
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=max(asked),
            min_new_tokens=max(asked),
            do_sample=False,
            pad_token_id=0,
            eos_token_id=None,
        )
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
    m = block.result
    assert out.shape[1] - prompt.shape[1] == max(asked)
    tokens = sum(asked)  # a sequence's tokens past its own length are the static batch's waste
    if device == "cuda":
        device_j = sum(c.energy_j for c in m.components if c.kind == "gpu")
    else:
        device_j = sum(
            c.energy_j if c.attributed_energy_j is None else c.attributed_energy_j
            for c in m.components
            if c.kind == "cpu"
        )
    methods = tuple(sorted({c.method for c in m.components}))
    return Run(seconds, tokens, m.energy_j, device_j, methods)


def estimate(
    *, shape: dict[str, int], params: int, accelerator: str, cores: int | None, batch: int,
    prompt_tokens: int, new_tokens: int, precision: str,
) -> Any:  # fmt: skip
    return wattlens.estimate.inference(
        output_tokens=new_tokens,
        input_tokens=prompt_tokens,
        accelerator=accelerator,
        cores=cores,
        params=float(params),
        layers=shape["num_hidden_layers"],
        hidden_size=shape["hidden_size"],
        heads=shape["num_attention_heads"],
        kv_heads=shape["num_key_value_heads"],
        batch=float(batch),
        count=1,
        precision=precision,
        stack="hf",
        location="world",  # the comparison is of energy; the grid does not enter it
    )


def machine_cpu() -> str | None:
    """The machine's CPU as a catalog row that can carry an estimate, else None."""
    from wattlens.catalog import get_catalog
    from wattlens.estimate.cpu import cpu_slice
    from wattlens.sensors.procfs import cpu_model_name

    name = cpu_model_name()
    if not name:
        return None
    try:
        found = cpu_slice(name, None, get_catalog())
    except WattlensError:
        return None
    return None if found is None else found.cpu.id


def _whole_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one report
    import torch

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None)
    parser.add_argument("--size", choices=tuple(SIZES), default=None)
    parser.add_argument("--runs", type=int, default=5, help="runs per configuration")
    parser.add_argument(
        "--tokens",
        type=_whole_list,
        default=[32, 128],
        help="mean new tokens per sequence, comma-separated (default 32,128)",
    )
    parser.add_argument(
        "--batches",
        type=_whole_list,
        default=[1, 4],
        help="batch sizes, comma-separated (default 1,4)",
    )
    parser.add_argument("--prompt", type=int, default=32, help="prompt tokens per sequence")
    parser.add_argument("--accelerator", default=None, help="catalog row (GPU or CPU)")
    parser.add_argument(
        "--cores",
        type=int,
        default=None,
        help="CPU cores the model runs on (default: torch's threads)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args(argv)  # fmt: skip
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    size = args.size or ("1b" if device == "cuda" else "tiny")
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    precision = "bf16" if device == "cuda" else "fp32"
    if args.threads:
        torch.set_num_threads(args.threads)
    cores = None if device == "cuda" else (args.cores or torch.get_num_threads())

    model, shape, params = build(size, device, dtype)
    print(f"model: random Llama-architecture '{size}', {params / 1e6:.1f} M parameters, "
          f"{precision} on {device} (torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads)")  # fmt: skip
    print(f"load: prompt {args.prompt} tokens, greedy, {args.runs} runs per configuration "
          "after one warm-up; figures are medians")  # fmt: skip
    generate_once(model, 1, args.prompt, 4, device, seed=-1)

    if device == "cuda":
        acc = args.accelerator or torch.cuda.get_device_name(0)
    else:
        acc = args.accelerator or machine_cpu()
        if acc is None:
            print("estimated: none - the catalog does not know this machine's CPU "
                  "(see /proc/cpuinfo); pass --accelerator with a catalog CPU, e.g. "
                  "amd-epyc-7763 for an EPYC of family 25 model 1")  # fmt: skip
    where = "GPUs" if device == "cuda" else "CPU, process share"
    header = (f"{'batch':>5} {'new':>5} {'tok/s':>8} {'machine J/tok':>14} "
              f"{where + ' J/tok':>24} {'estimate p5 / p50 / p95 J/tok':>34} "
              f"{'meas/p50':>9}")  # fmt: skip
    slice_text = f", {cores} core(s)" if cores else ""
    print(f"estimate: {acc or 'none'}{slice_text}, stack hf, accelerator boundary")
    print(header)
    methods: set[str] = set()
    for batch in args.batches:
        for new in args.tokens:
            runs = [generate_once(model, batch, args.prompt, new, device, seed=i)
                    for i in range(args.runs)]  # fmt: skip
            methods.update(m for r in runs for m in r.methods)
            rate = statistics.median(r.tokens / r.seconds for r in runs)
            machine = statistics.median(r.machine_j / r.tokens for r in runs)
            measured = statistics.median(r.device_j / r.tokens for r in runs)
            est_text, ratio = "none", ""
            if acc is not None:
                try:
                    est = estimate(shape=shape, params=params, accelerator=acc, cores=cores,
                                   batch=batch, prompt_tokens=args.prompt, new_tokens=new,
                                   precision=precision)  # fmt: skip
                except WattlensError as exc:
                    est_text = f"none ({exc})"
                else:
                    r = est.energy_by_boundary["accelerator"]
                    est_text = f"{r.p5 / new:.3g} / {r.p50 / new:.3g} / {r.p95 / new:.3g}"
                    ratio = f"{measured / (r.p50 / new):.2f}"
            print(f"{batch:>5} {new:>5} {rate:>8.1f} {machine:>14.4g} {measured:>24.4g} "
                  f"{est_text:>34} {ratio:>9}")  # fmt: skip
    print(
        f"method: {', '.join(sorted(methods))} (counter: a hardware counter such as RAPL; "
        "modeled: CPU-seconds x the CPU's TDP per thread, the meter's utilisation model)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
