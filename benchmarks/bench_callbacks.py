"""Training-step time with the wattlens callback and without, side by side.

Lightning and Hugging Face ``Trainer`` each train the same small CPU model
(steps of tens of milliseconds) with and without the callback, alternating,
several times; the step time is the wall time of ``fit`` / ``train`` over the
steps it ran, so the callback's epoch windows, step windows, forecasts and
store writes (to a temporary SQLite store, created before timing) all count.
Prints the median step time of each and the overhead (goal: under 1 % for
steps of 50 ms or more). Also prints the cost of one measured step window.

    .venv/bin/python benchmarks/bench_callbacks.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

HOOK_TIME_S: dict[str, float] = {}
"""Time spent inside the callback's calls into wattlens over a run, per method."""

EPOCHS = 4
STEPS = 12
BATCH = 256
WIDTH = 1024


def _timed(meter: Any) -> Any:
    """Count the time of every TrainingMeter call the callback makes."""
    for name in ("start_run", "start_epoch", "start_step", "end_step", "end_epoch", "end_run"):
        inner = getattr(meter, name)

        def wrapper(*args: Any, _inner: Any = inner, name: str = name) -> Any:
            t0 = time.perf_counter()
            try:
                return _inner(*args)
            finally:
                HOOK_TIME_S[name] = HOOK_TIME_S.get(name, 0.0) + time.perf_counter() - t0

        setattr(meter, name, wrapper)
    return meter


def _data() -> Any:
    import torch
    from torch.utils.data import TensorDataset

    torch.manual_seed(0)
    return TensorDataset(torch.randn(STEPS * BATCH, WIDTH), torch.randn(STEPS * BATCH, 1))


def _net() -> Any:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(WIDTH, WIDTH), torch.nn.ReLU(),
        torch.nn.Linear(WIDTH, WIDTH), torch.nn.ReLU(), torch.nn.Linear(WIDTH, 1),
    )  # fmt: skip


def lightning_run(with_callback: bool) -> float:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader

    from wattlens.integrations.training.lightning import WattlensCallback

    class Model(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _net()

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.001)

    callbacks = [WattlensCallback("bench", forecast_after=2)] if with_callback else []
    for cb in callbacks:
        _timed(cb.meter)
    trainer = pl.Trainer(
        max_epochs=EPOCHS, callbacks=callbacks, accelerator="cpu", devices=1, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )  # fmt: skip
    loader = DataLoader(_data(), batch_size=BATCH)
    model = Model()
    t0 = time.perf_counter()
    trainer.fit(model, loader)
    return (time.perf_counter() - t0) / (EPOCHS * STEPS)


def hf_run(with_callback: bool) -> float:
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments

    from wattlens.integrations.training.huggingface import WattlensTrainerCallback

    class Model(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = _net()

        def forward(self, x: Any, labels: Any) -> dict[str, Any]:
            return {"loss": torch.nn.functional.mse_loss(self.net(x), labels)}

    data = [{"x": x, "labels": y} for x, y in _data()]
    callbacks = [WattlensTrainerCallback("bench", forecast_after=2)] if with_callback else []
    for cb in callbacks:
        _timed(cb.meter)
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, num_train_epochs=EPOCHS, per_device_train_batch_size=BATCH,
            use_cpu=True, report_to="none", save_strategy="no", logging_strategy="no",
            disable_tqdm=True, learning_rate=1e-4,
        )  # fmt: skip
        trainer = Trainer(model=Model(), args=args, train_dataset=data, callbacks=callbacks)  # type: ignore[arg-type]
        trainer.remove_callback(PrinterCallback)
        t0 = time.perf_counter()
        trainer.train()
        return (time.perf_counter() - t0) / (EPOCHS * STEPS)


def side_by_side(name: str, run: Callable[[bool], float], repeats: int) -> None:
    run(True)  # warm-up: imports, thread pools, the store's tables
    base: list[float] = []
    with_cb: list[float] = []
    per_step: list[float] = []
    per_epoch: list[float] = []
    per_run: list[float] = []
    for _ in range(repeats):
        base.append(run(False))
        HOOK_TIME_S.clear()
        step = run(True)
        with_cb.append(step)
        h = HOOK_TIME_S
        per_step.append((h["start_step"] + h["end_step"]) / (EPOCHS * STEPS) / step)
        per_epoch.append((h["start_epoch"] + h["end_epoch"]) / EPOCHS)
        per_run.append(h["start_run"] + h["end_run"])
    print(
        f"{name:<14} inside the callback's wattlens calls: steps "
        f"{statistics.median(per_step):.3%} of the step time "
        f"(runs: {' '.join(f'{x:.3%}' for x in per_step)}); "
        f"per epoch {statistics.median(per_epoch) * 1e3:.1f} ms; "
        f"once per run {statistics.median(per_run) * 1e3:.0f} ms "
        "(sensor discovery, waiting for the store's last write)",
        flush=True,
    )
    b, w = statistics.median(base), statistics.median(with_cb)
    print(
        f"{name:<14} step without {b * 1e3:7.1f} ms   with wattlens {w * 1e3:7.1f} ms   "
        f"overhead {(w - b) / b:+.2%}   (median of {repeats}; "
        f"without: {' '.join(f'{x * 1e3:.1f}' for x in base)}; "
        f"with: {' '.join(f'{x * 1e3:.1f}' for x in with_cb)})",
        flush=True,
    )


def step_window_cost(n: int = 300) -> None:
    from wattlens.integrations.training import TrainingMeter

    tm = TrainingMeter("bench", save=False)
    tm.start_epoch()
    meter = tm.meter
    costs = []
    for _ in range(n):  # the two edges of a step window, as TrainingMeter opens them
        t0 = time.perf_counter()
        meter.begin("step")
        meter.end("step")
        costs.append(time.perf_counter() - t0)
    tm.end_run()
    cost = statistics.median(costs)
    print(
        f"one measured step window: median {cost * 1e6:.0f} µs over {n} "
        f"(the meter measures every k-th step so that this stays under 0.5 % of the step time)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["lightning", "hf"], default=None)
    opts = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ["WATTLENS_DB"] = f"sqlite:///{tmp}/bench.sqlite"
    os.environ.setdefault("WATTLENS_LOCATION", "DE")
    warnings.simplefilter("ignore")  # the frameworks' advice about workers and logging
    import logging

    for logger in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(logger).setLevel(logging.ERROR)
    step_window_cost()
    if opts.only in (None, "lightning"):
        side_by_side("lightning", lightning_run, opts.repeats)
    if opts.only in (None, "hf"):
        side_by_side("transformers", hf_run, opts.repeats)


if __name__ == "__main__":
    main()
