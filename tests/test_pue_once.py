"""PUE is applied in one place: ``wattlens.impacts.apply_pue``.

Every ``*`` (or ``*=``) in the package whose operand names a PUE (a variable,
attribute, call or ``["pue"]`` key containing ``pue``) outside
``impacts.py`` is a second place where facility overhead is applied, and
fails here. Calls to ``apply_pue`` itself are the allowed way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import wattlens

PACKAGE = Path(wattlens.__file__).parent
ALLOWED_FILE = PACKAGE / "impacts.py"
ALLOWED_CALLS = {"apply_pue"}


def _names(node: ast.AST) -> list[str]:  # noqa: PLR0911 - one return per node kind
    """The identifiers an operand is made of (not looking inside calls' arguments)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr, *_names(node.value)]
    if isinstance(node, ast.Subscript):
        key = node.slice
        keys = [key.value] if isinstance(key, ast.Constant) and isinstance(key.value, str) else []
        return [*keys, *_names(node.value)]
    if isinstance(node, ast.Call):
        func = _names(node.func)
        return [] if func and func[0] in ALLOWED_CALLS else func[:1]
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.Mult):
        return [*_names(node.left), *_names(node.right)]
    if isinstance(node, ast.UnaryOp):
        return _names(node.operand)
    return []


def pue_multiplications(source: str, filename: str) -> list[str]:
    """``file:line`` of each multiplication by something named like a PUE."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            operands = [node.left, node.right]
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Mult):
            operands = [node.target, node.value]
        else:
            continue
        if any("pue" in name.lower() for operand in operands for name in _names(operand)):
            found.append(f"{filename}:{node.lineno}")
    return sorted(found, key=lambda where: int(where.rsplit(":", 1)[1]))


def test_the_detector_sees_the_shapes_pue_is_written_in() -> None:
    src = "\n".join(
        [
            "a = e * pue",
            "b = e * draws['pue']",
            "c = e * self.fleet_pue",
            "d = it * run_pue * k",
            "e *= pue",
            "f = e * default_pue(catalog)",
            "g = apply_pue(e, pue) * k",
            "h = e * factor",
        ]
    )
    assert pue_multiplications(src, "x.py") == [f"x.py:{n}" for n in range(1, 7)]


def test_no_module_but_impacts_multiplies_by_pue() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == ALLOWED_FILE:
            continue
        offenders += pue_multiplications(
            path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE))
        )
    assert offenders == [], (
        "PUE must be applied only by wattlens.impacts.apply_pue (or impacts_of); "
        f"multiplied elsewhere at: {', '.join(offenders)}"
    )
