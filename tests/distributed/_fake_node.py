"""A node's fake GPUs whose energy counters live in files, shared by every process.

Each GPU's counter is ``<folder>/gpu<N>.mj`` (millijoules). The rank that owns
a GPU advances it (:func:`add_mj`, an atomic replace); every process that
reads the GPU through :class:`FileNvml` sees the same counter, as processes on
one node see one NVML device.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.fakes.fake_pynvml import FakeGpu, FakeNvml


def make_node(folder: Path, gpus: int) -> None:
    """Create the counters of ``gpus`` fake GPUs, all at zero."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(gpus):
        (folder / f"gpu{index}.mj").write_text("0")


def add_mj(folder: Path, index: int, mj: int) -> None:
    """Advance GPU ``index`` by ``mj`` millijoules (only its owner writes it)."""
    path = folder / f"gpu{index}.mj"
    value = int(path.read_text()) + mj
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(str(value))
    os.replace(temporary, path)


class FileNvml(FakeNvml):
    """The fake ``pynvml`` module over the counter files of one node."""

    def __init__(self, folder: Path) -> None:
        count = len(list(folder.glob("gpu*.mj")))
        gpus = [
            FakeGpu(uuid=f"GPU-{index:08d}-0000-0000-0000-000000000000") for index in range(count)
        ]
        super().__init__(gpus)
        self.folder = folder

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: Any) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetTotalEnergyConsumption")
        index = self.gpus.index(gpu)
        return int((self.folder / f"gpu{index}.mj").read_text())
