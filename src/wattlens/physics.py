"""The Landauer floor: the least energy an irreversible computation can dissipate.

Landauer (1961, "Irreversibility and heat generation in the computing process",
IBM J. Res. Dev. 5(3)) showed that erasing one bit of information dissipates at
least ``k_B T ln 2``; Bérut et al. (2012, Nature 483:187) measured it. A FLOP
has no fixed number of erased bits: the model here is stated and adjustable.

Default bit-erasure model: an operation that overwrites its result register
erases at least the bits of that register, so **bits erased per FLOP = the
width of the result at the precision** (16 for bf16/fp16, 8 for fp8/int8,
32 for fp32). This is a floor on the floor: real circuits erase far more (every
intermediate latch and wire), so the ratios below are lower bounds on how far
hardware is from the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Boltzmann constant, exact since the 2019 SI redefinition (BIPM SI Brochure, 9th ed.).
BOLTZMANN_J_PER_K = 1.380649e-23
#: Room temperature used when none is given, in kelvin.
DEFAULT_TEMPERATURE_K = 300.0
BITS_PER_FLOP = {"fp32": 32, "tf32": 32, "bf16": 16, "fp16": 16, "fp8": 8, "int8": 8, "int4": 4}


def landauer_j_per_bit(temperature_k: float = DEFAULT_TEMPERATURE_K) -> float:
    """Minimum energy to erase one bit, ``k_B T ln 2``, in joules (Landauer 1961).

    Raises:
        ValueError: a temperature at or below absolute zero.
    """
    if not temperature_k > 0:
        raise ValueError(f"temperature must be above 0 K, got {temperature_k}")
    return BOLTZMANN_J_PER_K * temperature_k * math.log(2)


@dataclass(frozen=True)
class Floor:
    """The Landauer floor of a computation and how far an energy is above it."""

    temperature_k: float
    j_per_bit: float
    bits_per_flop: float
    flops: float
    minimum_energy_j: float
    actual_energy_j: float | None
    ratio: float | None
    assumptions: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "temperature_k": self.temperature_k,
            "j_per_bit": self.j_per_bit,
            "bits_per_flop": self.bits_per_flop,
            "flops": self.flops,
            "minimum_energy_j": self.minimum_energy_j,
            "actual_energy_j": self.actual_energy_j,
            "ratio": self.ratio,
            "assumptions": list(self.assumptions),
        }


def landauer_floor(
    flops: float,
    *,
    actual_energy_j: float | None = None,
    bits_per_flop: float = 16,
    temperature_k: float = DEFAULT_TEMPERATURE_K,
) -> Floor:
    """The minimum energy of ``flops`` operations, and the ratio of an actual energy to it.

    Args:
        flops: floating-point operations of the computation.
        actual_energy_j: measured or estimated energy of it, in joules.
        bits_per_flop: bits erased per operation (the module's default model: 16 for bf16).
        temperature_k: temperature of the heat sink, in kelvin.
    """
    if not flops > 0:
        raise ValueError(f"flops must be positive, got {flops}")
    if not bits_per_flop > 0:
        raise ValueError(f"bits per FLOP must be positive, got {bits_per_flop}")
    per_bit = landauer_j_per_bit(temperature_k)
    minimum = flops * bits_per_flop * per_bit
    ratio = actual_energy_j / minimum if actual_energy_j is not None else None
    return Floor(
        temperature_k=temperature_k,
        j_per_bit=per_bit,
        bits_per_flop=bits_per_flop,
        flops=flops,
        minimum_energy_j=minimum,
        actual_energy_j=actual_energy_j,
        ratio=ratio,
        assumptions=(
            f"k_B T ln 2 at {temperature_k:g} K = {per_bit:.4g} J per bit (Landauer 1961)",
            f"{bits_per_flop:g} bits erased per FLOP: the width of the result register "
            "(a lower bound: real circuits erase more)",
        ),
    )
