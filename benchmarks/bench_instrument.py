"""What does ``wattlens.instrument()`` add to an API call?

The real OpenAI and Anthropic clients, and ``litellm.completion`` (routed to the
same server as an OpenAI-compatible endpoint), call a local server that speaks their wire
formats (``tests/integrations/llm_server.py``: JSON and server-sent events with the
usage chunk). Calls are paired: each call of a kind is made uninstrumented and then at
once instrumented, so drift in the machine's speed hits both; printed are, over
``--runs`` rounds of ``--calls`` pairs, the median of the rounds' median times per call
and of their median paired difference, which is the overhead. The first instrumented
call of a model and context size runs the Monte Carlo estimate that later calls reuse:
that one-off cost is printed apart, and the rounds start after it (warm-up).

The HTTP round trip varies by more than the overhead, so the hook itself is also timed
alone: the work done on a response that has already arrived (read the usage, scale the
cached estimate, attach ``impacts``, record it in an open session).

LiteLLM is imported offline (its bundled price list, ``LITELLM_LOCAL_MODEL_COST_MAP``),
as :func:`wattlens.instrument` imports it.

Usage (from the repository root; with ``PYTHONDONTWRITEBYTECODE`` unset, so that the
clients' imports are not compiled anew in every process)::

    .venv/bin/python benchmarks/bench_instrument.py            # ~2 minutes
    .venv/bin/python benchmarks/bench_instrument.py --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import anthropic  # noqa: E402
import openai  # noqa: E402
from tests.integrations.llm_server import Server  # noqa: E402

import wattlens  # noqa: E402
from wattlens.integrations import llm  # noqa: E402

os.environ.setdefault(llm.LITELLM_COST_MAP_ENV, "True")  # no price-list download
import litellm  # noqa: E402

MESSAGES: Any = [{"role": "user", "content": "Say hello"}]


def _kinds(server: Server) -> dict[str, Callable[[], object]]:
    oa = openai.OpenAI(api_key="sk-bench", base_url=f"{server.base_url}/v1", max_retries=0)
    an = anthropic.Anthropic(api_key="sk-bench", base_url=server.base_url, max_retries=0)

    def openai_sync() -> object:
        return oa.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    def openai_stream() -> object:
        return list(
            oa.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
        )

    def anthropic_sync() -> object:
        return an.messages.create(model="claude-sonnet-4-0", max_tokens=512, messages=MESSAGES)

    def anthropic_stream() -> object:
        return list(
            an.messages.create(
                model="claude-sonnet-4-0", max_tokens=512, messages=MESSAGES, stream=True
            )
        )

    lite: dict[str, Any] = {
        "model": "openai/gpt-4o",
        "api_base": f"{server.base_url}/v1",
        "api_key": "sk-bench",
        "messages": MESSAGES,
    }

    def litellm_sync() -> object:
        return litellm.completion(**lite)

    def litellm_stream() -> object:
        return list(litellm.completion(**lite, stream=True, stream_options={"include_usage": True}))

    return {
        "openai sync": openai_sync,
        "openai stream": openai_stream,
        "anthropic sync": anthropic_sync,
        "anthropic stream": anthropic_stream,
        "litellm sync": litellm_sync,
        "litellm stream": litellm_stream,
    }


def _pair_s(fn: Callable[[], object]) -> tuple[float, float]:
    """One call uninstrumented, then one instrumented: a paired sample."""
    start = time.perf_counter()
    fn()
    plain = time.perf_counter() - start
    wattlens.instrument()
    start = time.perf_counter()
    fn()
    hooked = time.perf_counter() - start
    wattlens.uninstrument()
    return plain, hooked


def _hook_s(calls: int) -> tuple[float, float]:
    """The hook alone on an arrived response (no HTTP): estimate, attach, record.

    Wall and CPU time per call: on a loaded machine the wall time counts other processes.
    """
    from openai.types.chat import ChatCompletion

    body = {
        "id": "x", "object": "chat.completion", "created": 0, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
    }  # fmt: skip
    response = ChatCompletion.model_validate(body)
    kwargs = {"model": "gpt-4o"}
    with wattlens.session():
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            llm._after("openai", kwargs, response, is_async=False)
        return (time.perf_counter() - start) / calls, (time.process_time() - cpu) / calls


def _litellm_hook_s(calls: int) -> tuple[float, float]:
    """The same for a LiteLLM response (its route prefix read, its usage shape)."""
    response = litellm.ModelResponse(
        model="gpt-4o",
        choices=[{"index": 0, "finish_reason": "stop",
                  "message": {"role": "assistant", "content": "hi"}}],
        usage={"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
    )  # fmt: skip
    kwargs = {"model": "openai/gpt-4o"}
    with wattlens.session():
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(calls):
            llm._litellm_after((), kwargs, response, is_async=False)
        return (time.perf_counter() - start) / calls, (time.process_time() - cpu) / calls


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="3 runs of 20 calls")
    args = parser.parse_args()
    runs, calls = (3, 20) if args.quick else (args.runs, args.calls)

    with Server() as server:
        kinds = _kinds(server)
        for fn in kinds.values():  # connections and imports, both ways
            fn()
        wattlens.instrument()
        start = time.perf_counter()
        kinds["openai sync"]()
        first_s = time.perf_counter() - start
        for fn in kinds.values():
            fn()
        wattlens.uninstrument()

        plain: dict[str, list[float]] = {k: [] for k in kinds}
        hooked: dict[str, list[float]] = {k: [] for k in kinds}
        diffs: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(runs):
            for name, fn in kinds.items():
                pairs = [_pair_s(fn) for _ in range(calls)]
                plain[name].append(statistics.median(p for p, _ in pairs))
                hooked[name].append(statistics.median(h for _, h in pairs))
                diffs[name].append(statistics.median(h - p for p, h in pairs))
        wattlens.instrument()
        hook = [_hook_s(calls * 20) for _ in range(runs)]
        lite_hook = [_litellm_hook_s(calls * 20) for _ in range(runs)]
        wattlens.uninstrument()

    print(f"wattlens.instrument() overhead, median of {runs} rounds x {calls} calls")
    print(f"(local server, Python {sys.version.split()[0]}, openai {openai.__version__}, "
          f"anthropic {anthropic.__version__}, litellm {_version('litellm')})\n")  # fmt: skip
    print(f"{'call':18} {'plain ms':>10} {'instrumented ms':>16} {'overhead ms':>12}")
    for name in kinds:
        p, h = statistics.median(plain[name]), statistics.median(hooked[name])
        d = statistics.median(diffs[name])
        print(f"{name:18} {p * 1e3:10.3f} {h * 1e3:16.3f} {d * 1e3:12.3f}")
    wall = statistics.median(h[0] for h in hook) * 1e6
    cpu = statistics.median(h[1] for h in hook) * 1e6
    print(f"\nhook alone (usage -> impacts, attach, session record): {wall:.1f} us wall, "
          f"{cpu:.1f} us CPU per call")  # fmt: skip
    wall = statistics.median(h[0] for h in lite_hook) * 1e6
    cpu = statistics.median(h[1] for h in lite_hook) * 1e6
    print(f"LiteLLM hook alone (the same on a litellm.ModelResponse): {wall:.1f} us wall, "
          f"{cpu:.1f} us CPU per call")  # fmt: skip
    print(f"first call of a model and context size (catalog load + Monte Carlo, once): "
          f"{first_s * 1e3:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
