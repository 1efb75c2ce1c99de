"""Fit the `current` serving-stack constants, and say how well they hold out of sample.

The inference estimator reads its constants from one data file,
src/wattlens/formulas/data/serving_stacks.csv. The rows of the `current`
profile marked `fitted` (and the `all,model_residual` row) come from this
script: least squares on the log of estimate / measured energy, plus half-weighted
log errors of the decode step against the published median inter-token latency
where a source publishes one, over the `fit` rows of the `current` stack in
tests/validation/measured_inference.csv (today the 30 ML.ENERGY v3 rows, vLLM of
2025; their latencies are quoted in the notes of tests/validation/published_inference.csv),
point estimates of the roofline alone. Rows without an input length take the default
assumption's centre: ML.ENERGY v3 publishes none per configuration, and its prompts
cannot be counted offline (its benchmark draws 1,024 requests, each turn with the
conversation before it, from the Hugging Face dataset lmarena-ai/arena-human-preference-100k,
and the per-request lengths sit in the gated dataset ml-energy/benchmark-v3; neither is
in a repository or package). The fit starts from fixed mid-range values (START), not from
the shipped file, so it regenerates the file from the data alone. It prints the fit,
compares it with the shipped file, then refits leaving each model family out in turn.
``--exclude-source ID`` fits without one source's rows (what leaving that source out
of the validation means for the fitted profile); it never writes the file.

    pip install -e '.[calibrate]'
    python benchmarks/calibrate_inference.py            # fit and compare
    python benchmarks/calibrate_inference.py --write    # regenerate the shipped rows
    python benchmarks/calibrate_inference.py --exclude-source mlenergy-v3-2026
    make calibrate                                      # the same, extra included

tests/validation/test_calibration.py checks that the shipped constants are a
minimum of this loss (without scipy) and, marked slow, that a fresh fit gives them.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import statistics
import sys
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "validation"))
DATA = ROOT / "src" / "wattlens" / "formulas" / "data" / "serving_stacks.csv"

#: The fitted constants of the `current` profile, in the order of the fit vector.
#: MoE prefill efficiency and the expert-parallel exchange are bounds with their own basis
#: (serving_stacks.csv), not fitted: nine MoE rows of two families cannot pin them.
FITTED = ("mem_efficiency", "compute_efficiency", "power_fraction", "memory_power_share",
          "step_overhead_s", "step_overhead_per_seq_s")  # fmt: skip
FRACTIONS = {"mem_efficiency", "compute_efficiency", "power_fraction", "memory_power_share"}
ITL_WEIGHT = 0.5


#: The profile this script fits: the `fit` rows of this stack are its training data.
PROFILE = "current"
MEASURED = ROOT / "tests" / "validation" / "measured_inference.csv"
PUBLISHED = ROOT / "tests" / "validation" / "published_inference.csv"


def rows(exclude: Collection[str] = ()) -> list[dict[str, str]]:
    """The fit rows of the fitted profile, from every source but ``exclude``.

    Each is the row of measured_inference.csv, with ``itl_ms`` (the published median
    inter-token latency, from the notes of the same case in published_inference.csv)
    where its source publishes one.
    """
    with PUBLISHED.open(encoding="utf-8") as handle:
        notes = {r["case_id"]: r["notes"] for r in csv.DictReader(handle)}
    with MEASURED.open(encoding="utf-8") as handle:
        table = [r for r in csv.DictReader(handle)
                 if r["split"] == "fit" and r["stack"] == PROFILE
                 and r["source_id"] not in exclude]  # fmt: skip
    for r in table:
        r["itl_ms"] = _itl_ms(notes.get(r["case_id"], ""))
    return table


def _itl_ms(notes: str) -> str:
    import re

    found = re.search(r"median ITL ([0-9.]+) ms", notes)
    return found.group(1) if found else ""


def centrals() -> dict[str, float]:
    """The shipped `current` constants (their central values)."""
    from wattlens.estimate.stacks import stacks

    params = stacks()[PROFILE].params
    return {name: params[name].central for name in FITTED}


#: Where the fit starts: mid-range values, not the shipped constants, so that the fit
#: regenerates the shipped file from the data alone.
START = {"mem_efficiency": 0.8, "compute_efficiency": 0.5, "power_fraction": 0.9,
         "memory_power_share": 0.8, "step_overhead_s": 2e-3,
         "step_overhead_per_seq_s": 5e-5}  # fmt: skip
#: Each fitted constant ships as a triangular range around its fitted value, low and high
#: as multiples of it (the relative widths the file has carried since its first fit).
SPREAD = {"mem_efficiency": (0.82, 1.18), "compute_efficiency": (0.75, 1.27),
          "power_fraction": (0.8, 1.0), "memory_power_share": (0.85, 1.15),
          "step_overhead_s": (0.5, 1.9),
          "step_overhead_per_seq_s": (0.5, 1.5)}  # fmt: skip
#: The smallest fixed per-step overhead: one CUDA-graph replay and a sampler launch.
MIN_STEP_OVERHEAD_S = 1e-4


def profile_with(values: dict[str, float]) -> Any:
    """The `current` profile with its fitted constants at ``values`` (ranges of :data:`SPREAD`).

    Fractions stay at or below 1.
    """
    from wattlens.estimate.stacks import stacks
    from wattlens.formulas.uncertainty import Uncertain

    base = stacks()[PROFILE]
    params = dict(base.params)
    for name, value in values.items():
        low, high = (value * k for k in SPREAD[name])
        if name in FRACTIONS:
            high = min(1.0, high)
        params[name] = Uncertain(low, high, "triangular", min(value, high), params[name].basis)
    return replace(base, params=params)


def measured_itl_s(row: dict[str, str]) -> float | None:
    """The row's median inter-token latency, where its source publishes one."""
    return float(row["itl_ms"]) / 1e3 if row.get("itl_ms") else None


