"""`wattlens run` under srun: one wattlens process per rank, the node read once per node.

Four real ``wattlens run -- python -c …`` processes run at once with the
variables ``srun -N 2 --ntasks-per-node 2`` gives its tasks, on two fake hosts
(their own host name, lock directory and file-backed fake GPUs). On ``node-a``
the tasks know their local rank (``SLURM_LOCALID``); on ``node-b`` they do not,
so the node lock picks the reader and ``WATTLENS_DEVICES`` names each task's
GPU. Between two barriers, task ``r``'s command puts ``3 × (r + 1)`` J into its
own GPU.
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

ROOT = Path(__file__).resolve().parents[2]
FAKE_WATTLENS = Path(__file__).with_name("_fake_wattlens.py")
TIMEOUT_S = 120
RUN_ID = "slurm-777-0"

# The command each task runs: wait for every task, heat its own GPU, wait again.
TASK = """
import os, sys, time
from pathlib import Path
from tests.distributed._fake_node import add_mj
out, gpus, world = Path(sys.argv[1]), Path(sys.argv[2]), int(os.environ["SLURM_NTASKS"])
rank, gpu = int(os.environ["SLURM_PROCID"]), int(sys.argv[3])
def barrier(n):
    (out / f"barrier{n}.{rank}").touch()
    deadline = time.monotonic() + 60
    while len(list(out.glob(f"barrier{n}.*"))) < world:
        assert time.monotonic() < deadline, "the other tasks did not arrive"
        time.sleep(0.01)
barrier(1)
for _ in range(3):
    add_mj(gpus, gpu, 1000 * (rank + 1))
