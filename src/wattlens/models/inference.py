"""Former name of :mod:`wattlens.formulas.inference` (kept importable)."""

from wattlens.formulas.inference import *  # noqa: F403
