"""CPU time of `wattlens audit` on the seed article's claims file (about 60 claims).

Run: .venv/bin/python benchmarks/bench_audit.py
Prints the median CPU time (process time) of several audits in one process after a
warm-up (catalog and unit library loaded), and of a cold first audit in fresh
processes (imports included). Goal: < 0.3 s of CPU for a 60-claim file.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED = Path(__file__).resolve().parents[1] / "examples" / "claims" / "seed-article.yaml"
COLD = (
    "import time; t = time.process_time(); from wattlens.audit import audit; "
    f"r = audit({str(SEED)!r}); print(time.process_time() - t, len(r.results))"
)


def main() -> None:
    from wattlens.audit import audit

    report = audit(SEED)  # warm-up: catalog, unit library
    runs = []
    for _ in range(9):
        start = time.process_time()
        audit(SEED)
        runs.append(time.process_time() - start)
    claims = len(report.results)
    print(f"claims file: {SEED.name}, {claims} claims")
    print(f"audit, warm (in process)       median {statistics.median(runs) * 1e3:7.1f} ms CPU")
    colds = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", COLD], capture_output=True, text=True, check=True
        ).stdout.split()
        colds.append(float(out[0]))
    print(f"audit, cold (imports included) median {statistics.median(colds) * 1e3:7.1f} ms CPU")


if __name__ == "__main__":
    main()
