"""Keras 3 (any backend): a ``Callback`` with energy per step and epoch.

Example::

    import keras
    from wattlens.integrations.training.keras import WattlensKerasCallback

    model.fit(x, y, epochs=20, callbacks=[WattlensKerasCallback("my-model")])

Only global rank 0 (the launcher's ``RANK`` and its kin) saves records.
"""

from __future__ import annotations

from typing import Any

import keras

from wattlens.integrations.training.core import TrainingMeter

__all__ = ["WattlensKerasCallback"]


class WattlensKerasCallback(keras.callbacks.Callback):  # type: ignore[misc]  # keras is untyped
    """Measures every training batch and epoch; forecasts the run after the first epochs.

    Args:
        name: Name of the run in the store.
        **options: Passed on to :class:`~wattlens.integrations.training.TrainingMeter`.
            ``total_epochs`` defaults to ``fit``'s ``epochs``.
    """

    def __init__(self, name: str = "training", **options: Any) -> None:
        super().__init__()
        self.meter = TrainingMeter(name, **options)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        total = self.meter.total_epochs
        if total is None:
            epochs = (self.params or {}).get("epochs")
            total = int(epochs) if isinstance(epochs, int) and epochs > 0 else None
        self.meter.start_run(total)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.meter.start_epoch()

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.meter.start_step()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.meter.end_step()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.meter.end_epoch()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.meter.running:
            self.meter.end_run()
