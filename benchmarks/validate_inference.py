"""Inference estimates against measured energy from independent sources: in sample and out.

Reads tests/validation/measured_inference.csv (each row: its source, a fixed
split, the inputs a user would type, the measured GPU joules per response)
and prints, per source and overall:

- **in sample**: each row with its declared serving stack (``--stack``), whose
  profile was fitted or bounded on that source's ``fit`` rows (on a ``holdout``
  row of a source no profile came from, this is the declared stack out of sample);
- **default**: each row as a new user would run it, ``--stack`` left at
  ``unknown``;
- **leave one source out** (``loso``): ``unknown``, as the estimator would have
  been had the source never been seen. A source with ``fit`` rows gave their
  stack's profile its constants: where another source has ``fit`` rows of the
  same stack and the profile is the one benchmarks/calibrate_inference.py fits,
  the profile is refitted on them (and its residual range recomputed); otherwise
  it is removed from the mixture. A source whose rows are all ``holdout`` gave no
  constant: its run is the default.
- **leave one source out, profile removed** (``loso-removed``): the same, always
  removing the profile (no refit).

The refit needs scipy (``pip install -e '.[calibrate]'``); it runs only where the
table has a second fitted source for a stack.

Figures: median factor (median of max(est/meas, meas/est) of the p50), worst
factor, and the share of rows whose measurement lies within p5-p95.

    python benchmarks/validate_inference.py [--samples 4000]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
TABLE = ROOT / "tests" / "validation" / "measured_inference.csv"
MODES = ("in-sample", "default", "loso", "loso-removed")


@dataclass(frozen=True)
class Scored:
    source: str
    split: str
    factor: float  # p50 / measured
    covered: bool


def rows() -> list[dict[str, str]]:
    with TABLE.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def profile_of_source(table: list[dict[str, str]]) -> dict[str, str]:
    """The profile each source's ``fit`` rows built (their ``stack``); sources without
    ``fit`` rows gave no constant and are not named."""
    out: dict[str, str] = {}
    for r in table:
        if r["split"] == "fit" and out.setdefault(r["source_id"], r["stack"]) != r["stack"]:
            raise ValueError(f"{r['source_id']}: fit rows of two stacks")
    return out


def leave_out(source: str, table: list[dict[str, str]]) -> tuple[str | None, str]:
    """What leaving ``source`` out does: ``(profile, "refit" | "removed")``, or
    ``(None, "default")`` for a source no profile came from."""
    from calibrate_inference import PROFILE  # type: ignore[import-not-found,unused-ignore]

    profile = profile_of_source(table).get(source)
    if profile is None:
        return None, "default"
    others = [r for r in table if r["split"] == "fit" and r["stack"] == profile
              and r["source_id"] != source]  # fmt: skip
    return profile, "refit" if others and profile == PROFILE else "removed"


@contextlib.contextmanager
def refitted(source: str) -> Iterator[None]:
    """The estimator with the fitted profile and residual refitted without ``source``."""
    import calibrate_inference as calibrate  # type: ignore[import-not-found,unused-ignore]

    import wattlens.estimate.stacks as module
    from wattlens.formulas.uncertainty import Uncertain

    train = calibrate.rows(exclude=[source])
    values = _refits.get(source) or _refits.setdefault(source, calibrate.fit(train))
    low, high = calibrate.residual_range(values, train)
    saved, saved_residual = module.stacks, module.model_residual
    shipped = module.model_residual()
    patched = {**saved(), calibrate.PROFILE: calibrate.profile_with(values)}
    module.stacks = lambda: patched  # type: ignore[assignment]
    module.model_residual = lambda: Uncertain(
        low, high, shipped.shape, None, f"refitted without {source}"
    )
    try:
        yield
    finally:
        module.stacks, module.model_residual = saved, saved_residual


_refits: dict[str, dict[str, float]] = {}


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


def pipeline_of(row: dict[str, str]) -> int:
    """Pipeline-parallel stages of a row: its ``pipeline`` column where the table has one,
    else the ``+pp<P>`` of the configuration file its source cites (ML.ENERGY v2 names
    its files ``bs<N>+tp<T>+pp<P>.json``), else 1.
    """
    import re

    if row.get("pipeline"):
        return int(row["pipeline"])
    found = re.search(r"\+pp(\d+)\b", row["source"])
    return int(found.group(1)) if found else 1


def score(row: dict[str, str], stack: str, samples: int) -> Scored:
    from wattlens import estimate

    e = estimate.inference(
        model=row["model"], accelerator=row["accelerator"], count=int(row["count"]),
        pipeline=pipeline_of(row),
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
    """Score every row in one mode of :data:`MODES`."""
    out = []
    for row in table:
        if mode == "in-sample":
            out.append(score(row, row["stack"], samples))
            continue
        if mode == "default":
            out.append(score(row, "unknown", samples))
            continue
        profile, how = leave_out(row["source_id"], table)
        if how == "refit" and mode == "loso":
            context: contextlib.AbstractContextManager[None] = refitted(row["source_id"])
        else:
            context = without_profile(profile)
        with context:
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
    return (f"| {label:48} | {len(scored):3} | {median:5.2f} | {worst:5.2f} | {cover:5.0%} | "
            f"{low}/{len(scored)} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=4000)
    args = parser.parse_args()
    table = rows()
    sources = sorted({r["source_id"] for r in table})
    for source in sources:
        profile, how = leave_out(source, table)
        print(f"leaving out {source}: " + (f"{profile} profile {how}" if profile
                                           else "no profile came from it (default)"))  # fmt: skip
    print()
    print("| rows | n | median factor | worst factor | p5-p95 coverage | estimate low |")
    print("|---|---|---|---|---|---|")
    for mode in MODES:
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