def predict(row: dict[str, str], values: dict[str, float]) -> float:
    return predict_both(row, values)[0]


def predict_both(row: dict[str, str], values: dict[str, float]) -> tuple[float, float]:
    """Energy per response (J) and decode step time (s), point estimates."""
    import wattlens.estimate.stacks as module
    from wattlens.estimate.inference import INPUT_TOKENS, inference
    from wattlens.estimate.stacks import model_residual

    shipped = module.stacks()
    patched = {**shipped, PROFILE: profile_with(values)}
    saved = module.stacks
    module.stacks = lambda: patched  # type: ignore[assignment]
    try:
        e = inference(
            model=row["model"], output_tokens=float(row["output_tokens"]),
            input_tokens=float(row["input_tokens"]) if row["input_tokens"]
            else INPUT_TOKENS.central,
            accelerator=row["accelerator"], count=int(row["count"]),
            pipeline=int(row.get("pipeline") or 1), batch=round(float(row["batch"])),
            precision=row["precision"], stack=PROFILE, boundary=row["boundary"], samples=1,
        )  # fmt: skip
    finally:
        module.stacks = saved
    assert e.decode_step_s is not None
    # The roofline alone: the point estimate carries the shipped residual's central value,
    # which is computed from this fit (residual_range), so it must not feed back into it.
    return float(e.energy_j["p50"]) / model_residual().central, e.decode_step_s.p50


def loss(values: dict[str, float], train: list[dict[str, str]]) -> float:
    """Mean squared log error of energy, plus that of the step time where it is published.

    Energy alone leaves a valley of equally good fits (a long step at low power or a
    short one at high power); the published inter-token latency picks the point on it.
    """
    errs = []
    for r in train:
        energy, step = predict_both(r, values)
        errs.append(math.log(energy / float(r["energy_j_per_response"])))
        itl = measured_itl_s(r)
        if itl is not None:
            # Half weight: the median inter-token latency is not the mean step time.
            errs.append(ITL_WEIGHT * math.log(step / itl))
    return float(statistics.fmean(e * e for e in errs))


