"""wattlens.instrument(): the real OpenAI and Anthropic clients against a local server."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

import wattlens
from tests.integrations.llm_server import COMPLETION_TOKENS, PROMPT_TOKENS, Server
from wattlens import estimate
from wattlens.integrations import llm
from wattlens.integrations.llm import CallImpacts, ImpactsWarning

OPENAI_KEY = "sk-test-0123456789abcdefSECRETopenai"
ANTHROPIC_KEY = "sk-ant-test-0123456789SECRETanthropic"
MESSAGES: Any = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def server() -> Iterator[Server]:
    with Server() as srv:
        yield srv


@pytest.fixture
def instrumented() -> Iterator[None]:
    assert wattlens.instrument() == ["openai", "anthropic", "litellm"]
    yield
    wattlens.uninstrument()


def _openai(server: Server) -> openai.OpenAI:
    return openai.OpenAI(api_key=OPENAI_KEY, base_url=f"{server.base_url}/v1", max_retries=0)


def _anthropic(server: Server) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=ANTHROPIC_KEY, base_url=server.base_url, max_retries=0)


def _impacts(obj: object) -> CallImpacts:
    found = getattr(obj, "impacts", None)
    assert isinstance(found, CallImpacts), f"no impacts on {type(obj).__name__}"
    return found


def _check(found: CallImpacts, provider: str, catalog_model: str) -> None:
    assert found.provider == provider
    assert found.catalog_model == catalog_model
    assert (found.input_tokens, found.output_tokens) == (PROMPT_TOKENS, COMPLETION_TOKENS)
    e = found.energy
    assert 0 < e.p5 < e.p50 < e.p95
    # A 1,500-token request to a ~440B-parameter MoE model: joules to tens of kJ, not Wh.
    assert 100 < e.p50 < 50_000
    # Carbon is the energy times the grid's intensity (world, 472.94 g/kWh in the catalog).
    intensity = found.place.co2e_g_per_kwh / 3.6e6
    assert found.co2e_g.p50 == pytest.approx(e.p50 * intensity, rel=1e-9)
    assert found.water_l.p50 > 0
    names = {a.name for a in found.assumptions}
    assert {"tokens", "accelerator choice", "location", "provider pue", "params_active"} <= names
    assert f"models/{catalog_model}" in found.sources
    assert "model-size-estimated" in {w.code for w in found.warnings}


def test_openai_sync_response_carries_impacts(server: Server, instrumented: None) -> None:
    r = _openai(server).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert r.choices[0].message.content == "Hello!"
    _check(_impacts(r), "openai", "gpt-4o")
    # The response's own JSON is the API's: impacts sit beside it.
    assert "impacts" not in r.model_dump()
    assert json.loads(r.model_dump_json())["usage"]["prompt_tokens"] == PROMPT_TOKENS


def test_dated_model_names_resolve_through_catalog_aliases(
    server: Server, instrumented: None
) -> None:
    server.model_override = "gpt-4o-2024-08-06"
    r = _openai(server).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert _impacts(r).model == "gpt-4o-2024-08-06"
    assert _impacts(r).catalog_model == "gpt-4o"


def test_openai_stream_impacts_on_the_usage_chunk(server: Server, instrumented: None) -> None:
    stream = _openai(server).chat.completions.create(
        model="gpt-5", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello!"
    with_impacts = [c for c in chunks if getattr(c, "impacts", None) is not None]
    assert with_impacts == [chunks[-1]]
    assert chunks[-1].choices == []
    _check(_impacts(chunks[-1]), "openai", "gpt-5")


def test_openai_stream_without_usage_warns_and_records_no_impacts(
    server: Server, instrumented: None
) -> None:
    with wattlens.session() as s:
        stream = _openai(server).chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True
        )
        with pytest.warns(ImpactsWarning, match="include_usage"):
            chunks = list(stream)
    assert all(getattr(c, "impacts", None) is None for c in chunks)
    summary = s.summary()
    assert (summary.calls, summary.calls_estimated) == (1, 0)


def test_openai_async_and_async_stream(server: Server, instrumented: None) -> None:
    async def main() -> tuple[Any, list[Any]]:
        client = openai.AsyncOpenAI(
            api_key=OPENAI_KEY, base_url=f"{server.base_url}/v1", max_retries=0
        )
        plain = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        chunks = [c async for c in stream]
        await client.close()
        return plain, chunks

    plain, chunks = asyncio.run(main())
    _check(_impacts(plain), "openai", "gpt-4o")
    _check(_impacts(chunks[-1]), "openai", "gpt-4o")


def test_anthropic_sync_and_stream(server: Server, instrumented: None) -> None:
    client = _anthropic(server)
    m = client.messages.create(model="claude-sonnet-4-20250514", max_tokens=512, messages=MESSAGES)
    assert m.content[0].type == "text"
    _check(_impacts(m), "anthropic", "claude-sonnet-4")
    events = list(
        client.messages.create(
            model="claude-sonnet-4-20250514", max_tokens=512, messages=MESSAGES, stream=True
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    delta = next(e for e in events if e.type == "message_delta")
    # Input tokens from message_start, output tokens from message_delta's cumulative usage.
    _check(_impacts(delta), "anthropic", "claude-sonnet-4")
    assert [e for e in events if getattr(e, "impacts", None) is not None] == [delta]


def test_anthropic_async_stream(server: Server, instrumented: None) -> None:
    async def main() -> tuple[Any, list[Any]]:
        client = anthropic.AsyncAnthropic(
            api_key=ANTHROPIC_KEY, base_url=server.base_url, max_retries=0
        )
        plain = await client.messages.create(
            model="claude-opus-4-0", max_tokens=512, messages=MESSAGES
        )
        stream = await client.messages.create(
            model="claude-opus-4-0", max_tokens=512, messages=MESSAGES, stream=True
        )
        events = [e async for e in stream]
        await client.close()
        return plain, events

    plain, events = asyncio.run(main())
    _check(_impacts(plain), "anthropic", "claude-opus-4")
    delta = next(e for e in events if e.type == "message_delta")
    assert _impacts(delta).energy == _impacts(plain).energy


def test_unknown_model_gives_none_and_a_warning_not_an_error(
    server: Server, instrumented: None
) -> None:
    client = _openai(server)
    with pytest.warns(ImpactsWarning, match="no impacts for model 'my-private-model-7'"):
        r = client.chat.completions.create(model="my-private-model-7", messages=MESSAGES)
    assert r.choices[0].message.content == "Hello!"
    assert getattr(r, "impacts", "missing") is None


def test_uninstrument_restores_the_clients(server: Server) -> None:
    original = openai.resources.chat.completions.Completions.create
    wattlens.instrument()
    wattlens.instrument()  # twice: still one wrapper
    wrapped = openai.resources.chat.completions.Completions.create
    assert wrapped.__wattlens_original__ is original  # type: ignore[attr-defined]
    wattlens.uninstrument()
    assert openai.resources.chat.completions.Completions.create is original
    r = _openai(server).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert getattr(r, "impacts", "absent") == "absent"


def test_cloud_region_location_uses_the_provider_fleet_pue(server: Server) -> None:
    wattlens.instrument(location="azure-eastus")
    try:
        r = _openai(server).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    finally:
        wattlens.uninstrument()
    found = _impacts(r)
    pue = next(a for a in found.assumptions if a.name == "pue" and "catalog pue/" in a.basis)
    assert pue.basis == "catalog pue/microsoft"
    assert found.place.region_id == "azure-eastus"
    assert "location" not in {a.name for a in found.assumptions}


def test_scaling_matches_a_direct_estimate(instrumented: None) -> None:
    """The cached per-token quantiles, times a call's tokens, stay close to a full estimate.

    (3000, 50) and (3900, 190) sit on either side of the 32-accelerator step of their
    4,096-token bucket; the rest of the gap is the decode's context (the reference's mean
    context is half its bucket's).
    """
    for tokens_in, tokens_out in ((1200, 300), (200, 700), (3000, 50), (3900, 190), (7000, 900)):
        found = llm.call_impacts("openai", "gpt-4o", tokens_in, tokens_out)
        assert found is not None
        direct = estimate.inference(
            model="gpt-4o", input_tokens=tokens_in, output_tokens=tokens_out,
            accelerator="H100 SXM", boundary="facility", location="world",
        )  # fmt: skip
        for q in ("p5", "p50", "p95", "mean"):
            assert getattr(found.energy, q) == pytest.approx(getattr(direct.energy, q), rel=0.10)
    doubled = llm.call_impacts("openai", "gpt-4o", 0, 600)
    single = llm.call_impacts("openai", "gpt-4o", 0, 300)
    assert doubled is not None
    assert single is not None
    assert doubled.energy.p50 == pytest.approx(2 * single.energy.p50)


def test_session_sums_calls_and_saves_a_record(
    server: Server, instrumented: None, tmp_path: Path
) -> None:
    client = _openai(server)
    with wattlens.session(name="chatbot") as s:
        a = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        b = _anthropic(server).messages.create(
            model="claude-sonnet-4-0", max_tokens=512, messages=MESSAGES
        )
    client.chat.completions.create(model="gpt-4o", messages=MESSAGES)  # after the block
    summary = s.summary()
    assert summary.calls == 2
    assert summary.input_tokens == 2 * PROMPT_TOKENS
    assert summary.output_tokens == 2 * COMPLETION_TOKENS
    assert summary.energy.p50 == pytest.approx(_impacts(a).energy.p50 + _impacts(b).energy.p50)
    assert summary.models == ("claude-sonnet-4-0", "gpt-4o")
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    run_id = s.save(url)
    from wattlens.store import Store

    with Store(url) as store:
        saved = store.get(run_id)
    assert saved.name == "chatbot"
    assert saved.energy_j == pytest.approx(summary.energy.p50)
    assert saved.energy_low_j == pytest.approx(summary.energy.p5)
    assert saved.components[0].method == "modeled"


def test_api_keys_never_reach_any_output(
    server: Server, instrumented: None, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    with wattlens.session() as s:
        r = _openai(server).chat.completions.create(model="gpt-4o", messages=MESSAGES)
        events = list(
            _anthropic(server).messages.create(
                model="claude-sonnet-4-0", max_tokens=512, messages=MESSAGES, stream=True
            )
        )
        with pytest.warns(ImpactsWarning) as caught:
            _openai(server).chat.completions.create(model="unknown-model-x", messages=MESSAGES)
    # The keys did reach the server, so they were in the clients.
    sent = json.dumps(server.seen_headers)
    assert OPENAI_KEY in sent
    assert ANTHROPIC_KEY in sent
    db = tmp_path / "runs.sqlite"
    s.save(f"sqlite:///{db}")
    delta = next(e for e in events if e.type == "message_delta")
    outputs = [
        json.dumps(_impacts(r).to_dict()),
        json.dumps(_impacts(delta).to_dict()),
        json.dumps(s.summary().to_dict()),
        repr(s),
        repr(s.to_measurement()),
        " ".join(str(w.message) for w in caught),
        caplog.text,
        str(capsys.readouterr()),
        db.read_bytes().decode("latin-1"),
    ]
    with sqlite3.connect(db) as conn:
        outputs += [repr(row) for row in conn.execute("SELECT * FROM runs")]
    for text in outputs:
        for secret in (OPENAI_KEY, ANTHROPIC_KEY, "SECRET"):
            assert secret not in text


def test_raw_responses_pass_through_untouched(server: Server, instrumented: None) -> None:
    """``with_raw_response`` returns the HTTP response: no usage to read, nothing recorded."""
    with wattlens.session() as s:
        raw = _openai(server).chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES
        )
    assert raw.parse().choices[0].message.content == "Hello!"
    assert s.summary().calls == 0


def test_a_stream_event_of_unexpected_shape_warns_and_never_raises() -> None:
    class Odd:
        type = "message_start"  # but no ``message``

    tracker = llm._StreamTracker("anthropic", "claude-sonnet-4-0")
    with pytest.warns(ImpactsWarning, match="impacts not estimated"):
        tracker.see(Odd())
    assert tracker.done
