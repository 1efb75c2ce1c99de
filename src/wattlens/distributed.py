"""Distributed runs: one meter per rank, node-level sensors read once per node.

A job of ``N`` ranks per node where every rank reads every sensor counts each
GPU and each CPU package ``N`` times. Here each rank reports only its own
devices (a :class:`~wattlens.meter.Meter` with ``devices=``), and exactly one
process per node, the *node reader*, also reports the whole node: every GPU,
the CPU packages (RAPL), DRAM, the modelled RAM.

Who is who comes from the launcher's environment:

- ``torchrun``, ``torch.distributed``, Accelerate and DeepSpeed: ``RANK``,
  ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK`` (the
  ``deepspeed`` launcher: ``LOCAL_SIZE``, ``CROSS_RANK``);
- Open MPI (``mpirun``): ``OMPI_COMM_WORLD_RANK``, ``OMPI_COMM_WORLD_LOCAL_RANK``,
  ``OMPI_COMM_WORLD_SIZE``, ``OMPI_COMM_WORLD_LOCAL_SIZE``, ``OMPI_COMM_WORLD_NODE_RANK``;
- SLURM (``srun``): ``SLURM_PROCID``, ``SLURM_LOCALID``, ``SLURM_NTASKS``,
  ``SLURM_NODEID``, ``SLURM_JOB_ID``, ``SLURM_STEP_ID``.

The node reader is local rank 0; without any launcher variable, it is the
process that takes a node-level lock (``flock`` on a file in the temporary
directory keyed by run id and host name), so it also works for processes
started by hand (without a run id, the processes of one parent share a lock).

The records of one job share a run id (``WATTLENS_RUN_ID``, else
``TORCHELASTIC_RUN_ID``, the SLURM job and step, or Open MPI's PMIx namespace)
and the store adds them up per node and in total (:func:`aggregate`,
``wattlens runs show RUN_ID``). The node record's impacts are always the whole
node's (machine scope). ``wattlens run`` under a launcher meters its command
with a :class:`DistributedMeter` (see :mod:`wattlens.cli.run`).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import socket
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal

from wattlens.errors import UsageError
from wattlens.measurement import Measurement
from wattlens.sensors.base import Sensor

__all__ = [
    "ClusterRun",
    "DistributedMeter",
    "NodeLock",
    "NodeTotal",
    "RankInfo",
    "RankResult",
    "aggregate",
    "detect_rank",
    "rank_devices",
    "shared_run_id",
]

Launcher = Literal["torch", "mpi", "slurm", "none"]
DEVICE_KINDS = ("gpu", "module")
"""Component kinds that belong to one rank; every other kind is the node's."""
ENV_RUN_ID = "WATTLENS_RUN_ID"
ENV_HOSTNAME = "WATTLENS_HOSTNAME"
ENV_DEVICES = "WATTLENS_DEVICES"
ENV_LOCK_DIR = "WATTLENS_LOCK_DIR"
_VISIBILITY = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")
# torchrun's static rendezvous id when none is given (torch.distributed.run, --rdzv-id).
_NO_TORCH_RUN_ID = "none"


