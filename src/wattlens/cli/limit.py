"""``wattlens limit``: the Landauer floor, and how far real computing is above it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from wattlens.cli._output import emit_json, stdout


def limit(
    temperature: Annotated[
        float, typer.Option("--temperature", "-t", help="Temperature in kelvin.")
    ] = 300.0,
    flops: Annotated[
        float | None, typer.Option("--flops", help="FLOPs of a computation (with --energy-j).")
    ] = None,
    energy_j: Annotated[
        float | None, typer.Option("--energy-j", help="Measured or estimated energy, joules.")
    ] = None,
    accelerator: Annotated[
        str | None,
        typer.Option("--accelerator", "-a", help="Compare an accelerator at TDP and peak."),
    ] = None,
    precision: Annotated[
        str, typer.Option("--precision", help="Precision: sets bits per FLOP and the peak.")
    ] = "bf16",
    bits_per_flop: Annotated[
        float | None,
        typer.Option("--bits-per-flop", help="Bits erased per FLOP (default: result width)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The least energy of computing: k_B T ln 2 per erased bit (Landauer 1961).

    With --flops and --energy-j: the minimum energy of that computation and the
    ratio actual / limit. With --accelerator: the same for one second of the
    chip at its dense peak and its TDP (a best case for the chip). Bits erased
    per FLOP default to the width of the result at --precision (16 for bf16),
    a lower bound: real circuits erase more.

    JSON: {temperature_k, j_per_bit, bits_per_flop, flops, minimum_energy_j,
    actual_energy_j, ratio, assumptions}.

    Example: wattlens limit --accelerator "H100 SXM" --precision bf16
    """
    from wattlens.errors import InputValueError
    from wattlens.physics import landauer_floor

    bits, per_bit = _bits_and_j_per_bit(precision, bits_per_flop, temperature)
    label = None
    if accelerator is not None:
        flops, energy_j, label = _accelerator_second(accelerator, precision)
    if flops is None:
        if json_output:
            emit_json({"temperature_k": temperature, "j_per_bit": per_bit})
        else:
            stdout.print(f"k_B T ln 2 at {temperature:g} K = [bold]{per_bit:.4g} J[/bold] per bit")
        return
    try:
        floor = landauer_floor(flops, actual_energy_j=energy_j, bits_per_flop=bits,
                               temperature_k=temperature)  # fmt: skip
    except ValueError as exc:
        raise InputValueError(str(exc)) from exc
    if json_output:
        emit_json(floor.to_dict())
        return
    if label:
        stdout.print(escape(label))
    stdout.print(
        f"minimum energy of {flops:.3g} FLOPs: [bold]{floor.minimum_energy_j:.3g} J[/bold]"
    )
    if floor.ratio is not None:
        stdout.print(f"actual {energy_j:.3g} J is [bold]{floor.ratio:.3g} times[/bold] the limit")
    for line in floor.assumptions:
        stdout.print(f"[dim]assumption: {escape(line)}[/dim]", soft_wrap=True)


def _bits_and_j_per_bit(
    precision: str, bits_per_flop: float | None, temperature: float
) -> tuple[float, float]:
    """Bits erased per FLOP and the Landauer energy per bit, from checked inputs."""
    from wattlens.errors import InputValueError
    from wattlens.physics import BITS_PER_FLOP, landauer_j_per_bit

    if precision not in BITS_PER_FLOP:
        raise InputValueError(
            f"unknown precision {precision!r}", hint=f"use one of: {', '.join(BITS_PER_FLOP)}"
        )
    bits = bits_per_flop if bits_per_flop is not None else BITS_PER_FLOP[precision]
    try:
        per_bit = landauer_j_per_bit(temperature)
    except ValueError as exc:
        raise InputValueError(str(exc), hint="give a temperature in kelvin, e.g. 300") from exc
    return bits, per_bit


def _accelerator_second(accelerator: str, precision: str) -> tuple[float, float, str]:
    """FLOPs and joules of one second of the chip at its dense peak and TDP, and a label."""
    from wattlens.catalog import Accelerator, get_catalog
    from wattlens.errors import InputValueError

    acc = get_catalog().get_typed("accelerators", accelerator, Accelerator)
    peak = acc.peak_flops(precision)
    if peak is None or acc.tdp_w is None:
        raise InputValueError(f"the catalog has no {precision} peak or TDP for {acc.name}")
    label = f"{acc.name}: one second at {peak / 1e12:g} TFLOP/s ({precision}) and {acc.tdp_w:g} W"
    return peak, acc.tdp_w, label
