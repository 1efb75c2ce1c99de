"""Read a scenario file: YAML with line numbers, schema validation, name checks.

The YAML is read by :mod:`wattlens.safe_yaml` (size, alias and depth limits) and
composed into its node tree once; a pydantic error's location
(``("requests", 1, "output_tokens")``) is walked down that tree to the line it
came from, so every problem is reported as ``file:line: field: problem`` with
a fix. All problems are collected and raised together as one
:class:`ScenarioError` (exit code 2 on the command line).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattlens.errors import UsageError, WattlensError

if TYPE_CHECKING:
    from yaml.nodes import Node

    from wattlens.catalog import Catalog
    from wattlens.scenario.schema import Lever, RequestClass, Scenario, TrainingRun

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario file: where, which field, what, and how to fix it."""

    file: str
    line: int
    field: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" (fix: {self.fix})" if self.fix else ""
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.problem}{fix}"


class ScenarioError(UsageError):
    """A scenario file cannot be used; ``issues`` name file, line, field and fix."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        if len(issues) == 1:
            message = str(issues[0])
        else:
            message = f"{len(issues)} problems in {issues[0].file}:\n" + "\n".join(
                f"  {i}" for i in issues
            )
        super().__init__(
            message,
            hint="the format: `wattlens scenario run --help` and the files in examples/scenarios/",
        )


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the file it came from and a line for every field path."""

    spec: Scenario
    file: str
    root: Node | None = field(repr=False, default=None)

    def line(self, loc: Loc) -> int:
        """The line of a field path (1-based; 0 when unknown)."""
        return _line_of(self.root, loc)

    def error(self, loc: Loc, problem: str, fix: str = "") -> ScenarioError:
        """A :class:`ScenarioError` pointing at a field path."""
        return ScenarioError([Issue(self.file, self.line(loc), _dotted(loc), problem, fix)])


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _walk(root: Node | None, loc: Loc) -> tuple[Node | None, Node | None]:
    """The deepest node on a path, and the key node that led to it (if any)."""
    from yaml.nodes import MappingNode, SequenceNode

    node, key_node = root, None
    for part in loc:
        if isinstance(node, MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                continue  # a missing field, or a union tag that is not in the file
            key_node, node = match
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node, key_node = node.value[part], None
        else:
            break
    return node, key_node


def _line_of(root: Node | None, loc: Loc) -> int:
    from yaml.nodes import ScalarNode

    node, key_node = _walk(root, loc)
    if node is None:
        return 0
    if isinstance(node, ScalarNode) or key_node is None:
        return int(node.start_mark.line) + 1
    return int(key_node.start_mark.line) + 1


def _duplicates(node: Node | None, file: str, path: Loc = ()) -> list[Issue]:
    from yaml.nodes import MappingNode, SequenceNode

    issues: list[Issue] = []
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                issues.append(
                    Issue(
                        file,
                        key.start_mark.line + 1,
                        _dotted((*path, name)),
                        "appears twice",
                        "keep one of them",
                    )
                )
            seen.add(name)
            issues.extend(_duplicates(value, file, (*path, name)))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            issues.extend(_duplicates(item, file, (*path, i)))
    return issues


def load(path: str | Path, catalog: Catalog | None = None) -> LoadedScenario:
    """Read and validate a scenario file.

    Args:
        path: the YAML file.
        catalog: the catalog to check names against (default: the process catalog).

    Returns:
        The validated scenario with its line map.

    Raises:
        ScenarioError: the file is missing or invalid; every problem with its line.
    """
    from wattlens.safe_yaml import YamlInputError, read_text

    file = str(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise ScenarioError(
            [Issue(file, 0, "", f"cannot read the file: {exc.strerror or exc}", "check the path")]
        ) from None
    except YamlInputError as exc:
        raise ScenarioError([Issue(file, exc.line or 0, "", exc.problem, exc.fix)]) from None
    return loads(text, file, catalog=catalog)


def loads(text: str, file: str = "<scenario>", catalog: Catalog | None = None) -> LoadedScenario:
    """Validate a scenario from YAML text (see :func:`load`)."""
    from pydantic import ValidationError

    from wattlens.safe_yaml import YamlInputError, compose
    from wattlens.scenario.schema import Scenario

    try:
        root, data = compose(text)
    except YamlInputError as exc:
        raise ScenarioError([Issue(file, exc.line or 0, "", exc.problem, exc.fix)]) from None
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    file,
                    1,
                    "",
                    "a scenario file is a YAML mapping (name:, demand:, requests: …)",
                    "start from a file in examples/scenarios/",
                )
            ]
        )
    issues = _duplicates(root, file)
    spec: Scenario | None = None
    try:
        spec = Scenario.model_validate(data)
    except ValidationError as exc:
        issues.extend(_from_pydantic(exc, root, file))
    if spec is not None:
        loaded = LoadedScenario(spec, file, root)
        issues.extend(check(loaded, catalog))
    if issues:
        issues.sort(key=lambda i: i.line)
        raise ScenarioError(issues)
    assert spec is not None
    return LoadedScenario(spec, file, root)


