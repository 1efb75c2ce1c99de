"""What the dashboard's pages and its JSON API both call: the functions of the CLI.

Every function here reads the store or the catalog, or runs an estimate,
through the same public functions as ``wattlens runs``, ``wattlens catalog``
and ``wattlens estimate``; none computes a number of its own. Text inputs
(from forms and query strings) are parsed with the CLI's own parsers, and a
bad one is a :class:`~wattlens.errors.UsageError` with the CLI's message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from wattlens.errors import UsageError

if TYPE_CHECKING:
    from wattlens.estimate import Estimate
    from wattlens.measurement import Measurement
    from wattlens.store import Store

_T = TypeVar("_T")

#: Columns the runs list can be sorted by (store summary keys).
SORT_KEYS = ("started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status")
MAX_LIMIT = 1_000
MAX_SAMPLES = 200_000
MAX_COMPARE = 10

TRAINING_FIELDS = (
    "accelerator", "count", "accelerator_hours", "days", "params", "tokens", "active_params",
    "model", "mfu", "precision", "boundary", "pue", "location", "samples", "seed",
)  # fmt: skip
INFERENCE_FIELDS = (
    "model", "params", "active_params", "output_tokens", "input_tokens", "accelerator", "count",
    "batch", "precision", "boundary", "pue", "location", "samples", "seed",
)  # fmt: skip


# -- runs ------------------------------------------------------------------------------------------
def list_runs(
    store: Store,
    *,
    limit: int = 50,
    offset: int = 0,
    sort: str = "started_at",
    order: Literal["asc", "desc"] = "desc",
    name: str | None = None,
    since: str | None = None,
) -> dict[str, Any]:
    """A page of run summaries (the records of ``wattlens runs ls --json``), sorted.

    Sorting by start time pages in the database; any other column sorts every
    matching summary (unknown values last).
    """
    from wattlens.cli.runs import _parse_since

    if sort not in SORT_KEYS:
        raise UsageError(f"cannot sort runs by {sort!r}", hint="sort by " + ", ".join(SORT_KEYS))
    if order not in ("asc", "desc"):
        raise UsageError(f"unknown order {order!r}", hint="use asc or desc")
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be 1 to {MAX_LIMIT}, got {limit}", hint="page with offset")
    if offset < 0:
        raise UsageError(f"offset must be 0 or more, got {offset}")
    name = name or None
    since_value = _parse_since(since or None)
    total = store.count(name=name, since=since_value)
    if sort == "started_at":
        runs = store.list_runs(
            limit=limit,
            offset=offset,
            name=name,
            since=since_value,
            order="newest" if order == "desc" else "oldest",
        )
    else:
        everything = store.list_runs(name=name, since=since_value, order="newest")
        known = [r for r in everything if r[sort] is not None]
        unknown = [r for r in everything if r[sort] is None]
        known.sort(key=lambda r: r[sort], reverse=order == "desc")
        runs = (known + unknown)[offset : offset + limit]
    return {
        "count": total,
        "shown": len(runs),
        "offset": offset,
        "limit": limit,
        "sort": sort,
        "order": order,
        "runs": runs,
    }


def get_run(store: Store, run_id: str) -> Measurement:
    """One run with its timeline (``wattlens runs show``)."""
    return store.get(run_id)


def compare_runs(store: Store, run_ids: list[str]) -> dict[str, Any]:
    """``wattlens runs compare --json``: the first run is the baseline."""
    from wattlens.cli.runs import _compare_record

    run_ids = [r for r in run_ids if r]
    if len(run_ids) < 2:
        raise UsageError(
            "compare needs at least two runs", hint="tick two or more runs in the list"
        )
    if len(run_ids) > MAX_COMPARE:
        raise UsageError(f"compare takes at most {MAX_COMPARE} runs, got {len(run_ids)}")
    measurements = [store.get(run_id) for run_id in run_ids]
    base = measurements[0]
    return {
        "baseline_run_id": base.run_id,
        "runs": [_compare_record(m, base) for m in measurements],
    }


# -- catalog ---------------------------------------------------------------------------------------
def catalog_kinds() -> dict[str, Any]:
    """``wattlens catalog ls --json``."""
    from wattlens.catalog import KINDS, get_catalog

    catalog = get_catalog()
    return {
        "kinds": [
            {"kind": k, "count": len(catalog.entries(k)), "description": spec.description}
            for k, spec in KINDS.items()
        ]
    }


def catalog_rows(kind: str) -> dict[str, Any]:
    """``wattlens catalog ls KIND --json``: every column of every row, plus its origin."""
    from wattlens.catalog import Catalog, get_catalog

    Catalog.spec(kind)
    entries = get_catalog().entries(kind)
    rows = [{**e.row.model_dump(mode="json"), "origin": e.origin} for e in entries]
    return {"kind": kind, "count": len(rows), "rows": rows}


def catalog_row(kind: str, name: str) -> dict[str, Any]:
    """``wattlens catalog show KIND NAME --json``."""
    from wattlens.catalog import Catalog, get_catalog

    Catalog.spec(kind)
    entry = get_catalog().entry(kind, name)
    return {"kind": kind, "row": {**entry.row.model_dump(mode="json"), "origin": entry.origin}}


def catalog_columns(kind: str) -> tuple[str, ...]:
    """The columns ``wattlens catalog ls KIND`` shows."""
    from wattlens.cli.catalog import _LIST_COLUMNS

    return _LIST_COLUMNS.get(kind, ("id", "name", "year"))


# -- estimates -------------------------------------------------------------------------------------
def _clean(form: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if v is not None and v.strip() != ""}


def _parsed(name: str, parse: Callable[[], _T]) -> _T:
    """Run one of the CLI's parsers; its message becomes a UsageError naming the field."""
    import typer

    try:
        return parse()
    except typer.BadParameter as exc:
        raise UsageError(
            f"invalid value for {name}: {exc.message}",
            hint=_FIELD_HINTS.get(name, "correct it in the form or the query string"),
        ) from None


