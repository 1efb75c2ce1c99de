"""Rank detection, device ownership, the node lock and the aggregation of a run's records."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from wattlens.distributed import (
    DistributedMeter,
    NodeLock,
    RankInfo,
    aggregate,
    detect_rank,
    rank_devices,
    shared_run_id,
)
from wattlens.errors import UsageError
from wattlens.measurement import Measurement
from wattlens.meter import Meter
from wattlens.sensors.fake import FakeSensor

TORCHRUN_ENV = {
    "RANK": "5",
    "LOCAL_RANK": "1",
    "WORLD_SIZE": "8",
    "LOCAL_WORLD_SIZE": "4",
    "GROUP_RANK": "1",
    "TORCHELASTIC_RUN_ID": "abc",
    "WATTLENS_HOSTNAME": "gpu-node-7",
}


# -- detection -----------------------------------------------------------------------------------
def test_torchrun_variables() -> None:
    info = detect_rank(TORCHRUN_ENV)
    assert (info.launcher, info.rank, info.world_size) == ("torch", 5, 8)
    assert (info.local_rank, info.local_world_size, info.node_rank) == (1, 4, 1)
    assert info.hostname == "gpu-node-7"
    assert info.run_id == "torch-abc"


def test_deepspeed_launcher_variables() -> None:
    env = {"RANK": "6", "LOCAL_RANK": "2", "WORLD_SIZE": "8", "LOCAL_SIZE": "4", "CROSS_RANK": "1"}
    info = detect_rank(env)
    assert (info.launcher, info.rank, info.local_rank) == ("torch", 6, 2)
    assert (info.local_world_size, info.node_rank) == (4, 1)


def test_torch_variables_win_over_slurm_under_torchrun_in_srun() -> None:
    env = {**TORCHRUN_ENV, "SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_JOB_ID": "99"}
    info = detect_rank(env)
    assert (info.launcher, info.rank) == ("torch", 5)
    # torchrun's rendezvous id names the run before the SLURM job does.
    assert info.run_id == "torch-abc"


def test_slurm_variables_and_tasks_per_node() -> None:
    env = {
        "SLURM_PROCID": "5",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "2",
        "SLURM_NTASKS": "7",
        "SLURM_TASKS_PER_NODE": "3(x2),1",
        "SLURM_JOB_ID": "12345",
    }
    info = detect_rank(env)
    assert (info.launcher, info.rank, info.world_size) == ("slurm", 5, 7)
    # Nodes 0 and 1 run 3 tasks each, node 2 runs 1.
    assert (info.local_rank, info.local_world_size, info.node_rank) == (0, 1, 2)
    assert info.run_id == "slurm-12345"
    assert shared_run_id({**env, "SLURM_STEP_ID": "3"}) == "slurm-12345-3"


def test_open_mpi_variables() -> None:
    env = {
        "OMPI_COMM_WORLD_RANK": "3",
        "OMPI_COMM_WORLD_SIZE": "4",
        "OMPI_COMM_WORLD_LOCAL_RANK": "1",
        "OMPI_COMM_WORLD_LOCAL_SIZE": "2",
        "OMPI_COMM_WORLD_NODE_RANK": "1",
        "PMIX_NAMESPACE": "prterun-host-123@1",
    }
    info = detect_rank(env)
    assert (info.launcher, info.rank, info.world_size) == ("mpi", 3, 4)
    assert (info.local_rank, info.local_world_size, info.node_rank) == (1, 2, 1)
    assert info.run_id == "mpi-prterun-host-123@1"


def test_no_launcher_is_rank_zero_of_one_with_unknown_local_rank() -> None:
    info = detect_rank({"WATTLENS_HOSTNAME": "h"})
    assert (info.launcher, info.rank, info.world_size, info.local_rank) == ("none", 0, 1, None)
    assert info.run_id is None


def test_run_id_precedence() -> None:
    env = {"TORCHELASTIC_RUN_ID": "abc", "SLURM_JOB_ID": "1", "PMIX_NAMESPACE": "ns"}
    assert shared_run_id({**env, "WATTLENS_RUN_ID": "mine"}) == "mine"
    assert shared_run_id(env) == "torch-abc"
    # torchrun's default static rendezvous id is the word "none": it names nothing.
    assert shared_run_id({**env, "TORCHELASTIC_RUN_ID": "none"}) == "slurm-1"
    assert shared_run_id({"PMIX_NAMESPACE": "ns"}) == "mpi-ns"
    assert shared_run_id({}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RANK": "one", "WORLD_SIZE": "2"}, "RANK='one' is not a whole number"),
        ({"RANK": "-1", "WORLD_SIZE": "2"}, "RANK=-1 is negative"),
        ({"RANK": "4", "WORLD_SIZE": "4"}, "RANK=4 is not below WORLD_SIZE=4"),
        ({"SLURM_PROCID": "0", "SLURM_NTASKS": "x"}, "SLURM_NTASKS='x' is not a whole number"),
    ],
)
def test_bad_launcher_variables_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        detect_rank(env)
    assert caught.value.hint


# -- devices -------------------------------------------------------------------------------------
GPUS = [f"gpu:{i}" for i in range(8)]


def _info(local: int | None, size: int | None) -> RankInfo:
    env = {"RANK": "0", "WORLD_SIZE": "64"}
    if local is not None:
        env["LOCAL_RANK"] = str(local)
    if size is not None:
        env["LOCAL_WORLD_SIZE"] = str(size)
    return detect_rank(env)


@pytest.mark.parametrize(
    ("local", "size", "gpus", "visible", "expected"),
    [
        (3, 8, GPUS, None, ("gpu:3",)),  # torchrun: cuda:LOCAL_RANK
        (1, 4, GPUS, None, ("gpu:2", "gpu:3")),  # two GPUs per rank
        (None, None, GPUS, None, tuple(GPUS)),  # one process per node
        (3, None, GPUS, None, ("gpu:3",)),  # no local world given: cuda:LOCAL_RANK
        (3, None, ["gpu:0"], "5", ("gpu:0",)),  # ... or the one GPU the launcher left
        (3, None, ["gpu:0", "gpu:1"], None, ()),  # ... and none beyond the GPUs
        (0, 1, GPUS[:2], None, ("gpu:0", "gpu:1")),
        (2, 4, ["gpu:0"], "3", ("gpu:0",)),  # srun --gpus-per-task: its own GPU only
        (2, 4, ["gpu:0", "gpu:1"], None, ()),  # 4 ranks share 2 GPUs: counted once
        (1, 4, ["gpu:0", "gpu:1"], None, ("gpu:1",)),
        (0, 4, [], None, ()),  # CPU only
    ],
)
def test_rank_devices(
    local: int | None,
    size: int | None,
    gpus: list[str],
    visible: str | None,
    expected: tuple[str, ...],
) -> None:
    info = _info(local, size)
    env = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    assert rank_devices(info, gpus, env) == expected


def test_every_gpu_has_exactly_one_owner_among_the_local_ranks() -> None:
    for size in (1, 2, 4, 8):
        owners = [rank_devices(_info(r, size), GPUS, {}) for r in range(size)]
        flat = [d for devices in owners for d in devices]
        assert sorted(flat) == sorted(GPUS)


def test_devices_from_the_environment() -> None:
    info = _info(0, 8)
    assert rank_devices(info, GPUS, {"WATTLENS_DEVICES": "gpu:5, 6"}) == ("gpu:5", "gpu:6")
    with pytest.raises(UsageError, match="WATTLENS_DEVICES names gpu:9") as caught:
        rank_devices(info, GPUS, {"WATTLENS_DEVICES": "9"})
    assert "gpu:0" in (caught.value.hint or "")


# -- the meter's filter --------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_meter_devices_filter_reports_and_reads_only_those() -> None:
    clock = Clock()
    gpus = FakeSensor({"gpu:0": 100.0, "gpu:1": 200.0}, clock=clock)
    cpu = FakeSensor({"cpu:package-0": 50.0}, clock=clock, name="fake-cpu")
    meter = Meter([gpus, cpu], devices=["gpu:1"], clock=clock)
    meter.begin("w")
    clock.t += 2.0
    m = meter.end("w")
    assert [c.id for c in m.components] == ["gpu:1"]
    assert m.components[0].energy_j == pytest.approx(400.0)
    assert cpu.reads == 0  # a sensor with none of the devices is not read at all
    assert meter.sensors == (gpus,)


def test_meter_empty_devices_measures_nothing_without_the_nothing_measured_warning() -> None:
    clock = Clock()
    meter = Meter([FakeSensor({"cpu:package-0": 50.0}, clock=clock)], devices=(), clock=clock)
    meter.begin("w")
    clock.t += 1.0
    m = meter.end("w")
    assert m.components == ()
    assert not any("nothing was measured" in str(w) for w in m.warnings)


def test_meter_unknown_device_is_named() -> None:
    sensor = FakeSensor({"gpu:0": 100.0})
    with pytest.raises(UsageError, match="no sensor reports gpu:3") as caught:
        Meter([sensor], devices=["gpu:3"])
    assert caught.value.hint == "the components here are: gpu:0"


# -- the node lock -------------------------------------------------------------------------------
def test_node_lock_has_one_holder_per_key_and_host(tmp_path: Path) -> None:
    first, second = NodeLock("job", "h1", tmp_path), NodeLock("job", "h1", tmp_path)
    other_host, other_job = NodeLock("job", "h2", tmp_path), NodeLock("job2", "h1", tmp_path)
    assert first.acquire()
    assert not second.acquire()
    assert other_host.acquire()
    assert other_job.acquire()
    first.release()
    assert second.acquire()
    for lock in (second, other_host, other_job):
        lock.release()


HOLDER = """
import sys, time
from pathlib import Path
from wattlens.distributed import NodeLock
lock = NodeLock("job", "h", Path(sys.argv[1]))
print("held" if lock.acquire() else "busy", flush=True)
while not (Path(sys.argv[1]) / "stop").exists():
    time.sleep(0.01)
