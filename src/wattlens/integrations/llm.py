"""Impacts of every OpenAI and Anthropic API call: ``wattlens.instrument()``.

:func:`instrument` patches the clients' ``create`` methods (chat completions,
messages; sync and async, streamed or not) so that each response carries an
``impacts`` attribute (:class:`CallImpacts`): the facility energy of the request
as a range, its carbon, water and cost, and the assumptions behind them, from the
usage tokens the provider reports and the model's catalog row, through
:func:`wattlens.estimate.inference`. :func:`session` collects the calls made
inside a ``with`` block.

Per call cost. A Monte Carlo estimate takes ~0.2 s, so estimates run once per model
and context size (``in + out`` tokens rounded up to a power of two, at least 1,024)
and are cached: two seeded runs, prompt-heavy and output-heavy, draw the same inputs,
so each sample yields its joules per prompt token and per output token (prefill is
linear in prompt tokens and decode in output tokens at a given context: the roofline
of :mod:`wattlens.formulas.inference`). The quantiles of ``a * in + b * out`` are
tabulated by the prompt's share of the tokens; a call interpolates in that table and
multiplies by its tokens (microseconds). Carbon, water and cost are an energy times
one factor each (:func:`wattlens.impacts.estimate_impacts`).

Covered: ``client.chat.completions.create`` (OpenAI), ``client.messages.create``
(Anthropic) and ``litellm.completion`` / ``litellm.acompletion``, with ``stream=True``
too. Not covered: the clients' ``.stream()`` and ``.parse()`` helpers, the OpenAI
Responses API, ``with_raw_response`` (passed through untouched), and a ``completion``
bound by ``from litellm import completion`` before :func:`instrument` ran (call it
through the module, ``litellm.completion``, or instrument first).

LiteLLM downloads its model price list when it is imported unless the environment
variable ``LITELLM_LOCAL_MODEL_COST_MAP`` is ``True`` (then it reads the copy it ships).
:func:`instrument` imports LiteLLM where it is installed, so it sets that variable first
unless it is already set: wattlens never causes network traffic. Set it to ``False``
before calling :func:`instrument` to keep LiteLLM's download.

Nothing of the request is read but the model name and the usage counts: API keys,
prompts and completions never reach wattlens.
"""

from __future__ import annotations

import contextvars
import functools
import math
import os
import sys
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from wattlens.estimate._common import Assumption
from wattlens.types import Money, Range, WarningItem

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from wattlens.measurement import Measurement
    from wattlens.types import Place

__all__ = [
    "CallImpacts",
    "ImpactsWarning",
    "Session",
    "SessionSummary",
    "instrument",
    "session",
    "uninstrument",
]

#: Providers do not publish their serving hardware; EcoLogits assumes H100-class
#: GPUs for proprietary models too (docs/methodology/llm_inference.md).
DEFAULT_ACCELERATOR = "H100 SXM"
#: The smallest reference context: below it the KV cache barely moves the decode cost.
MIN_CONTEXT = 1024
#: Output tokens of the prompt-heavy reference request (few: its energy is mostly prefill).
REFERENCE_FEW_OUTPUT = 16
#: The catalog's PUE row of each cloud provider (regions.csv ``provider`` -> pue.csv ``id``).
PROVIDER_PUE = {"aws": "aws", "gcp": "google", "azure": "microsoft"}


class ImpactsWarning(UserWarning):
    """An instrumented call whose impacts could not be estimated (the call itself succeeded)."""


@dataclass(frozen=True)
class CallImpacts:
    """The modelled impacts of one API call (facility boundary, estimated)."""

    provider: str
    model: str
    """The model as the API named it."""
    catalog_model: str
    """The catalog row the estimate used (``models/<id>``)."""
    input_tokens: int
    output_tokens: int
    energy: Range
    """Facility energy of the request, joules."""
    co2e_g: Range
    """Location-based carbon, grams CO2e."""
    water_l: Range
    """On-site and off-site water, litres."""
    cost: Money | None
    """The electricity's cost (not the API price); None where the catalog has no price."""
    place: Place
    assumptions: tuple[Assumption, ...]
    warnings: tuple[WarningItem, ...]
    sources: tuple[str, ...]
    boundary: str = "facility"
    method: str = "estimated"

    @property
    def energy_j(self) -> dict[str, float]:
        return self.energy.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """JSON form: snake_case, units in the names, ranges as p5/p50/p95/mean."""
        return {
            "provider": self.provider,
            "model": self.model,
            "catalog_model": self.catalog_model,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "boundary": self.boundary,
            "method": self.method,
            "energy_j": self.energy.to_dict(),
            "co2e_g": self.co2e_g.to_dict(),
            "water_l": self.water_l.to_dict(),
            "cost": self.cost.to_dict() if self.cost is not None else None,
            "location": self.place.to_dict(),
            "assumptions": [
                {"name": a.name, "value": a.value, "basis": a.basis} for a in self.assumptions
            ],
            "warnings": [{"code": w.code, "text": w.text} for w in self.warnings],
            "sources": list(self.sources),
        }


