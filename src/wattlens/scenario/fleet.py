"""The top-down fleet: servers x power x utilisation, a cross-check of the bottom-up energy.

With request classes the fleet only checks the bottom-up estimate (a warning
when they differ by more than 2x); without them it is the inference energy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.scenario.sampling import DAYS_PER_YEAR
from wattlens.scenario.schema import Scenario
from wattlens.types import WarningItem

if TYPE_CHECKING:
    from wattlens.scenario.demand import Demand
    from wattlens.scenario.sampling import Array, Context


@dataclass(frozen=True)
class FleetCheck:
    """The fleet as the file gives it, and its energy a day (samples)."""

    servers: str
    power_per_server_w: str
    utilisation: str
    basis: str | None
    it_day_j: Array
    pue: Array
    bottom_up_it_day_j: Array | None
    """Requests a day x energy per request, where request classes exist."""


@dataclass(frozen=True)
class Inference:
    """The inference IT energy per year and sample, the PUE it runs at, and the fleet."""

    it_j: Array
    pue: Array
    fleet: FleetCheck | None
    warnings: tuple[WarningItem, ...] = ()
    assumptions: tuple[WarningItem, ...] = ()


def inference_energy(ctx: Context, spec: Scenario, pue: Array, demand: Demand) -> Inference:
    """The inference energy: the demand's, or the top-down fleet's without request classes.

    With a fleet and request classes, a warning when bottom-up and top-down disagree
    by more than 2x; with a fleet alone, an assumption that the fleet is the estimate.
    """
    if spec.fleet is None:
        return Inference(demand.inference_it, pue, None)
    f = spec.fleet
    draws = ctx.draws
    fleet_pue = draws.uniform("pue", f.pue) if f.pue is not None else pue
    it_day = (
        draws.uniform("fleet.servers", f.servers)
        * draws.uniform("fleet.power_per_server", f.power_per_server)
        * draws.uniform("fleet.utilisation", f.utilisation)
        * 86_400.0
    )
    bottom_up = None
    if demand.per_request is not None:
        bottom_up = demand.requests_day * demand.per_request
    check = FleetCheck(
        servers=f.servers.describe(),
        power_per_server_w=f.power_per_server.describe(),
        utilisation=f.utilisation.describe(),
        basis=f.basis,
        it_day_j=it_day,
        pue=fleet_pue,
        bottom_up_it_day_j=bottom_up,
    )
    if bottom_up is not None:
        ratio = float(np.percentile(bottom_up / it_day, 50))
        warnings: tuple[WarningItem, ...] = ()
        if not 0.5 <= ratio <= 2.0:
            why = (
                "the fleet idles most of the time, or the demand is too low"
                if ratio < 1
                else "the fleet is too small for the demand, or the per-request energy is too high"
            )
            text = f"bottom-up energy is {ratio:.2g} x the top-down fleet's: {why}"
            warnings = (WarningItem("fleet-mismatch", text),)
        return Inference(demand.inference_it, pue, check, warnings=warnings)
    years, n = ctx.years, ctx.samples
    it = np.broadcast_to(it_day * DAYS_PER_YEAR, (years, n)).copy()
    note = WarningItem(
        "fleet-is-estimate", "no request classes: the energy is the top-down fleet's"
    )
    return Inference(it, fleet_pue, check, assumptions=(note,))