def _from_pydantic(exc: Any, root: Node | None, file: str) -> list[Issue]:
    from wattlens.scenario.schema import EXAMPLES, FIX, LEVER_KINDS, all_field_names

    issues: list[Issue] = []
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        # A tagged union (levers) puts the tag into the location: drop it.
        if len(loc) > 2 and loc[0] == "levers" and isinstance(loc[1], int):
            loc = (*loc[:2], *loc[3:])
        name = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
        example = EXAMPLES.get(name, "")
        msg = str(err["msg"]).removeprefix("Value error, ")
        fix = ""
        if FIX in msg:
            msg, fix = msg.split(FIX, 1)
        if kind == "missing":
            problem = "is missing"
            fix = f"add `{name}: {example or '...'}`"
        elif kind == "extra_forbidden":
            problem = "is not a field of this section"
            known = sorted(all_field_names())
            close = [k for k in known if name and k.startswith(name)] or (
                difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            )
            fix = f"did you mean `{close[0]}`?" if close else "remove it"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            problem = "unknown or missing lever kind"
            fix = "set `kind:` to one of " + ", ".join(LEVER_KINDS)
        elif kind == "too_long":
            ctx = err.get("ctx", {})
            problem = (
                f"has {ctx.get('actual_length', 'too many')} items; "
                f"at most {ctx.get('max_length')} are allowed"
            )
            fix = "split the scenario into several files, or merge similar items"
        elif kind in ("literal_error",):
            problem = f"{msg} (got {_short_repr(err.get('input'))})"
        elif kind not in ("value_error", "assertion_error"):
            problem = f"{msg} (got {_short_repr(err.get('input'))})"
            fix = fix or (f"write e.g. `{name}: {example}`" if example else "")
        else:
            problem = msg
        issues.append(Issue(file, _line_of(root, loc), _dotted(loc), problem, fix))
    return issues


# -- checks that span fields or need the catalog --------------------------------
def check(loaded: LoadedScenario, catalog: Catalog | None = None) -> list[Issue]:
    """Cross-field checks and catalog names (models, accelerators, locations)."""
    from wattlens.catalog import get_catalog

    checker = _Checker(loaded, catalog or get_catalog())
    spec = loaded.spec
    _check_subject(spec, checker)
    _check_shares(
        [(r.name, r.share.low) for r in spec.requests], ("requests",), "request", checker.add
    )
    _check_shares(
        [(p.name, p.share.low) for p in spec.location], ("location",), "location", checker.add
    )
    names = [r.name for r in spec.requests]
    for i, r in enumerate(spec.requests):
        _check_request(spec, r, ("requests", i), names, checker)
    if spec.hardware is not None:
        checker.name_ok("accelerators", spec.hardware.accelerator, ("hardware", "accelerator"))
    for i, p in enumerate(spec.location):
        checker.name_ok(
            "locations",
            p.name,
            ("location", i, "name") if len(spec.location) > 1 else ("location",),
        )
    for i, t in enumerate(spec.training):
        _check_training(t, ("training", i), checker)
    for i, lever in enumerate(spec.levers):
        _check_lever(spec, lever, ("levers", i), names, checker)
    return checker.issues


class _Checker:
    """Collects issues, so that a file with several problems reports them all at once."""

    def __init__(self, loaded: LoadedScenario, catalog: Catalog) -> None:
        self.loaded = loaded
        self.catalog = catalog
        self.issues: list[Issue] = []

    def add(self, loc: Loc, problem: str, fix: str = "") -> None:
        self.issues.append(
            Issue(self.loaded.file, self.loaded.line(loc), _dotted(loc), problem, fix)
        )

    def name_ok(self, kind: str, name: str | None, loc: Loc) -> None:
        if name is None:
            return
        try:
            if kind == "locations":
                from wattlens.impacts import resolve_location

                resolve_location(name, self.catalog)
            else:
                self.catalog.get(kind, name)
        except WattlensError as exc:
            what = {"models": "model", "accelerators": "accelerator"}.get(kind, "location")
            self.add(loc, f"unknown {what} {name!r}", exc.hint or "")


def _check_subject(spec: Scenario, c: _Checker) -> None:
    """Something to compute, and a demand that goes with request classes."""
    if not spec.requests and spec.fleet is None and not spec.training:
        c.add(
            (),
            "describes nothing to compute",
            "add `requests:` (with `demand:`), a `fleet:` or `training:` runs",
        )
    if spec.requests and spec.demand is None:
        c.add(
            ("requests",),
            "request classes need a demand",
            "add `demand:` with `requests_per_day:` (or `users:` and `requests_per_user_per_day:`)",
        )
    if spec.demand is None:
        return
    d = spec.demand
    per_user = d.users is not None or d.requests_per_user_per_day is not None
    if d.requests_per_day is not None and per_user:
        c.add(
            ("demand",),
            "gives both requests_per_day and users",
            "keep one: requests_per_day, or users with requests_per_user_per_day",
        )
    elif d.requests_per_day is None and (d.users is None or d.requests_per_user_per_day is None):
        c.add(
            ("demand",),
            "needs requests_per_day, or users and requests_per_user_per_day",
            "add e.g. `requests_per_day: 200e6`",
        )
    if not spec.requests:
        c.add(
            ("demand",),
            "a demand needs request classes",
            "add `requests:` with at least one class (model or energy_per_request)",
        )


