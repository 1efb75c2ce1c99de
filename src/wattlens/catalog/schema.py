"""Row schemas of the catalog: one pydantic model per kind of fact.

Every row carries ``source`` (a citation: document and table, or URL) and
``year`` (the year of that source). A row that is an estimate rather than a
published figure says so (``estimate=true``) and states its ``basis``.
Unknown values are ``None`` (an empty CSV cell), never guessed.

Column names carry units (``tdp_w``, ``memory_bandwidth_gbs``,
``co2e_g_per_kwh``); they are also the field names of ``--json`` output.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"]


class CatalogRow(BaseModel):
    """Fields every catalog row has."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )

    id: str = Field(pattern=_ID_PATTERN, description="unique slug within its kind")
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    source: str = Field(min_length=3, description="citation: document + table, or URL")
    year: int = Field(ge=1950, le=2100, description="year of the source")
    estimate: bool = False
    basis: str | None = None
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("name") and data.get("id"):
            data = {**data, "name": data["id"]}
        return data

    @model_validator(mode="after")
    def _estimate_has_basis(self) -> CatalogRow:
        if self.estimate and not self.basis:
            raise ValueError("estimate=true requires a basis: say who estimated it and how")
        return self


class Accelerator(CatalogRow):
    """A GPU or TPU. FLOP/s figures are dense (no structured sparsity)."""

    vendor: str
    form_factor: str | None = None
    memory_gb: float | None = Field(default=None, gt=0)
    memory_bandwidth_gbs: float | None = Field(default=None, gt=0)
    tdp_w: float | None = Field(default=None, gt=0)
    idle_w: float | None = Field(default=None, ge=0)
    fp32_tflops: float | None = Field(default=None, gt=0)
    tf32_tflops: float | None = Field(default=None, gt=0)
    bf16_tflops: float | None = Field(default=None, gt=0)
    fp16_tflops: float | None = Field(default=None, gt=0)
    fp8_tflops: float | None = Field(default=None, gt=0)
    int8_tops: float | None = Field(default=None, gt=0)
    release_year: int | None = Field(default=None, ge=1990, le=2100)

    def peak_flops(self, precision: str) -> float | None:
        """Peak dense throughput in FLOP/s (or OP/s for int8) at a precision.

        int4 falls back to the int8 rate (no catalogued accelerator here
        publishes a separate dense int4 rate for LLM kernels), and fp8 falls
        back to bf16/fp16 on chips without fp8 units, since weights are then
        upcast for the matmul.
        """
        table: dict[str, float | None] = {
            "fp32": self.fp32_tflops,
            "tf32": self.tf32_tflops or self.fp32_tflops,
            "bf16": self.bf16_tflops or self.fp16_tflops,
            "fp16": self.fp16_tflops or self.bf16_tflops,
            "fp8": self.fp8_tflops or self.bf16_tflops or self.fp16_tflops,
            "int8": self.int8_tops or self.fp8_tflops or self.bf16_tflops or self.fp16_tflops,
            "int4": self.int8_tops or self.fp8_tflops or self.bf16_tflops or self.fp16_tflops,
        }
        value = table.get(precision)
        return None if value is None else value * 1e12


