"""Auditing: evaluate each claim's recomputation, judge it and explain the verdict."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattlens.audit.claims_file import (
    Claim,
    ClaimsFile,
    ClaimsFileError,
    Path_,
    Problem,
    load_claims,
)
from wattlens.audit.expressions import (
    _BINOPS,
    _catalog_value,
    _compile,
    _Compiled,
    _training_value,
)
from wattlens.audit.values import Value, _EvalError
from wattlens.audit.verdict import VERDICTS, Judgement, judge
from wattlens.errors import InputValueError
from wattlens.physics import landauer_j_per_bit
from wattlens.quantity import (
    ENERGY,
    Dims,
    Quantity,
    dimension_name,
    dims_mul,
    format_in_unit,
    format_number,
    parse_quantity,
    si_unit,
)
from wattlens.quantity.dims import DATE

if TYPE_CHECKING:
    from wattlens.catalog import Catalog


@dataclass(frozen=True)
class ClaimResult:
    """The audit of one claim."""

    claim: Claim
    recomputed: Value | None
    judgement: Judgement | None
    explanation: str
    sources: tuple[str, ...]
    #: The stated value against what the cited source says (``quoted_as``), if given.
    quote: Judgement | None = None
    #: The figure disagrees with its cited source, or copies it with another meaning.
    misquote: bool = False
    #: Why the figure is stale (its date against the article's), or ``None``.
    stale: str | None = None

    @property
    def verdict(self) -> str:
        """The verdict (``unverifiable`` when nothing was recomputed or quoted)."""
        if self.misquote:
            return "misquote"
        judgement = self.judgement or self.quote
        return judgement.verdict if judgement else "unverifiable"

    def recomputed_text(self) -> str:
        """The recomputed value in the stated value's unit, for people."""
        if self.recomputed is None:
            return ""
        r = self.recomputed
        return _format(r.low, r.high, self.claim.stated)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (see ``wattlens audit --help``)."""
        claim, stated = self.claim, self.claim.stated
        recomputed: dict[str, Any] | None = None
        if self.recomputed is not None:
            r = self.recomputed
            recomputed = {
                "expression": claim.recompute,
                "value_si": r.central,
                "low_si": r.low,
                "high_si": r.high,
                "si_unit": si_unit(r.dims),
                "value": stated.in_unit(r.central),
                "low": stated.in_unit(r.low),
                "high": stated.in_unit(r.high),
                "unit": stated.unit,
                "text": self.recomputed_text(),
            }
        judgement = self.judgement or self.quote
        quote = self.quote
        quoted = claim.quoted_as
        return {
            "id": claim.id,
            "text": claim.text,
            "text_en": claim.text_en,
            "stated": {
                "text": stated.text,
                "value": stated.in_unit(stated.value),
                "low": stated.in_unit(stated.low),
                "high": stated.in_unit(stated.high),
                "unit": stated.unit,
                "magnitude": stated.magnitude,
                "qualifier": stated.qualifier,
                "dimension": stated.dimension,
                "value_si": stated.value,
                "low_si": stated.low,
                "high_si": stated.high,
                "si_unit": si_unit(stated.dims),
            },
            "recomputed": recomputed,
            "ratio": _finite(judgement.ratio) if judgement else None,
            "verdict": self.verdict,
            "slip": judgement.slip if judgement else None,
            "slip_direction": judgement.slip_direction if judgement else None,
            "slip_name": judgement.slip_name if judgement else None,
            "slip_end": judgement.end if judgement else None,
            "discrepancy": _finite(judgement.discrepancy) if judgement else None,
            "bound": judgement.bound if judgement else None,
            "cited_source": claim.cited,
            "quoted_as": None
            if quoted is None
            else {
                "text": quoted.text,
                "value_si": quoted.value,
                "low_si": quoted.low,
                "high_si": quoted.high,
                "verdict": quote.verdict if quote else None,
                "ratio": _finite(quote.ratio) if quote else None,
            },
            "date": None if claim.date is None else claim.date.text,
            "as_of": claim.as_of,
            "stale": self.stale,
            "kind": claim.kind,
            "tolerance": claim.tolerance,
            "explanation": self.explanation,
            "note": claim.note,
            "sources": list(self.sources),
        }


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


@dataclass(frozen=True)
class AuditReport:
    """The audit of a whole claims file."""

    file: str
    title: str | None
    source: str | None
    tolerance: float
    results: list[ClaimResult]
    date: str | None = None

    @property
    def summary(self) -> dict[str, int]:
        """How many claims got each verdict (every verdict listed, in a fixed order)."""
        counts = dict.fromkeys(VERDICTS, 0)
        for result in self.results:
            counts[result.verdict] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: file, tolerance, claims, summary."""
        return {
            "file": self.file,
            "title": self.title,
            "source": self.source,
            "date": self.date,
            "tolerance": self.tolerance,
            "claims": [r.to_dict() for r in self.results],
            "summary": self.summary,
        }


