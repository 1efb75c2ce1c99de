"""wattlens.instrument() and LiteLLM: openai/ and anthropic/ models against the local server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import wattlens
from tests.integrations.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, Server
from wattlens.integrations import llm
from wattlens.integrations.llm import CallImpacts, ImpactsWarning

OPENAI_KEY = "sk-test-0123456789abcdefSECRETopenai"
ANTHROPIC_KEY = "sk-ant-test-0123456789SECRETanthropic"
MESSAGES: Any = [{"role": "user", "content": "Say hello"}]
USAGE = {"include_usage": True}
# LiteLLM's own use of pydantic warns (a lazily built schema; an instance attribute
# pydantic 2.11 deprecated, read by its stream handler): LiteLLM's, not wattlens'.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Item.*ReadOnly:UserWarning"),
    pytest.mark.filterwarnings("ignore:Accessing the 'model_:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def litellm() -> Any:
    """LiteLLM, imported the way instrument() imports it (offline)."""
    assert "litellm" in wattlens.instrument()
    wattlens.uninstrument()
    import litellm as module

    return module


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as srv:
        yield srv


@pytest.fixture
def instrumented(litellm: Any) -> Iterator[None]:
    assert wattlens.instrument() == ["openai", "anthropic", "litellm"]
    yield
    wattlens.uninstrument()


def _openai_kwargs(server: Server) -> dict[str, Any]:
    return {"api_base": f"{server.base_url}/v1", "api_key": OPENAI_KEY, "messages": MESSAGES}


def _anthropic_kwargs(server: Server) -> dict[str, Any]:
    return {"api_base": server.base_url, "api_key": ANTHROPIC_KEY, "messages": MESSAGES}


def _impacts(obj: object) -> CallImpacts:
    found = getattr(obj, "impacts", None)
    assert isinstance(found, CallImpacts), f"no impacts on {type(obj).__name__}"
    return found


def _check(found: CallImpacts, provider: str, catalog_model: str) -> None:
    assert found.provider == provider
    assert found.catalog_model == catalog_model
    assert (found.input_tokens, found.output_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    # The same tokens through the OpenAI/Anthropic client give the same cached estimate.
    direct = llm.call_impacts(provider, catalog_model, PROMPT_TOKENS, COMPLETION_TOKENS)
    assert direct is not None
    assert found.energy == direct.energy
    assert 0 < found.energy.p5 < found.energy.p50 < found.energy.p95
    assert f"models/{catalog_model}" in found.sources


def test_import_is_offline_unless_the_user_chose(litellm: Any) -> None:
    # instrument() set the variable (it was unset here) and LiteLLM read its bundled map.
    assert os.environ.get(llm.LITELLM_COST_MAP_ENV) == "True"
    assert litellm.model_cost["gpt-4o"]["litellm_provider"] == "openai"
    # A value the user set is kept: a fresh process with it set to False.
    code = (
        "import os, wattlens; wattlens.instrument(); "
        f"print(os.environ['{llm.LITELLM_COST_MAP_ENV}'])"
    )
    env = {**os.environ, llm.LITELLM_COST_MAP_ENV: "False", "LITELLM_MODEL_COST_MAP_URL": ""}
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(
    "case",
    [
        ("openai/gpt-4o", "openai", "gpt-4o"),
        ("gpt-4o", "openai", "gpt-4o"),
        ("anthropic/claude-sonnet-4-20250514", "anthropic", "claude-sonnet-4"),
    ],
)
def test_completion_carries_impacts_and_joins_the_session(
    litellm: Any, server: Server, instrumented: None, case: tuple[str, str, str]
) -> None:
    model, provider, catalog_model = case
    kwargs = _anthropic_kwargs(server) if provider == "anthropic" else _openai_kwargs(server)
    with wattlens.session() as s:
        r = litellm.completion(model=model, **kwargs)
    assert r.choices[0].message.content == "Hello!"
    _check(_impacts(r), provider, catalog_model)
    assert "impacts" not in r.model_dump()
    # Counted once, although LiteLLM drives the OpenAI client underneath.
    summary = s.summary()
    assert (summary.calls, summary.calls_estimated) == (1, 1)
    assert summary.energy == _impacts(r).energy


def test_streams_put_impacts_on_the_usage_chunk(
    litellm: Any, server: Server, instrumented: None
) -> None:
    for model, kwargs, provider, catalog_model in (
        ("openai/gpt-4o", _openai_kwargs(server), "openai", "gpt-4o"),
        ("anthropic/claude-sonnet-4-20250514", _anthropic_kwargs(server), "anthropic",
         "claude-sonnet-4"),
    ):  # fmt: skip
        stream = litellm.completion(model=model, stream=True, stream_options=USAGE, **kwargs)
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "Hello!"
        with_impacts = [c for c in chunks if getattr(c, "impacts", None) is not None]
        assert with_impacts == [chunks[-1]]
        _check(_impacts(chunks[-1]), provider, catalog_model)


def test_stream_without_usage_warns(litellm: Any, server: Server, instrumented: None) -> None:
    llm._warned.discard("litellm-stream-usage")
    with wattlens.session() as s:
        stream = litellm.completion(model="openai/gpt-4o", stream=True, **_openai_kwargs(server))
        with pytest.warns(ImpactsWarning, match="include_usage"):
            chunks = list(stream)
    assert all(getattr(c, "impacts", None) is None for c in chunks)
    assert (s.summary().calls, s.summary().calls_estimated) == (1, 0)


def test_acompletion_and_async_stream(litellm: Any, server: Server, instrumented: None) -> None:
    async def main() -> tuple[Any, list[Any]]:
        r = await litellm.acompletion(model="openai/gpt-4o", **_openai_kwargs(server))
        stream = await litellm.acompletion(
            model="anthropic/claude-sonnet-4-20250514", stream=True, stream_options=USAGE,
            **_anthropic_kwargs(server),
        )  # fmt: skip
        return r, [c async for c in stream]

    from litellm.llms.custom_httpx.async_client_cleanup import close_litellm_async_clients

    # One loop, closed with LiteLLM's cached async clients (they would outlive it otherwise).
    loop = asyncio.new_event_loop()
    try:
        with wattlens.session() as s:
            r, chunks = loop.run_until_complete(main())
        loop.run_until_complete(close_litellm_async_clients())  # type: ignore[no-untyped-call]
    finally:
        loop.close()
    _check(_impacts(r), "openai", "gpt-4o")
    _check(_impacts(chunks[-1]), "anthropic", "claude-sonnet-4")
    summary = s.summary()
    assert (summary.calls, summary.calls_estimated) == (2, 2)
    assert summary.input_tokens == 2 * PROMPT_TOKENS


def test_anthropic_cache_reads_are_not_prefilled() -> None:
    class Usage:
        prompt_tokens = 1500
        completion_tokens = 40
        cache_read_input_tokens = 1000

    class Response:
        usage = Usage()

    assert llm._litellm_usage(Response(), "anthropic") == (500, 40)
    assert llm._litellm_usage(Response(), "openai") == (1500, 40)


def test_uninstrument_restores_litellm(litellm: Any, server: Server) -> None:
    original = litellm.completion, litellm.acompletion
    wattlens.instrument()
    wattlens.instrument()  # twice: still one wrapper
    assert litellm.completion.__wattlens_original__ is original[0]
    assert litellm.acompletion.__wattlens_original__ is original[1]
    wattlens.uninstrument()
    assert (litellm.completion, litellm.acompletion) == original
    r = litellm.completion(model="openai/gpt-4o", **_openai_kwargs(server))
    assert getattr(r, "impacts", "absent") == "absent"


def test_key_never_reaches_wattlens(litellm: Any, server: Server, instrumented: None) -> None:
    r = litellm.completion(model="anthropic/claude-sonnet-4-20250514", **_anthropic_kwargs(server))
    text = repr(_impacts(r).to_dict())
    assert "SECRET" not in text
    assert server.seen_headers[-1]["x-api-key"] == ANTHROPIC_KEY
