"""Former name of :mod:`wattlens.formulas.uncertainty` (kept importable)."""

from wattlens.formulas.uncertainty import *  # noqa: F403
