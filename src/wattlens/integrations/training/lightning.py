"""PyTorch Lightning: energy per step and epoch in the run store, and an early forecast.

Example::

    import lightning as L
    from wattlens.integrations.training.lightning import WattlensCallback

    trainer = L.Trainer(max_epochs=20, callbacks=[WattlensCallback("my-model")])
    trainer.fit(model, train_loader)

Only global rank 0 (``trainer.is_global_zero``) saves records.
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl

from wattlens.integrations.training.core import TrainingMeter

__all__ = ["WattlensCallback"]


class WattlensCallback(pl.Callback):
    """Measures every training step and epoch; forecasts the run after the first epochs.

    Args:
        name: Name of the run in the store.
        **options: Passed on to :class:`~wattlens.integrations.training.TrainingMeter`
            (``forecast_after``, ``warmup_epochs``, ``location``, ``pue``, ``url``,
            ``on_forecast``, ...). ``total_epochs`` defaults to the trainer's ``max_epochs``.
    """

    def __init__(self, name: str = "training", **options: Any) -> None:
        self._options = options
        self._writer_given = "writer" in options
        self.meter = TrainingMeter(name, **options)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._writer_given:
            self.meter.writer = trainer.is_global_zero
        total = self.meter.total_epochs
        if total is None and trainer.max_epochs is not None and trainer.max_epochs > 0:
            total = trainer.max_epochs
        self.meter.start_run(total)

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.meter.start_epoch()

    def on_train_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self.meter.start_step()

    def on_train_batch_end(
        self,
        trainer: pl.Trainer,
        pl_module: pl.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
    ) -> None:
        self.meter.end_step()

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.meter.end_epoch()

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.meter.running:
            self.meter.end_run()

    def on_exception(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException
    ) -> None:
        if self.meter.running:
            self.meter.end_run(
                "interrupted" if isinstance(exception, KeyboardInterrupt) else "failed"
            )
