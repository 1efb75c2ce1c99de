"""The package surface: a light import and an honest __all__."""

from __future__ import annotations

import subprocess
import sys

import wattlens


def test_import_is_light() -> None:
    code = (
        "import sys, wattlens; "
        "heavy = [m for m in ('numpy', 'pydantic', 'sqlalchemy', 'torch', 'pynvml', 'rich') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


def test_all_names_resolve_and_nothing_else_is_public() -> None:
    for name in wattlens.__all__:
        assert getattr(wattlens, name) is not None
    public = {n for n in dir(wattlens) if not n.startswith("_")}
    assert public == set(wattlens.__all__) - {"__version__"}
