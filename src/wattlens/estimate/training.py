"""Training-energy estimates: accelerator-hours or parameters x tokens, with ranges."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattlens.bounds import check_numbers
from wattlens.errors import InputValueError
from wattlens.estimate._common import (
    HOST_FRACTION,
    Assumption,
    Boundary,
    TrainingEstimate,
    as_input,
    check_boundary,
    check_precision,
    count_input,
    default_pue,
    is_range,
    resolve_accelerators,
    resolve_model,
    scaled_input,
)
from wattlens.formulas.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED, Input, Uncertain, central
from wattlens.types import Range, WarningItem

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.estimate._common import Array

#: Average board power over a training run as a fraction of TDP: TDP bounds it
#: from above; the low end covers communication- and input-bound phases. The mode
#: (with HOST_FRACTION's) is fitted on the five runs of Patterson et al. 2021,
#: Table 4, whose energy rests on measured system power per chip (GPT-3, T5,
#: Meena, GShard-600B, Switch): every one is then within 15 % (see
#: tests/validation/test_training_validation.py).
TRAIN_POWER_FRACTION = Uncertain(
    0.6, 1.0, "triangular", 0.8,
    basis="TDP caps board power; mode fitted on Patterson et al. 2021 Table 4 (5 runs)",
)  # fmt: skip
#: Model-FLOP utilisation of large training runs when none is given: published
#: MFUs span 0.21 (GPT-3 on V100, as computed in the PaLM paper, Table 3) to 0.46
#: (PaLM on TPU v4, same table); Llama 3 405B reports 0.38-0.43 (Llama 3 paper,
#: Table 4). Billed accelerator-hours of tests/validation/published_training.csv imply
#: a median MFU x goodput near 0.35; over the goodput's mode (0.85) that is a
#: steady-state MFU of 0.41, inside Llama 3's 0.38-0.43.
#: Goodput: the share of billed accelerator time that is steady-state training.
#: Restarts after failures, checkpointing, evaluation and idle allocation take the
#: rest. Llama 3 405B kept "higher than 90 %" effective training time over a 54-day
#: snapshot with 466 interruptions on 16,384 H100s (Dubey et al. 2024, "The Llama 3
#: Herd of Models", arXiv 2407.21783, sec. 3.3.4); CoreWeave reports goodput "as high
#: as 96 %" on its fleet (CoreWeave blog, 2024). Those are the best engineered runs;
#: the low end (0.5, evaluation, ablations and idle reservations included) is a
#: flagged estimate: no source publishes it.
TRAIN_GOODPUT = Uncertain(
    0.3, 1.0, "triangular", 0.9,
    basis="mode 0.9: Llama 3 paper sec. 3.3.4, >90 % effective training time; CoreWeave "
    "2024: up to 96 %; 1.0 where published hours are computed from throughput (LLaMA); "
    "low end 0.3 an estimate: billed hours also pay for evaluation, restarts, ablations and idle "
    "reservations, which published runs rarely separate",
)  # fmt: skip
TRAIN_MFU = Uncertain(
    0.15, 0.6, "triangular", 0.45,
    basis="published steady-state MFUs: 0.21 (GPT-3, V100, Patterson et al. 2021), 0.38-0.43 "
    "(Llama 3 405B, H100, Dubey et al. 2024 Table 4), 0.46 (PaLM, TPU v4), 0.475 (LLaMA "
    "65B: 380 tokens/s/GPU on A100, Touvron et al. 2023), 0.55 (MegaScale, Jiang et al. "
    "2024); mode 0.45 their median; low end 0.15 an estimate for small models spread "
    "over many accelerators",
)  # fmt: skip


def training(  # noqa: PLR0912, PLR0915 - one check per input, then one pipeline
    *,
    accelerator: str,
    count: int | None = None,
    accelerator_hours: Input | tuple[float, float] | None = None,
    days: Input | tuple[float, float] | None = None,
    params: Input | tuple[float, float] | None = None,
    tokens: Input | tuple[float, float] | None = None,
    active_params: Input | tuple[float, float] | None = None,
    model: str | None = None,
    mfu: Input | tuple[float, float] | None = None,
    precision: str = "bf16",
    power_fraction: Input | tuple[float, float] | None = None,
    host_fraction: Input | tuple[float, float] | None = None,
    boundary: str = "facility",
    pue: Input | tuple[float, float] | None = None,
    location: str | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
    catalog: Catalog | None = None,
) -> TrainingEstimate:
    """Estimate the energy of a training run.

    Give the hardware (``accelerator``, optionally ``count``) and one route:
    ``accelerator_hours``; or ``count`` and ``days``; or ``params`` (or a
    catalog ``model``) and ``tokens`` with an ``mfu`` range.

    Counts (``accelerator_hours``, ``days``, ``params``, ``tokens``,
    ``active_params``) take a value or a ``(low, high)`` range, drawn
    log-uniformly in the Monte Carlo.

    Args:
        accelerator: catalog name of the accelerator (``"H100 SXM"``).
        count: number of accelerators (needed with ``days``; gives the duration).
        accelerator_hours: accelerator-hours of the run.
        days: wall-clock days of the run (with ``count``).
        params: total parameters (absolute count).
        tokens: training tokens.
        active_params: parameters active per token (MoE); default ``params``.
        model: catalog model name instead of ``params``/``active_params``
            (its published training tokens are used when ``tokens`` is omitted).
        mfu: model-FLOP utilisation, a value or (low, high) in (0, 1].
        precision: training precision for the peak FLOP/s (``bf16``, ``fp8``, ``tf32`` …).
        power_fraction: average board power / TDP (default 0.6-1.0, mode 0.85).
        host_fraction: host power per accelerator / TDP (default 0.1-0.5, mode 0.3).
        boundary: ``accelerator``, ``server`` or ``facility`` (default).
        pue: power usage effectiveness, value or range (default: catalog range).
        location: country, grid zone or cloud region for the impacts (default world).
        samples: Monte Carlo samples.
        seed: random seed.
        catalog: catalog to use (default: the process catalog).

    Returns:
        A :class:`TrainingEstimate`; ``extra`` holds ``accelerator_hours`` and
        ``duration_s`` quantiles and ``flops`` (central) where computed.

    Raises:
        InputValueError: a value out of range or contradictory routes.
        UnknownNameError: an unknown accelerator or model (close names suggested).
    """
    check_numbers(locals())  # only the arguments are local yet: see wattlens.bounds
    import numpy as np

    from wattlens.catalog import get_catalog
    from wattlens.embodied import embodied
    from wattlens.formulas import training as formulas
    from wattlens.formulas.uncertainty import sample, sensitivity
    from wattlens.impacts import apply_pue, estimate_impacts

    catalog = catalog or get_catalog()
    bound = check_boundary(boundary)
    if samples != 1 and samples < 100:
        raise InputValueError(
            f"samples must be 1 (a point estimate) or at least 100, got {samples}"
        )
    routes = [
        accelerator_hours is not None,
        days is not None,
        params is not None or model is not None or tokens is not None,
    ]
    if sum(routes) != 1:
        raise InputValueError(
            "give exactly one route: accelerator-hours, count x days, or params and tokens",
            hint="e.g. --accelerator-hours 3.5e6, or --count 1024 --days 30, "
            "or --params 7e10 --tokens 2e12",
        )
    hours_in = count_input(accelerator_hours, "accelerator-hours",
                           "pass the run's accelerator-hours")  # fmt: skip
    days_in = count_input(days, "days", "pass the run's duration in days")
    params_in = count_input(params, "params", "parameters are an absolute count, e.g. 7e10")
    tokens_in = count_input(tokens, "tokens", "tokens are an absolute count, e.g. 2e12")
    active_in = count_input(active_params, "active params",
                            "active parameters per token, e.g. 3.7e10")  # fmt: skip
    if count is not None and count < 1:
        raise InputValueError(f"count must be at least 1, got {count}")
    if days is not None and count is None:
        raise InputValueError("--days needs --count (how many accelerators ran)")

    # A family name (A100) spans its variants: each sample draws one.
    accs = resolve_accelerators(accelerator, catalog)
    acc = accs[0]
    assert acc.tdp_w is not None
    sources = [f"accelerators/{one.id}" for one in accs]
    assumptions = [Assumption("accelerator", f"{one.name}, TDP {one.tdp_w:g} W", one.source)
                   for one in accs]  # fmt: skip
    warnings: list[WarningItem] = []
    if len(accs) > 1:
        tdps = [one.tdp_w or 0.0 for one in accs]
        warnings.append(
            WarningItem(
                "accelerator-family",
                f"{accelerator!r} names {len(accs)} variants ({', '.join(a.name for a in accs)}): "
                f"the range spans them (TDP {min(tdps):g}-{max(tdps):g} W); name one to narrow",
            )
        )
    inputs: dict[str, Input] = {
        "power_fraction": as_input(power_fraction, TRAIN_POWER_FRACTION, "power fraction"),
        "host_fraction": as_input(host_fraction, HOST_FRACTION, "host fraction"),
        "pue": as_input(pue, default_pue(catalog), "pue"),
    }
    for name in ("power_fraction", "host_fraction", "pue"):
        value = inputs[name]
        low = value.low if isinstance(value, Uncertain) else value
        if low <= 0 or (name == "pue" and low < 1.0):
            raise InputValueError(f"{name.replace('_', ' ')} out of range: {low}")

    flops: float | None = None
    # Inputs given as ranges are drawn after the others, so point inputs keep their draws.
    ranged: dict[str, Input] = {}
    if hours_in is not None:
        hours: Input = hours_in
    elif days_in is not None:
        assert count is not None
        hours = (
            scaled_input(days_in, 24.0 * count)
            if isinstance(days_in, Uncertain)
            else days_in * 24.0 * count
        )
    else:
        n_total, n_active, tokens_used = params_in, active_in, tokens_in
        if model is not None:
            row = resolve_model(model, catalog)
            sources.append(f"models/{row.id}")
            n_total = n_total or row.params_total
            n_active = n_active or row.params_active or n_total
            tokens_used = tokens_used or row.training_tokens
            if row.estimate:
                warnings.append(
                    WarningItem(
                        "model-size-estimated",
                        f"{row.name}: parameter counts are estimates ({row.basis})",
                    )
                )
        if n_total is None or tokens_used is None:
            raise InputValueError(
                "the parameters-and-tokens route needs --params (or --model) and --tokens"
            )
        n_active = n_active or n_total
        if central(n_active) > central(n_total):
            raise InputValueError("active parameters exceed total parameters")
        flops = formulas.training_flops(central(n_active), central(tokens_used))
        for one in accs:
            check_precision(one, precision)
        missing = [one.name for one in accs if one.peak_flops(precision) is None]
        peak = None if missing else acc.peak_flops(precision)
        if peak is None:
            raise InputValueError(
                f"the catalog has no {precision} peak for {', '.join(missing)}",
                hint="choose another --precision (bf16, fp16, tf32, fp8)",
            )
        mfu_input = as_input(mfu, TRAIN_MFU, "mfu")
        lo = mfu_input.low if isinstance(mfu_input, Uncertain) else mfu_input
        hi = mfu_input.high if isinstance(mfu_input, Uncertain) else mfu_input
        if not (0 < lo <= hi <= 1):
            raise InputValueError(
                f"MFU must be in (0, 1], got {lo}:{hi}", hint="e.g. --mfu 0.3:0.5"
            )
        inputs["mfu"] = mfu_input
        inputs["goodput"] = TRAIN_GOODPUT
        ranged = {"params_active": n_active, "tokens": tokens_used}
        assumptions.append(
            Assumption(
                "compute",
                f"6 x {central(n_active):.3g} x {central(tokens_used):.3g} = {flops:.3g} FLOPs",
                "Kaplan et al. 2020 sec. 2.1 (attention term omitted)",
            )
        )
        assumptions.append(Assumption(f"peak {precision}", f"{peak / 1e12:g} TFLOP/s", acc.source))
        hours = 0.0  # computed from samples below
    if flops is None:
        ranged = {"accelerator_hours": hours}
    inputs.update({k: v for k, v in ranged.items() if is_range(v)})

    draws = sample(inputs, samples, seed)
    tdp: Array | float = acc.tdp_w
    variant = None
    if len(accs) > 1 and samples > 1:
        variant = np.random.default_rng(seed + 2).integers(len(accs), size=samples)
        draws["accelerator_variant"] = variant.astype(float)
        tdp = np.array([one.tdp_w or 0.0 for one in accs])[variant]
    if flops is not None:
        peaks = [one.peak_flops(precision) or 0.0 for one in accs]
        peak_s: Array | float = np.array(peaks)[variant] if variant is not None else peaks[0]
        work: Array | float = flops
        if "params_active" in draws or "tokens" in draws:
            work = formulas.training_flops(
                draws.get("params_active", np.full(samples, central(ranged["params_active"]))),
                draws.get("tokens", np.full(samples, central(ranged["tokens"]))),
            )
        # Billed time: steady-state time at the MFU, divided by the goodput.
        acc_s: Array = formulas.accelerator_seconds_from_flops(work, peak_s, draws["mfu"])  # type: ignore[arg-type]
        acc_s = acc_s / draws["goodput"]
    elif "accelerator_hours" in draws:
        acc_s = draws["accelerator_hours"] * formulas.SECONDS_PER_HOUR
    else:
        acc_s = np.full(samples, central(hours) * formulas.SECONDS_PER_HOUR)
    e_acc = formulas.accelerator_energy_j(acc_s, tdp, draws["power_fraction"])
    e_server = e_acc + formulas.host_energy_j(acc_s, tdp, draws["host_fraction"])
    # The boundaries' summaries are the impacts' too (each impact is an energy times a factor).
    by_boundary: dict[Boundary, Range] = {
        "accelerator": Range.from_samples(e_acc, keep=True),
        "server": Range.from_samples(e_server, keep=True),
        "facility": Range.from_samples(apply_pue(e_server, draws["pue"]), keep=True),
    }
    impacts, _ = estimate_impacts(e_server, draws["pue"], location, catalog,
                                  it_range=by_boundary["server"],
                                  facility_range=by_boundary["facility"])  # fmt: skip
    chosen = by_boundary[bound]
    assert chosen.samples is not None

    for name, value in inputs.items():
        basis = value.basis if isinstance(value, Uncertain) else "given"
        shown = value.describe() if isinstance(value, Uncertain) else f"{value:g}"
        assumptions.append(Assumption(name, shown, basis))
    if flops is None:
        warnings.append(
            WarningItem(
                "hours-times-tdp",
                "from accelerator-hours: the estimate rests on TDP; published hours x TDP figures "
                "are an upper bound on accelerator energy and omit the host",
            )
        )
    acc_hours = acc_s / 3600.0
    return TrainingEstimate(
        boundary=bound,
        energy=chosen,
        energy_by_boundary=by_boundary,
        assumptions=tuple(assumptions),
        sensitivity=tuple(sensitivity(draws, chosen.samples)),
        sources=tuple(sources),
        warnings=tuple(warnings),
        typed_impacts=impacts,
        accelerator_hours=Range.from_samples(acc_hours),
        duration_s=Range.from_samples(acc_s / count) if count is not None else None,
        flops=flops,
        embodied=embodied([a.id for a in accs], acc_hours, catalog),
    )