"""


def test_node_lock_across_processes_and_freed_when_the_holder_dies(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    try:
        answers = sorted(p.stdout.readline().strip() for p in procs if p.stdout is not None)
        assert answers == ["busy", "busy", "held"]
        assert not NodeLock("job", "h", tmp_path).acquire()
    finally:
        (tmp_path / "stop").touch()
        for p in procs:
            p.wait(timeout=60)
            if p.stdout is not None:
                p.stdout.close()
    # The kernel drops a flock with its holder: the next process takes it.
    after = NodeLock("job", "h", tmp_path)
    deadline = time.monotonic() + 10
    while not after.acquire() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert after.held
    after.release()


# -- the distributed meter in one process -------------------------------------------------------
def test_distributed_meter_without_launcher_takes_the_node_lock(tmp_path: Path) -> None:
    clock = Clock()

    def sensors() -> list[FakeSensor]:
        return [
            FakeSensor({"gpu:0": 100.0, "gpu:1": 100.0}, clock=clock),
            FakeSensor({"cpu:package-0": 50.0}, clock=clock, name="fake-cpu"),
        ]

    env = {"WATTLENS_RUN_ID": "job-1", "WATTLENS_HOSTNAME": "h"}
    first = DistributedMeter(sensors(), environ=env, lock_dir=tmp_path, clock=clock)
    second = DistributedMeter(sensors(), environ=env, lock_dir=tmp_path, clock=clock)
    try:
        assert (first.node_reader, second.node_reader) == (True, False)
        first.begin("w")
        second.begin("w")
        clock.t += 1.0
        a, b = first.end("w"), second.end("w")
    finally:
        first.close()
        second.close()
    assert a.node is not None
    assert b.node is None
    assert a.rank.run_id == "job-1.h.w.rank0"
    assert a.node.run_id == "job-1.h.w.node"
    assert a.node.host["distributed"]["role"] == "node"
    assert a.node.host["distributed"]["devices"] == ["gpu:0", "gpu:1"]
    assert a.node.energy_j == pytest.approx(250.0)
    # A window ended again gets its own records (one per epoch, say).
    first = DistributedMeter(sensors(), environ=env, lock_dir=tmp_path, clock=clock)
    with first:
        ids = []
        for _ in range(3):
            first.begin("epoch")
            clock.t += 1.0
            ids.append(first.end("epoch").rank.run_id)
    assert ids == ["job-1.h.epoch.rank0", "job-1.h.epoch-2.rank0", "job-1.h.epoch-3.rank0"]
    # Released on close: a new process on the node can read it.
    third = DistributedMeter(sensors(), environ=env, lock_dir=tmp_path, clock=clock)
    assert third.node_reader
    third.close()


def _record(
    run: str,
    host: str,
    role: str,
    rank: int,
    energies: dict[str, float],
    *,
    window: str = "train",
    start: int = 0,
) -> Measurement:
    from wattlens.measurement import ComponentEnergy

    components = tuple(
        ComponentEnergy(
            id=cid,
            kind="gpu" if cid.startswith("gpu") else "cpu",
            name=cid,
            method="counter",
            sensor="fake",
            basis="test",
            energy_j=value,
            avg_power_w=value,
        )
        for cid, value in energies.items()
    )
    suffix = "node" if role == "node" else f"rank{rank}"
    tag = {"run_id": run, "hostname": host, "role": role, "rank": rank, "window": window}
    return Measurement(
        run_id=f"{run}.{host}.{window}.{suffix}",
        name=window,
        started_at=f"2026-01-01T00:00:{start:02d}.000+00:00",
        ended_at=f"2026-01-01T00:00:{start + 10:02d}.000+00:00",
        duration_s=1.0,
        components=components,
        host={"hostname": host, "distributed": tag},
    )


def test_aggregate_counts_each_node_once_and_falls_back_to_ranks() -> None:
    records = [
        _record("j", "a", "rank", 0, {"gpu:0": 10.0}),
        _record("j", "a", "rank", 1, {"gpu:1": 20.0}),
        _record("j", "a", "node", 0, {"gpu:0": 10.0, "gpu:1": 20.0, "cpu:package-0": 5.0}),
        _record("j", "b", "rank", 2, {"gpu:0": 7.0}),  # node b's reader left no record
        _record("other", "a", "node", 0, {"cpu:package-0": 99.0}),  # another run
    ]
    cluster = aggregate("j", records)
    assert [(n.hostname, n.energy_j, n.counted_from) for n in cluster.nodes] == [
        ("a", 35.0, "node"),
        ("b", 7.0, "ranks"),
    ]
    assert cluster.energy_j == 42.0  # not 35 + 30 (node a's ranks counted again)
    assert cluster.ranks == 3
    assert cluster.nodes[0].node_devices_j == cluster.nodes[0].ranks_total_j == 30.0
    assert cluster.warnings == (
        "b has no node record of window 'train': its CPU and memory are not counted there, "
        "its GPUs are the sum of its ranks",
    )


def test_aggregate_counts_a_second_node_reader_once() -> None:
    node = _record("j", "a", "node", 0, {"cpu:package-0": 5.0})
    again = _record("j", "a", "node", 1, {"cpu:package-0": 5.0})
    again = Measurement(**{**again.__dict__, "run_id": "j.a.train.node-2"})
    cluster = aggregate("j", [node, again])
    assert cluster.energy_j == 5.0
    assert "a has 2 node records of window 'train'" in cluster.warnings[0]


def test_aggregate_adds_windows_and_says_when_they_overlap() -> None:
    epochs = [
        _record(
            "j", "a", "node", 0, {"gpu:0": 10.0, "cpu:package-0": 1.0}, window="epoch", start=0
        ),
        _record("j", "a", "rank", 0, {"gpu:0": 10.0}, window="epoch", start=0),
        _record(
            "j", "a", "node", 0, {"gpu:0": 20.0, "cpu:package-0": 2.0}, window="epoch-2", start=10
        ),
        _record("j", "a", "rank", 0, {"gpu:0": 20.0}, window="epoch-2", start=10),
        _record("j", "a", "rank", 0, {"gpu:0": 5.0}, window="epoch-3", start=20),  # its reader died
    ]
    cluster = aggregate("j", epochs)
    (node,) = cluster.nodes
    assert (node.energy_j, node.windows, node.counted_from) == (38.0, 3, "mixed")
    assert node.components_j == {"gpu:0": 30.0, "cpu:package-0": 3.0}
    assert node.ranks_j == {0: 35.0}
    assert len(cluster.warnings) == 1
    nested = _record("j", "a", "node", 0, {"gpu:0": 4.0}, window="inner", start=5)
    warnings = aggregate("j", [*epochs[:4], nested]).warnings
    # 5-15 s lies across both epochs (0-10 s, 10-20 s).
    assert warnings == (
        "a: windows 'epoch' and 'inner' overlap in time, so their common time is counted in both",
        "a: windows 'inner' and 'epoch-2' overlap in time, so their common time is counted in both",
    )


def test_store_group_finds_exactly_the_runs_records(tmp_path: Path) -> None:
    from wattlens.store import Store

    with Store(f"sqlite:///{tmp_path / 'runs.sqlite'}") as store:
        for record in [
            _record("job-4", "a", "rank", 0, {"gpu:0": 1.0}),
            _record("job-4", "a", "node", 0, {"gpu:0": 1.0}),
            _record("job-42", "a", "rank", 0, {"gpu:0": 2.0}),  # a prefix is not the run
            _record("job_4", "a", "rank", 0, {"gpu:0": 3.0}),
            _record("jobx4", "a", "rank", 0, {"gpu:0": 4.0}),  # "_" is no LIKE wildcard here
        ]:
            store.save(record)
        assert [m.run_id for m in store.group("job-4")] == [
            "job-4.a.train.node",
            "job-4.a.train.rank0",
        ]
        assert [m.run_id for m in store.group("job-42")] == ["job-42.a.train.rank0"]
        assert [m.run_id for m in store.group("job_4")] == ["job_4.a.train.rank0"]
        assert store.group("job") == []
        assert store.group("") == []


def test_node_reader_sees_every_gpu_when_the_launcher_hid_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``srun --gpus-per-task=1``: task 0 sees only its GPU, the node record has all four."""
    from tests.fakes.fake_pynvml import FakeGpu, FakeNvml, add_mj
    from wattlens.sensors import discover as discovery
    from wattlens.sensors.nvml import NvmlSensor

    gpus = [FakeGpu(uuid=f"GPU-{i}") for i in range(4)]
    env = {
        "SLURM_PROCID": "0",
        "SLURM_LOCALID": "0",
        "SLURM_NODEID": "0",
        "SLURM_NTASKS": "4",
        "SLURM_TASKS_PER_NODE": "4",
        "SLURM_JOB_ID": "7",
        "CUDA_VISIBLE_DEVICES": "2",
        "WATTLENS_HOSTNAME": "n1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    own = NvmlSensor(nvml_module=FakeNvml(gpus), environ=env)
    seen: list[dict[str, str]] = []

    def discover(**kwargs: object) -> discovery.Discovery:
        environ = kwargs["environ"]
        assert isinstance(environ, dict)
        seen.append(environ)
        return discovery.Discovery((NvmlSensor(nvml_module=FakeNvml(gpus), environ=environ),), ())

    monkeypatch.setattr(discovery, "default_discovery", lambda: discovery.Discovery((own,), ()))
    monkeypatch.setattr(discovery, "discover", discover)
    with DistributedMeter() as meter:
        assert meter.node_reader
        assert meter.devices == ("gpu:0",)  # CUDA's device 0: the node's GPU 2
        meter.begin("w")
        add_mj(gpus[2], 7000)
        add_mj(gpus[3], 1000)  # another task's GPU
        result = meter.end("w")
    assert "CUDA_VISIBLE_DEVICES" not in seen[0]
    assert [(c.id, c.energy_j) for c in result.rank.components] == [("gpu:0", 7.0)]
    assert result.node is not None
    node = {c.id: c.energy_j for c in result.node.components}
    assert node == {"gpu:0": 0.0, "gpu:1": 0.0, "gpu:2": 7.0, "gpu:3": 1.0}
    assert result.rank.run_id == "slurm-7.n1.w.rank0"


def test_ranks_without_a_shared_run_id_are_told_how_to_name_one() -> None:
    clock = Clock()
    sensor = FakeSensor({"gpu:0": 100.0, "gpu:1": 100.0, "cpu:package-0": 50.0}, clock=clock)
    env = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2"}
    with DistributedMeter([sensor], environ=env, clock=clock) as meter:
        assert not meter.node_reader  # local rank 1: local rank 0 reads the node
        meter.begin("w")
        clock.t += 1.0
        result = meter.end("w")
    assert result.node is None
    assert [c.id for c in result.rank.components] == ["gpu:1"]
    assert any("set WATTLENS_RUN_ID" in str(w) for w in result.rank.warnings)
