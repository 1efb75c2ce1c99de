"""``wattlens doctor``: what this machine can measure, how, and what would enable more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from wattlens.cli._output import emit_json, stdout

if TYPE_CHECKING:
    from collections.abc import Sequence

    from wattlens.sensors.base import Probe
    from wattlens.sensors.check import ComponentCheck
    from wattlens.sensors.counters import CounterSpec
    from wattlens.sensors.discover import Discovery


def _spec_json(spec: CounterSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    return {
        "source": spec.source,
        "width_bits": spec.width_bits,
        "resolution_j": spec.resolution_j,
        "update_period_s": spec.update_period_s,
        "update_period_source": spec.update_source,
        "attribution": spec.attribution,
        "max_power_w": spec.max_power_w,
    }


def _spec_text(spec: CounterSpec) -> str:
    width = f"{spec.width_bits}-bit" if spec.width_bits is not None else "no counter"
    resolution = f"{spec.resolution_j * 1e6:.4g} µJ" if spec.resolution_j is not None else "n/a"
    update = (
        f"updates every ~{spec.update_period_s * 1e3:.3g} ms ({spec.update_source})"
        if spec.update_period_s is not None
        else f"update period unknown ({spec.update_source})"
    )
    attribution = "per-process share" if spec.attribution else "no per-process share"
    limit = f", limit {spec.max_power_w:.0f} W" if spec.max_power_w is not None else ""
    return f"{width}, resolution {resolution}, {update}, {attribution}{limit}"


def _check_json(check: ComponentCheck) -> dict[str, Any]:
    return {
        "id": check.component_id,
        "duration_s": check.duration_s,
        "energy_j": check.energy_j,
        "avg_power_w": check.avg_power_w,
        "reported_power_w": check.reported_power_w,
        "max_power_w": check.max_power_w,
        "measured_update_period_s": check.update_period_s,
        "failed_reads": check.faults,
        "problems": list(check.problems),
    }


def _print_probes(probes: Sequence[Probe], specs: dict[str, CounterSpec]) -> None:
    from rich.markup import escape

    for probe in probes:
        mark = "[green]found[/green]" if probe.available else "[yellow]skipped[/yellow]"
        stdout.print(
            f"[bold]{probe.backend:7}[/bold] {mark}  {escape(probe.reason)}", soft_wrap=True
        )
        for component in probe.components:
            stdout.print(
                f"          {escape(component.id)}: {escape(component.name)} — {component.method}",
                highlight=False,
            )
            if component.id in specs and probe.available:
                stdout.print(
                    f"            {escape(_spec_text(specs[component.id]))}",
                    highlight=False,
                    soft_wrap=True,
                )
        if probe.fix:
            stdout.print(f"          [bold]fix:[/bold] {escape(probe.fix)}", soft_wrap=True)


def _print_checks(checks: Sequence[ComponentCheck]) -> None:
    from rich.markup import escape

    for check in checks:
        update = (
            f", value changes every {check.update_period_s * 1e3:.3g} ms"
            if check.update_period_s is not None
            else ""
        )
        verdict = "[green]ok[/green]" if check.ok else "[red]FLAGGED[/red]"
        stdout.print(
            f"check {escape(check.component_id)}: {verdict}  {check.energy_j:.3f} J in "
            f"{check.duration_s:.2f} s ({check.avg_power_w:.1f} W){update}",
            highlight=False,
            soft_wrap=True,
        )
        for problem in check.problems:
            stdout.print(f"          {escape(problem)}", soft_wrap=True)


def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Sample every sensor for a few seconds (one CPU core kept busy) and flag "
            "stuck or implausible counters; exit code 1 when one is flagged.",
        ),
    ] = False,
    seconds: Annotated[
        float, typer.Option("--seconds", min=0.1, max=600, help="How long --check samples.")
    ] = 3.0,
) -> None:
    """Report each energy sensor: found or skipped, why, and the exact step to enable it.

    Probe order: NVIDIA GPUs (NVML, `pip install 'wattlens[nvidia]'`), AMD GPUs
    (AMD SMI, `wattlens[amd]`), CPU packages and DRAM (Linux powercap RAPL), then
    the utilisation model for what no sensor covers. RAPL's energy counters have
    been readable only by root since the 2020 fix for the PLATYPUS power side
    channel (CVE-2020-8694); the fix line says how to grant read access safely.
    Each counter's width, resolution, update period, power limit and whether its
    energy can be split between processes are listed.

    JSON: {"backends": [{"backend", "available", "reason", "fix", "components":
    [{"id", "kind", "name", "method", "sensor", "basis", "counter": {"source",
    "width_bits", "resolution_j", "update_period_s", "update_period_source",
    "attribution", "max_power_w"} | null}]}], "methods": {component id: method},
    "fully_measured": bool, "warnings": [str], and with --check "check": [{"id",
    "duration_s", "energy_j", "avg_power_w", "reported_power_w", "max_power_w",
    "measured_update_period_s", "failed_reads", "problems": [str]}]}.
    """
    from wattlens.sensors.check import check_sensors
    from wattlens.sensors.counters import counter_specs
    from wattlens.sensors.discover import discover

    found = discover()
    specs: dict[str, CounterSpec] = {}
    for sensor in found.sensors:
        specs.update(counter_specs(sensor))
    warnings = [*found.warnings, *(w for s in found.sensors for w in getattr(s, "warnings", ()))]
    checks = check_sensors(found.sensors, seconds=seconds) if check else []
    if json_output:
        payload = _report_json(found, specs, warnings)
        if check:
            payload["check"] = [_check_json(c) for c in checks]
        emit_json(payload)
    else:
        _print_probes(found.probes, specs)
        _print_summary(_methods(found), warnings)
        _print_checks(checks)
    if any(not c.ok for c in checks):
        raise typer.Exit(1)


def _methods(found: Discovery) -> dict[str, str]:
    """How each available component is read, by component id."""
    components = [c for probe in found.probes for c in probe.components if probe.available]
    return {c.id: c.method for c in components}


def _fully_measured(methods: dict[str, str]) -> bool:
    return bool(methods) and all(m != "modeled" for m in methods.values())


def _report_json(
    found: Discovery, specs: dict[str, CounterSpec], warnings: list[str]
) -> dict[str, Any]:
    from dataclasses import asdict

    methods = _methods(found)
    return {
        "backends": [
            {
                "backend": p.backend,
                "available": p.available,
                "reason": p.reason,
                "fix": p.fix,
                "components": [asdict(c) | {"catalog_ids": list(c.catalog_ids),
                                            "counter": _spec_json(specs.get(c.id))}
                               for c in p.components],
            }
            for p in found.probes
        ],
        "methods": methods,
        "fully_measured": _fully_measured(methods),
        "warnings": warnings,
    }  # fmt: skip


def _print_summary(methods: dict[str, str], warnings: list[str]) -> None:
    from rich.markup import escape

    for warning in warnings:
        stdout.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
    if _fully_measured(methods):
        stdout.print("Every component is read from hardware.")
    else:
        modeled = ", ".join(cid for cid, m in methods.items() if m == "modeled")
        stdout.print(
            f"[yellow]Modelled here:[/yellow] {modeled}. Results for them are ranges from a "
            "model (TDP x utilisation, W/GB), not measurements.",
            soft_wrap=True,
        )
