"""SI conversions and human formatting.

Inside wattlens every quantity is an SI float with its unit in its name
(``energy_j``, ``co2e_g``, ``water_l``). Conversion happens only at the
edges, with the functions here.
"""

from __future__ import annotations

import math

J_PER_WH = 3600.0
J_PER_KWH = 3.6e6
J_PER_MWH = 3.6e9
J_PER_GWH = 3.6e12
J_PER_TWH = 3.6e15


def wh_to_j(wh: float) -> float:
    """Convert watt-hours to joules."""
    return wh * J_PER_WH


def kwh_to_j(kwh: float) -> float:
    """Convert kilowatt-hours to joules."""
    return kwh * J_PER_KWH


def j_to_wh(energy_j: float) -> float:
    """Convert joules to watt-hours."""
    return energy_j / J_PER_WH


def j_to_kwh(energy_j: float) -> float:
    """Convert joules to kilowatt-hours."""
    return energy_j / J_PER_KWH


def _scaled(value: float, steps: list[tuple[float, str]], digits: int) -> str:
    """Pick the largest unit whose magnitude keeps the number >= 1."""
    if value == 0 or not math.isfinite(value):
        factor, unit = steps[0]
        return f"{value / factor:.{digits}g} {unit}"
    magnitude = abs(value)
    chosen = steps[0]
    for factor, unit in steps:
        if magnitude >= factor:
            chosen = (factor, unit)
    factor, unit = chosen
    return f"{value / factor:.{digits}g} {unit}"


_ENERGY_STEPS = [
    (1e-3, "mJ"),
    (1.0, "J"),
    (J_PER_WH, "Wh"),
    (J_PER_KWH, "kWh"),
    (J_PER_MWH, "MWh"),
    (J_PER_GWH, "GWh"),
    (J_PER_TWH, "TWh"),
]
_POWER_STEPS = [(1e-3, "mW"), (1.0, "W"), (1e3, "kW"), (1e6, "MW"), (1e9, "GW")]
_MASS_STEPS = [(1e-3, "mg"), (1.0, "g"), (1e3, "kg"), (1e6, "t"), (1e9, "kt"), (1e12, "Mt")]
_VOLUME_STEPS = [(1e-3, "mL"), (1.0, "L"), (1e3, "m³"), (1e6, "thousand m³"), (1e9, "million m³")]
_DURATION_STEPS = [(1e-3, "ms"), (1.0, "s"), (60.0, "min"), (3600.0, "h"), (86400.0, "d")]


def format_energy(energy_j: float, digits: int = 3) -> str:
    """Format an energy in joules with the unit that reads best (J, Wh … TWh)."""
    if 0 < abs(energy_j) < 1.0:
        return _scaled(energy_j, _ENERGY_STEPS[:2], digits)
    if abs(energy_j) < 1e3:
        return f"{energy_j:.{digits}g} J"
    if abs(energy_j) < J_PER_WH:
        return f"{energy_j / 1e3:.{digits}g} kJ"
    return _scaled(energy_j, _ENERGY_STEPS[2:], digits)


def format_power(power_w: float, digits: int = 3) -> str:
    """Format a power in watts."""
    return _scaled(power_w, _POWER_STEPS, digits)


def format_mass(mass_g: float, digits: int = 3) -> str:
    """Format a mass in grams (CO2e) with g, kg or t."""
    return _scaled(mass_g, _MASS_STEPS, digits)


def format_volume(volume_l: float, digits: int = 3) -> str:
    """Format a water volume in litres."""
    return _scaled(volume_l, _VOLUME_STEPS, digits)


def format_duration(duration_s: float, digits: int = 3) -> str:
    """Format a duration in seconds."""
    return _scaled(duration_s, _DURATION_STEPS, digits)


def format_number(value: object) -> str:
    """Format a table cell: short floats, yes/no, lists joined, empty for unknown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)
