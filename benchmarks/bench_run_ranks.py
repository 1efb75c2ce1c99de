"""What does rank awareness cost ``wattlens run``? Start-up to exit, plain and under srun.

Each configuration runs ``wattlens run --no-store -- python -c pass`` in a fresh
process (bare ``python -c pass`` for reference): a plain run, a rank that is
not its node's reader (its own devices only), and the node reader (its own
devices and the whole node), with the variables ``srun -n 2`` gives its tasks.
Rounds are interleaved so that drift in the machine's speed hits each alike;
printed are medians of wall time over ``--runs`` rounds.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_run_ranks.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="rounds per configuration (7)")
    args = parser.parse_args()
    py = sys.executable
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "WATTLENS_"))}
    base["WATTLENS_LOCATION"] = "DE"
    run = [py, "-m", "wattlens", "run", "--no-store", "--", py, "-c", "pass"]
    with tempfile.TemporaryDirectory() as locks:
        job = {"SLURM_JOB_ID": "1", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "2"}
        job["WATTLENS_LOCK_DIR"] = locks
        cases: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([py, "-c", "pass"], {}),
            "wattlens run (plain)": (run, {}),
            "wattlens run (srun, rank 1 of 2)": (
                run,
                {**job, "SLURM_PROCID": "1", "SLURM_LOCALID": "1"},
            ),
            "wattlens run (srun, node reader)": (
                run,
                {**job, "SLURM_PROCID": "0", "SLURM_LOCALID": "0"},
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (command, extra) in cases.items():
                start = time.perf_counter()
                subprocess.run(command, env={**base, **extra}, check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"{name:34s} median {statistics.median(values) * 1000:7.1f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