_FIELD_HINTS = {
    "count": "a whole number of accelerators, 1 or more",
    "samples": f"a whole number of Monte Carlo samples, 100 to {MAX_SAMPLES:,}",
    "seed": "a whole number",
    "days": "a number of days, e.g. 14.8",
    "batch": "concurrent requests per replica, e.g. 64",
}


def _int(name: str, text: str, low: int, high: int | None = None) -> int:
    import typer

    def parse() -> int:
        try:
            value = int(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bound = f"{low} to {high:,}" if high is not None else f"at least {low}"
            raise typer.BadParameter(f"must be {bound}, got {value}")
        return value

    return _parsed(name, parse)


def _float(name: str, text: str) -> float:
    import typer

    def parse() -> float:
        try:
            return float(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a number") from None

    return _parsed(name, parse)


def _choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise UsageError(
            f"invalid value for {name}: {text!r} is not one of {', '.join(choices)}",
            hint=f"use one of: {', '.join(choices)}",
        )
    return text


_PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
_BOUNDARIES = ("accelerator", "server", "facility")


def _common(form: dict[str, str], default_boundary: str) -> dict[str, Any]:
    from wattlens.cli.estimate import parse_range
    from wattlens.models.uncertainty import DEFAULT_SAMPLES, DEFAULT_SEED

    return {
        "precision": _choice("precision", form.get("precision", "bf16"), _PRECISIONS),
        "boundary": _choice("boundary", form.get("boundary", default_boundary), _BOUNDARIES),
        "pue": _parsed("pue", lambda: parse_range(form["pue"], "pue")) if "pue" in form else None,
        "location": form.get("location"),
        "samples": (
            _int("samples", form["samples"], 100, MAX_SAMPLES)
            if "samples" in form
            else DEFAULT_SAMPLES
        ),
        "seed": _int("seed", form["seed"], 0) if "seed" in form else DEFAULT_SEED,
    }


def _require(form: dict[str, str], name: str, hint: str) -> str:
    if name not in form:
        raise UsageError(f"missing value for {name}", hint=hint)
    return form[name]


def estimate_training(form: Mapping[str, str | None]) -> tuple[Estimate, dict[str, str]]:
    """``wattlens estimate training`` from text inputs; returns the estimate and the inputs."""
    from wattlens import estimate
    from wattlens.cli.estimate import _mfu, parse_count

    f = _clean(form)
    accelerator = _require(f, "accelerator", "name an accelerator from the catalog, e.g. H100 SXM")

    def count_of(key: str) -> float | None:
        return _parsed(key, lambda: parse_count(f[key], key)) if key in f else None

    result = estimate.training(
        accelerator=accelerator,
        count=_int("count", f["count"], 1) if "count" in f else None,
        accelerator_hours=count_of("accelerator_hours"),
        days=_float("days", f["days"]) if "days" in f else None,
        params=count_of("params"),
        tokens=count_of("tokens"),
        active_params=count_of("active_params"),
        model=f.get("model"),
        mfu=_parsed("mfu", lambda: _mfu(f.get("mfu"))),
        **_common(f, "facility"),
    )
    return result, f


def estimate_inference(form: Mapping[str, str | None]) -> tuple[Estimate, dict[str, str]]:
    """``wattlens estimate inference`` from text inputs; returns the estimate and the inputs."""
    from wattlens import estimate
    from wattlens.cli.estimate import _input_tokens, parse_count

    f = _clean(form)
    accelerator = _require(f, "accelerator", "name an accelerator from the catalog, e.g. H100 SXM")
    output_tokens = _require(f, "output_tokens", "tokens generated per request, e.g. 400")
    if "model" not in f and "params" not in f:
        raise UsageError("give a model or params", hint="e.g. model llama-3.1-8b, or params 8B")

    def count_of(key: str) -> float | None:
        return _parsed(key, lambda: parse_count(f[key], key)) if key in f else None

    result = estimate.inference(
        output_tokens=_parsed("output_tokens", lambda: parse_count(output_tokens, "output")),
        accelerator=accelerator,
        model=f.get("model"),
        params=count_of("params"),
        active_params=count_of("active_params"),
        input_tokens=_parsed("input_tokens", lambda: _input_tokens(f.get("input_tokens"))),
        count=_int("count", f["count"], 1) if "count" in f else None,
        batch=_float("batch", f["batch"]) if "batch" in f else None,
        **_common(f, "server"),
    )
    return result, f
