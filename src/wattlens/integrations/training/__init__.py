"""Training callbacks: energy per step and per epoch in the run store, and an early forecast.

- :mod:`~wattlens.integrations.training.core`: :class:`TrainingMeter`, what every callback uses;
- :mod:`~wattlens.integrations.training.forecast`: the whole run's energy with an interval;
- :mod:`~wattlens.integrations.training.lightning`: PyTorch Lightning ``Callback``;
- :mod:`~wattlens.integrations.training.huggingface`: ``transformers.TrainerCallback``;
- :mod:`~wattlens.integrations.training.keras`: Keras 3 ``Callback``.

Each framework module imports its framework when it is imported, never before.
"""

from wattlens.integrations.training.core import (
    EpochRecord,
    TrainingForecast,
    TrainingMeter,
    is_global_rank_zero,
)
from wattlens.integrations.training.forecast import EnergyForecast, forecast_energy

__all__ = [
    "EnergyForecast",
    "EpochRecord",
    "TrainingForecast",
    "TrainingMeter",
    "forecast_energy",
    "is_global_rank_zero",
]
