"""What every estimate shares: the result type, input checks, catalog look-ups, impacts.

``wattlens.estimate.training(...)`` and ``wattlens.estimate.inference(...)``
resolve names through the catalog, draw every uncertain input (seeded Monte
Carlo), run the pure formulas of :mod:`wattlens.models`, and return an
:class:`Estimate`: energy quantiles at the requested boundary (and at all
three), the assumptions with their bases, the inputs that drive the spread,
the catalog rows used, warnings, and the carbon, water and cost of the
facility energy at a location.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from wattlens.errors import InputValueError
from wattlens.models.uncertainty import (
    Input,
    Uncertain,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from wattlens.catalog import Accelerator, Catalog, Model

    Array = npt.NDArray[np.float64]

Boundary = Literal["accelerator", "server", "facility"]
BOUNDARIES: tuple[Boundary, ...] = ("accelerator", "server", "facility")
#: Host (CPU, DRAM, NICs, fans, PSU losses) per accelerator as a fraction of its TDP.
#: Basis: at maximum load a DGX A100 (6.5 kW, 8 x 400 W GPUs) leaves 1.03 x TDP per GPU
#: for the rest of the server and a DGX H100 (10.2 kW, 8 x 700 W) 0.82 x TDP; hosts
#: run well below their maximum during training (NVIDIA DGX A100 / H100 datasheets).
HOST_FRACTION = Uncertain(
    0.1, 0.5, "triangular", 0.2,
    basis="NVIDIA DGX A100/H100 datasheets: server max minus GPU TDPs is 0.8-1.0 x TDP "
    "per GPU at full load; hosts draw well below that",
)  # fmt: skip


@dataclass(frozen=True)
class Assumption:
    """One input of an estimate, its value or range, and why."""

    name: str
    value: str
    basis: str


@dataclass(frozen=True)
class Estimate:
    """A modelled energy with its range, boundary and provenance."""

    kind: Literal["training", "inference"]
    boundary: Boundary
    energy_j: dict[str, float]
    energy_by_boundary_j: dict[str, dict[str, float]]
    assumptions: tuple[Assumption, ...]
    sensitivity: tuple[tuple[str, float], ...]
    sources: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Kind-specific quantities (accelerator_hours, duration_s, per-phase energy …)."""
    impacts: dict[str, Any] = field(default_factory=dict)
    method: str = "estimated"
    samples_j: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The Monte Carlo samples per boundary (numpy arrays), for scenario engines."""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (documented in the README)."""
        return {
            "kind": self.kind,
            "method": self.method,
            "boundary": self.boundary,
            "energy_j": self.energy_j,
            "energy_by_boundary_j": self.energy_by_boundary_j,
            **self.extra,
            "impacts": self.impacts,
            "assumptions": [
                {"name": a.name, "value": a.value, "basis": a.basis} for a in self.assumptions
            ],
            "sensitivity": [{"input": k, "share": v} for k, v in self.sensitivity],
            "sources": list(self.sources),
            "warnings": list(self.warnings),
        }


# -- helpers ---------------------------------------------------------------
def check_boundary(boundary: str) -> Boundary:
    if boundary not in BOUNDARIES:
        raise InputValueError(
            f"unknown boundary {boundary!r}", hint="use accelerator, server or facility"
        )
    return boundary


def positive(name: str, value: float | None, fix: str) -> None:
    if value is not None and not (value > 0 and math.isfinite(value)):
        raise InputValueError(f"{name} must be a positive number, got {value}", hint=fix)


def as_input(value: Input | tuple[float, float] | None, default: Input, name: str) -> Input:
    """Accept a float, a (low, high) pair or an :class:`Uncertain`; None gives the default."""
    if value is None:
        return default
    if isinstance(value, tuple):
        low, high = value
        if low > high:
            raise InputValueError(f"{name} range {low}:{high} has low above high")
        return Uncertain(low, high, basis="given")
    return value


def resolve_accelerator(name: str, catalog: Catalog) -> Accelerator:
    from wattlens.catalog import Accelerator

    row = catalog.get_typed("accelerators", name, Accelerator)
    if row.tdp_w is None:
        raise InputValueError(
            f"the catalog has no TDP for {row.name}",
            hint="add a row with tdp_w to your own catalog (see README, 'Your own rows')",
        )
    return row


def resolve_model(name: str, catalog: Catalog) -> Model:
    from wattlens.catalog import Model

    return catalog.get_typed("models", name, Model)


def default_pue(catalog: Catalog) -> Uncertain:
    """PUE range: the best provider fleet in the catalog to the industry average."""
    from wattlens.catalog import Pue

    rows = {r.id: r for r in catalog.rows("pue") if isinstance(r, Pue)}
    providers = [r.pue for r in rows.values() if not r.estimate and r.id != "industry-average"]
    industry = rows.get("industry-average")
    low = min(providers) if providers else 1.1
    high = industry.pue if industry else max(providers, default=1.6)
    return Uncertain(
        low, high, basis=f"catalog pue: best provider fleet ({low}) to industry average ({high})"
    )


def impacts_quantiles(
    facility_j: Array, it_j: Array, location: str | None, catalog: Catalog
) -> dict[str, Any]:
    """Carbon, water and cost of energy samples (impacts are linear in energy).

    Carbon, off-site water and cost follow the facility energy; on-site cooling
    water follows the IT (server) energy at the catalog's industry WUE.
    """
    from wattlens.impacts import unit_impacts
    from wattlens.models.uncertainty import summarise

    # Factors per joule inside a data centre at PUE 1 (PUE is already inside facility_j):
    # carbon, off-site water and cost per facility joule, on-site water per IT joule.
    unit = unit_impacts(location=location, pue=1.0, catalog=catalog)
    water = unit["water_l"]
    onsite = it_j * water["onsite"]["central"]
    offsite = facility_j * water["offsite"]["central"]
    out: dict[str, Any] = {
        "location": unit["location"],
        "basis": "facility energy (on-site water: IT energy)",
        "co2e_g": summarise(facility_j * unit["co2e_g"]["central"]),
        "water_l": {
            "onsite": summarise(onsite),
            "offsite": summarise(offsite),
            "total": summarise(onsite + offsite),
            "onsite_measure": water["onsite_measure"],
            "offsite_measure": water["offsite_measure"],
        },
        "water_offsite_l": summarise(offsite),
        "sources": unit["sources"],
        "assumptions": [a for a in unit["assumptions"] if not a.startswith("on-site cooling")],
    }
    cost = unit["cost"]
    if cost is not None:
        out["cost"] = {
            "currency": cost["currency"],
            "amount": summarise(facility_j * cost["amount"]["central"]),
            "amount_usd": (
                summarise(facility_j * cost["amount_usd"]["central"])
                if cost["amount_usd"] is not None
                else None
            ),
        }
    else:
        out["cost"] = None
    return out