@dataclass(frozen=True)
class RankInfo:
    """Where this process stands in its job, as its launcher's environment says."""

    launcher: Launcher
    rank: int
    world_size: int
    local_rank: int | None
    """``None`` when no launcher variable tells (the node lock decides then)."""
    local_world_size: int | None
    node_rank: int | None
    hostname: str
    run_id: str | None
    """Shared by every rank of the job; ``None`` when the environment names none."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "launcher": self.launcher,
            "run_id": self.run_id,
            "rank": self.rank,
            "world_size": self.world_size,
            "local_rank": self.local_rank,
            "local_world_size": self.local_world_size,
            "node_rank": self.node_rank,
            "hostname": self.hostname,
        }


def _int(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise UsageError(
            f"{name}={text!r} is not a whole number",
            hint=f"the launcher sets {name} to a rank or a count; unset it or fix its value",
        ) from None
    if value < 0:
        raise UsageError(f"{name}={value} is negative", hint=f"unset {name} or fix its value")
    return value


def shared_run_id(environ: Mapping[str, str] | None = None) -> str | None:
    """The run id every rank of the job sees, or ``None`` when the environment names none."""
    env = os.environ if environ is None else environ
    explicit = env.get(ENV_RUN_ID, "").strip()
    if explicit:
        return explicit
    torch_id = env.get("TORCHELASTIC_RUN_ID", "").strip()
    if torch_id and torch_id != _NO_TORCH_RUN_ID:
        return f"torch-{torch_id}"
    job = env.get("SLURM_JOB_ID", "").strip()
    if job:
        step = env.get("SLURM_STEP_ID", "").strip()
        return f"slurm-{job}-{step}" if step else f"slurm-{job}"
    namespace = env.get("PMIX_NAMESPACE", "").strip()
    if namespace:
        return f"mpi-{namespace}"
    return None


def detect_rank(environ: Mapping[str, str] | None = None) -> RankInfo:
    """This process's rank, local rank, world and node, from the launcher's variables.

    torch variables come first (``torchrun`` under ``srun`` renumbers the
    ranks), then Open MPI's, then SLURM's; a process with none of them is rank
    0 of 1 with an unknown local rank.

    Raises:
        UsageError: A launcher variable is not a whole number, or a rank is
            outside its world.
    """
    env = os.environ if environ is None else environ
    hostname = env.get(ENV_HOSTNAME, "").strip() or socket.gethostname()
    run_id = shared_run_id(env)
    schemes: tuple[tuple[Launcher, tuple[str, str, str, str, str]], ...] = (
        ("torch", ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK")),
        (
            "mpi",
            (
                "OMPI_COMM_WORLD_RANK",
                "OMPI_COMM_WORLD_SIZE",
                "OMPI_COMM_WORLD_LOCAL_RANK",
                "OMPI_COMM_WORLD_LOCAL_SIZE",
                "OMPI_COMM_WORLD_NODE_RANK",
            ),
        ),
        ("slurm", ("SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "", "SLURM_NODEID")),
    )
    for launcher, (rank_var, size_var, local_var, local_size_var, node_var) in schemes:
        rank = _int(env, rank_var)
        if rank is None:
            continue
        world = _int(env, size_var) or 1
        local = _int(env, local_var)
        local_world = _int(env, local_size_var) if local_size_var else None
        node = _int(env, node_var)
        if launcher == "torch":
            # DeepSpeed's launcher names them LOCAL_SIZE and CROSS_RANK.
            local_world = local_world if local_world is not None else _int(env, "LOCAL_SIZE")
            node = node if node is not None else _int(env, "CROSS_RANK")
        if launcher == "slurm" and local is not None:
            local_world = _slurm_tasks_here(env, node)
        if rank >= world:
            raise UsageError(
                f"{rank_var}={rank} is not below {size_var}={world}",
                hint="the launcher's variables disagree; unset them or fix their values",
            )
        return RankInfo(launcher, rank, world, local, local_world, node, hostname, run_id)
    return RankInfo("none", 0, 1, None, None, None, hostname, run_id)


def _slurm_tasks_here(env: Mapping[str, str], node: int | None) -> int | None:
    """Tasks on this node from ``SLURM_TASKS_PER_NODE`` (``2(x3),1``: 2, 2, 2, 1)."""
    text = env.get("SLURM_STEP_TASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE") or ""
    counts: list[int] = []
    for part in filter(None, text.split(",")):
        found = re.fullmatch(r"(\d+)(?:\(x(\d+)\))?", part.strip())
        if found is None:
            return None
        counts.extend([int(found.group(1))] * int(found.group(2) or 1))
    if not counts:
        return None
    return counts[node] if node is not None and node < len(counts) else counts[0]


def rank_devices(
    info: RankInfo, device_ids: Sequence[str], environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The devices (GPU component ids, in CUDA order) that belong to this rank.

    1. ``WATTLENS_DEVICES`` (``gpu:0,gpu:1`` or ``0,1``) when set;
    2. every visible device when the local rank is unknown or the local world
       is 1 (one process per node, or a launcher that hid the others);
    3. ``n`` devices and ``L`` local ranks with ``n`` a multiple of ``L``:
       local rank ``r`` owns devices ``r·n/L … (r+1)·n/L - 1`` (torchrun's
       ``cuda:LOCAL_RANK`` when ``n = L``); a local world the launcher does
       not give counts as ``n`` (one device per rank);
    4. fewer devices than local ranks: every visible device when
       ``CUDA_VISIBLE_DEVICES`` is set (``srun --gpus-per-task`` gives each
       task its own), else device ``r`` for local rank ``r`` and none for the
       ranks beyond, so that a shared device is counted once.

    Raises:
        UsageError: ``WATTLENS_DEVICES`` names a device that is not visible.
    """
    env = os.environ if environ is None else environ
    ids = list(device_ids)
    explicit = env.get(ENV_DEVICES, "").strip()
    if explicit:
        chosen = [e if ":" in e else f"gpu:{e}" for e in (p.strip() for p in explicit.split(","))]
        missing = [d for d in chosen if d and d not in ids]
        if missing:
            raise UsageError(
                f"{ENV_DEVICES} names {', '.join(missing)}, which this process does not see",
                hint=f"visible devices: {', '.join(ids) or 'none'}",
            )
        return tuple(d for d in chosen if d)
    local, size = info.local_rank, info.local_world_size
    n = len(ids)
    if size is None and local is not None:
        size = max(n, local + 1)  # torch's cuda:LOCAL_RANK convention, one device per rank
    if not ids or local is None or size is None or size <= 1:
        return tuple(ids)
    if n >= size and n % size == 0:
        per = n // size
        return tuple(ids[local * per : (local + 1) * per])
    if any(env.get(name, "").strip() for name in _VISIBILITY):
        return tuple(ids)
    return (ids[local],) if local < n else ()


