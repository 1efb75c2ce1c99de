"""Reproduce the fit of the inference model's constants, and test it out of sample.

The inference estimator (src/wattlens/estimate/inference.py) has five fitted
constants: memory and compute efficiency, serving power fraction, per-step
overhead and the MoE compute efficiency. This script fits them on the ML.ENERGY
rows of tests/validation/published_inference.csv (least squares on the log of
estimate / measured, input tokens at the default's centre, 1,000), prints the
fit, then refits leaving each model out in turn and predicts it (out-of-sample
errors). Needs scipy (`pip install scipy`; it is not a wattlens dependency).

    python benchmarks/calibrate_inference.py
"""

from __future__ import annotations

import csv
import math
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "validation"))

NAMES = ("mem_efficiency", "compute_efficiency", "power_fraction", "step_overhead_s", "moe")


def rows() -> list[dict[str, str]]:
    path = ROOT / "tests" / "validation" / "published_inference.csv"
    with path.open(encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle) if r["case_id"].startswith("mlenergy_")]


def predict(row: dict[str, str], constants: dict[str, float]) -> float:
    import importlib

    from test_inference_validation import PRECISION, _shape  # type: ignore[import-not-found]

    # The package re-exports the function under the module's name: import the module.
    module = importlib.import_module("wattlens.estimate.inference")

    saved = {n: getattr(module, c) for n, c in _CONSTANTS.items()}
    try:
        for name, attr in _CONSTANTS.items():
            setattr(module, attr, constants[name])
        e = module.inference(
            model=_shape(row), output_tokens=float(row["avg_output_tokens"]),
            input_tokens=1000.0, accelerator=row["accelerator"],
            count=int(row["n_accelerators"]), batch=float(row["avg_batch"]),
            precision=PRECISION[row["precision"]], boundary="accelerator", samples=1,
        )  # fmt: skip
    finally:
        for name, attr in _CONSTANTS.items():
            setattr(module, attr, saved[name])
    return float(e.energy_j["p50"])


_CONSTANTS = {
    "mem_efficiency": "MEM_EFFICIENCY",
    "compute_efficiency": "COMPUTE_EFFICIENCY",
    "power_fraction": "SERVE_POWER_FRACTION",
    "step_overhead_s": "STEP_OVERHEAD_S",
    "moe": "MOE_COMPUTE_EFFICIENCY",
}


def fit(train: list[dict[str, str]]) -> dict[str, float]:
    import numpy as np
    from scipy.optimize import minimize

    def loss(x: Any) -> float:
        c = dict(zip(NAMES, np.exp(x), strict=True))
        if c["mem_efficiency"] > 1 or c["compute_efficiency"] > 1 or c["power_fraction"] > 1:
            return 1e9
        errs = [math.log(predict(r, c) / float(r["energy_j_per_response"])) for r in train]
        return float(np.mean(np.square(errs)))

    import importlib

    module = importlib.import_module("wattlens.estimate.inference")
    start = np.log([getattr(module, attr).central for attr in _CONSTANTS.values()])
    res = minimize(loss, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-5})
    return dict(zip(NAMES, (float(v) for v in np.exp(res.x)), strict=True))


def report(label: str, ratios: list[float]) -> None:
    errors = [abs(r - 1) for r in ratios]
    worst = max(max(r, 1 / r) for r in ratios)
    within = sum(0.5 <= r <= 2 for r in ratios)
    print(
        f"{label:34} median |error| {statistics.median(errors):5.1%}   "
        f"worst factor {worst:4.2f}   within 2x {within}/{len(ratios)}"
    )


def main() -> None:
    from test_inference_validation import SHAPES  # type: ignore[import-not-found]

    table = rows()
    constants = fit(table)
    print("fitted on all", len(table), "rows:",
          ", ".join(f"{k} {v:.4g}" for k, v in constants.items()))  # fmt: skip
    report("in sample", [predict(r, constants) / float(r["energy_j_per_response"]) for r in table])
    held_out = []
    for family in SHAPES:
        test = [r for r in table if family in r["case_id"]]
        train = [r for r in table if family not in r["case_id"]]
        if not test:
            continue
        c = fit(train)
        ratios = [predict(r, c) / float(r["energy_j_per_response"]) for r in test]
        held_out.extend(ratios)
        report(f"  {family} held out ({len(test)} rows)", ratios)
    report("out of sample (leave one model out)", held_out)


if __name__ == "__main__":
    main()