class _Auditor:
    def __init__(self, claims_file: ClaimsFile, catalog: Catalog) -> None:
        self.file = claims_file
        self.catalog = catalog
        self.claims = {c.id: c for c in claims_file.claims}
        self.compiled: dict[str, _Compiled] = {}
        self.recomputed: dict[str, Value] = {}
        self.problems: list[Problem] = list(claims_file.problems)
        self.failed: set[str] = set(claims_file.broken_ids)

    def problem(self, claim: Claim, problem: str, hint: str) -> None:
        path: Path_ = ("claims", claim.index, "recompute")
        label = f"claims[{claim.index}] ({claim.id}).recompute"
        self.problems.append(
            Problem(self.file.line(path), self.file.column(path), label, problem, hint)
        )
        self.failed.add(claim.id)

    def compile_all(self) -> None:
        known = set(self.claims) | set(self.file.inputs) | set(self.file.broken_ids)
        for claim in self.file.claims:
            if claim.recompute is None:
                continue
            try:
                compiled = _compile(claim.recompute)
            except _EvalError as exc:
                self.problem(claim, exc.problem, exc.hint)
                continue
            if compiled.names & self.file.broken_ids:
                self.failed.add(claim.id)  # its input has a problem of its own, reported there
                continue
            unknown = sorted(compiled.names - known)
            if unknown:
                import difflib

                close = difflib.get_close_matches(unknown[0], sorted(known), n=3)
                hint = (
                    f"did you mean: {', '.join(close)}"
                    if close
                    else "define it under 'inputs:' (value, unit, source) or as a claim id"
                )
                self.problem(claim, f"unknown reference {unknown[0]!r}", hint)
                continue
            not_claims = sorted(compiled.recomputed_refs - set(self.claims))
            if not_claims:
                self.problem(
                    claim,
                    f"recomputed({not_claims[0]}) names an input, not a claim",
                    "inputs have no recomputation: use the input's id directly",
                )
                continue
            no_recompute = sorted(
                r for r in compiled.recomputed_refs if self.claims[r].recompute is None
            )
            if no_recompute:
                target = no_recompute[0]
                self.problem(
                    claim,
                    f"recomputed({target}): claim {target} has no recompute expression",
                    f"use {target} (its stated value) or give {target} a recompute",
                )
                continue
            self.compiled[claim.id] = compiled

    def order(self) -> list[Claim]:
        """Claims in an order where every recomputed() dependency comes first."""
        state: dict[str, int] = {}  # 1 visiting, 2 done
        ordered: list[Claim] = []

        def visit(claim_id: str, chain: list[str]) -> None:
            if state.get(claim_id) == 2:
                return
            if state.get(claim_id) == 1:
                cycle = [*chain[chain.index(claim_id) :], claim_id]
                first = self.claims[cycle[0]]
                self.problem(
                    first,
                    "the recomputations depend on each other in a cycle: " + " → ".join(cycle),
                    "break the cycle: let one of them use a stated value (the bare id) "
                    "or an input instead of recomputed(…)",
                )
                self.failed.update(cycle)
                return
            state[claim_id] = 1
            compiled = self.compiled.get(claim_id)
            for dep in sorted(compiled.recomputed_refs) if compiled else ():
                visit(dep, [*chain, claim_id])
            state[claim_id] = 2
            ordered.append(self.claims[claim_id])

        for claim in self.file.claims:
            visit(claim.id, [])
        return ordered

    def evaluate(self, claim: Claim, node: ast.AST) -> Value:  # noqa: PLR0911, PLR0912 - a dispatch
        if isinstance(node, ast.Expression):
            return self.evaluate(claim, node.body)
        if isinstance(node, ast.BinOp):
            left, right = self.evaluate(claim, node.left), self.evaluate(claim, node.right)
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            operand = self.evaluate(claim, node.operand)
            if isinstance(node.op, ast.USub):
                return Value(
                    -operand.high, -operand.low, -operand.central, operand.dims, operand.sources
                )
            return operand
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, int | float)
            return Value.number(float(node.value))
        if isinstance(node, ast.Name):
            return self.name_value(node.id)
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        func = node.func.id
        if func == "stated":
            assert isinstance(node.args[0], ast.Name)
            return self.name_value(node.args[0].id)
        if func == "recomputed":
            assert isinstance(node.args[0], ast.Name)
            target = node.args[0].id
            if target not in self.recomputed:
                raise _EvalError(
                    f"recomputed({target}): claim {target} has no recompute expression",
                    f"use {target} (its stated value) or give {target} a recompute",
                )
            return self.recomputed[target]
        if func == "q":
            assert isinstance(node.args[0], ast.Constant)
            try:
                return Value.of(parse_quantity(str(node.args[0].value)))
            except InputValueError as exc:
                raise _EvalError(exc.message, exc.hint or "") from None
        if func == "cat":
            args = [str(a.value) for a in node.args if isinstance(a, ast.Constant)]
            return _catalog_value(
                self.catalog, args[0], args[1], args[2] if len(args) > 2 else None,
                year=self.as_of(claim),
            )  # fmt: skip
        if func == "landauer":
            kelvin = self.evaluate(claim, node.args[0])
            if kelvin.dims or kelvin.low <= 0:
                raise _EvalError(
                    "landauer() takes a positive temperature in kelvin (a plain number)",
                    "e.g. landauer(300)",
                )
            k = landauer_j_per_bit(1.0)  # k·ln 2 per kelvin, exactly as k * ln 2
            return Value(
                k * kelvin.low, k * kelvin.high, k * kelvin.central, ENERGY,
                (*kelvin.sources, "Landauer bound k·T·ln 2 (Boltzmann constant, exact SI 2019)"),
            )  # fmt: skip
        return _training_value(self.catalog, node)

    def as_of(self, claim: Claim) -> int | None:
        """The year catalog series are read at: the claim's, else the article's date."""
        if claim.as_of is not None:
            return claim.as_of
        date = self.file.date
        return int(date.low) if date is not None and date.dims == DATE else None

    def name_value(self, name: str) -> Value:
        if name in self.file.inputs:
            figure = self.file.inputs[name]
            return Value.of(figure.quantity, (f"input {name}: {figure.source}",))
        claim = self.claims[name]
        return Value.of(claim.stated, (f"claim {name} (stated)",))

    def run(self) -> AuditReport:
        self.compile_all()
        results: dict[str, ClaimResult] = {}
        for claim in self.order():
            if claim.id in self.failed:
                continue
            compiled = self.compiled.get(claim.id)
            if compiled is not None and compiled.names & self.failed:
                self.failed.add(claim.id)  # depends on a claim whose problem is reported
                continue
            result = self.audit_claim(claim)
            if result is not None:
                results[claim.id] = result
        if self.problems:
            ordered_problems = sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0))
            first = ordered_problems[0]
            raise ClaimsFileError(
                self.file.path, first.line, first.field, first.problem, hint=first.hint,
                column=first.column, problems=ordered_problems,
            )  # fmt: skip
        ordered = [results[c.id] for c in self.file.claims]
        return AuditReport(
            self.file.path, self.file.title, self.file.source, self.file.tolerance, ordered,
            date=None if self.file.date is None else self.file.date.text,
        )  # fmt: skip

    def stale(self, claim: Claim) -> str | None:
        article, figure = self.file.date, claim.date
        if article is None or figure is None:
            return None
        age = article.low - figure.low
        if age < self.file.stale_after_years:
            return None
        return (
            f"stale: the figure dates from {figure.text}, {math.floor(age)} years before the "
            f"article ({article.text})"
        )

    def audit_claim(self, claim: Claim) -> ClaimResult | None:
        stated = claim.stated
        stale = self.stale(claim)
        quote = None
        if claim.quoted_as is not None:
            if claim.quoted_as.dims != stated.dims:
                path: Path_ = ("claims", claim.index, "quoted_as")
                self.problems.append(
                    Problem(
                        self.file.line(path), self.file.column(path),
                        f"claims[{claim.index}] ({claim.id}).quoted_as",
                        f"the source's figure {claim.quoted_as.text!r} is "
                        f"{claim.quoted_as.dimension}, the stated value {stated.text!r} is "
                        f"{stated.dimension}",
                        "give quoted_as in a unit of the same kind as the stated value",
                    )
                )  # fmt: skip
                return None
            quote = self.judge(claim, claim.quoted_as.low, claim.quoted_as.high, None)
        compiled = self.compiled.get(claim.id)
        if compiled is None:
            result = ClaimResult(claim, None, None, "", claim.sources, quote, False, stale)
            misquote = quote is not None and quote.verdict == "inconsistent"
            result = ClaimResult(claim, None, None, "", claim.sources, quote, misquote, stale)
            return _with_explanation(result)
        try:
            value = self.evaluate(claim, compiled.tree)
        except _EvalError as exc:
            self.problem(claim, exc.problem, exc.hint)
            return None
        if value.dims != stated.dims:
            self.problem(
                claim,
                f"the recomputation gives {dimension_name(value.dims)} [{si_unit(value.dims)}] "
                f"but the stated value {stated.text!r} is {stated.dimension} "
                f"[{si_unit(stated.dims)}]",
                _dimension_hint(value.dims, stated.dims),
            )
            return None
        if not all(math.isfinite(x) for x in (value.low, value.high, value.central)):
            self.problem(claim, "the recomputation is not a finite number", "check it")
            return None
        self.recomputed[claim.id] = value
        judgement = self.judge(claim, value.low, value.high, value.central)
        misquote = quote is not None and (
            (judgement.verdict == "consistent" and quote.verdict != "consistent")
            or (judgement.verdict == "inconsistent" and quote.verdict == "consistent")
        )
        sources = tuple(dict.fromkeys((*claim.sources, *value.sources)))
        if claim.cited:
            sources = (f"cited by the article: {claim.cited}", *sources)
        result = ClaimResult(claim, value, judgement, "", sources, quote, misquote, stale)
        return _with_explanation(result)

    def judge(self, claim: Claim, low: float, high: float, central: float | None) -> Judgement:
        stated = claim.stated
        return judge(
            (stated.low, stated.high),
            (low, high),
            claim.tolerance,
            stated_central=stated.value,
            recomputed_central=central,
            qualifier=stated.qualifier,
            magnitude=stated.magnitude,
            date=stated.dims == DATE,
        )