barrier(2)
"""


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WATTLENS_", "SLURM_", "OMPI_", "PMIX_", "TORCHELASTIC_"))
        and k not in {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK"}
        and k != "CUDA_VISIBLE_DEVICES"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["WATTLENS_LOCATION"] = "DE"
    env["WATTLENS_DB"] = os.environ["WATTLENS_DB"]
    env.update(extra)
    return env


def _start_tasks(tmp_path: Path) -> list[dict[str, Any]]:
    """Start the four tasks at once; each one's JSON result, its CPU reads and stderr."""
    out = tmp_path / "out"
    out.mkdir()
    procs = []
    for rank in range(4):
        node, local = divmod(rank, 2)
        host = ("node-a", "node-b")[node]
        gpus = tmp_path / host
        make_node(gpus, 2)
        (tmp_path / f"{host}-locks").mkdir(exist_ok=True)
        env = _env(
            WATTLENS_HOSTNAME=host,
            WATTLENS_LOCK_DIR=str(tmp_path / f"{host}-locks"),
            SLURM_JOB_ID="777",
            SLURM_STEP_ID="0",
            SLURM_NTASKS="4",
            SLURM_TASKS_PER_NODE="2(x2)",
            SLURM_PROCID=str(rank),
            SLURM_NODEID=str(node),
        )
        if host == "node-a":
            env["SLURM_LOCALID"] = str(local)
        else:  # no local rank: the node lock decides, the devices are named
            env["WATTLENS_DEVICES"] = f"gpu:{local}"
        command = [
            sys.executable,
            str(FAKE_WATTLENS),
            str(gpus),
            str(tmp_path / f"reads{rank}"),
            "run",
            "--output",
            str(tmp_path / f"rank{rank}.json"),
            "--",
            sys.executable,
            "-c",
            TASK,
            str(out),
            str(gpus),
            str(local),
        ]
        procs.append(
            subprocess.Popen(
                command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    results = []
    for rank, proc in enumerate(procs):
        _, err = proc.communicate(timeout=TIMEOUT_S)
        assert proc.returncode == 0, err[-3000:]
        results.append(
            {
                "json": json.loads((tmp_path / f"rank{rank}.json").read_text()),
                "cpu_reads": int((tmp_path / f"reads{rank}").read_text()),
                "stderr": " ".join(err.split()),
            }
        )
    return results


def test_four_wattlens_runs_on_two_nodes_read_each_node_once(tmp_path: Path, cli: Any) -> None:
    from wattlens.store import Store

    with Store():  # the store exists before four processes write to it at once
        pass
    tasks = _start_tasks(tmp_path)
    parts = [t["json"]["distributed"] for t in tasks]

    # Exactly one process per node read the node-level sensors.
    readers: dict[str, list[int]] = {"node-a": [], "node-b": []}
    for rank, (task, part) in enumerate(zip(tasks, parts, strict=True)):
        assert part["run_id"] == RUN_ID
        assert part["launcher"] == "slurm"
        if part["role"] == "node_reader":
            readers[part["hostname"]].append(rank)
            assert task["cpu_reads"] > 0
        else:
            assert part["role"] == "rank"
            assert task["cpu_reads"] == 0
            assert part["node_record"] is None
    assert readers["node-a"] == [0]  # local rank 0 where the local rank is known
    assert len(readers["node-b"]) == 1  # the node lock's holder where it is not

    # Each rank's own output is its own GPU, never the node.
    for rank, (task, part) in enumerate(zip(tasks, parts, strict=True)):
        data = task["json"]
        own = f"gpu:{rank % 2}"
        assert part["devices"] == [own]
        assert [c["id"] for c in data["components"]] == [own]
        assert data["energy_j"] == pytest.approx(3.0 * (rank + 1))
        assert data["run_id"] == f"{RUN_ID}.{part['hostname']}.run.rank{rank}"
        assert data["host"]["distributed"]["role"] == "rank"
        assert data["scope_energy_j"] <= data["energy_j"]
        if part["role"] == "node_reader":
            assert part["node_record"] == f"{RUN_ID}.{part['hostname']}.run.node"
            assert part["node_energy_j"] > data["energy_j"]
            assert "node reader" in task["stderr"]
            assert f"is in the node record {part['node_record']}" in task["stderr"]
        else:
            assert (
                "the node's total (every GPU, the CPU and memory) is in the node record"
                in (task["stderr"])
            )
        assert f"total (rank {rank}'s devices)" in task["stderr"]
        assert f"wattlens runs show {RUN_ID}" in task["stderr"]

    # The store adds the job up: each node once, the ranks' shares make its GPU total.
    with Store() as store:
        records = store.group(RUN_ID)
    assert sorted(r.run_id for r in records) == sorted(
        [f"{RUN_ID}.node-a.run.rank{r}" for r in (0, 1)]
        + [f"{RUN_ID}.node-b.run.rank{r}" for r in (2, 3)]
        + [f"{RUN_ID}.node-a.run.node", f"{RUN_ID}.node-b.run.node"]
    )
    cluster = aggregate(RUN_ID, records)
    assert cluster.warnings == ()
    nodes = {n.hostname: n for n in cluster.nodes}
    assert nodes["node-a"].ranks_j == {0: pytest.approx(3.0), 1: pytest.approx(6.0)}
    assert nodes["node-b"].ranks_j == {2: pytest.approx(9.0), 3: pytest.approx(12.0)}
    for total in nodes.values():
        assert total.counted_from == "node"
        assert total.node_devices_j == pytest.approx(total.ranks_total_j, rel=1e-9)
        assert total.components_j["cpu:package-0"] > 0
        assert total.components_j["dram:package-0"] > 0
    node_records = [r for r in records if r.distributed_role == "node"]
    assert cluster.energy_j == pytest.approx(sum(r.energy_j for r in node_records))

    shown = cli("runs", "show", RUN_ID, "--json")
    assert shown.exit_code == 0, shown.stderr
    data = shown.json()
    assert data["ranks"] == 4
    assert [n["ranks_total_j"] for n in data["nodes"]] == [pytest.approx(9.0), pytest.approx(21.0)]
    assert data["energy_j"] == pytest.approx(cluster.energy_j)


# -- one process at a time, in this process: how each launcher's variables are read ------------
_CLEARED = ("SLURM_", "OMPI_", "PMIX_", "TORCHELASTIC_", "WATTLENS_RUN_ID", "WATTLENS_DEVICES")
_TORCH_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK")


@pytest.fixture
def fake_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: Any) -> Any:
    """Two fake GPUs and a CPU package as the discovered sensors; no launcher variables."""
    from wattlens.sensors import discover as discover_module
    from wattlens.sensors.discover import Discovery
    from wattlens.sensors.fake import FakeSensor

    for name in list(os.environ):
        if name.startswith(_CLEARED) or name in _TORCH_VARS or name == "CUDA_VISIBLE_DEVICES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("WATTLENS_HOSTNAME", "node-x")
    monkeypatch.setenv("WATTLENS_LOCK_DIR", str(tmp_path))
    monkeypatch.setenv("WATTLENS_LOCATION", "DE")
    sensor = FakeSensor({"gpu:0": 200.0, "gpu:1": 100.0, "cpu:package-0": 50.0})
    monkeypatch.setattr(discover_module, "_default", Discovery((sensor,), ()))

    def run(*args: str, **variables: str) -> Any:
        for key, value in variables.items():
            monkeypatch.setenv(key, value)
        return cli("run", *args, "--", sys.executable, "-c", "pass")

    return run


def _ids(data: dict[str, Any]) -> list[str]:
    return [c["id"] for c in data["components"]]


def test_torchrun_rank_measures_its_own_gpu_and_says_where_the_node_is(fake_node: Any) -> None:
    run = fake_node
    out = run(
        "--json",
        RANK="1",
        LOCAL_RANK="1",
        WORLD_SIZE="2",
        LOCAL_WORLD_SIZE="2",
        TORCHELASTIC_RUN_ID="abc",
    )
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert _ids(data) == ["gpu:1"]
    assert data["run_id"] == "torch-abc.node-x.run.rank1"
    part = data["distributed"]
    assert (part["role"], part["launcher"], part["rank"], part["local_rank"]) == (
        "rank",
        "torch",
        1,
        1,
    )
    assert part["node_record"] is None
    assert part["node_energy_j"] is None
    assert data["machine_embodied"] is None  # the node's embodied is the node record's
    from wattlens.store import Store

    with Store() as store:
        stored = [m.run_id for m in store.group("torch-abc")]
    assert stored == ["torch-abc.node-x.run.rank1"]


def test_open_mpi_local_rank_zero_is_the_node_reader_and_stores_the_node(fake_node: Any) -> None:
    run = fake_node
    out = run(
        "--json",
        OMPI_COMM_WORLD_RANK="0",
        OMPI_COMM_WORLD_LOCAL_RANK="0",
        OMPI_COMM_WORLD_SIZE="2",
        OMPI_COMM_WORLD_LOCAL_SIZE="2",
        PMIX_NAMESPACE="ns1",
    )
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert _ids(data) == ["gpu:0"]
    part = data["distributed"]
    assert part["role"] == "node_reader"
    assert part["node_record"] == "mpi-ns1.node-x.run.node"
    from wattlens.store import Store

    with Store() as store:
        (node,) = [m for m in store.group("mpi-ns1") if m.distributed_role == "node"]
    assert [c.id for c in node.components] == ["gpu:0", "gpu:1", "cpu:package-0"]
    assert node.scope == "machine"  # the node record is the node's whole total
    assert part["node_energy_j"] == pytest.approx(node.energy_j)
    # The rank's own figure is its GPU: less than the node's.
    assert data["energy_j"] < node.energy_j


def test_no_distributed_and_single_task_jobs_are_plain_runs(fake_node: Any) -> None:
    run = fake_node
    slurm = {"SLURM_JOB_ID": "5", "SLURM_PROCID": "1", "SLURM_NTASKS": "2", "SLURM_LOCALID": "1"}
    opted_out = run("--json", "--no-distributed", **slurm).json()
    assert "distributed" not in opted_out
    assert _ids(opted_out) == ["gpu:0", "gpu:1", "cpu:package-0"]
    single = run("--json", **{**slurm, "SLURM_PROCID": "0", "SLURM_NTASKS": "1"}).json()
    assert "distributed" not in single
    assert _ids(single) == ["gpu:0", "gpu:1", "cpu:package-0"]


def test_run_id_without_a_launcher_shares_the_node_by_lock(fake_node: Any, cli: Any) -> None:
    run = fake_node
    out = run("--json", "--run-id", "exp-7")
    assert out.exit_code == 0, out.stderr
    part = out.json()["distributed"]
    # Alone on the node, this process takes the lock: it reads the node and owns every GPU.
    assert (part["run_id"], part["role"], part["launcher"]) == ("exp-7", "node_reader", "none")
    assert part["devices"] == ["gpu:0", "gpu:1"]
    shown = cli("runs", "show", "exp-7", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert shown.json()["ranks"] == 1
    assert [n["counted_from"] for n in shown.json()["nodes"]] == ["node"]
