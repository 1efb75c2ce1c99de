"""Shared output helpers: JSON for scripts, Rich for people, errors on stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from wattlens.units import format_number as fmt_number

__all__ = ["emit_json", "fmt_number", "stderr", "stdout"]

#: Results for people go to stdout; diagnostics and run summaries to stderr.
stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=False)


def emit_json(data: Any) -> None:
    """Print a JSON document (stable, snake_case field names with units) to stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()
