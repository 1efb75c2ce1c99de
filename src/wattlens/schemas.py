"""The JSON forms of wattlens's results, as types, and their JSON Schema.

Each ``to_dict`` of a result type (:class:`wattlens.measurement.Measurement`,
:class:`wattlens.estimate.TrainingEstimate`, :class:`~wattlens.estimate.InferenceEstimate`,
:class:`wattlens.types.Impacts`, the scenario engine's result and its lever
waterfall) produces one of the documents below; ``wattlens schema NAME`` prints
its JSON Schema (made by pydantic's ``TypeAdapter``), and the tests validate
real ``--json`` output against it. Field names and units follow the README; a field added to a
result must be added here (every document forbids fields it does not
declare; a measurement's components and timeline points are the
dataclasses themselves).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import TypedDict

# Runtime imports: pydantic reads these annotations when it builds the schema.
from wattlens.measurement import ComponentEnergy, TimelinePoint

_STRICT = ConfigDict(extra="forbid")


@with_config(_STRICT)
class Quantiles(TypedDict):
    """An uncertain quantity: 5th, 50th, 95th percentile and mean of its samples."""

    p5: float
    p50: float
    p95: float
    mean: float


@with_config(_STRICT)
class Band(TypedDict):
    """A measured quantity with its range."""

    low: float
    central: float
    high: float


@with_config(_STRICT)
class PlaceJSON(TypedDict):
    query: str
    grid_id: str
    grid_name: str
    region_id: str | None
    co2e_g_per_kwh: float
    origin: NotRequired[Literal["given", "env", "project", "user", "detected", "default"]]
    origin_detail: NotRequired[str | None]


@with_config(_STRICT)
class MeasuredWater(TypedDict):
    onsite: Band
    onsite_measure: Literal["consumption", "withdrawal"] | None
    offsite: Band
    offsite_measure: Literal["consumption", "withdrawal"] | None
    total: Band


@with_config(_STRICT)
class MeasuredCost(TypedDict):
    currency: str
    price_per_kwh: float | None
    amount: Band
    amount_usd: Band | None


@with_config(_STRICT)
class MeasuredImpacts(TypedDict):
    """Impacts of a measurement: bands, PUE, facility energy, market-based carbon."""

    location: PlaceJSON
    pue: float
    facility_energy_j: Band
    co2e_g: Band
    co2e_market_g: Band
    clean_share: float
    water_l: MeasuredWater
    cost: MeasuredCost | None
    sources: list[str]
    assumptions: list[str]


@with_config(_STRICT)
class EstimateWater(TypedDict):
    onsite: Quantiles
    offsite: Quantiles
    total: Quantiles
    onsite_measure: Literal["consumption", "withdrawal"] | None
    offsite_measure: Literal["consumption", "withdrawal"] | None


@with_config(_STRICT)
class EstimateCost(TypedDict):
    currency: str
    amount: Quantiles
    amount_usd: Quantiles | None


@with_config(_STRICT)
class EstimateImpacts(TypedDict):
    """Impacts of an estimate's facility energy: quantiles."""

    location: PlaceJSON
    basis: str | None
    co2e_g: Quantiles
    water_l: EstimateWater
    water_offsite_l: Quantiles
    sources: list[str]
    assumptions: list[str]
    cost: EstimateCost | None


@with_config(_STRICT)
class LowHigh(TypedDict):
    low: float
    high: float


@with_config(_STRICT)
class EmbodiedJSON(TypedDict):
    """Manufacturing impacts amortised over accelerator-hours: modelled, beside ``impacts``."""

    method: Literal["modeled"]
    carbon_kgco2e: Quantiles
    adp_kgsbeq: Quantiles | None
    water_l: Quantiles | None
    accelerator_hours: Quantiles
    carbon_per_accelerator_hour_g: Quantiles
    lifetime_years: LowHigh
    utilisation: LowHigh
    accelerators: list[str]
    basis: str
    sources: list[str]
    scope: NotRequired[Literal["machine", "workload", "rank"]]
    """A measurement's: whose hardware is counted (absent from estimates)."""
    devices: NotRequired[list[str]]
    host_share: NotRequired[float | None]


