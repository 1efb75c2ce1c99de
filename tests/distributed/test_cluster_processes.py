"""Real distributed jobs: ``torchrun`` on CPU with the gloo backend, fake GPUs in files.

Each rank of :mod:`tests.distributed._worker` meters one window; rank ``r``
puts ``3 × (r + 1)`` J into its own GPU between two barriers, and every node
has a fake CPU package (50 W) and DRAM (5 W). The node's components must be
read by one process only, and the ranks' GPU shares must add up to the node
reader's GPU total exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.distributed._fake_node import make_node
from wattlens.distributed import aggregate
from wattlens.measurement import Measurement

pytest.importorskip("torch.distributed")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_worker.py")
TORCHRUN = Path(sys.executable).with_name("torchrun")
TIMEOUT_S = 240


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WATTLENS_", "SLURM_", "OMPI_", "PMIX_", "TORCHELASTIC_"))
        and k not in {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"}
        and k not in {"CUDA_VISIBLE_DEVICES", "MASTER_ADDR", "MASTER_PORT"}
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    env["WATTLENS_LOCATION"] = "DE"  # no location hint on stderr
    env.update(extra)
    return env


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("rank*.json"))]


def _check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _gpu_j(record: dict[str, Any]) -> float:
    return float(sum(c["energy_j"] for c in record["components"] if c["kind"] == "gpu"))


def test_torchrun_four_ranks_count_the_node_once(tmp_path: Path) -> None:
    out, gpus = tmp_path / "out", tmp_path / "gpus"
    out.mkdir()
    make_node(gpus, 4)
    command = [str(TORCHRUN), "--standalone", "--nproc-per-node", "4", str(WORKER), str(out)]
    result = subprocess.run(
        [*command, str(gpus)],
        check=False,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    _check(result)
    ranks = _results(out)
    assert len(ranks) == 4

    # Each rank measures its own GPU (torchrun's cuda:LOCAL_RANK) and nothing else.
    for r, report in enumerate(ranks):
        assert report["devices"] == [f"gpu:{r}"]
        assert [c["id"] for c in report["rank"]["components"]] == [f"gpu:{r}"]
        assert report["rank"]["energy_j"] == pytest.approx(3.0 * (r + 1))

    # One node reader: local rank 0. Only it reads the CPU sensor, only it has a node record.
    readers = [r for r, report in enumerate(ranks) if report["node"] is not None]
    assert readers == [0]
    assert [report["cpu_reads"] > 0 for report in ranks] == [True, False, False, False]
    node = ranks[0]["node"]
    assert {c["id"] for c in node["components"]} == {
        "gpu:0",
        "gpu:1",
        "gpu:2",
        "gpu:3",
        "cpu:package-0",
        "dram:package-0",
    }

    # The ranks' shares add up to the node's GPU total: 3 + 6 + 9 + 12 J.
    shares = sum(_gpu_j(report["rank"]) for report in ranks)
    assert shares == pytest.approx(30.0)
    assert _gpu_j(node) == pytest.approx(shares)

    # Every record names the same run: torchrun's rendezvous id.
    run_ids = {report["rank"]["host"]["distributed"]["run_id"] for report in ranks}
    assert len(run_ids) == 1
    (run_id,) = run_ids
    assert run_id.startswith("torch-")
    records = [Measurement.from_dict(report["rank"]) for report in ranks]
    cluster = aggregate(run_id, [*records, Measurement.from_dict(node)])
    assert len(cluster.nodes) == 1
    # The node is counted once: its record, not its record plus the ranks.
    assert cluster.energy_j == pytest.approx(node["energy_j"])
    assert cluster.nodes[0].ranks_total_j == pytest.approx(30.0)
    assert cluster.warnings == ()


def test_srun_tasks_on_two_nodes_each_node_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    """Four tasks as ``srun -N 2 --ntasks-per-node 2`` starts them, two fake hosts."""
    out = tmp_path / "out"
    out.mkdir()
    procs = []
    for rank in range(4):
        node = rank // 2
        host = ("node-a", "node-b")[node]
        make_node(tmp_path / host, 2)
        env = _env(
            WATTLENS_HOSTNAME=host,
            SLURM_JOB_ID="4242",
            SLURM_STEP_ID="0",
            SLURM_NTASKS="4",
            SLURM_TASKS_PER_NODE="2(x2)",
            SLURM_PROCID=str(rank),
            SLURM_LOCALID=str(rank % 2),
            SLURM_NODEID=str(node),
        )
        command = [sys.executable, str(WORKER), str(out), str(tmp_path / host)]
        procs.append(
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        _check(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr))
    ranks = _results(out)
    assert len(ranks) == 4

    tags = [report["rank"]["host"]["distributed"] for report in ranks]
    assert [(t["launcher"], t["hostname"], t["local_rank"], t["node_rank"]) for t in tags] == [
        ("slurm", "node-a", 0, 0),
        ("slurm", "node-a", 1, 0),
        ("slurm", "node-b", 0, 1),
        ("slurm", "node-b", 1, 1),
    ]
    assert [report["devices"] for report in ranks] == [["gpu:0"], ["gpu:1"]] * 2
    # One reader per node (tasks 0 and 2), so each node's CPU is read and counted once.
    assert [report["node"] is not None for report in ranks] == [True, False, True, False]
    assert [report["cpu_reads"] > 0 for report in ranks] == [True, False, True, False]

    monkeypatch.setenv("WATTLENS_DB", f"sqlite:///{tmp_path / 'runs.sqlite'}")
    from wattlens.store import Store

    with Store() as store:
        for report in ranks:
            for key in ("rank", "node"):
                if report[key] is not None:
                    store.save(Measurement.from_dict(report[key]))
        records = store.group("slurm-4242-0")
    assert len(records) == 6  # 4 ranks + 2 nodes
    cluster = aggregate("slurm-4242-0", records)
    nodes = {n.hostname: n for n in cluster.nodes}
    assert set(nodes) == {"node-a", "node-b"}
    assert nodes["node-a"].ranks_j == {0: pytest.approx(3.0), 1: pytest.approx(6.0)}
    assert nodes["node-b"].ranks_j == {2: pytest.approx(9.0), 3: pytest.approx(12.0)}
    for total in nodes.values():
        assert total.counted_from == "node"
        # Node a's GPUs hold 3 + 6 J, node b's 9 + 12 J: each node's ranks make its total.
        assert total.node_devices_j == pytest.approx(total.ranks_total_j)
        assert total.components_j["cpu:package-0"] > 0
    node_records = [r for r in records if r.run_id.endswith(".node")]
    assert len(node_records) == 2
    assert cluster.energy_j == pytest.approx(sum(r.energy_j for r in node_records))

    shown = cli("runs", "show", "slurm-4242-0", "--json")
    assert shown.exit_code == 0, shown.stderr
    data = shown.json()
    assert data["energy_j"] == pytest.approx(cluster.energy_j)
    assert [n["hostname"] for n in data["nodes"]] == ["node-a", "node-b"]
    assert [n["ranks_total_j"] for n in data["nodes"]] == [
        pytest.approx(9.0),
        pytest.approx(21.0),
    ]
    assert data["ranks"] == 4
    human = cli("runs", "show", "slurm-4242-0")
    assert human.exit_code == 0, human.stderr
    for text in ("node-a", "node-b", "total", "per rank"):
        assert text in human.stdout