class NodeLock:
    """A node-level lock: held by at most one process per host and key.

    ``flock`` on ``<dir>/wattlens-node-<key>-<host>.lock``; the kernel drops
    it when the holder exits, however it exits, so a crashed reader never
    blocks the next run. The host name is part of the file name so that a
    directory shared between nodes (NFS) still gives one holder per node.
    """

    def __init__(self, key: str, hostname: str, directory: Path | None = None) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{key}-{hostname}")
        folder = directory or Path(os.environ.get(ENV_LOCK_DIR) or tempfile.gettempdir())
        self.path = folder / f"wattlens-node-{safe}.lock"
        self._file: IO[bytes] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits. Returns whether it is held."""
        import fcntl

        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        except OSError:
            handle.close()
            raise
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the last descriptor drops the flock
            self._file = None


@dataclass(frozen=True)
class RankResult:
    """One window of one rank: its own devices, and the whole node on the node reader."""

    rank: Measurement
    node: Measurement | None = None

    @property
    def records(self) -> tuple[Measurement, ...]:
        """What to store: the rank's record, then the node's where this rank read it."""
        return (self.rank,) if self.node is None else (self.rank, self.node)


class DistributedMeter:
    """A meter for one rank of a distributed job.

    Each rank measures its own devices (:func:`rank_devices`); the node
    reader (local rank 0, else the holder of the :class:`NodeLock`) also
    measures the whole node, every GPU included. Store both records of a
    window (:attr:`RankResult.records`) and ``wattlens runs show RUN_ID``
    adds the job up per node and in total, each node counted once.

    Args:
        sensors: the node's sensors; default: the discovered ones (the node
            reader discovers the GPUs again without ``CUDA_VISIBLE_DEVICES``
            so that the node record has all of them).
        environ: where to read the launcher's variables (default ``os.environ``).
        lock_dir: where the node lock lives (default ``WATTLENS_LOCK_DIR``, else
            the temporary directory).
        meter_options: passed to each :class:`~wattlens.meter.Meter`
            (``timeline``, ``interval_s``, ``location``, ``pue``…).
    """

    def __init__(
        self,
        sensors: Sequence[Sensor] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        lock_dir: Path | None = None,
        **meter_options: Any,
    ) -> None:
        env = dict(os.environ if environ is None else environ)
        self.info = detect_rank(env)
        self._lock: NodeLock | None = None
        if self.info.local_rank is not None:
            self.node_reader = self.info.local_rank == 0
        else:
            # Processes started by one parent without a launcher share its id.
            key = self.info.run_id or f"ppid-{os.getppid()}"
            self._lock = NodeLock(key, self.info.hostname, lock_dir)
            try:
                self.node_reader = self._lock.acquire()
            except OSError as exc:
                raise UsageError(
                    f"cannot take the node lock {self._lock.path}: {exc.strerror or exc}",
                    hint=f"set {ENV_LOCK_DIR} to a writable directory on this node",
                ) from exc
        try:
            self._start(sensors, env, meter_options)
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise

    def _start(
        self, sensors: Sequence[Sensor] | None, env: dict[str, str], options: dict[str, Any]
    ) -> None:
        from wattlens.meter import Meter

        notes: tuple[str, ...] = ()
        discovered = sensors is None
        if sensors is None:
            from wattlens.sensors.discover import default_discovery

            found = default_discovery()
            sensors, notes = found.sensors, found.warnings
        own_sensors = tuple(sensors)
        ids = [c.id for s in own_sensors for c in s.components() if c.kind in DEVICE_KINDS]
        self.devices = rank_devices(self.info, ids, env)
        if self.info.run_id is None and self.info.world_size > 1:
            notes = (
                *notes,
                f"rank {self.info.rank} of {self.info.world_size}: the environment names no "
                f"run shared by the ranks, so the store cannot add them up; set {ENV_RUN_ID} "
                "to one value for every rank",
            )
        self._notes = notes
        self._ended: dict[str, int] = {}
        self.meter = Meter(own_sensors, devices=self.devices, **options)
        self.node_meter: Meter | None = None
        self._node_sensors: tuple[Sensor, ...] = ()
        if self.node_reader:
            node_sensors = own_sensors
            if discovered and any(env.get(v) for v in _VISIBILITY):
                node_sensors = self._discover_node(env)
            # The node record is the node's total, whoever else ran there: machine scope.
            self.node_meter = Meter(node_sensors, **{**options, "scope": "machine"})

    def track_pids(self, provider: Callable[[], set[int]]) -> None:
        """Attribute this rank's per-process energy (GPUs) to the process ids ``provider``
        returns (default: this process and its children)."""
        self.meter.track_pids(provider)

    def _discover_node(self, env: dict[str, str]) -> tuple[Sensor, ...]:
        from wattlens.sensors.discover import discover

        hidden = {k: v for k, v in env.items() if k not in _VISIBILITY}
        self._node_sensors = discover(environ=hidden).sensors
        return self._node_sensors

    def _window_key(self, name: str) -> str:
        """The window's name, numbered from its second use (``step``, ``step-2``…)."""
        count = self._ended.get(name, 0) + 1
        self._ended[name] = count
        return name if count == 1 else f"{name}-{count}"

    def _ids(self, window: str) -> tuple[str, str]:
        from wattlens.store.ids import new_run_id

        run, host = self.info.run_id, self.info.hostname
        if run is None:
            return new_run_id(), new_run_id()
        # One record per rank and window, one per node and window: the shared id names the job.
        part = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}.{window}")
        return f"{run}.{part}.rank{self.info.rank}", f"{run}.{part}.node"

    def begin(self, name: str) -> None:
        """Open a window on this rank (and on the node, on the node reader)."""
        self.meter.begin(name)
        if self.node_meter is not None:
            try:
                self.node_meter.begin(name)
            except BaseException:
                self.meter.cancel(name)
                raise

    def end(self, name: str, **end_options: Any) -> RankResult:
        """Close a window: this rank's record, and the node's on the node reader."""
        window = self._window_key(name)
        rank_id, node_id = self._ids(window)
        extra = (*self._notes, *end_options.pop("extra_warnings", ()))
        rank = self.meter.end(name, run_id=rank_id, extra_warnings=extra, **end_options)
        node = None
        if self.node_meter is not None:
            node = self.node_meter.end(name, run_id=node_id, **end_options)
        return RankResult(
            self._tag(rank, "rank", window),
            self._tag(node, "node", window) if node is not None else None,
        )

    def _tag(self, m: Measurement, role: Literal["rank", "node"], window: str) -> Measurement:
        devices = (
            list(self.devices)
            if role == "rank"
            else [c.id for c in m.components if c.kind in DEVICE_KINDS]
        )
        tag = {
            **self.info.to_dict(),
            "role": role,
            "window": window,
            "devices": devices,
            "node_reader": self.node_reader,
        }
        host = {**m.host, "hostname": self.info.hostname, "distributed": tag}
        return replace(m, host=host)

    def close(self) -> None:
        """Stop the meters, close the sensors this meter opened, release the node lock."""
        self.meter.close()
        if self.node_meter is not None:
            self.node_meter.close()
        for sensor in self._node_sensors:
            with contextlib.suppress(Exception):
                sensor.close()
        if self._lock is not None:
            self._lock.release()

    def __enter__(self) -> DistributedMeter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- aggregation ---------------------------------------------------------------------------------
