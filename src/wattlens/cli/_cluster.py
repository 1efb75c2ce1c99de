"""``wattlens runs show RUN_ID`` for a distributed run: per node and in total."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wattlens.cli._output import Table, emit_json, stdout
from wattlens.cli._safe_text import safe
from wattlens.units import format_energy

if TYPE_CHECKING:
    from wattlens.measurement import Measurement


def show_cluster(run_id: str, records: Sequence[Measurement], *, json_output: bool) -> None:
    """Print a distributed run added up per node (each counted once) and in total.

    JSON: run_id, energy_j (total), ranks (how many rank records), nodes (each:
    hostname, energy_j, counted_from: ``node``, ``ranks`` or ``mixed``, components_j,
    ranks_j {rank: joules of its own devices}, ranks_total_j, node_devices_j,
    windows),
    warnings, records (the run id of every record).
    """
    from wattlens.distributed import aggregate

    cluster = aggregate(run_id, records)
    if json_output:
        emit_json({**cluster.to_dict(), "records": [m.run_id for m in records]})
        return
    table = Table(
        "node",
        "energy",
        "counted from",
        "ranks",
        "ranks' devices",
        "node's devices",
        title=f"distributed run {safe(run_id)}",
    )
    for node in cluster.nodes:
        table.add_row(
            safe(node.hostname),
            format_energy(node.energy_j),
            {"node": "node reader", "ranks": "ranks only"}.get(node.counted_from, "mixed"),
            str(len(node.ranks_j)),
            format_energy(node.ranks_total_j),
            "" if node.node_devices_j is None else format_energy(node.node_devices_j),
        )
    table.add_row(
        "total",
        format_energy(cluster.energy_j),
        "",
        str(cluster.ranks),
        format_energy(sum(n.ranks_total_j for n in cluster.nodes)),
        "",
    )
    stdout.print(table)
    ranks = Table("node", "rank", "own devices", title="per rank")
    for node in cluster.nodes:
        for rank, energy in sorted(node.ranks_j.items()):
            ranks.add_row(safe(node.hostname), str(rank), format_energy(energy))
    stdout.print(ranks)
    for warning in cluster.warnings:
        stdout.print(f"[yellow]warning:[/yellow] {safe(warning)}", highlight=False)
    stdout.print(
        f"{len(records)} records; `wattlens runs show {safe(records[0].run_id)}` shows one.",
        highlight=False,
    )