# -- the estimate, cached per model and context size -----------------------------------------
@dataclass(frozen=True)
class _Settings:
    accelerator: str
    location: str | None
    pue: float | tuple[float, float] | str | None


@dataclass(frozen=True)
class _Reference:
    """Per-token quantiles of one model at one context size, by the prompt's share of tokens."""

    catalog_model: str
    energy: tuple[tuple[float, float, float, float], ...]
    """Facility J per token (p5, p50, p95, mean) at prompt shares 0, 1/N, ..., 1."""
    water: tuple[tuple[float, float, float, float], ...]
    """Litres per token, likewise."""
    co2e_g_per_j: float
    cost_per_j: float | None
    usd_per_unit: float | None
    currency: str | None
    place: Place
    assumptions: tuple[Assumption, ...]
    warnings: tuple[WarningItem, ...]
    sources: tuple[str, ...]


class _State:
    settings = _Settings(DEFAULT_ACCELERATOR, None, None)


_cache: dict[tuple[_Settings, str, int], _Reference | None] = {}
_thresholds: dict[tuple[_Settings, str, int], int | None] = {}
_cache_lock = threading.Lock()
_warned: set[str] = set()
#: Prompt shares at which the per-token quantiles are tabulated (a call interpolates).
SHARES = 40


def _warn_once(key: str, text: str) -> None:
    with _cache_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(text, ImpactsWarning, stacklevel=4)