def fit(train: list[dict[str, str]]) -> dict[str, float]:
    import numpy as np
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    # Overheads may be near 0: fit them on a linear scale (in ms), the fractions in logs.
    linear = {"step_overhead_s", "step_overhead_per_seq_s"}
    x0 = [START[n] * 1e3 if n in linear else math.log(START[n]) for n in FITTED]

    def unpack(x: Any) -> dict[str, float]:
        out = {n: (max(0.0, v) / 1e3 if n in linear else float(np.exp(v)))
               for n, v in zip(FITTED, x, strict=True)}  # fmt: skip
        out["step_overhead_s"] = max(MIN_STEP_OVERHEAD_S, out["step_overhead_s"])
        return out

    def objective(x: Any) -> float:
        values = unpack(x)
        if any(values[n] > 1 for n in FRACTIONS):
            return 1e9
        return loss(values, train)

    # A simplex can stall in a flat valley: restart it from where it stopped until a
    # restart no longer improves the loss.
    best = None
    for _ in range(4):
        res = minimize(objective, x0, method="Nelder-Mead",
                       options={"maxiter": 3000, "xatol": 1e-4, "fatol": 1e-7})  # fmt: skip
        if best is not None and res.fun >= best - 1e-6:
            break
        best, x0 = float(res.fun), list(res.x)
    return unpack(x0)


def report(label: str, ratios: list[float]) -> None:
    errors = [abs(r - 1) for r in ratios]
    worst = max(max(r, 1 / r) for r in ratios)
    print(f"{label:40} median |error| {statistics.median(errors):5.1%}   "
          f"worst factor {worst:4.2f}   n={len(ratios)}")  # fmt: skip


def residual_range(values: dict[str, float], train: list[dict[str, str]]) -> tuple[float, float]:
    """p5 and p95 of measured / estimated over the fit rows: what the roofline leaves out."""
    import numpy as np

    ratios = [float(r["energy_j_per_response"]) / predict(r, values) for r in train]
    low, high = np.percentile(ratios, [5, 95])
    return float(low), float(high)


def write(values: dict[str, float], residual: tuple[float, float]) -> None:
    """Rewrite the fitted rows of the data file; every other row stays as it is."""
    profile = profile_with(values)
    text = DATA.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    fields = list(reader.fieldnames or [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in reader:
        if row["stack"] == PROFILE and row["parameter"] in FITTED:
            u = profile.params[row["parameter"]]
            row["low"], row["high"] = f"{u.low:.4g}", f"{u.high:.4g}"
            row["mode"] = f"{u.mode:.4g}" if u.mode is not None else ""
            row["shape"] = u.shape
        if row["stack"] == "all" and row["parameter"] == "model_residual":
            row["low"], row["high"] = f"{residual[0]:.3g}", f"{residual[1]:.4g}"
        writer.writerow(row)
    DATA.write_text(out.getvalue(), encoding="utf-8")
    print(f"wrote {DATA.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="regenerate the shipped rows")
    parser.add_argument("--no-holdout", action="store_true", help="skip the leave-out refits")
    parser.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        metavar="ID",
        help="fit without this source's rows (repeatable; never with --write)",
    )
    args = parser.parse_args()
    if args.exclude_source and args.write:
        parser.error("--exclude-source fits a profile for validation only: it cannot --write")
    from test_inference_validation import SHAPES  # type: ignore[import-not-found,unused-ignore]

    table = rows(args.exclude_source)
    if not table:
        parser.error(f"no fit rows of the {PROFILE} stack are left without "
                     f"{', '.join(args.exclude_source)}")  # fmt: skip
    shipped = centrals()
    values = fit(table)
    sources = sorted({r["source_id"] for r in table})
    print(f"fitted on the {len(table)} fit rows of {', '.join(sources)}:")
    for name in FITTED:
        print(f"  {name:26} fitted {values[name]:.4g}   shipped {shipped[name]:.4g}")
    print(f"loss: fitted {loss(values, table):.5f}, shipped {loss(shipped, table):.5f}")
    report("in sample (fitted)", [predict(r, values) / float(r["energy_j_per_response"])
                                  for r in table])  # fmt: skip
    residual = residual_range(values, table)
    print(f"residual measured/estimated p5-p95: {residual[0]:.3g}-{residual[1]:.4g}")
    if args.write:
        write(values, residual)
    if args.no_holdout:
        return
    held_out = []
    for family in SHAPES:
        test = [r for r in table if family in r["case_id"]]
        train = [r for r in table if family not in r["case_id"]]
        if not test:
            continue
        c = fit(train)
        ratios = [predict(r, c) / float(r["energy_j_per_response"]) for r in test]
        held_out.extend(ratios)
        report(f"  {family} held out", ratios)
    report("leave one model family out", held_out)


if __name__ == "__main__":
    main()
