"""Joules per request and per output token of a model server under load.

Sends ``--requests`` chat requests, ``--concurrency`` at a time, to an OpenAI-compatible
server (vLLM, SGLang, llama.cpp's ``llama-server``, Ollama's ``/v1``: all answer
``POST /v1/chat/completions``), adds up the prompt and completion tokens the server reports
in each response's ``usage``, and divides an energy by them. The energy comes from one of:

* ``--run-json FILE``: the result of ``wattlens run -o FILE -- vllm serve MODEL`` (stop the
  server once the load is done: the run's energy then covers start-up, load and idle
  time, so the figures are an upper bound for the load alone);
* ``--run-id ID``: the same run, read from the run store (``--store URL`` as
  ``wattlens runs``);
* ``--energy-j J``: a figure measured some other way;
* ``--measure``: a ``wattlens.measure`` window around the load itself, for a server on
  this machine (the meter reads the whole machine: server and load generator).

Printed are the requests, tokens, energy and its method (``counter``/``sampled`` measured,
``modeled`` a utilisation model: see ``wattlens doctor``), J per request and J per output
token, and, with ``--accelerator`` and ``--catalog-model``, the estimator's p5 / p50 / p95
for the same model, accelerator, batch (the concurrency) and mean tokens per request at
the server boundary.

Usage::

    # shell 1: the server, measured
    wattlens run -o serve.json -- vllm serve meta-llama/Llama-3.1-8B-Instruct
    # shell 2: the load; then stop the server (Ctrl-C in shell 1)
    python benchmarks/loadgen_serving.py --base-url http://127.0.0.1:8000/v1 \\
        --model meta-llama/Llama-3.1-8B-Instruct --requests 200 --concurrency 16 \\
        --save-load load.json
    # once serve.json is written:
    python benchmarks/loadgen_serving.py --from-load load.json --run-json serve.json \\
        --catalog-model llama-3.1-8b --accelerator "H100 SXM"
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: A prompt of a few hundred tokens, the same for every request (the server's prefix cache
#: may shorten prefill; vary it with --prompt-words).
PROMPT = (
    "Explain in plain words how a data centre turns electricity into answers, where the "
    "heat goes, and what the cooling water does."
)


@dataclass(frozen=True)
class Load:
    """What the server served: requests and the tokens its ``usage`` reported."""

    base_url: str
    model: str
    requests: int
    failed: int
    concurrency: int
    prompt_tokens: int
    completion_tokens: int
    duration_s: float


@dataclass(frozen=True)
class Energy:
    energy_j: float
    methods: tuple[str, ...]
    source: str


def _prompt(words: int) -> str:
    base = PROMPT.split()
    return " ".join(base[i % len(base)] for i in range(words))


def _one(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> tuple[int, int]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        usage = json.loads(response.read())["usage"]
    return int(usage["prompt_tokens"]), int(usage["completion_tokens"])


def run_load(
    base_url: str,
    model: str,
    *,
    requests: int,
    concurrency: int,
    max_tokens: int,
    prompt_words: int = 200,
    api_key: str | None = None,
    timeout_s: float = 600.0,
) -> Load:
    """Send the requests and count the served tokens (failed requests count no tokens)."""
    url = base_url.rstrip("/") + "/chat/completions"
    body = json.dumps(
        {
            "model": model,
            "messages": [{"role": "user", "content": _prompt(prompt_words)}],
            "max_tokens": max_tokens,
        }
    ).encode()
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    prompt = completion = failed = 0
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(_one, url, body, headers, timeout_s) for _ in range(requests)]
        for future in futures:
            try:
                p, c = future.result()
            except (OSError, KeyError, TypeError, ValueError) as exc:
                failed += 1
                print(f"request failed: {exc}", file=sys.stderr)
                continue
            prompt += p
            completion += c
    return Load(
        base_url=base_url,
        model=model,
        requests=requests,
        failed=failed,
        concurrency=concurrency,
        prompt_tokens=prompt,
        completion_tokens=completion,
        duration_s=time.perf_counter() - start,
    )


def energy_of_run(run_json: Path | None = None, run_id: str | None = None,
                  store: str | None = None) -> Energy:  # fmt: skip
    """The energy of a ``wattlens run``: its ``-o`` JSON file or its record in the store."""
    from wattlens.measurement import Measurement

    if run_json is not None:
        m = Measurement.from_dict(json.loads(run_json.read_text(encoding="utf-8")))
        where = str(run_json)
    else:
        from wattlens.store import Store

        assert run_id is not None
        with Store(store) as s:
            m = s.get(run_id, timeline=False)
        where = f"run {m.run_id}"
    return Energy(m.energy_j, tuple(m.methods), where)


def predicted(load: Load, catalog_model: str, accelerator: str, stack: str) -> dict[str, Any]:
    """The estimator's J per request and per output token for the load's mean request."""
    import wattlens

    served = load.requests - load.failed
    tokens_in = load.prompt_tokens / served
    tokens_out = load.completion_tokens / served
    e = wattlens.estimate.inference(
        model=catalog_model, accelerator=accelerator, input_tokens=tokens_in,
        output_tokens=tokens_out, batch=load.concurrency, stack=stack, boundary="server",
    )  # fmt: skip
    per_request = {q: getattr(e.energy, q) for q in ("p5", "p50", "p95")}
    return {
        "catalog_model": catalog_model,
        "accelerator": f"{e.count} x {accelerator}",
        "stack": stack,
        "batch": load.concurrency,
        "boundary": "server",
        "method": e.method,
        "j_per_request": per_request,
        "j_per_output_token": {q: v / tokens_out for q, v in per_request.items()},
    }


def report(load: Load, energy: Energy, prediction: dict[str, Any] | None) -> dict[str, Any]:
    served = load.requests - load.failed
    if served == 0 or load.completion_tokens == 0:
        raise SystemExit("error: no request was served with usage; nothing to divide by")
    measured = any(m in ("counter", "sampled") for m in energy.methods)
    return {
        "load": asdict(load),
        "energy_j": energy.energy_j,
        "energy_source": energy.source,
        "energy_methods": list(energy.methods),
        "method": "measured" if measured else ("given" if not energy.methods else "modelled"),
        "j_per_request": energy.energy_j / served,
        "j_per_output_token": energy.energy_j / load.completion_tokens,
        "j_per_token": energy.energy_j / (load.prompt_tokens + load.completion_tokens),
        "estimator": prediction,
    }


def _print(result: dict[str, Any]) -> None:
    load = result["load"]
    print(
        f"requests {load['requests'] - load['failed']}/{load['requests']} "
        f"(concurrency {load['concurrency']}) in {load['duration_s']:.2f} s; tokens: "
        f"{load['prompt_tokens']} prompt, {load['completion_tokens']} output"
    )
    print(
        f"energy {result['energy_j']:.1f} J ({result['method']}: "
        f"{', '.join(result['energy_methods']) or 'given'}; {result['energy_source']})"
    )
    print(
        f"J per request {result['j_per_request']:.3f}   "
        f"J per output token {result['j_per_output_token']:.4f}   "
        f"J per token (prompt + output) {result['j_per_token']:.4f}"
    )
    p = result["estimator"]
    if p is not None:
        r, t = p["j_per_request"], p["j_per_output_token"]
        print(
            f"estimator ({p['catalog_model']} on {p['accelerator']}, batch {p['batch']}, "
            f"{p['stack']} stack, server boundary): J per request p5 {r['p5']:.3f} "
            f"p50 {r['p50']:.3f} p95 {r['p95']:.3f}; J per output token p5 {t['p5']:.4f} "
            f"p50 {t['p50']:.4f} p95 {t['p95']:.4f}"
        )


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", help="the server's OpenAI-compatible base URL (.../v1)")
    ap.add_argument("--model", help="the model name the server expects")
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--prompt-words", type=int, default=200)
    ap.add_argument("--api-key-env", default="OPENAI_API_KEY",
                    help="variable holding the server's key, if it wants one")  # fmt: skip
    ap.add_argument("--save-load", type=Path, help="write the served counts to this JSON file")
    ap.add_argument("--from-load", type=Path, help="skip the load: read a --save-load file")
    source = ap.add_mutually_exclusive_group()
    source.add_argument("--run-json", type=Path, help="a `wattlens run -o FILE` result")
    source.add_argument("--run-id", help="a run in the store (see `wattlens runs ls`)")
    source.add_argument("--energy-j", type=float, help="the energy, joules")
    source.add_argument("--measure", action="store_true",
                        help="measure this machine during the load (a local server)")  # fmt: skip
    ap.add_argument("--store", help="the run store's URL (default: as `wattlens runs`)")
    ap.add_argument("--catalog-model", help="the catalog model, for the estimator's prediction")
    ap.add_argument("--accelerator", help="the catalog accelerator, for the prediction")
    ap.add_argument("--stack", default="current",
                    help="serving stack: current (vLLM/SGLang), llama.cpp, hf")  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print JSON")
    return ap


def _load_and_energy(args: argparse.Namespace, has_energy: bool) -> tuple[Load, Energy | None]:
    def load_now() -> Load:
        return run_load(
            args.base_url, args.model, requests=args.requests, concurrency=args.concurrency,
            max_tokens=args.max_tokens, prompt_words=args.prompt_words,
            api_key=os.environ.get(args.api_key_env),
        )  # fmt: skip

    if args.measure:
        import wattlens

        with wattlens.measure("loadgen") as m:
            load = load_now()
        return load, Energy(m.result.energy_j, tuple(m.result.methods), "wattlens.measure (load)")
    if args.from_load is not None:
        load = Load(**json.loads(args.from_load.read_text(encoding="utf-8")))
    else:
        load = load_now()
    if args.energy_j is not None:
        return load, Energy(args.energy_j, (), "--energy-j")
    if has_energy:
        return load, energy_of_run(args.run_json, args.run_id, args.store)
    return load, None


def main(argv: list[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        ap.error("--requests and --concurrency must be at least 1")
    if args.from_load is None and not (args.base_url and args.model):
        ap.error("give --base-url and --model (or --from-load FILE)")
    has_energy = args.run_json or args.run_id or args.energy_j is not None or args.measure
    if not has_energy and args.save_load is None:
        ap.error("give the energy (--run-json, --run-id, --energy-j or --measure) or --save-load")
    if args.measure and args.from_load is not None:
        ap.error("--measure measures the load: it cannot be combined with --from-load")

    load, energy = _load_and_energy(args, bool(has_energy))
    if args.save_load is not None:
        args.save_load.write_text(json.dumps(asdict(load), indent=2), encoding="utf-8")
    if energy is None:
        print(f"served counts written to {args.save_load}; divide later with --from-load")
        return 0
    prediction = None
    if args.catalog_model and args.accelerator and load.completion_tokens > 0:
        prediction = predicted(load, args.catalog_model, args.accelerator, args.stack)
    result = report(load, energy, prediction)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