def _pue_of(settings: _Settings) -> tuple[float | tuple[float, float] | None, Assumption | None]:
    """The PUE given, or the fleet PUE of the cloud provider whose region is the location."""
    from wattlens.catalog import Pue, Region, get_catalog

    catalog = get_catalog()
    name: str | None = settings.pue if isinstance(settings.pue, str) else None
    if name is None and settings.pue is None and settings.location is not None:
        try:
            region = catalog.get("regions", settings.location)
        except Exception:  # a country or grid zone, not a cloud region
            region = None
        if isinstance(region, Region) and region.provider in PROVIDER_PUE:
            name = PROVIDER_PUE[region.provider]
    if name is None:
        given = settings.pue if not isinstance(settings.pue, str) else None
        return given, None
    row = catalog.get("pue", name)
    assert isinstance(row, Pue)
    return row.pue, Assumption("pue", f"{row.pue:g} ({row.name})", f"catalog pue/{row.id}")


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _reference(settings: _Settings, model: str, context: int) -> _Reference:
    """Two seeded estimates at one mean context, output-only and prompt-heavy, solved per sample.

    The energy of a request is ``a * input + b * output``: prefill is linear in the prompt,
    and decode costs ``b`` per token at the request's mean context (``input + output / 2``,
    :func:`wattlens.formulas.inference.mean_context_tokens`). Two runs with the same seed,
    accelerator count and mean context draw the same inputs, so each Monte Carlo sample
    gives ``b`` from an output-only request and then ``a`` from a prompt-heavy one. A
    call's energy is ``a * in + b * out`` per sample; its quantiles are tabulated by the
    prompt's share of the tokens.
    """
    import numpy as np

    from wattlens import estimate

    pue, pue_note = _pue_of(settings)
    location = settings.location or "world"
    common: dict[str, Any] = {
        "model": model, "accelerator": settings.accelerator, "boundary": "facility",
        "pue": pue, "location": location,
    }  # fmt: skip
    decode_only = estimate.inference(input_tokens=0, output_tokens=context, **common)
    few = REFERENCE_FEW_OUTPUT
    prompt = context // 2 - few // 2
    prompt_heavy = estimate.inference(
        input_tokens=prompt, output_tokens=few, count=decode_only.count, **common
    )
    first, second = decode_only, prompt_heavy
    imp = first.typed_impacts
    fac = [r.energy_by_boundary["facility"] for r in (first, second)]
    it = [r.energy_by_boundary["server"] for r in (first, second)]
    # Carbon, water and cost are each an energy times one factor (wattlens.impacts).
    co2e_per_j = _ratio(imp.co2e_g.p50, fac[0].p50)
    on_per_j = _ratio(imp.water_l.onsite.p50, it[0].p50)
    off_per_j = _ratio(imp.water_l.offsite.p50, fac[0].p50)
    cost_per_j = usd_per_unit = currency = None
    if imp.cost is not None:
        cost_per_j = _ratio(imp.cost.amount.p50, fac[0].p50)
        currency = imp.cost.currency
        if imp.cost.amount_usd is not None:
            usd_per_unit = _ratio(imp.cost.amount_usd.p50, imp.cost.amount.p50)

    def per_token(pair: list[Range]) -> tuple[Any, Any]:
        e_decode, e_prompt = pair[0].samples, pair[1].samples
        assert e_decode is not None
        assert e_prompt is not None
        b = e_decode / context
        a = np.maximum((e_prompt - b * few) / prompt, 0.0)
        return a, b

    a_fac, b_fac = per_token(fac)
    a_it, b_it = per_token(it)
    shares = np.linspace(0.0, 1.0, SHARES + 1)[:, None]
    energy = shares * a_fac + (1.0 - shares) * b_fac
    water = (shares * a_it + (1.0 - shares) * b_it) * on_per_j + energy * off_per_j

    def table(values: Any) -> tuple[tuple[float, float, float, float], ...]:
        q = np.percentile(values, [5.0, 50.0, 95.0], axis=1)
        mean = values.mean(axis=1)
        return tuple(
            (float(q[0, k]), float(q[1, k]), float(q[2, k]), float(mean[k]))
            for k in range(values.shape[0])
        )

    notes = [
        Assumption(
            "tokens",
            f"two estimates at a mean context of {context // 2} tokens (0 prompt + {context} "
            f"output tokens, and {prompt} + {few}) give each sample's joules per prompt and "
            "per output token; the call's usage multiplies them",
            "prefill is linear in prompt tokens and decode in output tokens at a given context "
            "(wattlens.formulas.inference); a call's prompt + output tokens are rounded up to "
            "a power of two (at least 1,024), the reference's mean context is half of that",
        ),
        Assumption(
            "accelerator choice",
            settings.accelerator,
            "assumed: providers do not publish their serving hardware; pass accelerator=",
        ),
    ]
    if settings.location is None:
        notes.append(
            Assumption(
                "location",
                "world average grid",
                "the provider's data-centre location is not in the catalog; pass location=",
            )
        )
    if pue_note is not None:
        notes.append(pue_note)
    elif pue is None:
        notes.append(
            Assumption(
                "provider pue",
                "estimator default range",
                "the provider's data-centre PUE is not in the catalog; pass pue=",
            )
        )
    model_id = next(s.split("/", 1)[1] for s in first.sources if s.startswith("models/"))
    # The runs' own token counts are not the call's: the "tokens" note replaces them.
    kept = (a for a in first.assumptions if a.name not in ("input_tokens", "output_tokens"))
    return _Reference(
        catalog_model=model_id,
        energy=table(energy),
        water=table(water),
        co2e_g_per_j=co2e_per_j,
        cost_per_j=cost_per_j,
        usd_per_unit=usd_per_unit,
        currency=currency,
        place=imp.place,
        assumptions=(*kept, *notes),
        warnings=(*first.warnings, *imp.assumptions),
        sources=tuple(dict.fromkeys((*first.sources, *second.sources, *imp.sources))),
    )


def _count(settings: _Settings, model: str, total: int) -> int:
    """The accelerator count the estimator sizes for a request of ``total`` tokens."""
    from wattlens import estimate

    e = estimate.inference(
        model=model, input_tokens=max(total - 1, 0), output_tokens=1,
        accelerator=settings.accelerator, boundary="facility", location="world", samples=1,
    )  # fmt: skip
    return e.count