class Cpu(CatalogRow):
    """A CPU model: its vendor TDP and, where sourced, what a roofline needs of it.

    ``memory_bandwidth_gbs`` is the socket's peak DRAM bandwidth, channels x
    transfer rate x 8 bytes (one 64-bit channel moves 8 bytes per transfer).
    Peak dense FLOP/s is cores x base clock x FLOPs per cycle per core
    (:meth:`peak_flops`); ``flops_basis`` says where the FLOPs per cycle come from.
    """

    vendor: str
    segment: Literal["server", "desktop", "laptop", "workstation", "soc"]
    cores: int | None = Field(default=None, gt=0)
    threads: int | None = Field(default=None, gt=0)
    tdp_w: float | None = Field(default=None, gt=0)
    release_year: int | None = Field(default=None, ge=1990, le=2100)
    memory_channels: int | None = Field(default=None, gt=0)
    memory_mts: float | None = Field(default=None, gt=0, description="DRAM transfers per µs")
    memory_bandwidth_gbs: float | None = Field(default=None, gt=0)
    max_memory_gb: float | None = Field(default=None, gt=0)
    base_clock_ghz: float | None = Field(default=None, gt=0)
    fp32_flops_per_cycle: float | None = Field(default=None, gt=0)
    bf16_flops_per_cycle: float | None = Field(default=None, gt=0)
    flops_basis: str | None = None

    @model_validator(mode="after")
    def _bandwidth_of_channels(self) -> Cpu:
        if self.memory_channels and self.memory_mts and self.memory_bandwidth_gbs:
            expected = self.memory_channels * self.memory_mts * 8 / 1000
            if abs(expected - self.memory_bandwidth_gbs) > 0.01 * expected:
                raise ValueError(
                    f"memory_bandwidth_gbs {self.memory_bandwidth_gbs:g} is not channels x "
                    f"MT/s x 8 bytes = {expected:g}"
                )
        if (self.fp32_flops_per_cycle or self.bf16_flops_per_cycle) and not self.flops_basis:
            raise ValueError("FLOPs per cycle need flops_basis: say where the figure comes from")
        return self

    def peak_flops(self, precision: str) -> float | None:
        """Peak dense FLOP/s of the whole part at a precision: cores x base clock x FLOPs/cycle.

        fp32 and tf32 use the FP32 vector rate, bf16 the part's bf16 rate where it has one
        (none on parts without bf16 arithmetic: the row leaves it empty).
        """
        per_cycle = {"fp32": self.fp32_flops_per_cycle, "tf32": self.fp32_flops_per_cycle,
                     "bf16": self.bf16_flops_per_cycle}.get(precision)  # fmt: skip
        if per_cycle is None or self.cores is None or self.base_clock_ghz is None:
            return None
        return self.cores * self.base_clock_ghz * 1e9 * per_cycle


class Model(CatalogRow):
    """An AI model. Parameter counts are absolute (1.75e11 = 175 B)."""

    developer: str
    architecture: Literal["dense", "moe"]
    params_total: float | None = Field(default=None, gt=0)
    params_active: float | None = Field(default=None, gt=0)
    params_total_low: float | None = Field(default=None, gt=0)
    params_total_high: float | None = Field(default=None, gt=0)
    params_active_low: float | None = Field(default=None, gt=0)
    params_active_high: float | None = Field(default=None, gt=0)
    layers: int | None = Field(default=None, gt=0)
    hidden_size: int | None = Field(default=None, gt=0)
    attention_heads: int | None = Field(default=None, gt=0)
    kv_heads: int | None = Field(default=None, gt=0)
    head_dim: int | None = Field(default=None, gt=0)
    """Per-head dimension where a model sets it apart from hidden_size / attention_heads."""
    context_length: int | None = Field(default=None, gt=0)
    training_tokens: float | None = Field(default=None, gt=0)
    release_year: int | None = Field(default=None, ge=1990, le=2100)
    open_weights: bool | None = None

    @model_validator(mode="after")
    def _consistent_ranges(self) -> Model:
        for low, high, label in (
            (self.params_total_low, self.params_total_high, "params_total"),
            (self.params_active_low, self.params_active_high, "params_active"),
        ):
            if (low is None) != (high is None):
                raise ValueError(f"{label}_low and {label}_high must be given together")
            if low is not None and high is not None and low > high:
                raise ValueError(f"{label}_low is greater than {label}_high")
        if self.params_total is None and self.params_total_low is None:
            raise ValueError("give params_total, or params_total_low and params_total_high")
        if (
            self.params_active is not None
            and self.params_total is not None
            and self.params_active > self.params_total
        ):
            raise ValueError("params_active is greater than params_total")
        return self


class Grid(CatalogRow):
    """Average carbon intensity of the electricity of a country or grid zone."""

    kind: Literal["world", "region", "country", "subnational", "zone"]
    co2e_g_per_kwh: float = Field(ge=0)
    data_year: int | None = Field(default=None, ge=1990, le=2100)


class GridYear(CatalogRow):
    """The carbon intensity of a grid in one year: a time series, so a dated claim is
    checked against its own year (``as_of:`` in a claims file)."""

    grid_id: str = Field(pattern=_ID_PATTERN, description="the grids row this year belongs to")
    data_year: int = Field(ge=1990, le=2100, description="the year the intensity applies to")
    co2e_g_per_kwh: float = Field(ge=0)


class Region(CatalogRow):
    """A cloud provider's region, mapped to the grid zone that powers it."""

    provider: Literal["aws", "gcp", "azure"]
    region: str
    grid_id: str = Field(pattern=_ID_PATTERN)
    location: str | None = None


class Water(CatalogRow):
    """Water per kWh: on-site (WUE of a data centre) or off-site (of electricity)."""

    scope: Literal["onsite", "offsite"]
    entity: str
    l_per_kwh: float = Field(ge=0)
    measure: Literal["consumption", "withdrawal"]
    data_year: int | None = Field(default=None, ge=1990, le=2100)


