"""The ``wattlens`` command on a fake node: file-backed fake GPUs and a fake CPU package.

Usage: ``_fake_wattlens.py GPU_DIR READS_FILE WATTLENS_ARGS...``. The process
discovers the node's fake GPUs (:mod:`tests.distributed._fake_node`) and a
fake RAPL package (50 W) and DRAM (5 W) instead of the real hardware, runs the
real CLI, and writes to ``READS_FILE`` how often it read the CPU sensor (a
process that never read the node's sensors writes ``0``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.distributed._fake_node import FileNvml
from wattlens.sensors import discover
from wattlens.sensors.fake import FakeSensor
from wattlens.sensors.nvml import NvmlSensor


def main() -> None:
    gpu_dir, reads = Path(sys.argv[1]), Path(sys.argv[2])
    cpu = FakeSensor({"cpu:package-0": 50.0, "dram:package-0": 5.0}, name="fake-rapl")
    gpus = NvmlSensor(nvml_module=FileNvml(gpu_dir), environ={})
    discover._default = discover.Discovery((gpus, cpu), ())
    from wattlens.cli import main as cli

    try:
        cli(sys.argv[3:])
    finally:
        reads.write_text(str(cpu.reads))


if __name__ == "__main__":
    main()