def _threshold(settings: _Settings, model: str, context: int) -> int | None:
    """The smallest total in a bucket whose request needs more accelerators, if any.

    The count holds weights plus a batch's KV cache (linear in tokens), so a doubling of
    the tokens at most doubles it: one power-of-two step at most within a bucket.
    """
    low = context // 2 + 1 if context > MIN_CONTEXT else 1
    high_count = _count(settings, model, context)
    if _count(settings, model, low) == high_count:
        return None
    lo, hi = low, context  # count(lo) < high_count == count(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _count(settings, model, mid) == high_count:
            hi = mid
        else:
            lo = mid
    return hi


def _cached_reference(model: str, total: int) -> _Reference | None:
    from wattlens.errors import WattlensError

    settings = _State.settings
    context = max(MIN_CONTEXT, 1 << math.ceil(math.log2(max(total, 1))))
    try:
        bucket = (settings, model, context)
        if bucket not in _thresholds:
            found = _threshold(settings, model, context)
            with _cache_lock:
                _thresholds[bucket] = found
        threshold = _thresholds[bucket]
        # The largest request of the call's count regime sizes the reference.
        top = context if threshold is None or total >= threshold else threshold - 1
        key = (settings, model, top)
        if key in _cache:
            return _cache[key]
        ref: _Reference | None = _reference(settings, model, top)
    except WattlensError as exc:
        _warn_once(
            f"{model}:{exc.message}",
            f"wattlens: no impacts for model {model!r}: {exc.message}"
            + (f" ({exc.hint})" if exc.hint else ""),
        )
        ref = None
        key = (settings, model, context)
        with _cache_lock:
            _thresholds[key] = None
    with _cache_lock:
        _cache[key] = ref
    return ref


def _lookup(rows: tuple[tuple[float, float, float, float], ...], share: float, n: int) -> Range:
    """``n`` tokens times the per-token quantiles at a prompt share (linear between rows)."""
    x = share * SHARES
    k = min(int(x), SHARES - 1)
    f = x - k
    lo, hi = rows[k], rows[k + 1]
    p5, p50, p95, mean = (n * (u + f * (v - u)) for u, v in zip(lo, hi, strict=True))
    return Range(p5, p50, p95, mean)


def call_impacts(
    provider: str, model: str, input_tokens: int, output_tokens: int
) -> CallImpacts | None:
    """The impacts of one call from its usage, or None (with a warning) for an unknown model."""
    ref = _cached_reference(model, input_tokens + output_tokens)
    if ref is None:
        return None
    n = input_tokens + output_tokens
    share = input_tokens / n if n else 0.0
    energy = _lookup(ref.energy, share, n)
    cost = None
    if ref.cost_per_j is not None and ref.currency is not None:
        amount = energy.scaled(ref.cost_per_j)
        usd = amount.scaled(ref.usd_per_unit) if ref.usd_per_unit is not None else None
        cost = Money(amount, ref.currency, usd)
    return CallImpacts(
        provider=provider,
        model=model,
        catalog_model=ref.catalog_model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        energy=energy,
        co2e_g=energy.scaled(ref.co2e_g_per_j),
        water_l=_lookup(ref.water, share, n),
        cost=cost,
        place=ref.place,
        assumptions=ref.assumptions,
        warnings=ref.warnings,
        sources=ref.sources,
    )


# -- sessions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallRecord:
    """One instrumented call: what the session keeps (no prompt, no key)."""

    provider: str
    model: str
    input_tokens: int | None
    output_tokens: int | None
    impacts: CallImpacts | None


@dataclass(frozen=True)
class SessionSummary:
    """Totals of a session's calls.

    Ranges add quantile by quantile: the calls share their uncertain inputs (model size,
    serving stack, PUE: the same seeded draws), so their errors move together.
    """

    calls: int
    calls_estimated: int
    input_tokens: int
    output_tokens: int
    energy: Range
    co2e_g: Range
    water_l: Range
    cost: Money | None
    models: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "calls_estimated": self.calls_estimated,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "energy_j": self.energy.to_dict(),
            "co2e_g": self.co2e_g.to_dict(),
            "water_l": self.water_l.to_dict(),
            "cost": self.cost.to_dict() if self.cost is not None else None,
            "models": list(self.models),
        }


def _add(a: Range, b: Range) -> Range:
    return Range(a.p5 + b.p5, a.p50 + b.p50, a.p95 + b.p95, a.mean + b.mean)