# A class given as energy_per_request is a measured figure: none of these model it.
_MODEL_FIELDS = (
    "model",
    "params",
    "output_tokens",
    "input_tokens",
    "accelerator",
    "count",
    "batch",
    "precision",
)


def _check_request(
    spec: Scenario, r: RequestClass, loc: Loc, names: list[str], c: _Checker
) -> None:
    if names.count(r.name) > 1:
        c.add((*loc, "name"), f"request class {r.name!r} appears twice", "give each a new name")
    if r.energy_per_request is not None:
        _check_given_energy(r, loc, c)
    else:
        _check_modelled_request(spec, r, loc, c)


def _check_given_energy(r: RequestClass, loc: Loc, c: _Checker) -> None:
    extra = [f for f in _MODEL_FIELDS if getattr(r, f) is not None]
    if extra:
        c.add(
            (*loc, extra[0]),
            "a class with energy_per_request is not modelled",
            f"remove {', '.join(extra)}, or remove energy_per_request",
        )
    if r.boundary is None:
        c.add(
            (*loc, "energy_per_request"),
            "needs the boundary the figure counts",
            "add `boundary: server` (IT equipment) or `boundary: facility` (with PUE)",
        )


def _check_modelled_request(spec: Scenario, r: RequestClass, loc: Loc, c: _Checker) -> None:
    if r.boundary is not None:
        c.add((*loc, "boundary"), "boundary only goes with energy_per_request", "remove it")
    if r.model is None and r.params is None:
        c.add(
            loc,
            "needs a model (or params), or energy_per_request",
            "add `model: llama-3.1-8b` and `output_tokens: 500`",
        )
    if r.model is not None and r.params is not None:
        c.add((*loc, "params"), "gives both model and params", "keep one")
    if r.output_tokens is None:
        c.add(loc, "a modelled class needs output_tokens", "add `output_tokens: 500`")
    elif r.output_tokens.low <= 0:
        c.add((*loc, "output_tokens"), "must be positive", "write e.g. 500")
    if r.accelerator is None and spec.hardware is None:
        c.add(
            loc,
            "no accelerator to serve it on",
            "add `hardware: {accelerator: H100 SXM}` or `accelerator:` to the class",
        )
    c.name_ok("models", r.model, (*loc, "model"))
    c.name_ok("accelerators", r.accelerator, (*loc, "accelerator"))


def _check_training(t: TrainingRun, loc: Loc, c: _Checker) -> None:
    routes = [
        t.accelerator_hours is not None,
        t.days is not None,
        t.model is not None or t.params is not None or t.tokens is not None,
    ]
    if sum(routes) != 1:
        c.add(
            loc,
            "give exactly one route: accelerator_hours, count and days, or model/params and tokens",
            "e.g. `count: 10000` and `days: 14.8`",
        )
    if t.days is not None and t.count is None:
        c.add((*loc, "days"), "days needs count (how many accelerators ran)", "add `count:`")
    c.name_ok("accelerators", t.accelerator, (*loc, "accelerator"))
    c.name_ok("models", t.model, (*loc, "model"))
    c.name_ok("locations", t.location, (*loc, "location"))


# Levers that change how a modelled class is served: a given energy_per_request has nothing to
# change.
_MODEL_LEVERS = ("hardware", "quantise", "batch", "shorter_outputs", "model")


def _check_lever(spec: Scenario, lever: Lever, loc: Loc, names: list[str], c: _Checker) -> None:
    from wattlens.scenario.schema import HardwareLever, ModelLever, RelocateLever

    for name in getattr(lever, "requests", None) or ():
        if name not in names:
            c.add(
                (*loc, "requests"),
                f"no request class named {name!r}",
                f"use one of: {', '.join(names) or '(none)'}",
            )
    if isinstance(lever, HardwareLever):
        c.name_ok("accelerators", lever.accelerator, (*loc, "accelerator"))
    elif isinstance(lever, ModelLever):
        c.name_ok("models", lever.model, (*loc, "model"))
    elif isinstance(lever, RelocateLever):
        _check_shares(
            [(p.name, p.share.low) for p in lever.location], (*loc, "location"), "location", c.add
        )
        for p in lever.location:
            c.name_ok("locations", p.name, (*loc, "location"))
    if lever.kind in _MODEL_LEVERS and not any(r.modelled for r in spec.requests):
        c.add(
            (*loc, "kind"),
            f"a {lever.kind} lever needs a modelled request class",
            "remove the lever, or model a class (model + output_tokens)",
        )


def _check_shares(shares: list[tuple[str, float]], loc: Loc, what: str, add: Any) -> None:
    if not shares:
        return
    total = sum(s for _, s in shares)
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        parts = " + ".join(f"{n} {s:g}" for n, s in shares)
        add(
            loc,
            f"{what} shares add up to {total:g} ({parts}); they must add up to 1",
            "change the shares so that they sum to 1",
        )


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
