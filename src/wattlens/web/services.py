"""What the dashboard's pages and its JSON API both call: the library, as the CLI calls it.

Every function here reads the store or the catalog, or runs an estimate or a
scenario, through the same public functions as ``wattlens runs``, ``wattlens
catalog``, ``wattlens estimate`` and ``wattlens scenario``; none computes a
number of its own. Text inputs (from forms, query strings and scenario files)
are read by the quantity grammar (:mod:`wattlens.quantity`) as on the command
line, and a bad one is a :class:`~wattlens.errors.UsageError` with the CLI's
message.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from wattlens.errors import UsageError

if TYPE_CHECKING:
    from wattlens.catalog import Catalog
    from wattlens.estimate import Estimate
    from wattlens.estimate.inputs import InferenceInputs, TrainingInputs
    from wattlens.measurement import Measurement, TimelinePoint
    from wattlens.scenario.loader import LoadedScenario
    from wattlens.store import Store

_T = TypeVar("_T")
_I = TypeVar("_I", "TrainingInputs", "InferenceInputs")
log = logging.getLogger("wattlens.web")

#: Columns the runs list can be sorted by (store summary keys).
SORT_KEYS = ("started_at", "name", "duration_s", "energy_j", "co2e_g", "avg_power_w", "status")
MAX_LIMIT = 1_000
#: The largest offset of a runs page (a database's 64-bit integers hold it).
MAX_OFFSET = 2**53
MAX_SAMPLES = 200_000
MAX_COMPARE = 10

TRAINING_FIELDS = (
    "accelerator", "count", "accelerator_hours", "days", "params", "tokens", "active_params",
    "model", "mfu", "precision", "boundary", "pue", "location", "samples", "seed",
)  # fmt: skip
INFERENCE_FIELDS = (
    "model", "params", "active_params", "output_tokens", "input_tokens", "accelerator", "count",
    "pipeline", "batch", "precision", "stack", "boundary", "pue", "location", "samples", "seed",
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

    The database sorts and pages by any of :data:`SORT_KEYS` (unknown values last,
    ties by run id).
    """
    from wattlens.quantity import parse_since

    if sort not in SORT_KEYS:
        raise UsageError(f"cannot sort runs by {sort!r}", hint="sort by " + ", ".join(SORT_KEYS))
    if order not in ("asc", "desc"):
        raise UsageError(f"unknown order {order!r}", hint="use asc or desc")
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be 1 to {MAX_LIMIT}, got {limit}", hint="page with offset")
    if not 0 <= offset <= MAX_OFFSET:
        raise UsageError(
            f"offset must be 0 to {MAX_OFFSET:,}, got {offset}", hint="page with offset"
        )
    name = name or None
    since_value = parse_since(since or None)
    total = store.count(name=name, since=since_value)
    runs = store.list_runs(
        limit=limit, offset=offset, name=name, since=since_value, order=order, sort=sort
    )
    return {
        "count": total,
        "shown": len(runs),
        "offset": offset,
        "limit": limit,
        "sort": sort,
        "order": order,
        "runs": runs,
    }


def get_run(store: Store, run_id: str, *, timeline: bool = True) -> Measurement:
    """One run (``wattlens runs show``), with its timeline unless ``timeline`` is False.

    Without it, ``timeline`` is None and no timeline row is read (see
    :func:`run_timeline` and ``Store.timeline_count``).
    """
    return store.get(run_id, timeline=timeline)


def run_timeline(store: Store, run_id: str, max_points: int) -> tuple[Measurement, dict[str, Any]]:
    """A run (without its timeline) and its power timeline reduced to ``max_points``.

    The store averages the points in buckets in the database; the series is that of
    :func:`wattlens.report.views.run.downsample_timeline` over the whole timeline.
    """
    m = store.get(run_id, timeline=False)
    source_points, reduced = store.counted_timeline(m.run_id, max_points=max_points)
    series = timeline_series(reduced)
    if source_points:
        series["source_points"] = source_points
        series["bucket_size"] = max(1, math.ceil(source_points / max_points))
    return m, series


