"""The kinds of catalog facts, by name (no heavy imports: the CLI needs them at start)."""

from __future__ import annotations

#: Kind name -> one-line description; the order is the order of listings.
KIND_DESCRIPTIONS: dict[str, str] = {
    "accelerators": "GPUs and TPUs: TDP, peak FLOP/s, memory",
    "cpus": "CPU models: TDP, memory bandwidth, peak FLOP/s",
    "models": "AI models: parameters, layers, training tokens",
    "grids": "carbon intensity of electricity by country and zone",
    "grids_yearly": "carbon intensity of electricity by country and year (for dated claims)",
    "regions": "cloud regions mapped to their grid zone",
    "water": "water per kWh: data-centre WUE and electricity EWIF",
    "prices": "business electricity prices by country",
    "prices_yearly": "business electricity prices by country and year (for dated claims)",
    "exchange_rates": "annual average exchange rates to USD",
    "pue": "power usage effectiveness by provider",
    "equivalents": "everyday quantities to compare results with",
    "embodied": "manufacturing footprints of accelerators and servers, lifetimes and use",
}

#: The columns a person's listing of each kind shows (``wattlens catalog ls KIND``, the
#: dashboard's catalog pages); ``--json`` and ``show`` give every field.
LIST_COLUMNS: dict[str, tuple[str, ...]] = {
    "accelerators": ("id", "name", "tdp_w", "memory_gb", "bf16_tflops", "fp8_tflops", "year"),
    "cpus": ("id", "name", "segment", "cores", "tdp_w", "year"),
    "models": ("id", "name", "architecture", "params_total", "params_active", "estimate", "year"),
    "grids": ("id", "name", "kind", "co2e_g_per_kwh", "data_year", "year"),
    "grids_yearly": ("id", "grid_id", "data_year", "co2e_g_per_kwh", "year"),
    "regions": ("id", "provider", "region", "grid_id", "location", "year"),
    "water": ("id", "scope", "entity", "l_per_kwh", "measure", "data_year", "year"),
    "prices": ("id", "name", "sector", "price_local_per_kwh", "currency", "price_usd_per_kwh"),
    "prices_yearly": ("id", "price_id", "data_year", "price_local_per_kwh", "currency", "year"),
    "exchange_rates": ("id", "currency", "usd_per_unit", "data_year", "year"),
    "pue": ("id", "name", "pue", "scope", "data_year", "year"),
    "equivalents": ("id", "name", "value", "unit", "region", "year"),
    "embodied": ("id", "scope", "applies_to", "carbon_kgco2e", "lifetime_years", "year"),
}
