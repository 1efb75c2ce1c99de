"""Cost of the quantity grammar: first parse (loads pint), then parses per second.

Run: .venv/bin/python benchmarks/bench_quantity.py
Prints medians of several fresh processes (first parse) and of repeated parses.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

FIRST = (
    "import time; t = time.perf_counter(); import wattlens.quantity as q; "
    "t1 = time.perf_counter(); q.parse('5 mWh'); t2 = time.perf_counter(); "
    "print(t1 - t, t2 - t1)"
)
TEXTS = [
    "500,000 kWh",
    "128.7万千瓦时",
    "2.5..2.9 Wh",
    "US$26.8m",
    "200m requests",
    "3 megawatt hours",
]


def main() -> None:
    imports, firsts = [], []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", FIRST], capture_output=True, text=True, check=True
        ).stdout.split()
        imports.append(float(out[0]))
        firsts.append(float(out[1]))
    print(f"import wattlens.quantity       median {statistics.median(imports) * 1e3:7.1f} ms")
    print(f"first parse (loads pint)       median {statistics.median(firsts) * 1e3:7.1f} ms")
    from wattlens.quantity import parse

    for text in TEXTS:
        parse(text)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(200):
            for text in TEXTS:
                parse(text)
        runs.append((time.perf_counter() - start) / (200 * len(TEXTS)))
    print(f"one parse after the first      median {statistics.median(runs) * 1e6:7.1f} µs")


if __name__ == "__main__":
    main()