@with_config(_STRICT)
class DistributedJSON(TypedDict):
    """``wattlens run --json`` under a launcher: this process's part of the job."""

    run_id: str | None
    role: Literal["node_reader", "rank"]
    launcher: Literal["torch", "mpi", "slurm", "none"]
    rank: int
    world_size: int
    local_rank: int | None
    hostname: str
    devices: list[str]
    node_record: str | None
    node_energy_j: float | None
    note: str


@with_config(_STRICT)
class WindowJSON(TypedDict):
    """A window of a stored run (``wattlens.windows.Window.to_dict``)."""

    seq: int
    kind: str
    label: str
    start_s: float
    end_s: float
    duration_s: float
    energy_j: float
    energy_low_j: float | None
    energy_high_j: float | None
    methods: list[str]
    detail: dict[str, Any]


@with_config(_STRICT)
class MeasurementJSON(TypedDict):
    """``wattlens run --json``, ``wattlens runs show --json``, ``Measurement.to_dict()``."""

    run_id: str
    name: str
    command: list[str] | None
    exit_code: int | None
    status: Literal["completed", "failed", "killed", "interrupted", "not_started", "running"]
    started_at: str
    ended_at: str
    duration_s: float
    energy_j: float
    energy_low_j: float
    energy_high_j: float
    attributed_energy_j: float | None
    avg_power_w: float
    peak_power_w: float | None
    methods: list[Literal["counter", "sampled", "modeled"]]
    components: list[ComponentEnergy]
    location: str | None
    pue: float | None
    scope: NotRequired[Literal["workload", "machine"]]
    """What ``impacts`` are computed on; absent from runs stored before it existed (machine)."""
    scope_reason: NotRequired[str | None]
    workload_cpu_share: NotRequired[float | None]
    scope_energy_j: NotRequired[float]
    impacts: MeasuredImpacts
    machine_impacts: NotRequired[MeasuredImpacts]
    """The whole machine's impacts (the same as ``impacts`` in machine scope)."""
    embodied: NotRequired[EmbodiedJSON | None]
    """Absent from runs stored before it existed; None without an accelerator."""
    machine_embodied: NotRequired[EmbodiedJSON | None]
    """The whole machine's (the same as ``embodied`` in machine scope; None for a rank)."""
    distributed: NotRequired[DistributedJSON]
    """``wattlens run`` under a launcher only."""
    host: dict[str, Any]
    warnings: list[str]
    timeline: list[TimelinePoint] | None
    windows: NotRequired[list[WindowJSON]]
    """``runs show --json`` only: spans of the run (a training run's epochs and steps)."""
    children: NotRequired[list[dict[str, Any]]]
    """``runs show --json`` only: the run's child records (rank and node records)."""


@with_config(_STRICT)
class AssumptionJSON(TypedDict):
    name: str
    value: str
    basis: str


@with_config(_STRICT)
class SensitivityJSON(TypedDict):
    input: str
    share: float


@with_config(_STRICT)
class ByBoundary(TypedDict):
    accelerator: Quantiles
    server: Quantiles
    facility: Quantiles


@with_config(_STRICT)
class TrainingEstimateJSON(TypedDict):
    """``wattlens estimate training --json``."""

    kind: Literal["training"]
    method: Literal["estimated"]
    boundary: Literal["accelerator", "server", "facility"]
    energy_j: Quantiles
    energy_by_boundary_j: ByBoundary
    accelerator_hours: Quantiles
    duration_s: NotRequired[Quantiles]
    flops: NotRequired[float]
    impacts: EstimateImpacts
    embodied: EmbodiedJSON | None
    assumptions: list[AssumptionJSON]
    sensitivity: list[SensitivityJSON]
    sources: list[str]
    warnings: list[str]


