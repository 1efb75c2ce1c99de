"""Hugging Face ``transformers``: a ``TrainerCallback`` with energy per step and epoch.

Example::

    from transformers import Trainer
    from wattlens.integrations.training.huggingface import WattlensTrainerCallback

    trainer = Trainer(model=model, args=args, train_dataset=train,
                      callbacks=[WattlensTrainerCallback("my-model")])
    trainer.train()

Only the world's process zero (``state.is_world_process_zero``) saves records.
A step is one optimiser step (all its gradient-accumulation micro-batches).
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from wattlens.integrations.training.core import TrainingMeter

__all__ = ["WattlensTrainerCallback"]


class WattlensTrainerCallback(TrainerCallback):
    """Measures every optimiser step and epoch; forecasts the run after the first epochs.

    Args:
        name: Name of the run in the store.
        **options: Passed on to :class:`~wattlens.integrations.training.TrainingMeter`.
            ``total_epochs`` defaults to the trainer's number of epochs.
    """

    def __init__(self, name: str = "training", **options: Any) -> None:
        self._writer_given = "writer" in options
        self.meter = TrainingMeter(name, **options)

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if not self._writer_given:
            self.meter.writer = state.is_world_process_zero
        total = self.meter.total_epochs
        if total is None:
            epochs = state.num_train_epochs or args.num_train_epochs
            # A run bounded by max_steps reports an epoch count it may not finish.
            total = math.ceil(epochs) if epochs and epochs > 0 and args.max_steps <= 0 else None
        self.meter.start_run(total)

    def on_epoch_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.meter.start_epoch()

    def on_step_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.meter.start_step()

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.meter.end_step()

    def on_epoch_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self.meter.end_epoch()

    def on_train_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self.meter.running:
            self.meter.end_run()