class Price(CatalogRow):
    """Electricity price for businesses in a country."""

    sector: Literal["commercial", "industrial", "business"]
    price_local_per_kwh: float | None = Field(default=None, gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    price_usd_per_kwh: float | None = Field(default=None, gt=0)
    data_year: int | None = Field(default=None, ge=1990, le=2100)

    @model_validator(mode="after")
    def _has_a_price(self) -> Price:
        if self.price_local_per_kwh is None and self.price_usd_per_kwh is None:
            raise ValueError("give price_local_per_kwh or price_usd_per_kwh")
        return self


class PriceYear(CatalogRow):
    """A country's business electricity price in one year: a time series, so a dated claim
    is checked against its own year (``as_of:`` in a claims file)."""

    price_id: str = Field(pattern=_ID_PATTERN, description="the prices row this year belongs to")
    data_year: int = Field(ge=1990, le=2100, description="the year the price applies to")
    price_local_per_kwh: float = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class ExchangeRate(CatalogRow):
    """Annual average value of one unit of a currency in US dollars."""

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    usd_per_unit: float = Field(gt=0)
    data_year: int | None = Field(default=None, ge=1990, le=2100)


class Pue(CatalogRow):
    """Power usage effectiveness of a provider's fleet or an industry average."""

    pue: float = Field(ge=1.0, le=5.0)
    scope: str | None = None
    data_year: int | None = Field(default=None, ge=1990, le=2100)


EquivalentUnit = Literal["kWh/day", "kWh/year", "TWh/year", "Wh", "Wh/km", "m3", "L"]


class Equivalent(CatalogRow):
    """A sourced everyday quantity to express results in (households, pools …)."""

    value: float = Field(gt=0)
    unit: EquivalentUnit
    region: str | None = None
    data_year: int | None = Field(default=None, ge=1990, le=2100)


EmbodiedScope = Literal["accelerator", "server", "lifetime", "utilisation"]


class HardwareFootprint(CatalogRow):
    """A constant of embodied (manufacturing) impacts: one hardware footprint, or one
    amortisation figure.

    ``scope`` says which: ``accelerator`` (one device's footprint; ``applies_to`` names
    the accelerator ids it was published for, empty for a figure used for any
    accelerator), ``server`` (a host server without its accelerators, shared by
    ``devices_per_server`` of them), ``lifetime`` (years of service the footprint is
    spread over) or ``utilisation`` (the share of those years the hardware is in use).
    """

    scope: EmbodiedScope
    applies_to: str | None = Field(
        default=None, description="accelerator ids separated by |; empty: any accelerator"
    )
    boundary: str | None = Field(default=None, description="life-cycle stages counted")
    carbon_kgco2e: float | None = Field(default=None, gt=0)
    adp_kgsbeq: float | None = Field(default=None, gt=0)
    """Abiotic depletion potential (elements), kilograms of antimony equivalent."""
    water_l: float | None = Field(default=None, gt=0)
    devices_per_server: int | None = Field(default=None, gt=0)
    lifetime_years: float | None = Field(default=None, gt=0, le=30)
    utilisation: float | None = Field(default=None, gt=0, le=1)

    @property
    def accelerator_ids(self) -> tuple[str, ...]:
        """The accelerator ids a device footprint was published for (empty: any)."""
        return tuple(a.strip() for a in (self.applies_to or "").split("|") if a.strip())

    @model_validator(mode="after")
    def _fields_of_scope(self) -> HardwareFootprint:
        impacts = (self.carbon_kgco2e, self.adp_kgsbeq, self.water_l)
        if self.scope in ("accelerator", "server") and all(v is None for v in impacts):
            raise ValueError(f"a {self.scope} footprint needs carbon_kgco2e, adp_kgsbeq or water_l")
        if self.scope == "server" and self.devices_per_server is None:
            raise ValueError("a server footprint needs devices_per_server")
        if self.scope == "lifetime" and self.lifetime_years is None:
            raise ValueError("a lifetime row needs lifetime_years")
        if self.scope == "utilisation" and self.utilisation is None:
            raise ValueError("a utilisation row needs utilisation")
        return self


def normalise_name(name: str) -> str:
    """Lower-case a name and drop everything but letters and digits.

    ``"H100-SXM"``, ``"h100 sxm"`` and ``"H100_SXM"`` all become ``"h100sxm"``.
    """
    return re.sub(r"[^0-9a-z]+", "", name.casefold())
