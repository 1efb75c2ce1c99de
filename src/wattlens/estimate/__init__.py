"""Estimate training and inference energy where nothing can be measured.

``wattlens.estimate.training(...)`` and ``wattlens.estimate.inference(...)``
resolve names through the catalog, draw every uncertain input (seeded Monte
Carlo), run the pure formulas of :mod:`wattlens.formulas`, and return an
:class:`Estimate`: energy quantiles at the requested boundary (and at all
three), the assumptions with their bases, the inputs that drive the spread,
the catalog rows used, warnings, and the carbon, water and cost of the
facility energy at a location.
"""

from wattlens.estimate._common import (
    BOUNDARIES,
    Assumption,
    Boundary,
    Estimate,
    InferenceEstimate,
    TrainingEstimate,
)
from wattlens.estimate.inference import inference
from wattlens.estimate.training import training

__all__ = [
    "BOUNDARIES",
    "Assumption",
    "Boundary",
    "Estimate",
    "InferenceEstimate",
    "TrainingEstimate",
    "inference",
    "training",
]
