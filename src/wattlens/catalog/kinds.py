"""The kinds of catalog facts, by name (no heavy imports: the CLI needs them at start)."""

from __future__ import annotations

#: Kind name -> one-line description; the order is the order of listings.
KIND_DESCRIPTIONS: dict[str, str] = {
    "accelerators": "GPUs and TPUs: TDP, peak FLOP/s, memory",
    "cpus": "CPU models and their TDP",
    "models": "AI models: parameters, layers, training tokens",
    "grids": "carbon intensity of electricity by country and zone",
    "regions": "cloud regions mapped to their grid zone",
    "water": "water per kWh: data-centre WUE and electricity EWIF",
    "prices": "business electricity prices by country",
    "exchange_rates": "annual average exchange rates to USD",
    "pue": "power usage effectiveness by provider",
    "equivalents": "everyday quantities to compare results with",
}