def _add_money(total: Money | None, more: Money | None) -> Money | None:
    """The sum of two amounts (one location: one currency); a missing one adds nothing."""
    if more is None or (total is not None and total.currency != more.currency):
        return total
    if total is None:
        return more
    usd = None
    if total.amount_usd is not None and more.amount_usd is not None:
        usd = _add(total.amount_usd, more.amount_usd)
    return Money(_add(total.amount, more.amount), total.currency, usd)


@dataclass
class Session:
    """The instrumented calls made while the session is open (every thread, every task)."""

    name: str = "llm-session"
    calls: list[CallRecord] = field(default_factory=list)
    started_at: str = ""
    ended_at: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _record(self, record: CallRecord) -> None:
        with self._lock:
            self.calls.append(record)

    def summary(self) -> SessionSummary:
        """Calls, tokens and the summed energy, carbon, water and cost of the estimated ones."""
        with self._lock:
            calls = list(self.calls)
        zero = Range.point(0.0)
        energy, co2e, water = zero, zero, zero
        cost: Money | None = None
        for c in calls:
            if c.impacts is None:
                continue
            energy = _add(energy, c.impacts.energy)
            co2e = _add(co2e, c.impacts.co2e_g)
            water = _add(water, c.impacts.water_l)
            cost = _add_money(cost, c.impacts.cost)
        return SessionSummary(
            calls=len(calls),
            calls_estimated=sum(c.impacts is not None for c in calls),
            input_tokens=sum(c.input_tokens or 0 for c in calls),
            output_tokens=sum(c.output_tokens or 0 for c in calls),
            energy=energy,
            co2e_g=co2e,
            water_l=water,
            cost=cost,
            models=tuple(sorted({c.model for c in calls})),
        )

    def to_measurement(self) -> Measurement:
        """The session as a run-store record: one modelled component, its energy range."""
        from wattlens.measurement import ComponentEnergy, Measurement
        from wattlens.store import new_run_id

        s = self.summary()
        models = {f"models/{c.impacts.catalog_model}" for c in self.calls if c.impacts is not None}
        started = self.started_at or _now()
        ended = self.ended_at or _now()
        duration = max(
            (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds(), 0.0
        )
        component = ComponentEnergy(
            id="llm-api",
            kind="other",
            name=f"LLM API calls ({', '.join(s.models) or 'none'})",
            method="modeled",
            sensor="wattlens.integrations.llm",
            basis=f"estimated from usage tokens of {s.calls_estimated} of {s.calls} calls "
            "(facility boundary; p50 with p5-p95 as low-high)",
            energy_j=s.energy.p50,
            avg_power_w=s.energy.p50 / duration if duration > 0 else 0.0,
            energy_low_j=s.energy.p5,
            energy_high_j=s.energy.p95,
            catalog_ids=tuple(sorted(models)),
        )
        notes = [] if s.calls == s.calls_estimated else [
            f"{s.calls - s.calls_estimated} of {s.calls} calls have no estimate "
            "(unknown model or no usage reported)"
        ]  # fmt: skip
        return Measurement(
            run_id=new_run_id(),
            name=self.name,
            started_at=started,
            ended_at=ended,
            duration_s=duration,
            components=(component,),
            warnings=tuple(notes),
            location=next((c.impacts.place.query for c in self.calls if c.impacts), None),
        )

    def save(self, url: str | None = None) -> str:
        """Save the session to the run store (``url``: as ``wattlens runs``); its run id."""
        from wattlens.store import save

        record = self.to_measurement()
        save(record, url)
        return record.run_id


_sessions: list[Session] = []
_sessions_lock = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat()


class session:  # noqa: N801 - used as ``with wattlens.session() as s``, like a function
    """``with wattlens.session() as s:`` collects every instrumented call in the block."""

    def __init__(self, name: str = "llm-session") -> None:
        self._session = Session(name=name)

    def __enter__(self) -> Session:
        self._session.started_at = _now()
        with _sessions_lock:
            _sessions.append(self._session)
        return self._session

    def __exit__(self, *exc: object) -> None:
        self._session.ended_at = _now()
        with _sessions_lock:
            if self._session in _sessions:
                _sessions.remove(self._session)


def _note(provider: str, model: str, usage: tuple[int, int] | None) -> CallImpacts | None:
    """Estimate one call and hand it to the open sessions; never raises into the user's call."""
    impacts: CallImpacts | None = None
    try:
        if usage is not None:
            impacts = call_impacts(provider, model, usage[0], usage[1])
        record = CallRecord(
            provider, model, usage[0] if usage else None, usage[1] if usage else None, impacts
        )
        with _sessions_lock:
            open_sessions = list(_sessions)
        for s in open_sessions:
            s._record(record)
    except Exception as exc:  # the estimate must never break the call it describes
        _warn_once(f"error:{type(exc).__name__}", f"wattlens: impacts not estimated: {exc}")
    return impacts


def _attach(obj: object, impacts: CallImpacts | None) -> None:
    # Beside the pydantic fields, not among them: the response's model_dump() stays the API's.
    try:
        object.__setattr__(obj, "impacts", impacts)
    except (AttributeError, TypeError):
        setattr(obj, "impacts", impacts)  # noqa: B010


# -- usage readers ---------------------------------------------------------------------------------
def _openai_usage(obj: Any) -> tuple[int, int] | None:
    usage = getattr(obj, "usage", None)
    if usage is None:
        return None
    return int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0)


