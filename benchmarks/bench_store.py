"""What the run store costs `wattlens run` and a first query, with and without migrations.

Three figures, each the median of repeated runs, for the store in this tree
and, with ``--baseline FILE``, side by side for another version of the store
given as one module file (e.g. the single ``store.py`` of release 0.1.0:
``git show 11d7ac3:src/wattlens/store.py > /tmp/store_0_1_0.py``):

- ``cold save``: a fresh interpreter imports the store and saves one run (a
  600-point, 2-component timeline) into an existing SQLite store, as
  ``wattlens run`` does after its command (timed from after start-up; the
  versions take turns, so that a change in the machine's load hits both);
- ``warm save``: the same save again in one process;
- ``open + count``: a new store object on an existing file and its first
  query (which checks the schema: ``CREATE ... IF NOT EXISTS`` before,
  the recorded schema version now).

    python benchmarks/bench_store.py [--repeat 15] [--baseline /tmp/store_0_1_0.py]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import Any

_MAKE_RUN = textwrap.dedent(
    """
    import math
    from wattlens.measurement import ComponentEnergy, Measurement, TimelinePoint

    def make_run(run_id):
        gpu = ComponentEnergy("gpu:0", "gpu", "H100", "counter", "nvml", "counter", 6e4, 100.0)
        cpu = ComponentEnergy("cpu", "cpu", "EPYC", "modeled", "model", "tdp", 3e4, 50.0)
        timeline = tuple(
            TimelinePoint(t * 1.0, {"gpu:0": 100 + 10 * math.sin(t), "cpu": 50.0})
            for t in range(600)
        )
        return Measurement(
            run_id=run_id, name="bench", started_at="2026-01-01T00:00:00+00:00",
            ended_at="2026-01-01T00:10:00+00:00", duration_s=600.0,
            components=(gpu, cpu), timeline=timeline,
        )
    """
)

_COLD = _MAKE_RUN + textwrap.dedent(
    """
    import sys, time, uuid
    start = time.perf_counter()
    if sys.argv[2]:
        import importlib.util
        spec = importlib.util.spec_from_file_location("baseline_store", sys.argv[2])
        store = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(store)
    else:
        import wattlens.store as store
    store.save(make_run(uuid.uuid4().hex), sys.argv[1])
    print(time.perf_counter() - start, "sqlalchemy" in sys.modules)
    """
)


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("baseline_store", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _current() -> ModuleType:
    import wattlens.store

    return wattlens.store


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1e3:8.2f} ms"


def _make_run(run_id: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(_MAKE_RUN, namespace)
    return namespace["make_run"](run_id)


def _cold(path: Path | None, url: str) -> tuple[float, bool]:
    """One fresh interpreter: import the store, save a run; (seconds, imported sqlalchemy)."""
    out = subprocess.run(
        [sys.executable, "-c", _COLD, url, str(path or "")],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, imported = out.stdout.split()
    return float(seconds), imported == "True"


def _in_process(store: Any, url: str, repeat: int) -> dict[str, list[float]]:
    warm, opened = [], []
    for i in range(repeat):
        run = _make_run(f"warm-{i}")
        start = time.perf_counter()
        store.save(run, url)
        warm.append(time.perf_counter() - start)
    for _ in range(repeat):
        start = time.perf_counter()
        with store.Store(url) as s:
            s.count()
        opened.append(time.perf_counter() - start)
    return {"warm save": warm, "open + count": opened}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per figure (median)")
    parser.add_argument("--baseline", type=Path, help="another store module file to compare")
    args = parser.parse_args()
    variants: dict[str, tuple[Any, Path | None]] = {}
    if args.baseline is not None:
        variants["baseline"] = (_load(args.baseline), args.baseline)
    variants["this tree"] = (_current(), None)
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in variants}
    heavy: dict[str, bool] = dict.fromkeys(variants, False)
    with tempfile.TemporaryDirectory() as tmp:
        urls = {name: f"sqlite:///{Path(tmp) / f'{i}.sqlite'}" for i, name in enumerate(variants)}
        for name, (store, _path) in variants.items():
            with store.Store(urls[name]) as s:
                s.save(_make_run("first"))  # the file, its tables (and schema version)
        cold: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):  # interleaved, so that a change in load hits both alike
            for name, (_store, path) in variants.items():
                seconds, imported = _cold(path, urls[name])
                cold[name].append(seconds)
                heavy[name] = heavy[name] or imported
        for name, (store, _path) in variants.items():
            samples[name] = {"cold save (import + save)": cold[name]}
            samples[name].update(_in_process(store, urls[name], args.repeat))
    names = list(variants)
    print(f"median of {args.repeat} runs".ljust(28) + "".join(n.rjust(24) for n in names))
    for figure in samples[names[0]]:
        cells = [
            _ms(samples[n][figure]) + ("*" if heavy[n] and "cold" in figure else " ") for n in names
        ]
        print(figure.ljust(28) + "".join(c.rjust(24) for c in cells))
    if any(heavy.values()):
        print("* imported sqlalchemy")


if __name__ == "__main__":
    main()
