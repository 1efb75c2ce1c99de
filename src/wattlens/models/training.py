"""Former name of :mod:`wattlens.formulas.training` (kept importable)."""

from wattlens.formulas.training import *  # noqa: F403