def _format(low: float, high: float, quantity: Quantity) -> str:
    if quantity.dims == DATE:
        return (
            _format_date(low)
            if _same_period(low, high)
            else (f"{_format_date(low)}–{_format_date(high)}")
        )
    return format_in_unit(low, high, quantity)


def _same_period(low: float, high: float) -> bool:
    return math.floor(low) == math.floor(high) and high - low < 1


def _format_date(decimal_year: float) -> str:
    year = math.floor(decimal_year)
    fraction = decimal_year - year
    if fraction < 1e-6:
        return str(year)
    month = min(12, math.floor(fraction * 12) + 1)
    return f"{year}-{month:02d}"


def _with_explanation(result: ClaimResult) -> ClaimResult:
    from dataclasses import replace

    return replace(result, explanation=_explain(result))


def _dimension_hint(got: Dims, want: Dims) -> str:
    ratio = dims_mul(want, got, -1)
    if ratio == (("s", 1),):
        return 'multiply by a time, e.g. * q("1 year") or * q("1 day")'
    if ratio == (("s", -1),):
        return 'divide by a time, e.g. / q("1 year") or / q("1 day")'
    if got and not want:
        return (
            f"the stated value has no unit: add it (unit: {si_unit(got)!r} or the unit as "
            "written), or divide the recomputation down to a plain number"
        )
    return f"the recomputation must have the stated value's unit (it lacks [{si_unit(ratio)}])"