@with_config(_STRICT)
class InferenceEstimateJSON(TypedDict):
    """``wattlens estimate inference --json`` (energies per request)."""

    kind: Literal["inference"]
    method: Literal["estimated"]
    boundary: Literal["accelerator", "server", "facility"]
    energy_j: Quantiles
    energy_by_boundary_j: ByBoundary
    count: int
    batch: float
    precision: str
    output_tokens: float
    prefill_energy_j: Quantiles
    decode_energy_j: Quantiles
    time_per_request_s: Quantiles
    impacts: EstimateImpacts
    embodied: EmbodiedJSON | None
    assumptions: list[AssumptionJSON]
    sensitivity: list[SensitivityJSON]
    sources: list[str]
    warnings: list[str]


@with_config(_STRICT)
class ScenarioWater(TypedDict):
    """Litres of water: on-site (cooling), off-site (the electricity's), and their sum."""

    onsite: Quantiles
    offsite: Quantiles
    total: Quantiles


@with_config(_STRICT)
class ScenarioPerRequest(TypedDict):
    it_energy_j: Quantiles
    energy_j: Quantiles
    training_it_energy_j: NotRequired[Quantiles]


@with_config(_STRICT)
class ScenarioDay(TypedDict):
    """The first year's figures divided by the days of a year."""

    requests: Quantiles
    it_energy_j: Quantiles
    energy_j: Quantiles
    co2e_location_g: Quantiles
    co2e_market_g: Quantiles
    water_l: ScenarioWater
    cost: EstimateCost | None


@with_config(_STRICT)
class ScenarioYear(TypedDict):
    year: int
    index: int
    requests: Quantiles
    it_energy_j: Quantiles
    inference_it_energy_j: Quantiles
    training_it_energy_j: Quantiles
    energy_j: Quantiles
    co2e_location_g: Quantiles
    co2e_market_g: Quantiles
    water_l: ScenarioWater
    cost: EstimateCost | None


@with_config(_STRICT)
class ScenarioTotal(TypedDict):
    """All projected years together."""

    energy_j: Quantiles
    it_energy_j: Quantiles
    co2e_location_g: Quantiles
    co2e_market_g: Quantiles
    water_l: Quantiles
    cost: EstimateCost | None


@with_config(_STRICT)
class GivenRequestClass(TypedDict):
    """A request class whose energy per request the file gives."""

    name: str
    share: float
    method: Literal["given"]
    boundary: str | None
    energy_per_request: str | None
    energy_per_request_it_j: Quantiles


@with_config(_STRICT)
class ModelledRequestClass(TypedDict):
    """A request class whose energy per request the inference model estimates."""

    name: str
    share: float
    method: Literal["modelled"]
    model: str | None
    accelerator: str | None
    count: int | None
    batch: str | None
    precision: str | None
    output_tokens: str | None
    input_tokens: str | None
    sources: list[str]
    warnings: list[str]
    energy_per_request_it_j: Quantiles


@with_config(_STRICT)
class ScenarioTraining(TypedDict):
    """A training run's energy, all of it, before amortising."""

    name: str
    amortise_years: int
    it_energy_j: Quantiles
    facility_energy_j: Quantiles
    pue: str


@with_config(_STRICT)
class ScenarioFleet(TypedDict):
    """The top-down fleet and, with request classes, how the bottom-up energy compares."""

    servers: str
    power_per_server_w: str
    utilisation: str
    basis: str | None
    it_energy_per_day_j: Quantiles
    facility_energy_per_day_j: Quantiles
    bottom_up_it_energy_per_day_j: NotRequired[Quantiles]
    bottom_up_to_top_down: NotRequired[Quantiles]


@with_config(_STRICT)
class ScenarioLocation(TypedDict):
    name: str
    share: float
    grid_id: str
    grid_name: str
    co2e_g_per_kwh: float
    water_offsite_l_per_kwh: float
    water_offsite_measure: str | None
    price_per_kwh: float | None
    currency: str | None


@with_config(_STRICT)
class EquivalentJSON(TypedDict):
    """A quantity in everyday terms, from a cited catalog row."""

    id: str
    label: str
    value: float
    unit: str
    source: str
    year: int
    of: str


@with_config(_STRICT)
class ScenarioEmbodiedYear(TypedDict):
    year: int
    index: int
    carbon_kgco2e: Quantiles
    adp_kgsbeq: Quantiles | None


