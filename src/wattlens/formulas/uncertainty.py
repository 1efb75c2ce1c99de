"""Uncertain inputs, seeded Monte Carlo and a sensitivity ranking.

Every uncertain input of a model is an :class:`Uncertain` (a range with a
shape and a documented basis) or a plain float. :func:`sample` draws all of
them at once (vectorised, seeded: the same inputs give the same outputs);
:func:`summarise` gives p5/p50/p95 and the mean; :func:`sensitivity` ranks
inputs by how much of the output's spread they explain (squared Spearman
rank correlation, normalised to sum to 1), which is enough to say "the
model-FLOP utilisation drives this range".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]

Shape = Literal["uniform", "loguniform", "triangular"]
DEFAULT_SAMPLES = 20_000
DEFAULT_SEED = 20240420


@dataclass(frozen=True)
class Uncertain:
    """A range for an input, with its shape and why it is what it is.

    ``uniform``: every value in [low, high] equally likely; ``loguniform``: every
    factor equally likely (for quantities known to within a factor);
    ``triangular``: most likely at ``mode``.
    """

    low: float
    high: float
    shape: Shape = "uniform"
    mode: float | None = None
    basis: str = ""

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"range low {self.low} is above high {self.high}")
        if self.shape == "loguniform" and self.low <= 0:
            raise ValueError("a log-uniform range needs a positive low end")
        if self.shape == "triangular" and (
            self.mode is None or not self.low <= self.mode <= self.high
        ):
            raise ValueError("a triangular range needs a mode between low and high")

    @property
    def central(self) -> float:
        """The value a point estimate uses: mode, geometric or arithmetic middle."""
        if self.shape == "triangular" and self.mode is not None:
            return self.mode
        if self.shape == "loguniform":
            return float((self.low * self.high) ** 0.5)
        return (self.low + self.high) / 2

    def describe(self, unit: str = "") -> str:
        if self.low == self.high:
            return f"{self.low:.3g}{unit}"
        middle = f", mode {self.mode:.3g}" if self.shape == "triangular" else ""
        return f"{self.low:.3g}-{self.high:.3g}{unit} ({self.shape}{middle})"


Input = float | Uncertain


def central(value: Input) -> float:
    """The point value of an input."""
    return value.central if isinstance(value, Uncertain) else float(value)


def sample(inputs: Mapping[str, Input], n: int, seed: int = DEFAULT_SEED) -> dict[str, Array]:
    """Draw ``n`` samples of every input (independent), seeded.

    ``n == 1`` is the point estimate: every input at its central value.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    out: dict[str, Array] = {}
    for name, value in inputs.items():
        if n == 1 or not isinstance(value, Uncertain) or value.low == value.high:
            out[name] = np.full(n, central(value))
        elif value.shape == "uniform":
            out[name] = rng.uniform(value.low, value.high, n)
        elif value.shape == "loguniform":
            out[name] = np.exp(rng.uniform(np.log(value.low), np.log(value.high), n))
        else:
            assert value.mode is not None
            out[name] = rng.triangular(value.low, value.mode, value.high, n)
    return out


def summarise(values: Array) -> dict[str, float]:
    """p5, p50, p95 and mean of a sample."""
    import numpy as np

    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95), "mean": float(values.mean())}


def sensitivity(samples: Mapping[str, Array], output: Array) -> list[tuple[str, float]]:
    """Inputs ranked by their share of the output's spread (squared rank correlation)."""
    import numpy as np

    def ranks(x: Array) -> Array:
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        return r

    # A strided subsample ranks inputs just as well and keeps 10^6-sample runs fast (a
    # stride, not a prefix: mixture draws come in blocks, one per component).
    limit = 20_000
    stride = max(1, len(output) // limit)
    output = output[::stride][:limit]
    out_rank = ranks(output)
    scores: dict[str, float] = {}
    if len(output) < 3:
        return []
    for name, drawn in samples.items():
        values = drawn[::stride][:limit]
        if np.ptp(values) == 0:
            continue
        rho = float(np.corrcoef(ranks(values), out_rank)[0, 1])
        scores[name] = rho * rho
    total = sum(scores.values()) or 1.0
    return sorted(((k, v / total) for k, v in scores.items()), key=lambda kv: -kv[1])


def sample_mixture(
    components: Sequence[Mapping[str, Input]],
    weights: Sequence[float],
    n: int,
    seed: int = DEFAULT_SEED,
) -> tuple[dict[str, Array], Array]:
    """Draw ``n`` samples from a mixture: each sample picks a component by weight.

    Every component sets the same inputs. Returns the draws and each sample's
    component index. ``n == 1`` is the point estimate: the heaviest component's
    central values.
    """
    import numpy as np

    names = list(components[0])
    if len(components) == 1:
        return sample(components[0], n, seed), np.zeros(n)
    if n == 1:
        heaviest = int(np.argmax(weights))
        return sample(components[heaviest], 1, seed), np.array([float(heaviest)])
    rng = np.random.default_rng(seed)
    p = np.asarray(weights, dtype=float)
    counts = rng.multinomial(n, p / p.sum())
    # Contiguous blocks, one per component: every other input is drawn independently of
    # position, so block order biases nothing (sensitivity() subsamples with a stride).
    blocks = []
    for index, component in enumerate(components):
        if counts[index]:
            # sample() reads n == 1 as "point estimate": draw at least two, keep what is needed.
            drawn = sample(component, max(int(counts[index]), 2), int(rng.integers(2**62)))
            blocks.append({name: drawn[name][: counts[index]] for name in names})
    out = {name: np.concatenate([block[name] for block in blocks]) for name in names}
    which = np.repeat(np.arange(len(components)), counts)
    return out, which.astype(float)