def timeline_series(points: Sequence[TimelinePoint]) -> dict[str, Any]:
    """Points already reduced, as :func:`~wattlens.report.views.run.downsample_timeline` gives them.

    The same lists as that function with buckets of one point (rounded to 1e-6,
    ``null`` where a component has no value), made without its arrays: the
    store has already averaged the buckets.
    """
    components: dict[str, None] = {}
    for p in points:
        if p.power_w.keys() != components.keys():
            components.update(dict.fromkeys(p.power_w))

    def value(v: float | None) -> float | None:
        return None if v is None or math.isnan(v) else round(v, 6)

    return {
        "t_s": [round(p.t_s, 6) for p in points],
        "power_w": {c: [value(p.power_w.get(c)) for p in points] for c in components},
        "points": len(points),
        "source_points": len(points),
        "bucket_size": 1,
    }


def compare_runs(store: Store, run_ids: list[str]) -> dict[str, Any]:
    """``wattlens runs compare --json``: the first run is the baseline."""
    from wattlens.compare import compare_record

    run_ids = [r for r in run_ids if r]
    if len(run_ids) < 2:
        raise UsageError(
            "compare needs at least two runs", hint="tick two or more runs in the list"
        )
    if len(run_ids) > MAX_COMPARE:
        raise UsageError(f"compare takes at most {MAX_COMPARE} runs, got {len(run_ids)}")
    measurements = [store.get(run_id, timeline=False) for run_id in run_ids]
    base = measurements[0]
    return {
        "baseline_run_id": base.run_id,
        "runs": [compare_record(m, base) for m in measurements],
    }


# -- catalog ---------------------------------------------------------------------------------------
def catalog_kinds(catalog: Catalog | None = None) -> dict[str, Any]:
    """``wattlens catalog ls --json``."""
    from wattlens.catalog import KINDS, get_catalog

    catalog = catalog if catalog is not None else get_catalog()
    return {
        "kinds": [
            {"kind": k, "count": len(catalog.entries(k)), "description": spec.description}
            for k, spec in KINDS.items()
        ]
    }


