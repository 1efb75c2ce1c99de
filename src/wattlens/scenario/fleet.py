"""The top-down fleet: servers x power x utilisation, a cross-check of the bottom-up energy.

With request classes the fleet only checks the bottom-up estimate (a warning
when they differ by more than 2x); without them it is the inference energy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.scenario.results import quantiles
from wattlens.scenario.sampling import DAYS_PER_YEAR, Sampler
from wattlens.scenario.schema import Scenario

if TYPE_CHECKING:
    from wattlens.scenario.demand import DemandEnergy
    from wattlens.scenario.sampling import Array


class FleetMixin(Sampler):
    """The top-down fleet of a scenario state."""

    def top_down_fleet(
        self,
        spec: Scenario,
        pue: Array,
        demand: DemandEnergy,
        warnings: list[str],
        assumptions: list[str],
    ) -> tuple[dict[str, Any] | None, Array, Array]:
        """The fleet's description, the inference IT energy, and the PUE that applies to it.

        Without a fleet, or with request classes, the energy is the demand's and the PUE
        the scenario's; without request classes, the energy is the fleet's at its PUE.
        Appends a warning when bottom-up and top-down disagree, and an assumption when
        the fleet is the estimate.
        """
        n, years = self.samples, self.years
        per_request, requests_day = demand.per_request, demand.requests_day
        inference_it = demand.inference_it
        fleet_info: dict[str, Any] | None = None
        inference_facility_pue = pue
        if spec.fleet is not None:
            f = spec.fleet
            fleet_pue = self.draw("pue", f.pue) if f.pue is not None else pue
            it_day = (
                self.draw("fleet.servers", f.servers)
                * self.draw("fleet.power_per_server", f.power_per_server)
                * self.draw("fleet.utilisation", f.utilisation)
                * 86_400.0
            )
            fleet_info = {
                "servers": f.servers.describe(),
                "power_per_server_w": f.power_per_server.describe(),
                "utilisation": f.utilisation.describe(),
                "basis": f.basis,
                "it_energy_per_day_j": quantiles(it_day),
                "facility_energy_per_day_j": quantiles(it_day * fleet_pue),
            }
            if per_request is not None:
                bottom_up_day = requests_day * per_request
                fleet_info["bottom_up_it_energy_per_day_j"] = quantiles(bottom_up_day)
                ratio = quantiles(bottom_up_day / it_day)
                fleet_info["bottom_up_to_top_down"] = ratio
                if not 0.5 <= ratio["p50"] <= 2.0:
                    warnings.append(
                        f"bottom-up energy is {ratio['p50']:.2g} x the top-down fleet's: "
                        + (
                            "the fleet idles most of the time, or the demand is too low"
                            if ratio["p50"] < 1
                            else "the fleet is too small for the demand, or the per-request "
                            "energy is too high"
                        )
                    )
            else:
                inference_it = np.broadcast_to(it_day * DAYS_PER_YEAR, (years, n)).copy()
                inference_facility_pue = fleet_pue
                assumptions.append("no request classes: the energy is the top-down fleet's")
        return fleet_info, inference_it, inference_facility_pue
