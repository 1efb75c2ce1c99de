"""Auditing: evaluate each claim's recomputation, judge it and explain the verdict."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattlens.audit.claims_file import Claim, ClaimsFile, ClaimsFileError, Path_, load_claims
from wattlens.audit.expressions import (
    _BINOPS,
    _catalog_value,
    _compile,
    _Compiled,
    _training_value,
)
from wattlens.audit.values import Value, _EvalError
from wattlens.audit.verdict import _SLIP_WORDS, VERDICTS, Judgement, judge
from wattlens.errors import InputValueError
from wattlens.physics import landauer_j_per_bit
from wattlens.quantity import (
    ENERGY,
    Dims,
    dimension_name,
    dims_mul,
    format_in_unit,
    format_number,
    parse_quantity,
    si_unit,
)

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

    @property
    def verdict(self) -> str:
        """The verdict (``unverifiable`` when nothing was recomputed)."""
        return self.judgement.verdict if self.judgement else "unverifiable"

    def recomputed_text(self) -> str:
        """The recomputed value in the stated value's unit, for people."""
        if self.recomputed is None:
            return ""
        r = self.recomputed
        return format_in_unit(r.low, r.high, self.claim.stated)

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
        judgement = self.judgement
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

    def error(self, claim: Claim, problem: str, hint: str) -> ClaimsFileError:
        path: Path_ = ("claims", claim.index, "recompute")
        label = f"claims[{claim.index}] ({claim.id}).recompute"
        return ClaimsFileError(self.file.path, self.file.line(path), label, problem, hint=hint)

    def compile_all(self) -> None:
        known = set(self.claims) | set(self.file.inputs)
        for claim in self.file.claims:
            if claim.recompute is None:
                continue
            try:
                compiled = _compile(claim.recompute)
            except _EvalError as exc:
                raise self.error(claim, exc.problem, exc.hint) from None
            unknown = sorted(compiled.names - known)
            if unknown:
                import difflib

                close = difflib.get_close_matches(unknown[0], sorted(known), n=3)
                hint = (
                    f"did you mean: {', '.join(close)}"
                    if close
                    else "define it under 'inputs:' (value, unit, source) or as a claim id"
                )
                raise self.error(claim, f"unknown reference {unknown[0]!r}", hint)
            not_claims = sorted(compiled.recomputed_refs - set(self.claims))
            if not_claims:
                raise self.error(
                    claim,
                    f"recomputed({not_claims[0]}) names an input, not a claim",
                    "inputs have no recomputation: use the input's id directly",
                )
            no_recompute = sorted(
                r for r in compiled.recomputed_refs - set(not_claims)
                if self.claims[r].recompute is None
            )  # fmt: skip
            if no_recompute:
                target = no_recompute[0]
                raise self.error(
                    claim,
                    f"recomputed({target}): claim {target} has no recompute expression",
                    f"use {target} (its stated value) or give {target} a recompute",
                )
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
                raise self.error(
                    first,
                    "the recomputations depend on each other in a cycle: " + " → ".join(cycle),
                    "break the cycle: let one of them use a stated value (the bare id) "
                    "or an input instead of recomputed(…)",
                )
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
                self.catalog, args[0], args[1], args[2] if len(args) > 2 else None
            )
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
            results[claim.id] = self.audit_claim(claim)
        ordered = [results[c.id] for c in self.file.claims]
        return AuditReport(
            self.file.path, self.file.title, self.file.source, self.file.tolerance, ordered
        )

    def audit_claim(self, claim: Claim) -> ClaimResult:
        compiled = self.compiled.get(claim.id)
        if compiled is None:
            explanation = "unverifiable: nothing to recompute it from"
            if claim.note:
                explanation += f". {claim.note}"
            return ClaimResult(claim, None, None, explanation, claim.sources)
        try:
            value = self.evaluate(claim, compiled.tree)
        except _EvalError as exc:
            raise self.error(claim, exc.problem, exc.hint) from None
        stated = claim.stated
        if value.dims != stated.dims:
            raise self.error(
                claim,
                f"the recomputation gives {dimension_name(value.dims)} [{si_unit(value.dims)}] "
                f"but the stated value {stated.text!r} is {stated.dimension} "
                f"[{si_unit(stated.dims)}]",
                _dimension_hint(value.dims, stated.dims),
            )
        if not all(math.isfinite(x) for x in (value.low, value.high, value.central)):
            raise self.error(claim, "the recomputation is not a finite number", "check it")
        self.recomputed[claim.id] = value
        judgement = judge(
            (stated.low, stated.high),
            (value.low, value.high),
            claim.tolerance,
            stated_central=stated.value,
            recomputed_central=value.central,
        )
        result = ClaimResult(claim, value, judgement, "", ())
        explanation = _explain(result, judgement)
        sources = tuple(dict.fromkeys((*claim.sources, *value.sources)))
        return ClaimResult(claim, value, judgement, explanation, sources)


def _dimension_hint(got: Dims, want: Dims) -> str:
    ratio = dims_mul(want, got, -1)
    if ratio == (("s", 1),):
        return 'multiply by a time, e.g. * q("1 year") or * q("1 day")'
    if ratio == (("s", -1),):
        return 'divide by a time, e.g. / q("1 year") or / q("1 day")'
    return f"the recomputation must have the stated value's unit (it lacks [{si_unit(ratio)}])"


def _explain(result: ClaimResult, judgement: Judgement) -> str:
    claim = result.claim
    stated = claim.stated
    tol = f"{claim.tolerance:.0%}"
    recomputed = result.recomputed_text()
    ranged = result.recomputed is not None and result.recomputed.low != result.recomputed.high
    ratio = judgement.ratio
    ratio_text = f"ratio stated ÷ recomputed {_fmt_ratio(ratio)}" if ratio is not None else ""
    if judgement.verdict == "consistent":
        if ranged or stated.is_range:
            text = f"stated {stated.text} and recomputed {recomputed} overlap within {tol}"
        else:
            text = f"stated {stated.text} agrees with recomputed {recomputed} within {tol}"
        text += f" ({ratio_text})"
    elif judgement.verdict == "unit error":
        assert judgement.slip is not None
        power = int(judgement.slip.split("^")[1])
        size = "small" if judgement.slip_direction == "stated too small" else "large"
        verb = "dropped" if size == "small" else "extra"
        text = (
            f"stated {stated.text} is {judgement.slip} too {size}: recomputed {recomputed} "
            f"({ratio_text}); scaled by {judgement.slip} it agrees within {tol} — "
            f"a {verb} {_SLIP_WORDS[power]}?"
        )
    else:
        text = (
            f"stated {stated.text} does not match the recomputed {recomputed} "
            f"({ratio_text}; outside {tol}, and no 10^3, 10^4 or 10^8 slip explains it)"
        )
    if claim.note:
        text += f" {claim.note}" if text.endswith("?") else f". {claim.note}"
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
    return audit_claims(load_claims(path), catalog=catalog)