def catalog_rows(kind: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """``wattlens catalog ls KIND --json``: every column of every row, plus its origin."""
    from wattlens.catalog import Catalog, get_catalog

    Catalog.spec(kind)
    entries = (catalog if catalog is not None else get_catalog()).entries(kind)
    rows = [{**e.row.model_dump(mode="json"), "origin": e.origin} for e in entries]
    return {"kind": kind, "count": len(rows), "rows": rows}


def catalog_row(kind: str, name: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """``wattlens catalog show KIND NAME --json``."""
    from wattlens.catalog import Catalog, get_catalog

    Catalog.spec(kind)
    entry = (catalog if catalog is not None else get_catalog()).entry(kind, name)
    return {"kind": kind, "row": {**entry.row.model_dump(mode="json"), "origin": entry.origin}}


def catalog_columns(kind: str) -> tuple[str, ...]:
    """The columns ``wattlens catalog ls KIND`` shows."""
    from wattlens.catalog.kinds import LIST_COLUMNS

    return LIST_COLUMNS.get(kind, ("id", "name", "year"))


# -- estimates -------------------------------------------------------------------------------------
def _clean(form: Mapping[str, str | None]) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if v is not None and v.strip() != ""}


def _parsed(name: str, parse: Callable[[], _T]) -> _T:
    """Run one of the CLI's parsers; its message becomes a UsageError naming the field."""
    import typer

    from wattlens.errors import InputValueError

    try:
        return parse()
    except (typer.BadParameter, InputValueError) as exc:
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


def _choice(name: str, text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise UsageError(
            f"invalid value for {name}: {text!r} is not one of {', '.join(choices)}",
            hint=f"use one of: {', '.join(choices)}",
        )
    return text


_PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
_BOUNDARIES = ("accelerator", "server", "facility")


def _limits(form: dict[str, str]) -> dict[str, Any]:
    """The dashboard's own bounds on work: whole numbers for count, samples and seed."""
    out: dict[str, Any] = {}
    if "count" in form:
        out["count"] = _int("count", form["count"], 1)
    if "samples" in form:
        out["samples"] = _int("samples", form["samples"], 100, MAX_SAMPLES)
    if "seed" in form:
        out["seed"] = _int("seed", form["seed"], 0)
    return out


def _require(form: dict[str, str], name: str, hint: str) -> str:
    if name not in form:
        raise UsageError(f"missing value for {name}", hint=hint)
    return form[name]


def _from_form(kind: type[_I], form: dict[str, str], fields: tuple[str, ...]) -> _I:
    """Typed estimate inputs from the form's text; a bad field becomes a UsageError naming it."""
    from wattlens.estimate.inputs import FieldError

    values = {k: form[k] for k in fields if k in form}
    if "precision" in values:
        _choice("precision", values["precision"], _PRECISIONS)
    if "boundary" in values:
        _choice("boundary", values["boundary"], _BOUNDARIES)
    try:
        return kind.build(values, **_limits(form))
    except FieldError as exc:
        if exc.code == "missing":
            raise UsageError(exc.message, hint=exc.hint) from None
        raise UsageError(
            f"invalid value for {exc.field}: {exc.message}",
            hint=_FIELD_HINTS.get(
                exc.field, exc.hint or "correct it in the form or the query string"
            ),
        ) from None


def _non_finite(data: Any) -> bool:
    """Whether a result's JSON form holds a number that is not finite (JSON null)."""
    if isinstance(data, float):
        return not math.isfinite(data)
    if isinstance(data, dict):
        if "p50" in data and any(data.get(k) is None for k in ("p5", "p50", "p95", "mean")):
            return True
        return any(_non_finite(v) for v in data.values())
    if isinstance(data, list | tuple):
        return any(_non_finite(v) for v in data)
    return False


def _finite(inputs: TrainingInputs | InferenceInputs, form: Mapping[str, str]) -> Estimate:
    """The estimate of ``inputs``, or an error where the inputs give no finite figure.

    The inputs are checked field by field before this; a combination of them that
    still overflows (each in range, their product not) is refused here rather than
    answered with null figures or a server error.
    """
    numbers = ", ".join(
        f"{k}={v}"
        for k, v in form.items()
        if k not in _TEXT_FIELDS and k not in ("samples", "seed")
    )
    problem = UsageError(
        f"these inputs give no finite estimate ({numbers or 'the catalog values'})",
        hint="give smaller counts, sizes or durations; `wattlens estimate --help` lists the "
        "accepted ranges",
    )
    try:
        result = inputs.run()
    except (OverflowError, ZeroDivisionError, FloatingPointError):
        raise problem from None
    if _non_finite(result.to_dict()):
        raise problem
    return result


_TEXT_FIELDS = ("accelerator", "model", "precision", "boundary", "stack", "location")


_TRAINING_FIELDS = ("accelerator", "accelerator_hours", "days", "params", "tokens",
                    "active_params", "model", "mfu", "precision", "boundary", "pue",
                    "location")  # fmt: skip
_INFERENCE_FIELDS = ("output_tokens", "accelerator", "model", "params", "active_params",
                     "input_tokens", "pipeline", "batch", "precision", "stack", "boundary",
                     "pue", "location")  # fmt: skip


def estimate_training(form: Mapping[str, str | None]) -> tuple[Estimate, dict[str, str]]:
    """``wattlens estimate training`` from text inputs; returns the estimate and the inputs."""
    from wattlens.estimate.inputs import TrainingInputs

    f = _clean(form)
    _require(f, "accelerator", "name an accelerator from the catalog, e.g. H100 SXM")
    return _finite(_from_form(TrainingInputs, f, _TRAINING_FIELDS), f), f


def estimate_inference(form: Mapping[str, str | None]) -> tuple[Estimate, dict[str, str]]:
    """``wattlens estimate inference`` from text inputs; returns the estimate and the inputs."""
    from wattlens.estimate.inputs import InferenceInputs

    f = _clean(form)
    _require(f, "accelerator", "name an accelerator from the catalog, e.g. H100 SXM")
    _require(f, "output_tokens", "tokens generated per request, e.g. 400")
    if "model" not in f and "params" not in f:
        raise UsageError("give a model or params", hint="e.g. model llama-3.1-8b, or params 8B")
    return _finite(_from_form(InferenceInputs, f, _INFERENCE_FIELDS), f), f


# -- scenarios -------------------------------------------------------------------------------------
#: Largest scenario text (UTF-8 bytes) the dashboard accepts; a larger one is a 413.
MAX_SCENARIO_BYTES = 256 * 1024
#: Largest request body of ``POST /api/scenarios/run`` (the YAML inside JSON, escaped).
MAX_SCENARIO_BODY = 2 * MAX_SCENARIO_BYTES + 16 * 1024
#: Work one dashboard request may ask for (the command line has no such limits).
MAX_SCENARIO_SAMPLES = 50_000
MAX_SCENARIO_YEARS = 100
MAX_SCENARIO_LEVERS = 20
MAX_SCENARIO_CLASSES = 50
MAX_SCENARIO_TRAINING = 20
#: Where the shipped example scenarios are (a source checkout: ``examples/scenarios``).
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples" / "scenarios"
_CLI_HINT = "run it with `wattlens scenario run FILE` on the command line"


class ExampleNotFoundError(UsageError, LookupError):
    """No shipped example scenario has this name."""


class PayloadTooLargeError(UsageError):
    """A request body or scenario text is over the dashboard's size limit."""


@dataclass(frozen=True)
class Example:
    """A shipped example scenario, read once when the application starts."""

    name: str
    title: str
    file: str
    text: str


def load_examples(directory: Path | None = None) -> dict[str, Example]:
    """The example scenarios by name (the file stem): the only files a request can name.

    Read once at startup; an unreadable or invalid file is left out (and logged).
    """
    from wattlens.safe_yaml import YamlInputError, compose, read_text

    directory = EXAMPLES_DIR if directory is None else directory
    examples: dict[str, Example] = {}
    if not directory.is_dir():
        return examples
    for path in sorted(directory.glob("*.yaml")):
        try:
            text = read_text(path)
            _, data = compose(text)
        except (OSError, YamlInputError) as exc:
            log.warning("example scenario %s left out: %s", path, exc)
            continue
        title = data.get("name") if isinstance(data, dict) else None
        examples[path.stem] = Example(
            name=path.stem,
            title=str(title or path.stem),
            file=f"examples/scenarios/{path.name}",
            text=text,
        )
    return examples


def example(examples: Mapping[str, Example], name: str) -> Example:
    """One example by its name; any other string is an error (never a path)."""
    found = examples.get(name)
    if found is None:
        raise ExampleNotFoundError(
            f"no example scenario named {name!r}",
            hint="use one of: " + (", ".join(examples) or "(none shipped with this install)"),
        )
    return found


def _file_label(label: str | None) -> str:
    """The name a scenario's messages use for it: only a label, never opened."""
    text = "".join(ch for ch in (label or "") if ch.isprintable()).strip()[:200]
    return text or "scenario.yaml"


def load_scenario(text: str, file: str | None = None) -> LoadedScenario:
    """Validate scenario text as ``wattlens scenario`` does (safe YAML; file:line errors).

    Raises:
        PayloadTooLargeError: the text is over :data:`MAX_SCENARIO_BYTES`.
        ScenarioError: the CLI's message for the same file, or a dashboard limit.
    """
    from wattlens.scenario import loads
    from wattlens.scenario.loader import Issue, ScenarioError

    label = _file_label(file)
    size = len(text.encode("utf-8"))
    if size > MAX_SCENARIO_BYTES:
        raise PayloadTooLargeError(
            f"the scenario is {size:,} bytes; the dashboard takes at most {MAX_SCENARIO_BYTES:,}",
            hint=_CLI_HINT,
        )
    # Aliases, depth and control characters are refused by the loader (wattlens.safe_yaml).
    try:
        loaded = loads(text, label)
    except RecursionError:
        raise ScenarioError(
            [Issue(label, 0, "", "is nested too deeply", "start from a file in examples/")]
        ) from None
    spec = loaded.spec
    for field, count, most in (
        ("levers", len(spec.levers), MAX_SCENARIO_LEVERS),
        ("requests", len(spec.requests), MAX_SCENARIO_CLASSES),
        ("training", len(spec.training), MAX_SCENARIO_TRAINING),
    ):
        if count > most:
            raise loaded.error(
                (field,), f"has {count} items; the dashboard takes at most {most}", _CLI_HINT
            )
    return loaded


def scenario_levers(loaded: LoadedScenario, enabled: list[int] | None) -> list[dict[str, Any]]:
    """The file's levers, in order, with ``enabled`` (None: every one)."""
    from wattlens.scenario.levers import describe

    n = len(loaded.spec.levers)
    for i in enabled or ():
        if not 0 <= i < n:
            raise UsageError(
                f"invalid value for levers: the file has no lever {i} "
                f"(it has {n}, numbered 0 to {n - 1})"
                if n
                else f"invalid value for levers: the file has no lever {i} (it lists none)",
                hint="give the indices of the levers to apply, in the file's order",
            )
    chosen = set(range(n)) if enabled is None else set(enabled)
    return [
        {"index": i, "lever": describe(lever), "kind": lever.kind, "enabled": i in chosen}
        for i, lever in enumerate(loaded.spec.levers)
    ]


def run_scenario(
    text: str,
    *,
    file: str | None = None,
    years: int | None = None,
    samples: int | None = None,
    levers: list[int] | None = None,
) -> dict[str, Any]:
    """``wattlens scenario run --json`` and ``scenario levers --json`` of scenario text.

    Only the enabled levers (indices into the file's ``levers:``; None: all) are
    applied, in the file's order; with none, ``waterfall`` is null.

    Returns:
        ``{run, waterfall, levers: [{index, lever, kind, enabled}], figures}``.
    """
    from dataclasses import replace

    from wattlens.equivalents import scenario_equivalents
    from wattlens.report.figures import scenario_view, waterfall_figure
    from wattlens.scenario import run, waterfall

    if years is not None and not 1 <= years <= MAX_SCENARIO_YEARS:
        raise UsageError(
            f"invalid value for years: must be 1 to {MAX_SCENARIO_YEARS}, got {years}",
            hint="a whole number of years to project",
        )
    if samples is not None and not 100 <= samples <= MAX_SCENARIO_SAMPLES:
        raise UsageError(
            f"invalid value for samples: must be 100 to {MAX_SCENARIO_SAMPLES:,}, got {samples}",
            hint=f"a whole number of Monte Carlo samples, 100 to {MAX_SCENARIO_SAMPLES:,}",
        )
    loaded = load_scenario(text, file)
    if samples is None and loaded.spec.samples > MAX_SCENARIO_SAMPLES:
        raise loaded.error(
            ("samples",),
            f"asks for {loaded.spec.samples:,} samples; the dashboard runs at most "
            f"{MAX_SCENARIO_SAMPLES:,}",
            f"give samples (100 to {MAX_SCENARIO_SAMPLES:,}) with the request, or {_CLI_HINT}",
        )
    lever_rows = scenario_levers(loaded, levers)
    data = run(loaded, samples=samples, years=years)
    data["equivalents"] = scenario_equivalents(data)
    chosen = tuple(
        lever for lever, row in zip(loaded.spec.levers, lever_rows, strict=True) if row["enabled"]
    )
    steps = None
    if chosen:
        subset = replace(loaded, spec=loaded.spec.model_copy(update={"levers": chosen}))
        steps = waterfall(subset, samples=samples, years=years)
    view = scenario_view(data)
    return {
        "run": data,
        "waterfall": steps,
        "levers": lever_rows,
        "figures": {
            "energy_by_year": view["figures"]["energy_by_year"],
            "levers": waterfall_figure(steps) if steps else None,
        },
    }