def distributed_tag(m: Measurement) -> dict[str, Any] | None:
    """The rank and role a record was made with, or ``None`` for a plain run."""
    tag = m.host.get("distributed")
    return tag if isinstance(tag, dict) else None


@dataclass(frozen=True)
class NodeTotal:
    """One node of a distributed run."""

    hostname: str
    energy_j: float
    """The node's energy, counted once: its node records, else the sum of its ranks."""
    counted_from: Literal["node", "ranks", "mixed"]
    """``mixed``: some windows have a node record, others only their ranks'."""
    components_j: dict[str, float]
    """Per component of the node records (empty without one)."""
    ranks_j: dict[int, float]
    """Per rank on this node: the energy of its own devices."""
    node_devices_j: float | None
    """The node records' GPUs together (``None`` without a node record)."""
    windows: int = 1

    @property
    def ranks_total_j(self) -> float:
        return sum(self.ranks_j.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "energy_j": self.energy_j,
            "counted_from": self.counted_from,
            "components_j": self.components_j,
            "ranks_j": {str(rank): value for rank, value in sorted(self.ranks_j.items())},
            "ranks_total_j": self.ranks_total_j,
            "node_devices_j": self.node_devices_j,
            "windows": self.windows,
        }


@dataclass(frozen=True)
class ClusterRun:
    """A distributed run added up over its nodes, each node counted once."""

    run_id: str
    nodes: tuple[NodeTotal, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def energy_j(self) -> float:
        return sum(node.energy_j for node in self.nodes)

    @property
    def ranks(self) -> int:
        return sum(len(node.ranks_j) for node in self.nodes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "energy_j": self.energy_j,
            "nodes": [node.to_dict() for node in self.nodes],
            "ranks": self.ranks,
            "warnings": list(self.warnings),
        }


def aggregate(run_id: str, records: Sequence[Measurement]) -> ClusterRun:
    """Add up the records of one distributed run per node and in total.

    For each window, a node's energy is its node record's (every component of
    the node, read by one process); a node without one (its reader failed)
    falls back to the sum of its ranks' devices, with a warning. A second node
    record of the same host and window is not counted again. Windows of
    different names are added up: a warning says where they overlap in time
    (nested windows count their common time twice).
    """
    by_host: dict[str, dict[str, tuple[list[Measurement], list[Measurement]]]] = {}
    for m in records:
        tag = distributed_tag(m)
        if tag is None or tag.get("run_id") != run_id:
            continue
        windows = by_host.setdefault(str(tag.get("hostname")), {})
        nodes, ranks = windows.setdefault(str(tag.get("window", m.name)), ([], []))
        (nodes if tag.get("role") == "node" else ranks).append(m)
    warnings: list[str] = []
    totals: list[NodeTotal] = []
    for host, windows in sorted(by_host.items()):
        ranks_j: dict[int, float] = {}
        components: dict[str, float] = {}
        energy = devices = 0.0
        counted: list[Measurement] = []
        for window, (nodes, ranks) in sorted(windows.items()):
            for m in ranks:
                rank = int((distributed_tag(m) or {}).get("rank", 0))
                ranks_j[rank] = ranks_j.get(rank, 0.0) + m.energy_j
            if len(nodes) > 1:
                warnings.append(
                    f"{host} has {len(nodes)} node records of window {window!r}: only the "
                    "first is counted (two node readers ran on one host)"
                )
            if not nodes:
                warnings.append(
                    f"{host} has no node record of window {window!r}: its CPU and memory "
                    "are not counted there, its GPUs are the sum of its ranks"
                )
                energy += sum(m.energy_j for m in ranks)
                continue
            node = min(nodes, key=lambda m: m.run_id)
            counted.append(node)
            energy += node.energy_j
            for c in node.components:
                components[c.id] = components.get(c.id, 0.0) + c.energy_j
                if c.kind in DEVICE_KINDS:
                    devices += c.energy_j
        counted.sort(key=lambda m: m.started_at)
        for before, after in itertools.pairwise(counted):
            if after.started_at < before.ended_at:
                warnings.append(
                    f"{host}: windows {before.name!r} and {after.name!r} overlap in time, "
                    "so their common time is counted in both"
                )
        source: Literal["node", "ranks", "mixed"] = (
            "node" if len(counted) == len(windows) else "ranks" if not counted else "mixed"
        )
        node_devices = devices if counted else None
        totals.append(
            NodeTotal(host, energy, source, components, ranks_j, node_devices, len(windows))
        )
    return ClusterRun(run_id, tuple(totals), tuple(warnings))
