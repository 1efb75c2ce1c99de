"""Per-request LLM inference energy: EcoLogits and wattlens against ML.ENERGY measurements.

For every ``mlenergy_*`` row of ``tests/validation/published_inference.csv``
(GPU-only joules per response measured by the ML.ENERGY leaderboard, v3) this
prints the measured value, EcoLogits's estimate and wattlens's estimate, with
each tool's ratio to the measurement, and a summary per tool.

EcoLogits is a peer to compare against, **never a dependency of wattlens**. It
runs in its own virtual environment (``.venv-bench``, shared with
``bench_overhead.py``) through a small child script embedded below; wattlens
runs in this process. ``--setup`` creates that venv and installs the pinned
version.

EcoLogits settings (pinned ``ecologits==0.11.3``; read from its source,
``ecologits/impacts/llm.py``):

* Function: ``ecologits.impacts.llm.compute_llm_impacts_dag`` — the DAG that
  ``compute_llm_impacts`` (and the provider tracers' ``llm_impacts``) runs,
  called directly so that its intermediates are visible.
* Boundary: **GPU only**, ``gpu_required_count * gpu_energy``, i.e. the GPU
  term of EcoLogits's ``request_it_energy`` without ``server_energy`` (the
  non-GPU server share) and without PUE: like for like with ML.ENERGY's
  GPU-only joules and wattlens's ``boundary="accelerator"``.
  ``gpu_energy`` is EcoLogits's per-GPU regression
  ``output_tokens * (alpha * exp(beta * batch) * active_params_B + gamma)`` Wh,
  fitted by EcoLogits on ML.ENERGY data; ``gpu_required_count`` is its own GPU
  count: ``1.2 * total_params_B * bits / 8`` GB over ``gpu_memory`` (80 GB),
  rounded up to a power of two.
* Inputs from the row (the same facts wattlens gets): active and total
  parameters (in billions), output tokens per response, ``batch_size`` = the
  row's average batch, ``model_quantization_bits`` = 16 for bfloat16, 8 for fp8.
  Everything else is EcoLogits's default (``gpu_memory=80``, its regression
  coefficients, 8-GPU 1.2 kW server). Input tokens do not enter its model.
* Latency: the GPU energy does not depend on latency in EcoLogits (only the
  server share and embodied impacts do). ``request_latency`` is left unset,
  which EcoLogits turns into infinity, so the generation latency is its own
  modelled one (``output_tokens * (a * active_B + b * batch + c)`` s); ``tps``
  and ``ttft`` unset.
* Electricity mix ``WOR`` (world), ``datacenter_pue=1.0``, ``datacenter_wue=0``:
  none of these touch the energy figures compared here.
* Two variants, in the summary and ``--json``: "as shipped" (batch 64 and 16-bit,
  what the EcoLogits tracers use for every API call) and "actual GPU count"
  (``gpu_energy`` times the row's real ``n_accelerators`` instead of EcoLogits's
  memory-derived count).

wattlens: ``wattlens.estimate.inference(params=, active_params=, layers=,
hidden_size=, heads=, kv_heads=, output_tokens=, input_tokens=None,
accelerator=, count=, batch=, precision=, boundary="accelerator")`` with the
row's parameters, accelerator, count, average batch and precision; the
architecture (layers, hidden size, heads, KV heads) from each model's
``config.json`` (table ``ARCHITECTURES``). wattlens's inference constants were
fitted on these same rows, so its figures here are in-sample (a fit check).
The CSV has no input-token counts, so ``input_tokens=None`` (wattlens's
documented default range, 100-2,000 log-uniform, stated as an assumption). If ``estimate.inference``
is not there (or fails on a row), its columns say ``n/a``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_ecologits.py --setup   # once: .venv-bench + ecologits
    .venv/bin/python benchmarks/bench_ecologits.py
    .venv/bin/python benchmarks/bench_ecologits.py --json > ecologits.json
    .venv/bin/python benchmarks/bench_ecologits.py --measured   # every source of the
                                                                # measured table
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / ".venv-bench"
CSV_PATH = ROOT / "tests" / "validation" / "published_inference.csv"
MEASURED_PATH = ROOT / "tests" / "validation" / "measured_inference.csv"
ECOLOGITS_PIN = "ecologits==0.11.3"
J_PER_KWH = 3.6e6
ID_PREFIX = "mlenergy_"

#: layers, hidden size, attention heads, KV heads, from each model's config.json
#: on Hugging Face (the Llama and DeepSeek rows match src/wattlens/catalog/data/models.csv).
ARCHITECTURES: dict[str, tuple[int, int, int, int]] = {
    "meta-llama/Llama-3.1-8B-Instruct": (32, 4096, 32, 8),
    "meta-llama/Llama-3.1-70B-Instruct": (80, 8192, 64, 8),
    "meta-llama/Llama-3.1-405B-Instruct": (126, 16384, 128, 8),
    "meta-llama/Llama-3.1-405B-Instruct-FP8": (126, 16384, 128, 8),
    "Qwen/Qwen3-235B-A22B-Instruct-2507": (94, 4096, 64, 4),
    "Qwen/Qwen3-30B-A3B-Instruct-2507": (48, 2048, 32, 4),
    "deepseek-ai/DeepSeek-V3.1": (61, 7168, 128, 128),
}
PRECISIONS = {"bfloat16": "bf16", "bf16": "bf16", "float16": "fp16", "fp16": "fp16", "fp8": "fp8"}
QUANT_BITS = {"bf16": 16, "fp16": 16, "fp8": 8}

# The EcoLogits child: runs under .venv-bench's interpreter, reads the rows as JSON
# on stdin, prints one JSON object on stdout.
CHILD = r"""
import json, math, sys
import ecologits
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts_dag

