"""The engine's state and its seeded draws: one sample per column, the same in every state.

:class:`Sampler` holds what every part of the engine shares: the loaded
scenario, the sample count, years, seed and catalog, the caches of model
results, and :meth:`Sampler.draw`, which samples a range uniformly with a seed
per name, so that a lever that leaves a value alone leaves its draws alone.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.scenario.schema import Scenario, Span

if TYPE_CHECKING:
    import numpy.typing as npt

    from wattlens.catalog import Catalog
    from wattlens.scenario.impacts import Factors
    from wattlens.scenario.loader import LoadedScenario

    Array = npt.NDArray[np.float64]

DAYS_PER_YEAR = 365.0
Progress = Callable[[str], None]


class Sampler:
    """The engine's inputs, caches and seeded draws (the base of :class:`Engine`)."""

    def __init__(
        self,
        loaded: LoadedScenario,
        *,
        samples: int | None = None,
        years: int | None = None,
        catalog: Catalog | None = None,
        progress: Progress | None = None,
    ) -> None:
        from wattlens.catalog import get_catalog

        self.loaded = loaded
        self.samples = samples or loaded.spec.samples
        self.years = years or loaded.spec.years
        if self.samples < 100:
            raise loaded.error(("samples",), f"at least 100 samples, got {self.samples}")
        self.catalog = catalog or get_catalog()
        self.progress = progress
        self.seed = loaded.spec.seed
        self._inference: dict[tuple[Any, ...], Array] = {}
        self._training: dict[tuple[Any, ...], Array] = {}
        self._factors: dict[tuple[Any, ...], Factors] = {}
        self._price: dict[tuple[Any, ...], tuple[Span | None, str | None, float | None]] = {}
        self._draws: dict[tuple[str, float, float], Array] = {}
        self._meta: dict[tuple[Any, ...], Any] = {}
        self.estimate_calls = 0

    def draw(self, name: str, span: Span) -> Array:
        """Uniform samples of a range, seeded per name (same draws in every lever state)."""
        key = (name, span.low, span.high)
        cached = self._draws.get(key)
        if cached is not None:
            return cached
        if span.is_point:
            out = np.full(self.samples, span.low)
        else:
            rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
            out = rng.uniform(span.low, span.high, self.samples)
        self._draws[key] = out
        return out

    def _default_pue(self) -> Span:
        from wattlens.estimate._common import default_pue

        value = default_pue(self.catalog)
        return Span(value.low, value.high)

    def _pue_samples(self, spec: Scenario) -> Array:
        return self.draw("pue", spec.pue or self._default_pue())


def as_fields(text: str) -> str:
    """Say ``count:`` where a model's message names a command-line flag (``--count``)."""
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_") + ":", text)
