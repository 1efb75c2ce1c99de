"""The Lightning callback on a real (tiny) CPU training run."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from .training_helpers import check_forecast, check_stored_run

# Importing the framework alone takes seconds.
pytestmark = pytest.mark.slow

pytest.importorskip("lightning")


def test_lightning_callback_stores_epochs_and_forecasts(tmp_path: Path) -> None:
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from wattlens.integrations.training.lightning import WattlensCallback

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
            )

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.01)

    torch.manual_seed(0)
    data = TensorDataset(torch.randn(8192, 64), torch.randn(8192, 1))
    callback = WattlensCallback("lightning-test", forecast_after=2)
    with warnings.catch_warnings():
        # Lightning's advice about workers and logging: not what this test is about.
        warnings.simplefilter("ignore")
        trainer = pl.Trainer(
            max_epochs=4,
            callbacks=[callback],
            accelerator="cpu",
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=tmp_path,
        )
        trainer.fit(Tiny(), DataLoader(data, batch_size=512))
    tm = callback.meter
    check_stored_run(tm, 4)
    check_forecast(tm, 4, warmup=1, after=2)
    assert tm.epochs[0].steps == 16  # 8192 / 512 batches