def _describe(j: Judgement, stated: Quantity, other: str, tol: str) -> str:  # noqa: PLR0911
    """One judgement in words: ``stated X agrees with Y within 15 %`` …"""
    ratio_text = f"ratio stated ÷ recomputed {_fmt_ratio(j.ratio)}" if j.ratio is not None else ""
    if stated.dims == DATE:
        if j.verdict == "consistent":
            return f"stated {stated.text} and {other} are the same period"
        years = abs(j.discrepancy or 0.0)
        return f"stated {stated.text} is {years:.1f} years from {other}: a date, not a ratio"
    if j.verdict == "consistent":
        if j.bound == "lower":
            return f"stated {stated.text} holds: {other} reaches it ({ratio_text})"
        if j.bound == "upper":
            return f"stated {stated.text} holds: {other} does not exceed it ({ratio_text})"
        return f"stated {stated.text} agrees with {other} within {tol} ({ratio_text})"
    if j.verdict == "unit error":
        size = "small" if j.slip_direction == "stated too small" else "large"
        end = f"its {j.end} end is " if j.end else ""
        return (
            f"stated {stated.text}: {end}{j.slip} too {size} against {other} ({ratio_text}); "
            f"scaled by {j.slip} it agrees within {tol} — {j.slip_name}?"
        )
    if j.bound == "lower":
        return f"stated {stated.text} is a lower bound that {other} does not reach ({ratio_text})"
    if j.bound == "upper":
        return f"stated {stated.text} is an upper bound that {other} exceeds ({ratio_text})"
    shown = f"{j.discrepancy:+.0%}" if j.discrepancy is not None else "n/a"
    return (
        f"stated {stated.text} does not match {other} ({ratio_text}, {shown}; outside {tol}, "
        "and no slip of 10^1–10^9 explains it)"
    )


