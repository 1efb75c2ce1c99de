"""Inference estimates against measured energy from independent sources: in sample and out.

Reads tests/validation/measured_inference.csv (each row: its source, a fixed
split, the inputs a user would type, the measured GPU joules per response)
and prints, per source and overall:

- **in sample**: each row with its declared serving stack (``--stack``), whose
  profile was fitted or bounded on that source's ``fit`` rows (on a ``holdout``
  row of a source no profile came from, this is the declared stack out of sample);
- **default**: each row as a new user would run it, ``--stack`` left at
  ``unknown``;
- **leave one source out**: ``unknown``, but without the profile whose
  constants came from that source (what the estimator would have said had the
  source never been seen).

Figures: median factor (median of max(est/meas, meas/est) of the p50), worst
factor, and the share of rows whose measurement lies within p5-p95.

    python benchmarks/validate_inference.py [--samples 4000]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "validation" / "measured_inference.csv"
#: Which profile's constants came from which source (left out together). A source not
#: named here (every row ``holdout``) gave no constant: its leave-one-out run is the default.
PROFILE_OF_SOURCE = {"mlenergy-v3-2026": "current", "mlenergy-v1-2023": "hf"}


@dataclass(frozen=True)
class Scored:
    source: str
    split: str
    factor: float  # p50 / measured
    covered: bool


def rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@contextlib.contextmanager
def without_profile(name: str | None) -> Iterator[None]:
    """The estimator with one serving-stack profile removed from the mixture."""
    import wattlens.estimate.stacks as module

    if name is None:
        yield
        return
    saved = module.stacks
    reduced = {k: v for k, v in saved().items() if k != name}
    module.stacks = lambda: reduced  # type: ignore[assignment]
    try:
        yield
    finally:
        module.stacks = saved


def score(row: dict[str, str], stack: str, samples: int) -> Scored:
    from wattlens import estimate

    e = estimate.inference(
        model=row["model"], accelerator=row["accelerator"], count=int(row["count"]),
        batch=round(float(row["batch"])), precision=row["precision"],
        output_tokens=float(row["output_tokens"]),
        input_tokens=float(row["input_tokens"]) if row["input_tokens"] else None,
        stack=stack, boundary=row["boundary"], samples=samples,
    )  # fmt: skip
    measured = float(row["energy_j_per_response"])
    q = e.energy_j
    return Scored(row["source_id"], row["split"], q["p50"] / measured,
                  q["p5"] <= measured <= q["p95"])  # fmt: skip


def evaluate(mode: str, table: list[dict[str, str]], samples: int) -> list[Scored]:
    """Score every row in one mode: ``in-sample``, ``default`` or ``loso``."""
    out = []
    for row in table:
        if mode == "in-sample":
            out.append(score(row, row["stack"], samples))
        elif mode == "default":
            out.append(score(row, "unknown", samples))
        else:
            with without_profile(PROFILE_OF_SOURCE.get(row["source_id"])):
                out.append(score(row, "unknown", samples))
    return out


def summary(scored: list[Scored]) -> tuple[float, float, float]:
    """Median factor, worst factor, coverage of p5-p95."""
    factors = [max(s.factor, 1 / s.factor) for s in scored]
    return (statistics.median(factors), max(factors),
            sum(s.covered for s in scored) / len(scored))  # fmt: skip


def line(label: str, scored: list[Scored]) -> str:
    median, worst, cover = summary(scored)
    low = sum(s.factor < 1 for s in scored)
    return (f"| {label:34} | {len(scored):3} | {median:5.2f} | {worst:5.2f} | {cover:5.0%} | "
            f"{low}/{len(scored)} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=4000)
    args = parser.parse_args()
    table = rows()
    sources = sorted({r["source_id"] for r in table})
    print("| rows | n | median factor | worst factor | p5-p95 coverage | estimate low |")
    print("|---|---|---|---|---|---|")
    for mode in ("in-sample", "default", "loso"):
        scored = evaluate(mode, table, args.samples)
        if mode == "in-sample":
            # The row's own --stack: in sample on the fit rows, out of sample on the held-out ones.
            print(line("in-sample: fit rows", [s for s in scored if s.split == "fit"]))
            print(line("declared stack: holdout rows", [s for s in scored if s.split != "fit"]))
        else:
            print(line(f"{mode}: all", scored))
        for source in sources:
            for split in ("fit", "holdout"):
                part = [s for s in scored if s.source == source and s.split == split]
                if part:
                    print(line(f"{mode}: {source} {split}", part))


if __name__ == "__main__":
    main()