def _anthropic_usage(usage: Any) -> tuple[int, int]:
    # Cache writes are prefilled like plain input; cache reads skip prefill and are not counted.
    written = getattr(usage, "cache_creation_input_tokens", None) or 0
    return int((usage.input_tokens or 0) + written), int(usage.output_tokens or 0)


class _StreamTracker:
    """Reads usage from a stream's events and attaches impacts to the event that ends it."""

    def __init__(self, provider: str, model: str) -> None:
        self.provider = provider
        self.model = model
        self.input_tokens: int | None = None
        self.done = False

    def see(self, event: Any) -> None:
        if self.done:
            return
        try:
            self._see(event)
        except Exception as exc:  # an event of an unexpected shape must not break the stream
            self.done = True
            _warn_once(f"stream:{type(exc).__name__}", f"wattlens: impacts not estimated: {exc}")

    def _see(self, event: Any) -> None:
        if self.provider == "openai":
            usage = _openai_usage(event)
            if usage is not None:
                self.model = getattr(event, "model", None) or self.model
                self._finish(event, usage)
            return
        kind = getattr(event, "type", None)
        if kind == "message_start":
            message = event.message
            self.model = getattr(message, "model", None) or self.model
            self.input_tokens = _anthropic_usage(message.usage)[0]
        elif kind == "message_delta" and getattr(event, "usage", None) is not None:
            u = event.usage
            given_in = getattr(u, "input_tokens", None)
            tokens_in = _anthropic_usage(u)[0] if given_in is not None else (self.input_tokens or 0)
            self._finish(event, (tokens_in, int(u.output_tokens or 0)))

    def _finish(self, event: Any, usage: tuple[int, int]) -> None:
        self.done = True
        _attach(event, _note(self.provider, self.model, usage))

    def close(self) -> None:
        if not self.done:
            self.done = True
            if self.provider == "openai":
                _warn_once(
                    "openai-stream-usage",
                    "wattlens: a streamed OpenAI call reported no usage, so it has no impacts; "
                    'pass stream_options={"include_usage": True}',
                )
            _note(self.provider, self.model, None)


class _LiteLLMStreamTracker(_StreamTracker):
    """LiteLLM's chunks have OpenAI's shape whatever the provider behind them."""

    def _see(self, event: Any) -> None:
        usage = _litellm_usage(event, self.provider)
        if usage is not None:
            self.model = _litellm_name(getattr(event, "model", None) or self.model)
            self._finish(event, usage)

    def close(self) -> None:
        if not self.done:
            self.done = True
            _warn_once(
                "litellm-stream-usage",
                "wattlens: a streamed LiteLLM call reported no usage, so it has no impacts; "
                'pass stream_options={"include_usage": True}',
            )
            _note(self.provider, self.model, None)


