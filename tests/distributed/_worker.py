"""One rank of a distributed job, started by ``torchrun`` or as an ``srun`` task would be.

Usage: ``_worker.py OUT_DIR GPU_DIR``. Every rank meters one window with a
:class:`DistributedMeter` over the node's file-backed fake GPUs and a fake CPU
package; between two barriers, rank ``r`` advances its own GPUs by
``3 × (r + 1)`` J each. Each rank writes ``OUT_DIR/rank<r>.json``: its records
and how often it read the CPU sensor.

Under ``torchrun`` (``RANK`` set) the barriers are gloo's; otherwise files in
``OUT_DIR`` (a task of ``srun`` has no process group of its own).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from tests.distributed._fake_node import FileNvml, add_mj
from wattlens.distributed import DistributedMeter
from wattlens.sensors.fake import FakeSensor
from wattlens.sensors.nvml import NvmlSensor


class FileBarrier:
    """Every rank touches a file per barrier, then waits for all of them."""

    def __init__(self, folder: Path, rank: int, world: int) -> None:
        self.folder, self.rank, self.world, self.count = folder, rank, world, 0

    def __call__(self) -> None:
        self.count += 1
        (self.folder / f"barrier{self.count}.{self.rank}").touch()
        deadline = time.monotonic() + 120
        while len(list(self.folder.glob(f"barrier{self.count}.*"))) < self.world:
            if time.monotonic() > deadline:
                raise TimeoutError(f"barrier {self.count}: the other ranks did not arrive")
            time.sleep(0.01)


def main() -> None:
    out, gpu_dir = Path(sys.argv[1]), Path(sys.argv[2])
    barrier: Callable[[], object]
    if "RANK" in os.environ:
        import torch.distributed as dist

        dist.init_process_group("gloo", timeout=timedelta(seconds=120))
        barrier = dist.barrier
    else:
        world = int(os.environ["SLURM_NTASKS"])
        barrier = FileBarrier(out, int(os.environ["SLURM_PROCID"]), world)
    cpu = FakeSensor({"cpu:package-0": 50.0, "dram:package-0": 5.0}, name="fake-rapl")
    gpus = NvmlSensor(nvml_module=FileNvml(gpu_dir), environ={})
    with DistributedMeter([gpus, cpu]) as meter:
        barrier()
        meter.begin("train")
        barrier()
        for device in meter.devices:
            for _ in range(3):
                add_mj(gpu_dir, int(device.split(":")[1]), 1000 * (meter.info.rank + 1))
        barrier()
        result = meter.end("train")
    barrier()
    if "RANK" in os.environ:
        dist.destroy_process_group()
    report = {
        "rank": result.rank.to_dict(),
        "node": result.node.to_dict() if result.node is not None else None,
        "cpu_reads": cpu.reads,
        "devices": list(meter.devices),
    }
    (out / f"rank{meter.info.rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main()
