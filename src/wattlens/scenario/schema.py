"""The scenario file schema (pydantic v2, ``extra="forbid"``) and its value syntax.

Values
------
Every number may be written as

- a plain number: ``200000000``, ``2e8``, ``200e6``, ``1_000``, ``"200 million"``,
  ``200M``, ``200m``, ``9B``, ``405bn`` (``k``/``K``/``thousand``, ``m``/``M``/``mn``/``million``,
  ``B``/``bn``/``billion``, ``T``/``trillion``, ``万``/``亿``), read by the one quantity
  grammar of wattlens (:mod:`wattlens.quantity`, listed by `wattlens units`);
- a **range**: ``"LOW..HIGH"`` with an optional unit after the high end, e.g.
  ``"2.5..2.9 Wh"``, ``"1.1..1.4"``, ``"20%..60%"``. A range is sampled
  uniformly between its ends. This is the one range syntax of scenario files.

Quantities with a dimension need their unit, with SI prefixes case-sensitive
(``mWh`` is milli, ``MWh`` mega): energies (``J``, ``kJ``, ``MJ``, ``GJ``, ``Wh``,
``kWh``, ``MWh``, ``GWh``, ``TWh``, ``megawatt hours``), powers (``W``, ``kW``, ``MW``),
prices (``"1.06 CNY/kWh"``, ``"150 EUR/MWh"``) and on-site water (``"0.4 L/kWh"``).
Fractions (shares, growth, utilisation) are ``0.25`` or ``"25%"``.

Fields that choose *how* something is computed (years, samples, seed, counts
of accelerators, a request class's share of traffic, shorter-output factors,
parameter and token counts of a model) take one number, never a range.

Sections
--------
``name``, ``description``, ``sources`` (a list of citations), ``base_year``,
``years`` (to project, default 1), ``samples`` (default 20,000), ``seed``.

``demand``: ``requests_per_day``, or ``users`` and ``requests_per_user_per_day``;
``growth_per_year`` (compounded once a year).

``requests``: a list of classes, each with ``name`` and ``share`` (shares add up
to 1) and either a model (``model`` from the catalog or ``params`` /
``active_params``, ``output_tokens``, optional ``input_tokens``, ``accelerator``,
``count``, ``batch``, ``precision``, which default to ``hardware``) or a given
figure (``energy_per_request`` with the ``boundary`` it counts: ``server`` or
``facility``). ``energy_factors`` multiply a class's per-request energy. A class
that names its own accelerator gets its own count (fitted when not given).

``hardware``: ``accelerator``, ``count`` (default: fitted to memory), ``batch``
(default 64), ``precision`` (default bf16).

``location``: a name (country, grid zone or cloud region) or a list of
``{name, share}``; ``pue`` (default: the catalog range); ``clean_energy_share``
(market-based carbon = location-based x (1 - share)); ``price`` (default: the
locations' catalog prices); ``onsite_water`` (default: the catalog's industry WUE).

``training``: runs amortised over ``amortise_years``: ``accelerator`` and one of
``accelerator_hours``, ``count`` + ``days``, or ``model``/``params`` + ``tokens``
(optional ``mfu``); ``pue`` and ``location`` default to the scenario's.

``fleet``: a top-down cross-check (or, without request classes, the estimate):
``servers`` x ``power_per_server`` x ``utilisation`` (server boundary), ``pue``.

``levers``: applied in order; each ``kind`` is one of :data:`LEVER_KINDS`.

Bounds
------
Every number is finite, and each field has a physical bound far beyond any real
service, so that a typo (``1e300``) is an error at its line rather than an
overflow to ``inf`` or ``nan`` in the results. Within these bounds every product
the engine forms stays finite. The bounds shared with estimates (samples, seed,
accelerators, batch, PUE, MFU, parameters, tokens, days, accelerator-hours) are the
constants of :mod:`wattlens.bounds`:

==============================  ==========================================================
``requests_per_day``            at most 1e15 (some 100,000 a day for every person alive)
``users``                       at most 1e11 (over ten times the world's population)
``requests_per_user_per_day``   at most 1e6 (one every 86 ms, all day)
``growth_per_year``             at most 100 (10,000 % a year), above -1
``params``, ``active_params``   1 to 1e15 (500 times the largest published models)
``tokens`` (training)           1 to 1e16 (some 300 times the largest training sets)
``input_tokens``,               at most 1e9 per request (100 times the longest context
``output_tokens``               windows)
``energy_per_request``          at most 1 MWh
``power_per_server``            at most 10 MW
``servers``                     at most 1e9
``count`` (accelerators)        at most 10,000,000
``batch``                       whole numbers, 1 to 1,000,000
``days``                        at most 36,500 (a century)
``accelerator_hours``           at most 1e12
``mfu``                         0.1 % to 100 %
``energy_factors``, ``factor``  at most 1,000
``onsite_water``                at most 100 L/kWh
``samples``                     100 to :data:`MAX_SAMPLES` (200,000)
``requests`` (classes)          at most :data:`MAX_REQUEST_CLASSES` (100)
``levers``, ``training``        at most :data:`MAX_LEVERS` (50), :data:`MAX_TRAINING_RUNS` (100)
``seed``                        0 to 2**64 - 1
==============================  ==========================================================
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from wattlens.bounds import (
    MAX_ACCELERATOR_HOURS,
    MAX_ACCELERATORS,
    MAX_BATCH,
    MAX_DAYS,
    MAX_PARAMS,
    MAX_PUE,
    MAX_REQUEST_TOKENS,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_TRAINING_TOKENS,
    MIN_MFU,
)
from wattlens.formulas.uncertainty import DEFAULT_SEED
from wattlens.scenario.values import FIX, PriceSpan, Span, fail, parse_price, parse_span

# MAX_SAMPLES (wattlens.bounds): the most Monte Carlo samples a scenario runs (in the file,
# ``--samples`` and the dashboard's estimates alike): memory grows with samples x years x
# request classes.
#: The most request classes in one file: each class holds its own samples (100 classes at
#: 200,000 samples take some 300 MB).
MAX_REQUEST_CLASSES = 100
#: The most levers in one file (the waterfall evaluates the scenario once per lever).
MAX_LEVERS = 50
#: The most training runs in one file.
MAX_TRAINING_RUNS = 100


def check_samples(samples: int, what: str = "samples") -> None:
    """Refuse a number of samples outside 100 to :data:`MAX_SAMPLES`.

    Raises:
        InputValueError: naming ``what`` (a field, or an option such as ``--samples``).
    """
    from wattlens.errors import InputValueError

    if not 100 <= samples <= MAX_SAMPLES:
        raise InputValueError(
            f"invalid value for {what}: must be 100 to {MAX_SAMPLES:,}, got {samples:,}",
            hint="20,000 (the default) gives stable p5/p95; memory grows with the samples",
        )


PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"]


# -- field types -------------------------------------------------------------
def _positive(raw: Any, maximum: float, example: str) -> Span:
    return parse_span(
        raw, kind="count", example=example, minimum=0, minimum_inclusive=False, maximum=maximum
    )


def _requests_per_day(raw: Any) -> Span:
    return _positive(raw, 1e15, "200e6, 200M or 150M..250M")


def _users(raw: Any) -> Span:
    return _positive(raw, 1e11, "10M or 5M..20M")


def _per_user(raw: Any) -> Span:
    return _positive(raw, 1e6, "15 or 10..20")


def _days(raw: Any) -> Span:
    return _positive(raw, MAX_DAYS, "14.8 or 50..60")


def _accelerator_hours(raw: Any) -> Span:
    return _positive(raw, MAX_ACCELERATOR_HOURS, "30.84M or 25M..35M")


def _servers(raw: Any) -> Span:
    return _positive(raw, 1e9, "3617 or 3000..4000")


def _tokens(raw: Any) -> Span:
    return parse_span(
        raw, kind="count", example="500 or 300..700", minimum=0, maximum=MAX_REQUEST_TOKENS
    )


def _share(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="fraction",
        example="0.6 or 60%",
        minimum=0,
        minimum_inclusive=False,
        maximum=1,
        point_only=True,
    )


def _fraction(raw: Any) -> Span:
    return parse_span(raw, kind="fraction", example="0.4, 40% or 30%..50%", minimum=0, maximum=1)


def _utilisation(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="fraction",
        example="0.6 or 50%..70%",
        minimum=0,
        minimum_inclusive=False,
        maximum=1,
    )


def _mfu(raw: Any) -> Span:
    return parse_span(raw, kind="fraction", example="0.4 or 30%..50%", minimum=MIN_MFU, maximum=1)


def _growth(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="fraction",
        example="0.25, 25% or 10%..40%",
        minimum=-1,
        minimum_inclusive=False,
        maximum=100,
    )


def _pue(raw: Any) -> Span:
    return parse_span(raw, kind="count", example="1.2 or 1.1..1.4", minimum=1.0, maximum=MAX_PUE)


def _energy(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="energy",
        example='"2.9 Wh" or "0.2..0.5 Wh"',
        minimum=0,
        minimum_inclusive=False,
        maximum=3.6e9,  # 1 MWh
    )


def _power(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="power",
        example='"6.5 kW" or "5..6.5 kW"',
        minimum=0,
        minimum_inclusive=False,
        maximum=1e7,  # 10 MW
    )


def _water(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="water",
        example='"0.4 L/kWh" or "0.2..1.8 L/kWh"',
        minimum=0,
        maximum=100 / 3.6e6,  # 100 L/kWh, in litres per joule
    )


def _factor(raw: Any) -> Span:
    return _positive(raw, 1_000, "0.5 or 0.04..0.2")


def _shorter(raw: Any) -> Span:
    return parse_span(
        raw,
        kind="fraction",
        example="0.7 or 70%",
        minimum=0,
        minimum_inclusive=False,
        maximum=1,
        point_only=True,
    )


def _batch(raw: Any) -> Span:
    example = "64 or 32..128"
    span = parse_span(raw, kind="count", example=example, minimum=1, maximum=MAX_BATCH)
    if not (span.low.is_integer() and span.high.is_integer()):
        raise fail(f"{raw!r} is not a whole number of concurrent requests", f"write e.g. {example}")
    return span


def _price(raw: Any) -> PriceSpan:
    return parse_price(raw)


def _model_size(raw: Any) -> float:
    return parse_span(
        raw, kind="count", example="8e9, 70B or 405bn", minimum=1,
        maximum=MAX_PARAMS, point_only=True,
    ).low  # fmt: skip


def _training_tokens(raw: Any) -> float:
    return parse_span(
        raw, kind="count", example="15.6T or 2e12", minimum=1,
        maximum=MAX_TRAINING_TOKENS, point_only=True,
    ).low  # fmt: skip


RequestsPerDay = Annotated[Span, PlainValidator(_requests_per_day)]
Users = Annotated[Span, PlainValidator(_users)]
PerUser = Annotated[Span, PlainValidator(_per_user)]
Days = Annotated[Span, PlainValidator(_days)]
AcceleratorHours = Annotated[Span, PlainValidator(_accelerator_hours)]
Servers = Annotated[Span, PlainValidator(_servers)]
Mfu = Annotated[Span, PlainValidator(_mfu)]
Tokens = Annotated[Span, PlainValidator(_tokens)]
Share = Annotated[Span, PlainValidator(_share)]
Fraction = Annotated[Span, PlainValidator(_fraction)]
Utilisation = Annotated[Span, PlainValidator(_utilisation)]
Growth = Annotated[Span, PlainValidator(_growth)]
Pue = Annotated[Span, PlainValidator(_pue)]
Energy = Annotated[Span, PlainValidator(_energy)]
Power = Annotated[Span, PlainValidator(_power)]
WaterPerEnergy = Annotated[Span, PlainValidator(_water)]
Factor = Annotated[Span, PlainValidator(_factor)]
ShorterFactor = Annotated[Span, PlainValidator(_shorter)]
Batch = Annotated[Span, PlainValidator(_batch)]
Price = Annotated[PriceSpan, PlainValidator(_price)]
ModelSize = Annotated[float, PlainValidator(_model_size)]
TrainingTokens = Annotated[float, PlainValidator(_training_tokens)]
Accelerators = Annotated[int, Field(ge=1, le=MAX_ACCELERATORS)]


def _location_list(value: Any) -> Any:
    if isinstance(value, bool):
        raise fail(
            f"YAML read this location as {value!r}",
            'quote it: "no" is Norway, but YAML 1.1 reads a bare no/yes/on/off as true/false',
        )
    if isinstance(value, str):
        return [{"name": value, "share": 1}]
    if isinstance(value, list):
        return value
    raise fail(
        f"expected a location name or a list, got {value!r}",
        "write `location: us` or a list of `- {name: us, share: 0.7}` items",
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LocationShare(_Strict):
    """One place where a share of the energy is used."""

    name: str = Field(min_length=1)
    share: Share = Span(1.0, 1.0)

    @field_validator("name", mode="before")
    @classmethod
    def _not_a_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise fail(
                f"YAML read this location as {value!r}", 'quote it: write "no" (Norway) in quotes'
            )
        return value


class Demand(_Strict):
    """How many requests the service answers: per day, or users x requests per user."""

    requests_per_day: RequestsPerDay | None = None
    users: Users | None = None
    requests_per_user_per_day: PerUser | None = None
    growth_per_year: Growth = Span(0.0, 0.0)


class Hardware(_Strict):
    """The serving hardware every modelled request class uses unless it names its own."""

    accelerator: str = Field(min_length=1)
    count: Accelerators | None = None
    batch: Batch = Span(64.0, 64.0)
    precision: Precision = "bf16"


class RequestClass(_Strict):
    """A kind of request and its share of the traffic.

    Either modelled (``model`` or ``params``, with ``output_tokens``) or given
    (``energy_per_request`` with its ``boundary``).
    """

    name: str = Field(min_length=1)
    share: Share
    model: str | None = None
    params: ModelSize | None = None
    active_params: ModelSize | None = None
    input_tokens: Tokens | None = None
    output_tokens: Tokens | None = None
    energy_per_request: Energy | None = None
    boundary: Literal["server", "facility"] | None = None
    accelerator: str | None = None
    count: Accelerators | None = None
    batch: Batch | None = None
    precision: Precision | None = None
    stack: str | None = None
    """Serving stack (current, older, hf, llama.cpp); default unknown, spanning them all."""
    pipeline: Annotated[int, Field(ge=1, le=MAX_ACCELERATORS)] = 1
    """Pipeline-parallel stages of a replica; ``count`` is stages x devices per stage."""
    energy_factors: tuple[Factor, ...] = ()

    @property
    def modelled(self) -> bool:
        """True when the energy comes from the inference model, not a given figure."""
        return self.energy_per_request is None


class TrainingRun(_Strict):
    """A training run whose energy is amortised over the first years of the service."""

    name: str = Field(min_length=1)
    accelerator: str = Field(min_length=1)
    count: Accelerators | None = None
    days: Days | None = None
    accelerator_hours: AcceleratorHours | None = None
    model: str | None = None
    params: ModelSize | None = None
    tokens: TrainingTokens | None = None
    mfu: Mfu | None = None
    precision: Precision = "bf16"
    pue: Pue | None = None
    location: str | None = None
    amortise_years: int = Field(default=1, ge=1, le=100)


class Fleet(_Strict):
    """A top-down fleet: servers x power x utilisation (server boundary), to cross-check."""

    servers: Servers
    power_per_server: Power
    utilisation: Utilisation = Span(1.0, 1.0)
    pue: Pue | None = None
    basis: str | None = None


class _Lever(_Strict):
    label: str | None = None
    basis: str | None = None


class _ClassLever(_Lever):
    requests: tuple[str, ...] | None = None


class HardwareLever(_ClassLever):
    """Serve on another accelerator (a hardware generation swap)."""

    kind: Literal["hardware"]
    accelerator: str = Field(min_length=1)
    count: Accelerators | None = None


class QuantiseLever(_ClassLever):
    """Serve at a lower weight precision."""

    kind: Literal["quantise"]
    precision: Precision


class BatchLever(_ClassLever):
    """Serve with a larger (or smaller) batch."""

    kind: Literal["batch"]
    batch: Batch


class ShorterOutputsLever(_ClassLever):
    """Generate fewer output tokens (a factor on the output tokens)."""

    kind: Literal["shorter_outputs"]
    factor: ShorterFactor


class ModelLever(_ClassLever):
    """Serve another model (smaller, or mixture-of-experts)."""

    kind: Literal["model"]
    model: str = Field(min_length=1)
    count: Accelerators | None = None


class EfficiencyLever(_ClassLever):
    """Multiply the per-request energy by a factor (a claimed gain; say whose in basis)."""

    kind: Literal["efficiency"]
    factor: Factor
    basis: str = Field(min_length=3)


class PueLever(_Lever):
    """Run in a data centre with another PUE."""

    kind: Literal["pue"]
    pue: Pue


class CleanEnergyLever(_Lever):
    """Buy a share of clean energy (changes market-based carbon only)."""

    kind: Literal["clean_energy"]
    share: Fraction


class RelocateLever(_Lever):
    """Move the service to other locations (grid, water, price)."""

    kind: Literal["relocate"]
    location: tuple[LocationShare, ...]

    @field_validator("location", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _location_list(value)


Lever = Annotated[
    HardwareLever
    | QuantiseLever
    | BatchLever
    | ShorterOutputsLever
    | ModelLever
    | EfficiencyLever
    | PueLever
    | CleanEnergyLever
    | RelocateLever,
    Field(discriminator="kind"),
]
LEVER_KINDS = (
    "hardware",
    "quantise",
    "batch",
    "shorter_outputs",
    "model",
    "efficiency",
    "pue",
    "clean_energy",
    "relocate",
)
CLASS_LEVERS = ("hardware", "quantise", "batch", "shorter_outputs", "model")


class Scenario(_Strict):
    """A service or fleet over time: demand, request mix, hardware, place, levers."""

    name: str = Field(min_length=1)
    description: str | None = None
    sources: tuple[str, ...] = ()
    base_year: int | None = Field(default=None, ge=1990, le=2100)
    years: int = Field(default=1, ge=1, le=100)
    samples: int = Field(default=20_000, ge=100, le=MAX_SAMPLES)
    seed: int = Field(default=DEFAULT_SEED, ge=0, le=MAX_SEED)
    demand: Demand | None = None
    requests: tuple[RequestClass, ...] = Field(default=(), max_length=MAX_REQUEST_CLASSES)
    hardware: Hardware | None = None
    location: tuple[LocationShare, ...] = (LocationShare(name="world"),)
    pue: Pue | None = None
    clean_energy_share: Fraction = Span(0.0, 0.0)
    price: Price | None = None
    onsite_water: WaterPerEnergy | None = None
    training: tuple[TrainingRun, ...] = Field(default=(), max_length=MAX_TRAINING_RUNS)
    fleet: Fleet | None = None
    levers: tuple[Lever, ...] = Field(default=(), max_length=MAX_LEVERS)

    @field_validator("location", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _location_list(value)


#: An example value for each field, for "add `field: example`" fixes.
EXAMPLES: dict[str, str] = {
    "name": "my service",
    "requests_per_day": "200e6",
    "users": "10M",
    "requests_per_user_per_day": "15",
    "growth_per_year": "25%",
    "accelerator": "H100 SXM",
    "share": "0.5",
    "output_tokens": "500",
    "input_tokens": "200..2000",
    "energy_per_request": '"2.9 Wh"',
    "boundary": "server",
    "servers": "3617",
    "power_per_server": '"6.5 kW"',
    "utilisation": "0.6",
    "pue": "1.1..1.4",
    "precision": "fp8",
    "batch": "64",
    "model": "llama-3.1-8b",
    "factor": "0.5",
    "kind": "pue",
    "location": "us",
    "price": '"0.147 USD/kWh"',
    "years": "5",
    "count": "8",
    "days": "14.8",
}


def all_field_names() -> set[str]:
    """Every field name any scenario section accepts (for "did you mean")."""
    models: list[type[BaseModel]] = [
        Scenario,
        Demand,
        Hardware,
        RequestClass,
        TrainingRun,
        Fleet,
        LocationShare,
        HardwareLever,
        QuantiseLever,
        BatchLever,
        ShorterOutputsLever,
        ModelLever,
        EfficiencyLever,
        PueLever,
        CleanEnergyLever,
        RelocateLever,
    ]
    return {name for model in models for name in model.model_fields}


# The value syntax lives in `values`; its names stay importable from here.
__all__ = [
    "CLASS_LEVERS",
    "EXAMPLES",
    "FIX",
    "LEVER_KINDS",
    "MAX_ACCELERATORS",
    "MAX_LEVERS",
    "MAX_REQUEST_CLASSES",
    "MAX_SAMPLES",
    "MAX_TRAINING_RUNS",
    "PRECISIONS",
    "BatchLever",
    "CleanEnergyLever",
    "Demand",
    "EfficiencyLever",
    "Fleet",
    "Hardware",
    "HardwareLever",
    "Lever",
    "LocationShare",
    "ModelLever",
    "Precision",
    "PriceSpan",
    "PueLever",
    "QuantiseLever",
    "RelocateLever",
    "RequestClass",
    "Scenario",
    "ShorterOutputsLever",
    "Span",
    "TrainingRun",
    "all_field_names",
    "check_samples",
    "parse_price",
    "parse_span",
]
