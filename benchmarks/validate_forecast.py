"""Validate the training forecast's interval on real CPU training runs.

Two fixed, disjoint sets of real CPU training runs (tiny torch MLPs measured by a
:class:`~wattlens.integrations.training.TrainingMeter`, no store) are declared
below, before any scoring:

- ``CALIBRATION``: seeds 100-102, hidden widths 96 / 192 / 384, runs of 6, 9, 13
  and 18 epochs (36 runs). Their per-epoch energies are the file the library ships,
  ``src/wattlens/integrations/training/data/forecast_calibration.csv``, from which
  the split-conformal correction of the interval is computed.
- ``VALIDATION``: seeds 0-1, hidden widths 64 / 128 / 256, runs of 5, 8, 12 and
  16 epochs (24 runs), kept in ``tests/integrations/data/forecast_validation.csv``.
  Nothing is tuned on them: they are only scored.

Scoring (the default) forecasts every validation run after ``K`` = 2, 3 and 4
epochs past the one warm-up epoch, with the uncorrected t interval ("before") and
with the calibrated one ("after"), and prints how often the run's final energy fell
inside each 90 % interval and the median interval width over the final energy::

    .venv/bin/python benchmarks/validate_forecast.py              # score the stored runs
    .venv/bin/python benchmarks/validate_forecast.py --record     # train and store both sets
    .venv/bin/python benchmarks/validate_forecast.py --record calibration

``--record`` trains the runs again on this machine (about ten minutes on two
cores) and rewrites the data files; with ``both`` the two sets are trained
interleaved in one fixed order, so that both see the same spell of machine load.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION_CSV = ROOT / "src/wattlens/integrations/training/data/forecast_calibration.csv"
VALIDATION_CSV = ROOT / "tests/integrations/data/forecast_validation.csv"
KS = (2, 3, 4)
WARMUP_EPOCHS = 1
LEVEL = 0.90


@dataclass(frozen=True)
class Design:
    split: str
    lengths: tuple[int, ...]
    configs: tuple[tuple[int, int], ...]
    """(hidden width, training rows): about the same work per epoch for each."""
    seeds: tuple[int, ...]

    def runs(self) -> list[tuple[str, int, int, int, int]]:
        return [
            (self.split, epochs, width, rows, seed)
            for epochs in self.lengths
            for width, rows in self.configs
            for seed in self.seeds
        ]


CALIBRATION = Design(
    "calibration", (6, 9, 13, 18), ((96, 3072), (192, 1536), (384, 768)), (100, 101, 102)
)
VALIDATION = Design("validation", (5, 8, 12, 16), ((64, 4096), (128, 2048), (256, 1024)), (0, 1))
FIELDS = (
    "run",
    "split",
    "seed",
    "width",
    "rows",
    "total_epochs",
    "epoch",
    "energy_j",
    "energy_low_j",
    "energy_high_j",
    "duration_s",
)


def train(epochs: int, width: int, rows: int, seed: int) -> list[tuple[float, float, float, float]]:
    """Train one run; per epoch: energy (central, low, high) in J and duration in s."""
    import torch

    from wattlens.integrations.training import TrainingMeter

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(32, width), torch.nn.ReLU(), torch.nn.Linear(width, 1)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(rows, 32), torch.randn(rows, 1)
    tm = TrainingMeter("validate", total_epochs=epochs, save=False)
    tm.start_run()
    for _ in range(epochs):
        tm.start_epoch()
        for i in range(0, rows, 256):
            tm.start_step()
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x[i : i + 256]), y[i : i + 256]).backward()
            opt.step()
            tm.end_step()
        tm.end_epoch()
    tm.end_run()
    return [
        (
            e.measurement.energy_j,
            e.measurement.energy_low_j,
            e.measurement.energy_high_j,
            e.measurement.duration_s,
        )
        for e in tm.epochs
    ]


def _header(design: Design, sensors: str) -> str:
    return (
        f"# Per-epoch energies of {len(design.runs())} real CPU training runs ({design.split} "
        "set of the training forecast).\n"
        "# Produced by `python benchmarks/validate_forecast.py --record` on "
        f"{datetime.now(UTC):%Y-%m-%d}: a torch MLP 32-width-1 trained with SGD in batches\n"
        "# of 256 rows, each epoch measured by wattlens.integrations.training.TrainingMeter "
        f"({sensors}).\n"
        f"# Design: lengths {design.lengths} epochs, (width, rows) {design.configs}, "
        f"seeds {design.seeds}.\n"
    )


def record(which: str) -> None:
    from wattlens.meter import Meter

    designs = {"calibration": [CALIBRATION], "validation": [VALIDATION]}.get(
        which, [CALIBRATION, VALIDATION]
    )
    plan = [run for d in designs for run in d.runs()]
    random.Random(15).shuffle(plan)  # a fixed order: both sets meet the same machine load
    sensors = ", ".join(f"sensor {s.name}" for s in Meter().sensors)
    rows: dict[str, list[dict[str, object]]] = {d.split: [] for d in designs}
    t0 = time.perf_counter()
    for i, (split, epochs, width, n, seed) in enumerate(plan):
        run = f"{split[:3]}-e{epochs}-w{width}-s{seed}"
        for epoch, (e, lo, hi, dur) in enumerate(train(epochs, width, n, seed), start=1):
            rows[split].append(
                {
                    "run": run,
                    "split": split,
                    "seed": seed,
                    "width": width,
                    "rows": n,
                    "total_epochs": epochs,
                    "epoch": epoch,
                    "energy_j": f"{e:.6g}",
                    "energy_low_j": f"{lo:.6g}",
                    "energy_high_j": f"{hi:.6g}",
                    "duration_s": f"{dur:.6g}",
                }
            )
        print(f"[{i + 1}/{len(plan)}] {run} {time.perf_counter() - t0:.0f} s", flush=True)
    for design in designs:
        path = CALIBRATION_CSV if design is CALIBRATION else VALIDATION_CSV
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        buf.write(_header(design, sensors))
        writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[design.split])
        path.write_text(buf.getvalue(), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}: {len(rows[design.split])} epochs")


def score() -> None:
    from wattlens.integrations.training.forecast import (
        forecast_energy,
        load_calibration,
        read_epoch_runs,
    )

    calibration = load_calibration()
    runs = read_epoch_runs(VALIDATION_CSV)
    if {r.split for r in runs} != {"validation"} or {r.split for r in calibration.runs} != {
        "calibration"
    }:
        sys.exit("the data files do not hold the declared splits; run --record")
    for design, have in ((CALIBRATION, calibration.runs), (VALIDATION, runs)):
        stored = sorted((r.split, r.total_epochs, r.width, r.rows, r.seed) for r in have)
        if stored != sorted(design.runs()):
            sys.exit(f"the {design.split} file does not hold the declared runs; run --record")
    if {r.seed for r in calibration.runs} & {r.seed for r in runs} or {
        r.width for r in calibration.runs
    } & {r.width for r in runs}:
        sys.exit("calibration and validation runs share seeds or model sizes")
    print(
        f"{len(calibration.runs)} calibration runs, {len(runs)} validation runs; "
        f"{LEVEL:.0%} intervals, {WARMUP_EPOCHS} warm-up epoch\n"
    )
    print(
        f"{'K':>2} {'runs':>5} {'method':>10} {'coverage':>9} {'with meter':>11} "
        f"{'median width/final':>19}"
    )
    for k in KS:
        seen = WARMUP_EPOCHS + k
        mine = [r for r in runs if r.total_epochs > seen]
        factor, n_cal, k_cal = calibration.factor(k, WARMUP_EPOCHS, LEVEL)
        print(f"   K={k}: conformal factor {factor:.2f} from {n_cal} calibration runs at K={k_cal}")
        for method in ("t", "conformal"):
            inside, inside_full, widths = [], [], []
            for r in mine:
                energies = list(r.energy_j)
                final = sum(energies)
                used = sum(energies[:seen])
                f = forecast_energy(
                    energies[:seen],
                    r.total_epochs,
                    warmup_epochs=WARMUP_EPOCHS,
                    level=LEVEL,
                    meter_low_ratio=sum(r.energy_low_j[:seen]) / used,
                    meter_high_ratio=sum(r.energy_high_j[:seen]) / used,
                    method=method,
                    calibration=calibration,
                )
                inside.append(f.statistical_low_j <= final <= f.statistical_high_j)
                inside_full.append(f.energy_low_j <= final <= f.energy_high_j)
                widths.append((f.statistical_high_j - f.statistical_low_j) / final)
            print(
                f"{k:>2} {len(mine):>5} {method:>10} {statistics.fmean(inside):>9.0%} "
                f"{statistics.fmean(inside_full):>11.0%} {statistics.median(widths):>19.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--record",
        nargs="?",
        const="both",
        choices=("both", "calibration", "validation"),
        help="train the declared runs on this machine and rewrite the data files",
    )
    opts = parser.parse_args()
    if opts.record:
        record(opts.record)
    else:
        score()


if __name__ == "__main__":
    main()
