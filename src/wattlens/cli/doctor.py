"""``wattlens doctor``: what this machine can measure, how, and what would enable more."""

from __future__ import annotations

from typing import Annotated

import typer

from wattlens.cli._output import emit_json, stdout


def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Report each energy sensor: found or skipped, why, and the exact step to enable it.

    Probe order: NVIDIA GPUs (NVML, `pip install 'wattlens[nvidia]'`), AMD GPUs
    (AMD SMI, `wattlens[amd]`), CPU packages and DRAM (Linux powercap RAPL), then
    the utilisation model for what no sensor covers. RAPL's energy counters have
    been readable only by root since the 2020 fix for the PLATYPUS power side
    channel (CVE-2020-8694); the fix line says how to grant read access safely.

    JSON: {"backends": [{"backend", "available", "reason", "fix", "components":
    [{"id", "kind", "name", "method", "sensor", "basis"}]}], "methods": {component
    id: method}, "fully_measured": bool}.
    """
    from dataclasses import asdict

    from rich.markup import escape

    from wattlens.sensors.discover import discover

    found = discover()
    components = [c for probe in found.probes for c in probe.components if probe.available]
    methods = {c.id: c.method for c in components}
    fully_measured = bool(components) and all(m != "modeled" for m in methods.values())
    if json_output:
        emit_json(
            {
                "backends": [
                    {
                        "backend": p.backend,
                        "available": p.available,
                        "reason": p.reason,
                        "fix": p.fix,
                        "components": [asdict(c) | {"catalog_ids": list(c.catalog_ids)}
                                       for c in p.components],
                    }
                    for p in found.probes
                ],
                "methods": methods,
                "fully_measured": fully_measured,
            }
        )  # fmt: skip
        return
    for probe in found.probes:
        mark = "[green]found[/green]" if probe.available else "[yellow]skipped[/yellow]"
        stdout.print(
            f"[bold]{probe.backend:7}[/bold] {mark}  {escape(probe.reason)}", soft_wrap=True
        )
        for c in probe.components:
            stdout.print(
                f"          {escape(c.id)}: {escape(c.name)} — {c.method}", highlight=False
            )
        if probe.fix:
            stdout.print(f"          [bold]fix:[/bold] {escape(probe.fix)}", soft_wrap=True)
    if fully_measured:
        stdout.print("Every component is read from hardware.")
    else:
        modeled = ", ".join(cid for cid, m in methods.items() if m == "modeled")
        stdout.print(
            f"[yellow]Modelled here:[/yellow] {modeled}. Results for them are ranges from a "
            "model (TDP x utilisation, W/GB), not measurements.",
            soft_wrap=True,
        )