@with_config(_STRICT)
class ScenarioEmbodiedJSON(TypedDict):
    """Manufacturing impacts of the modelled request classes' accelerator time, modelled."""

    method: Literal["modeled"]
    carbon_kgco2e: Quantiles
    adp_kgsbeq: Quantiles | None
    water_l: Quantiles | None
    yearly: list[ScenarioEmbodiedYear]
    basis: str
    sources: list[str]


@with_config(_STRICT)
class ScenarioResultJSON(TypedDict):
    """``wattlens scenario run --json``."""

    scenario: str
    file: str
    description: str | None
    method: Literal["estimated"]
    boundary: Literal["facility"]
    samples: int
    seed: int
    years: int
    base_year: int | None
    pue: Quantiles
    clean_energy_share: Quantiles
    per_request: ScenarioPerRequest | None
    daily: ScenarioDay
    yearly: list[ScenarioYear]
    total: ScenarioTotal
    requests: list[GivenRequestClass | ModelledRequestClass]
    training: list[ScenarioTraining]
    fleet: ScenarioFleet | None
    embodied: ScenarioEmbodiedJSON | None
    locations: list[ScenarioLocation]
    assumptions: list[str]
    sources: list[str]
    catalog_rows: list[str]
    warnings: list[str]
    equivalents: NotRequired[list[EquivalentJSON]]
    """Added by the CLI; absent from ``wattlens.scenario.run``'s dict."""


@with_config(_STRICT)
class LeverMetrics(TypedDict):
    """First-year figures of the waterfall (``energy_total_j``: all projected years)."""

    energy_j: Quantiles | None
    it_energy_j: Quantiles | None
    co2e_location_g: Quantiles | None
    co2e_market_g: Quantiles | None
    water_l: Quantiles | None
    cost: Quantiles | None
    cost_usd: Quantiles | None
    energy_total_j: Quantiles | None


@with_config(_STRICT)
class LeverSaving(TypedDict):
    saving: Quantiles
    share: Quantiles


@with_config(_STRICT)
class LeverTotalSaving(TypedDict):
    energy_j: LeverSaving | None
    it_energy_j: LeverSaving | None
    co2e_location_g: LeverSaving | None
    co2e_market_g: LeverSaving | None
    water_l: LeverSaving | None
    cost: LeverSaving | None
    cost_usd: LeverSaving | None
    energy_total_j: LeverSaving | None


@with_config(_STRICT)
class LeverStep(TypedDict):
    """One lever: the state after it, and its saving against the state before it."""

    lever: str
    kind: str
    basis: str | None
    after: LeverMetrics
    saving: LeverMetrics
    saving_share_of_baseline: LeverMetrics
    notes: list[str]


@with_config(_STRICT)
class ScenarioLeversJSON(TypedDict):
    """``wattlens scenario levers --json``."""

    scenario: str
    file: str
    method: Literal["estimated"]
    boundary: Literal["facility"]
    metric_year: int
    samples: int
    seed: int
    years: int
    currency: str | None
    baseline: LeverMetrics
    steps: list[LeverStep]
    optimised: LeverMetrics
    total_saving: LeverTotalSaving
    assumptions: list[str]
    sources: list[str]
    warnings: list[str]
    estimate_calls: int


#: ``wattlens schema NAME``: the documents, with one line each.
DOCUMENTS: dict[str, tuple[Any, str]] = {
    "measurement": (MeasurementJSON, "a measured run (wattlens run --json, runs show --json)"),
    "training-estimate": (TrainingEstimateJSON, "wattlens estimate training --json"),
    "inference-estimate": (InferenceEstimateJSON, "wattlens estimate inference --json"),
    "scenario-result": (ScenarioResultJSON, "wattlens scenario run --json"),
    "scenario-levers": (ScenarioLeversJSON, "wattlens scenario levers --json"),
    "impacts": (MeasuredImpacts | EstimateImpacts, "impacts of a measurement or an estimate"),
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a document in :data:`DOCUMENTS`.

    Raises:
        KeyError: no such document.
    """
    kind, description = DOCUMENTS[name]
    schema = TypeAdapter(kind).json_schema()
    schema.setdefault("description", description)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = schema.get("title", name)
    return schema