class _SyncStream:
    """The client's stream, unchanged, but each event is shown to the tracker."""

    def __init__(self, stream: Any, tracker: _StreamTracker) -> None:
        self._stream = stream
        self._tracker = tracker

    def __iter__(self) -> Iterator[Any]:
        try:
            for event in self._stream:
                self._tracker.see(event)
                yield event
        finally:
            self._tracker.close()

    def __next__(self) -> Any:
        try:
            event = next(self._stream)
        except StopIteration:
            self._tracker.close()
            raise
        self._tracker.see(event)
        return event

    def __enter__(self) -> _SyncStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _AsyncStream:
    def __init__(self, stream: Any, tracker: _StreamTracker) -> None:
        self._stream = stream
        self._tracker = tracker

    async def _events(self) -> Any:
        try:
            async for event in self._stream:
                self._tracker.see(event)
                yield event
        finally:
            self._tracker.close()

    def __aiter__(self) -> Any:
        return self._events()

    async def __anext__(self) -> Any:
        try:
            event = await self._stream.__anext__()
        except StopAsyncIteration:
            self._tracker.close()
            raise
        self._tracker.see(event)
        return event

    async def __aenter__(self) -> _AsyncStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# -- patching -------------------------------------------------------------------------------
#: Set while a LiteLLM call runs: LiteLLM may drive the OpenAI client itself, and the call
#: is counted once, at LiteLLM's level.
_in_litellm: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "wattlens_in_litellm", default=False
)


def _after(provider: str, kwargs: dict[str, Any], result: Any, *, is_async: bool) -> Any:
    if _in_litellm.get():
        return result
    model = str(kwargs.get("model", ""))
    if kwargs.get("stream") and type(result).__name__ in ("Stream", "AsyncStream"):
        tracker = _StreamTracker(provider, model)
        return _AsyncStream(result, tracker) if is_async else _SyncStream(result, tracker)
    if not hasattr(result, "usage"):  # a raw HTTP response (``with_raw_response``): untouched
        return result
    if provider == "openai":
        usage = _openai_usage(result)
    else:
        raw = getattr(result, "usage", None)
        usage = _anthropic_usage(raw) if raw is not None else None
    _attach(result, _note(provider, getattr(result, "model", None) or model, usage))
    return result


