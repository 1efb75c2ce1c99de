"""Shared output helpers: JSON for scripts, Rich for people, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

#: Results for people go to stdout; diagnostics and run summaries to stderr.
stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=False)


def emit_json(data: Any) -> None:
    """Print a JSON document (stable, snake_case field names with units) to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def fmt_number(value: object) -> str:
    """Format a catalog cell for a table: short floats, empty for unknown."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)