J_PER_KWH = 3.6e6
mix = electricity_mixes.find_electricity_mix(zone="WOR")
common = dict(
    if_electricity_mix_adpe=mix.adpe, if_electricity_mix_pe=mix.pe,
    if_electricity_mix_gwp=mix.gwp, if_electricity_mix_wue=mix.wue,
    datacenter_pue=1.0, datacenter_wue=0.0, request_latency=math.inf,
)

def run(row, batch, bits):
    dag = compute_llm_impacts_dag(
        model_active_parameter_count=row["active_b"],
        model_total_parameter_count=row["total_b"],
        output_token_count=row["output_tokens"],
        batch_size=batch, model_quantization_bits=bits, **common,
    )
    per_gpu = float(dag["gpu_energy"]) * J_PER_KWH
    return {
        "gpu_energy_per_gpu_j": per_gpu,
        "gpu_required_count": int(dag["gpu_required_count"]),
        "gpu_j": per_gpu * int(dag["gpu_required_count"]),
        "gpu_j_actual_count": per_gpu * row["n_accelerators"],
        "server_share_j": float(dag["server_energy"]) * J_PER_KWH,
        "it_j": float(dag["request_it_energy"]) * J_PER_KWH,
        "generation_latency_s": float(dag["generation_latency"]),
    }

rows = json.load(sys.stdin)
out = []
for row in rows:
    out.append({
        "id": row["id"],
        "row": run(row, row["batch"], row["bits"]),
        "shipped": run(row, 64, 16),
    })