def _wrap_sync(provider: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _after(provider, kwargs, original(self, *args, **kwargs), is_async=False)

    create.__wattlens_original__ = original  # type: ignore[attr-defined]
    return create


def _wrap_async(provider: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        return _after(provider, kwargs, await original(self, *args, **kwargs), is_async=True)

    create.__wattlens_original__ = original  # type: ignore[attr-defined]
    return create


# -- LiteLLM ---------------------------------------------------------------------------------
LITELLM_COST_MAP_ENV = "LITELLM_LOCAL_MODEL_COST_MAP"


def _litellm_name(model: str) -> str:
    """The model's own name: LiteLLM's route prefixes (``openai/``, ``openrouter/x/``) dropped."""
    return model.rsplit("/", 1)[-1]


def _litellm_provider(model: str, kwargs: dict[str, Any]) -> str:
    """The provider LiteLLM routes ``model`` to (its prefix, else LiteLLM's own lookup)."""
    given = kwargs.get("custom_llm_provider")
    if given:
        return str(given)
    if "/" in model:
        return model.split("/", 1)[0]
    try:
        import litellm

        return str(litellm.get_llm_provider(model=model)[1])
    except Exception:  # an unknown name: the estimate needs the model, not the provider
        return "litellm"


def _litellm_usage(obj: Any, provider: str) -> tuple[int, int] | None:
    usage = getattr(obj, "usage", None)
    if usage is None:
        return None
    prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
    if provider == "anthropic":
        # LiteLLM adds Anthropic's cache reads to prompt_tokens; they skip prefill (as above).
        prompt -= int(getattr(usage, "cache_read_input_tokens", 0) or 0)
    return max(prompt, 0), int(getattr(usage, "completion_tokens", 0) or 0)


def _litellm_after(
    args: tuple[Any, ...], kwargs: dict[str, Any], result: Any, *, is_async: bool
) -> Any:
    model = str(kwargs.get("model") or (args[0] if args else ""))
    provider = _litellm_provider(model, kwargs)
    if type(result).__name__ == "CustomStreamWrapper":
        tracker = _LiteLLMStreamTracker(provider, _litellm_name(model))
        return _AsyncStream(result, tracker) if is_async else _SyncStream(result, tracker)
    if not hasattr(result, "usage"):
        return result
    name = _litellm_name(str(getattr(result, "model", None) or model))
    _attach(result, _note(provider, name, _litellm_usage(result, provider)))
    return result


def _wrap_litellm_sync(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def completion(*args: Any, **kwargs: Any) -> Any:
        token = _in_litellm.set(True)
        try:
            result = original(*args, **kwargs)
        finally:
            _in_litellm.reset(token)
        return _litellm_after(args, kwargs, result, is_async=False)

    completion.__wattlens_original__ = original  # type: ignore[attr-defined]
    return completion


def _wrap_litellm_async(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def acompletion(*args: Any, **kwargs: Any) -> Any:
        token = _in_litellm.set(True)
        try:
            result = await original(*args, **kwargs)
        finally:
            _in_litellm.reset(token)
        return _litellm_after(args, kwargs, result, is_async=True)

    acompletion.__wattlens_original__ = original  # type: ignore[attr-defined]
    return acompletion


def _litellm_module(*, load: bool) -> Any:
    """LiteLLM, imported offline (see the module's docstring); None where it is not installed."""
    import importlib.util

    if "litellm" not in sys.modules:
        if not load or importlib.util.find_spec("litellm") is None:
            return None
        os.environ.setdefault(LITELLM_COST_MAP_ENV, "True")
    import litellm

    return litellm


def _instrument_litellm() -> bool:
    litellm = _litellm_module(load=True)
    if litellm is None:
        return False
    for name, wrap in (("completion", _wrap_litellm_sync), ("acompletion", _wrap_litellm_async)):
        current = getattr(litellm, name)
        if not hasattr(current, "__wattlens_original__"):
            setattr(litellm, name, wrap(current))
    return True


def _uninstrument_litellm() -> None:
    litellm = _litellm_module(load=False)
    if litellm is None:
        return
    for name in ("completion", "acompletion"):
        original = getattr(getattr(litellm, name, None), "__wattlens_original__", None)
        if original is not None:
            setattr(litellm, name, original)


def _targets() -> list[tuple[str, type, bool]]:
    """The classes whose ``create`` is patched, for the clients that are installed."""
    found: list[tuple[str, type, bool]] = []
    try:
        from openai.resources.chat.completions import AsyncCompletions, Completions
    except ImportError:
        pass
    else:
        found += [("openai", Completions, False), ("openai", AsyncCompletions, True)]
    try:
        from anthropic.resources.messages import AsyncMessages, Messages
    except ImportError:
        pass
    else:
        found += [("anthropic", Messages, False), ("anthropic", AsyncMessages, True)]
    return found


def instrument(
    *,
    accelerator: str = DEFAULT_ACCELERATOR,
    location: str | None = None,
    pue: float | tuple[float, float] | str | None = None,
) -> list[str]:
    """Attach ``impacts`` to every OpenAI, Anthropic and LiteLLM response from now on.

    Args:
        accelerator: the catalog accelerator the provider is assumed to serve on.
        location: the provider's data centre: a country, grid zone or cloud region
            (``"azure-eastus"``); default the world-average grid (stated in the
            assumptions; the location wattlens is configured with is where *you* run).
        pue: the data centre's PUE: a value, a ``(low, high)`` range or a catalog PUE
            row (``"microsoft"``); default the fleet PUE of a cloud region's provider,
            else the estimator's range.

    Returns:
        The clients instrumented (those installed): ``"openai"``, ``"anthropic"``,
        ``"litellm"``. LiteLLM is imported here, offline (``LITELLM_LOCAL_MODEL_COST_MAP``
        is set to ``True`` unless already set).

    Calling it again replaces the settings; the patches are applied once.
    """
    _State.settings = _Settings(accelerator, location, pue)
    done: list[str] = []
    for provider, cls, is_async in _targets():
        current = cls.__dict__["create"]
        if not hasattr(current, "__wattlens_original__"):
            wrap = _wrap_async if is_async else _wrap_sync
            setattr(cls, "create", wrap(provider, current))  # noqa: B010
        if provider not in done:
            done.append(provider)
    if _instrument_litellm():
        done.append("litellm")
    return done


def uninstrument() -> None:
    """Restore the clients' own ``create`` methods and LiteLLM's ``completion`` functions."""
    _uninstrument_litellm()
    for _provider, cls, _is_async in _targets():
        current = cls.__dict__.get("create")
        original = getattr(current, "__wattlens_original__", None)
        if original is not None:
            setattr(cls, "create", original)  # noqa: B010
