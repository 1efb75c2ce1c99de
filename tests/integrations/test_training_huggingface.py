"""The Hugging Face Trainer callback on a real (tiny, randomly initialised) CPU training run."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from .training_helpers import check_forecast, check_stored_run

# Importing the framework alone takes seconds.
pytestmark = pytest.mark.slow

pytest.importorskip("transformers")
pytest.importorskip("accelerate")


def test_trainer_callback_stores_epochs_and_forecasts(tmp_path: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

    from wattlens.integrations.training.huggingface import WattlensTrainerCallback

    torch.manual_seed(0)
    # Randomly initialised, nothing downloaded.
    model = GPT2LMHeadModel(
        GPT2Config(vocab_size=128, n_positions=32, n_embd=32, n_layer=2, n_head=2)
    )
    ids = torch.randint(0, 128, (128, 32))
    data = [{"input_ids": row, "labels": row} for row in ids]
    callback = WattlensTrainerCallback("hf-test", forecast_after=2)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        num_train_epochs=4,
        per_device_train_batch_size=16,
        use_cpu=True,
        report_to="none",
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        seed=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library's own advice, not this test's subject
        Trainer(model=model, args=args, train_dataset=data, callbacks=[callback]).train()
    tm = callback.meter
    check_stored_run(tm, 4)
    check_forecast(tm, 4, warmup=1, after=2)
    assert [e.steps for e in tm.epochs] == [8] * 4  # 128 / 16 optimiser steps