print(json.dumps({"version": ecologits.__version__, "rows": out}))
"""


# ---------------------------------------------------------------------------
# Rows
# ---------------------------------------------------------------------------


def load_rows(path: Path = CSV_PATH) -> list[dict[str, Any]]:
    """The ML.ENERGY rows of the validation CSV, as the inputs both tools take."""
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            if not rec["case_id"].startswith(ID_PREFIX):
                continue
            precision = PRECISIONS.get(rec["precision"].strip().lower(), rec["precision"])
            active = float(rec["active_params"])
            total = float(rec["total_params"])
            rows.append(
                {
                    "id": rec["case_id"],
                    "model": rec["model"],
                    "accelerator": rec["accelerator"],
                    "n_accelerators": int(rec["n_accelerators"]),
                    "precision": precision,
                    "bits": QUANT_BITS.get(precision, 16),
                    "batch": float(rec["avg_batch"]),
                    "output_tokens": float(rec["avg_output_tokens"]),
                    "input_tokens": float(rec["avg_input_tokens"])
                    if rec.get("avg_input_tokens")
                    else None,
                    "measured_j": float(rec["energy_j_per_response"]),
                    "active": active,
                    "total": total,
                    "active_b": active / 1e9,
                    "total_b": total / 1e9,
                    "architecture": rec["architecture"],
                }
            )
    return rows


def load_measured_rows(path: Path = MEASURED_PATH) -> list[dict[str, Any]]:
    """Every row of the measured table (all sources and splits), sizes from the catalog."""
    from validate_inference import pipeline_of  # type: ignore[import-not-found,unused-ignore]

    from wattlens.catalog import get_catalog
    from wattlens.estimate._common import resolve_model

    catalog = get_catalog()
    rows = []
    with path.open(encoding="utf-8") as handle:
        for rec in csv.DictReader(handle):
            model = resolve_model(rec["model"], catalog)
            total = float(model.params_total or 0.0)
            active = float(model.params_active or total)
            precision = rec["precision"]
            rows.append(
                {
                    "id": rec["case_id"],
                    "model": rec["model"],
                    "catalog_model": True,
                    "source_id": rec["source_id"],
                    "split": rec["split"],
                    "accelerator": rec["accelerator"],
                    "n_accelerators": int(rec["count"]),
                    "pipeline": pipeline_of(rec),
                    "boundary": rec["boundary"],
                    "precision": precision,
                    "bits": QUANT_BITS.get(precision, 16),
                    "batch": float(rec["batch"]),
                    "output_tokens": float(rec["output_tokens"]),
                    "input_tokens": float(rec["input_tokens"]) if rec["input_tokens"] else None,
                    "measured_j": float(rec["energy_j_per_response"]),
                    "active": active,
                    "total": total,
                    "active_b": active / 1e9,
                    "total_b": total / 1e9,
                }
            )
    return rows


# ---------------------------------------------------------------------------
# EcoLogits (child process, its own venv)
# ---------------------------------------------------------------------------


def setup_bench_venv(path: Path = BENCH_VENV) -> Path:
    """Create ``path`` if needed and install the pinned EcoLogits into it."""
    python = path / "bin" / "python"
    if not python.exists():
        print(f"creating {path} (a separate venv: EcoLogits never enters wattlens's)")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
        # Like `python -m venv` does from Python 3.13: keep the venv out of git.
        (path / ".gitignore").write_text("*\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", ECOLOGITS_PIN], check=True)
    return python


def run_ecologits(python: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the embedded child under ``python``; returns its JSON (or an ``error``)."""
    payload = json.dumps(
        [
            {k: r[k] for k in ("id", "active_b", "total_b", "output_tokens", "batch", "bits")}
            | {"n_accelerators": r["n_accelerators"]}
            for r in rows
        ]
    )
    try:
        proc = subprocess.run(
            [python, "-c", CHILD],
            input=payload,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": str(exc)}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------
# wattlens (in process)
# ---------------------------------------------------------------------------


def wattlens_available() -> tuple[bool, str]:
    """Whether ``wattlens.estimate.inference`` exists, and the wattlens version."""
    try:
        import wattlens
        from wattlens import estimate
    except ImportError as exc:
        return False, f"wattlens not importable: {exc}"
    version = str(getattr(wattlens, "__version__", "?"))
    return hasattr(estimate, "inference"), version


def run_wattlens(row: dict[str, Any]) -> dict[str, Any]:
    """wattlens's accelerator-boundary quantiles for one row, or an ``error``."""
    from wattlens import estimate

    if row.get("catalog_model"):  # the measured table: what a new user types, --stack left out
        try:
            est = estimate.inference(
                model=row["model"], output_tokens=row["output_tokens"],
                input_tokens=row["input_tokens"], accelerator=row["accelerator"],
                count=row["n_accelerators"], pipeline=row["pipeline"],
                batch=round(row["batch"]), precision=row["precision"],
                boundary=row["boundary"],
            )  # fmt: skip
        except Exception as exc:  # a benchmark reports every failure and goes on
            return {"error": f"{type(exc).__name__}: {exc}"}
        return {k: float(v) for k, v in est.energy_j.items()}
    arch = ARCHITECTURES.get(row["model"])
    if arch is None:
        return {"error": f"no architecture for {row['model']} in ARCHITECTURES"}
    layers, hidden, heads, kv_heads = arch
    try:
        est = estimate.inference(
            params=row["total"],
            active_params=row["active"],
            layers=layers,
            hidden_size=hidden,
            heads=heads,
            kv_heads=kv_heads,
            output_tokens=row["output_tokens"],
            input_tokens=row["input_tokens"],
            accelerator=row["accelerator"],
            count=row["n_accelerators"],
            batch=round(row["batch"]),
            precision=row["precision"],
            boundary="accelerator",
        )
    except Exception as exc:  # a benchmark reports every failure and goes on
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {k: float(v) for k, v in est.energy_j.items()}


# ---------------------------------------------------------------------------
# Summary and table
# ---------------------------------------------------------------------------


def _factor(ratio: float) -> float:
    return max(ratio, 1 / ratio)


def summarise(pairs: list[tuple[float, float]]) -> dict[str, Any] | None:
    """Error statistics of (estimate, measured) pairs."""
    pairs = [(e, m) for e, m in pairs if e > 0 and m > 0 and math.isfinite(e)]
    if not pairs:
        return None
    ratios = [e / m for e, m in pairs]
    return {
        "n": len(pairs),
        "median_abs_error_pct": 100 * statistics.median(abs(r - 1) for r in ratios),
        "median_factor": statistics.median(_factor(r) for r in ratios),
        "geomean_ratio": math.exp(statistics.fmean(math.log(r) for r in ratios)),
        "max_factor": max(_factor(r) for r in ratios),
        "within_2x": sum(_factor(r) <= 2 for r in ratios),
    }


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if value < 1000 else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def build_results(
    rows: list[dict[str, Any]], eco: dict[str, Any], wattlens_ok: bool
) -> list[dict[str, Any]]:
    """One result per row: measured, EcoLogits (three variants), wattlens quantiles."""
    eco_rows = {r["id"]: r for r in eco.get("rows", [])}
    results = []
    for row in rows:
        res: dict[str, Any] = {
            "id": row["id"],
            "source_id": row.get("source_id", "mlenergy-v3-2026"),
            "measured_j": row["measured_j"],
            "batch": row["batch"],
            "n_accelerators": row["n_accelerators"],
        }
        e = eco_rows.get(row["id"])
        if e is not None:
            res["ecologits"] = e
        res["wattlens"] = run_wattlens(row) if wattlens_ok else {"error": "not available"}
        results.append(res)
    return results


def summaries(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Summary statistics per tool and EcoLogits variant."""

    def pairs(get: Any) -> list[tuple[float, float]]:
        out = []
        for r in results:
            value = get(r)
            if value is not None:
                out.append((value, r["measured_j"]))
        return out

    def eco(variant: str, key: str) -> Any:
        return lambda r: r["ecologits"][variant][key] if "ecologits" in r else None

    def wl(r: dict[str, Any]) -> float | None:
        p50 = r["wattlens"].get("p50")
        return None if p50 is None else float(p50)

    inside = [
        r["wattlens"]["p5"] <= r["measured_j"] <= r["wattlens"]["p95"]
        for r in results
        if "p5" in r["wattlens"] and "p95" in r["wattlens"]
    ]
    return {
        "ecologits": summarise(pairs(eco("row", "gpu_j"))),
        "ecologits_actual_gpu_count": summarise(pairs(eco("row", "gpu_j_actual_count"))),
        "ecologits_as_shipped": summarise(pairs(eco("shipped", "gpu_j"))),
        "wattlens_p50": summarise(pairs(wl)),
        "wattlens_inside_p5_p95": {"inside": sum(inside), "n": len(inside)} if inside else None,
    }


def _summary_line(label: str, s: dict[str, Any] | None) -> str:
    if s is None:
        return f"  {label:<37} n/a"
    return (
        f"  {label:<37} median |error| {s['median_abs_error_pct']:5.0f} %   "
        f"median factor {s['median_factor']:5.2f}   max factor {s['max_factor']:6.2f}   "
        f"geomean ratio {s['geomean_ratio']:5.2f}   within 2x {s['within_2x']}/{s['n']}"
    )


def print_table(
    results: list[dict[str, Any]],
    summary: dict[str, Any],
    eco_version: str,
    wattlens_note: str,
    out: TextIO,
    *,
    all_sources: bool = False,
) -> None:
    """The side-by-side table and the summary lines."""
    what = (
        "measured (all sources of the measured table)" if all_sources else "ML.ENERGY v3 measured"
    )
    print(
        f"Per-request GPU energy (J/response), {what} vs EcoLogits {eco_version}"
        f" (GPU-only: gpu_required_count x gpu_energy) vs wattlens {wattlens_note}"
        " (accelerator boundary)",
        file=out,
    )
    header = (
        f"{'row (mlenergy_v3_…)':<50} {'measured':>8} {'EcoL J':>8} {'EcoL/m':>6} "
        f"{'GPUs E/real':>11} {'wl p50':>8} {'wl/m':>6} {'wl p5':>8} {'wl p95':>8} {'in p5-95':>8}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    errors = []
    for r in results:
        measured = r["measured_j"]
        e = r.get("ecologits", {}).get("row")
        eco_j = e["gpu_j"] if e else None
        gpus = f"{e['gpu_required_count']}/{r['n_accelerators']}" if e else "n/a"
        w = r["wattlens"]
        p50, p5, p95 = w.get("p50"), w.get("p5"), w.get("p95")
        if "error" in w and w["error"] != "not available":
            errors.append(f"{r['id']}: {w['error']}")
        inside = "n/a" if p5 is None or p95 is None else ("yes" if p5 <= measured <= p95 else "no")
        print(
            f"{r['id'].removeprefix('mlenergy_v3_'):<50} {_num(measured):>8} {_num(eco_j):>8} "
            f"{_ratio(eco_j / measured if eco_j else None):>6} {gpus:>11} {_num(p50):>8} "
            f"{_ratio(p50 / measured if p50 else None):>6} {_num(p5):>8} {_num(p95):>8} "
            f"{inside:>8}",
            file=out,
        )
    print(file=out)
    print("Summary (ratio = estimate / measured; factor = max(ratio, 1/ratio)):", file=out)
    print(_summary_line("EcoLogits (row batch, its GPU count)", summary["ecologits"]), file=out)
    print(
        _summary_line("EcoLogits, real GPU count", summary["ecologits_actual_gpu_count"]),
        file=out,
    )
    print(
        _summary_line("EcoLogits as shipped (batch 64)", summary["ecologits_as_shipped"]),
        file=out,
    )
    print(_summary_line("wattlens p50", summary["wattlens_p50"]), file=out)
    inside = summary["wattlens_inside_p5_p95"]
    if inside:
        print(
            f"  {'wattlens p5-p95 covers measured':<37} {inside['inside']}/{inside['n']} rows",
            file=out,
        )
    if all_sources:
        print(
            "Note: wattlens runs as a new user would (--stack unknown, the row's inputs); its\n"
            "  current profile was fitted on the mlenergy-v3 rows, no constant on mlenergy-v2.\n"
            "  EcoLogits runs with its own fixed coefficients (fitted by EcoLogits on ML.ENERGY\n"
            "  leaderboard data).",
            file=out,
        )
    else:
        print(
            "Note: wattlens's inference constants were fitted on these ML.ENERGY v3 rows (see\n"
            "  src/wattlens/estimate/inference.py): its columns are in-sample, a fit check. For\n"
            "  out-of-sample figures run benchmarks/validate_inference.py (and this script\n"
            "  with --measured). EcoLogits runs with its own fixed coefficients.",
            file=out,
        )
    if errors:
        print("\nwattlens failed on some rows:", file=out)
        for line in errors:
            print(f"  {line}", file=out)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--setup",
        action="store_true",
        help=f"create .venv-bench and install {ECOLOGITS_PIN} into it first",
    )
    parser.add_argument(
        "--ecologits-python",
        default=str(BENCH_VENV / "bin" / "python"),
        help="interpreter with ecologits installed (default .venv-bench/bin/python)",
    )
    parser.add_argument("--csv", default=str(CSV_PATH), help="validation CSV to read")
    parser.add_argument(
        "--measured",
        action="store_true",
        help="score every row of tests/validation/measured_inference.csv (all sources), "
        "wattlens with its default --stack unknown",
    )
    parser.add_argument("--json", action="store_true", help="print every figure as JSON instead")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run both tools on the ML.ENERGY rows and print the comparison."""
    args = parse_args(argv)
    if args.setup:
        args.ecologits_python = str(setup_bench_venv(BENCH_VENV))
    rows = load_measured_rows() if args.measured else load_rows(Path(args.csv))
    if not rows:
        sys.exit(f"no {ID_PREFIX}* rows in {args.csv}")

    if Path(args.ecologits_python).exists():
        eco = run_ecologits(args.ecologits_python, rows)
    else:
        eco = {"error": f"no interpreter at {args.ecologits_python}; run with --setup"}
    if "error" in eco:
        print(f"EcoLogits: {eco['error']}", file=sys.stderr)
    eco_version = str(eco.get("version", "n/a"))
    if "version" in eco and f"=={eco_version}" not in ECOLOGITS_PIN:
        print(
            f"note: EcoLogits {eco_version} installed, the benchmark pins {ECOLOGITS_PIN}",
            file=sys.stderr,
        )

    wattlens_ok, wattlens_version = wattlens_available()
    wattlens_note = wattlens_version if wattlens_ok else "(estimate.inference not available: n/a)"
    results = build_results(rows, eco, wattlens_ok)
    summary = summaries(results)

    if args.json:
        doc = {
            "ecologits_version": eco_version,
            "ecologits_error": eco.get("error"),
            "wattlens_version": wattlens_version,
            "wattlens_available": wattlens_ok,
            "summary": summary,
            "rows": results,
        }
        print(json.dumps(doc, indent=2))
        return
    print_table(results, summary, eco_version, wattlens_note, sys.stdout, all_sources=args.measured)
    if args.measured:
        print("\nPer source (the measured table; wattlens with --stack unknown):")
        for source in sorted({r["source_id"] for r in results}):
            part = summaries([r for r in results if r["source_id"] == source])
            print(f"{source}:")
            print(_summary_line("EcoLogits (row batch, its GPU count)", part["ecologits"]))
            print(_summary_line("wattlens p50", part["wattlens_p50"]))
            inside = part["wattlens_inside_p5_p95"]
            if inside:
                label = "wattlens p5-p95 covers measured"
                print(f"  {label:<37} {inside['inside']}/{inside['n']} rows")


if __name__ == "__main__":
    main()