def _explain(result: ClaimResult) -> str:
    claim = result.claim
    stated = claim.stated
    tol = f"{claim.tolerance:.0%}"
    parts: list[str] = []
    arithmetic, quote, quoted = result.judgement, result.quote, claim.quoted_as
    if arithmetic is not None:
        parts.append(_describe(arithmetic, stated, f"recomputed {result.recomputed_text()}", tol))
    elif quote is None:
        parts.append("unverifiable: nothing to recompute it from")
        if claim.cited:
            parts.append(f"cited: {claim.cited}")
    if quote is not None and quoted is not None:
        if result.misquote and arithmetic is not None and arithmetic.verdict == "inconsistent":
            parts.append(
                f"misquote: the cited source gives the same number ({quoted.text}; "
                f"{claim.cited}), but it does not mean what the article says it means"
            )
        elif result.misquote:
            slip = quote.slip_name
            parts.append(
                f"misquote: the cited source says {quoted.text} ({claim.cited})"
                + (f"; the gap is a slip of {quote.slip}: {slip}" if slip else "")
            )
        elif arithmetic is not None and arithmetic.verdict == quote.verdict:
            parts.append(f"the cited source ({claim.cited}) says {quoted.text}")
        else:
            source = f"{quoted.text} in the cited source ({claim.cited})"
            parts.append("against the source: " + _describe(quote, stated, source, tol))
    if result.stale:
        parts.append(result.stale)
    if claim.note:
        parts.append(claim.note)
    text = ""
    for part in (p.rstrip(".") for p in parts if p):
        text += ("" if not text else " " if text.endswith("?") else ". ") + part
    return text


def _fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    if ratio != 0 and (abs(ratio) >= 1e4 or abs(ratio) < 1e-2):
        return f"{ratio:.3g}"
    return format_number(ratio, digits=3)


def audit_claims(claims_file: ClaimsFile, *, catalog: Catalog | None = None) -> AuditReport:
    """Recompute every claim of a validated file and judge it.

    Raises:
        ClaimsFileError: An expression is invalid, names something unknown, forms a
            cycle, or gives a value whose dimension differs from the stated one.
    """
    from wattlens.catalog import get_catalog

    return _Auditor(claims_file, catalog or get_catalog()).run()


def audit(path: str | Path, *, catalog: Catalog | None = None) -> AuditReport:
    """Load a claims file, recompute every claim and judge it.

    Args:
        path: The YAML claims file.
        catalog: The catalog for ``cat(...)`` (default: the process-wide one).

    Returns:
        The :class:`AuditReport`; nothing is printed.

    Raises:
        ClaimsFileError: The file is invalid (its message names file, line and field).
    """
    return audit_claims(load_claims(path, collect=True), catalog=catalog)
