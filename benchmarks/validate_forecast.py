"""Validate the training forecast's interval on real CPU training runs.

Trains tiny torch models for several run lengths on this machine's CPU, measures
each with a :class:`~wattlens.integrations.training.TrainingMeter` (no store),
and checks how often the energy the run finally used fell inside the interval
forecast after the first ``K`` epochs past the warm-up. Prints one line per run
and the coverage per ``K``: a 90 % interval should hold the final value in about
nine runs out of ten.

    .venv/bin/python benchmarks/validate_forecast.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time

from wattlens.integrations.training import TrainingMeter


def train(epochs: int, width: int, rows: int, seed: int, ks: tuple[int, ...]) -> list[str]:
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(32, width), torch.nn.ReLU(), torch.nn.Linear(width, 1)
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(rows, 32), torch.randn(rows, 1)
    tm = TrainingMeter("validate", total_epochs=epochs, forecast_after=min(ks), save=False)
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
    final = sum(e.energy_j for e in tm.epochs)
    lines = []
    for k in ks:
        seen = tm.warmup_epochs + k
        f = next((f.energy for f in tm.forecasts if f.energy.epochs_seen == seen), None)
        if f is None:
            continue
        stat = f.statistical_low_j <= final <= f.statistical_high_j
        full = f.energy_low_j <= final <= f.energy_high_j
        lines.append(
            f"{k}\t{epochs}\t{width}\t{seed}\t{final:.2f}\t{f.energy_j:.2f}\t"
            f"{f.statistical_low_j:.2f}-{f.statistical_high_j:.2f}\t{int(stat)}\t"
            f"{f.energy_low_j:.2f}-{f.energy_high_j:.2f}\t{int(full)}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter runs")
    opts = parser.parse_args()
    lengths = (5, 8) if opts.quick else (5, 8, 12, 16)
    configs = ((64, 4096), (128, 2048)) if opts.quick else ((64, 4096), (128, 2048), (256, 1024))
    seeds = (0,) if opts.quick else (0, 1)
    ks = (2, 3)
    print("K\tepochs\twidth\tseed\tfinal_J\tforecast_J\tstat_interval_J\tin\tfull_interval_J\tin")
    rows: list[str] = []
    t0 = time.perf_counter()
    for epochs in lengths:
        for width, n in configs:
            for seed in seeds:
                for line in train(epochs, width, n, seed, ks):
                    print(line, flush=True)
                    rows.append(line)
    print(f"# {time.perf_counter() - t0:.0f} s")
    for k in ks:
        mine = [r.split("\t") for r in rows if r.startswith(f"{k}\t")]
        stat = statistics.fmean(int(r[7]) for r in mine)
        full = statistics.fmean(int(r[9]) for r in mine)
        print(
            f"K={k}: {len(mine)} runs; final inside the statistical 90 % interval "
            f"{stat:.0%}, inside the interval with the meter's range {full:.0%}"
        )


if __name__ == "__main__":
    main()
