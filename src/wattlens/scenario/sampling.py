"""Seeded draws and what every part of an evaluation reads.

:class:`Draws` samples a range uniformly with a seed per name, so that a lever
that leaves a value alone leaves its draws alone: the same sample index is the
same world in every lever state. :class:`Context` holds the loaded file, the
draws, the years, the catalog and a memo of model runs and per-location factors
shared by every state. The parts of the engine are plain functions of a
context and a scenario state.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np  # noqa: TID253 - the engine is imported only by the CLI and API calls

from wattlens.scenario.schema import Span

if TYPE_CHECKING:
    import numpy.typing as npt

    from wattlens.catalog import Catalog
    from wattlens.scenario.loader import LoadedScenario

    Array = npt.NDArray[np.float64]

DAYS_PER_YEAR = 365.0
Progress = Callable[[str], None]
T = TypeVar("T")


@dataclass
class Draws:
    """Uniform samples of the scenario's ranges: one column per sample, seeded per name."""

    samples: int
    seed: int
    _cache: dict[tuple[str, float, float], Array] = field(default_factory=dict, repr=False)

    def uniform(self, name: str, span: Span) -> Array:
        """Samples of a range (a point repeats), the same for the same name and range."""
        key = (name, span.low, span.high)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if span.is_point:
            out = np.full(self.samples, span.low)
        else:
            rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
            out = rng.uniform(span.low, span.high, self.samples)
        self._cache[key] = out
        return out


@dataclass
class Context:
    """The inputs every lever state shares, and a memo of what is costly to compute again."""

    loaded: LoadedScenario
    draws: Draws
    years: int
    catalog: Catalog
    progress: Progress | None = None
    estimate_calls: int = 0
    """Model runs (``estimate.inference`` / ``estimate.training``) made so far."""
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @property
    def samples(self) -> int:
        return self.draws.samples

    @property
    def seed(self) -> int:
        return self.draws.seed

    def remember(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        """``make()`` once per key (its first item names the kind), then the same object."""
        if key in self._memo:
            return cast("T", self._memo[key])
        value = make()
        self._memo[key] = value
        return value

    def tell(self, text: str) -> None:
        """Report progress, when someone listens."""
        if self.progress:
            self.progress(text)


def context(
    loaded: LoadedScenario,
    *,
    samples: int | None = None,
    years: int | None = None,
    catalog: Catalog | None = None,
    progress: Progress | None = None,
) -> Context:
    """The context of a scenario's evaluations: the file's samples, years and seed unless given.

    Raises:
        ScenarioError: fewer than 100 samples.
        InputValueError: more than :data:`~wattlens.scenario.schema.MAX_SAMPLES` samples.
    """
    from wattlens.catalog import get_catalog
    from wattlens.scenario.schema import check_samples

    n = samples or loaded.spec.samples
    if n < 100:
        raise loaded.error(("samples",), f"at least 100 samples, got {n}")
    check_samples(n)
    return Context(
        loaded=loaded,
        draws=Draws(n, loaded.spec.seed),
        years=years or loaded.spec.years,
        catalog=catalog or get_catalog(),
        progress=progress,
    )


def model_value(span: Span) -> float | tuple[float, float]:
    """A file's value or range as an estimate input: a number, or ``(low, high)``."""
    return span.low if span.is_point else (span.low, span.high)


def as_fields(text: str) -> str:
    """Say ``count:`` where a model's message names a command-line flag (``--count``)."""
    return re.sub(r"--([a-z][a-z-]*)", lambda m: m.group(1).replace("-", "_") + ":", text)
