"""Writing stored runs as CSV (one row per run) or JSON (full records)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

from wattlens.store.rows import EXPORT_COLUMNS

if TYPE_CHECKING:
    from wattlens.measurement import Measurement

__all__ = ["write_csv", "write_json"]


def write_csv(summaries: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Run summaries as CSV with a header of :data:`EXPORT_COLUMNS`; returns the row count.

    ``command`` is JSON text, ``methods`` joined by ``;``, unknown values empty.
    """
    writer = csv.DictWriter(out, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for s in summaries:
        writer.writerow(
            {
                **s,
                "command": json.dumps(s["command"]) if s["command"] is not None else None,
                "methods": ";".join(s["methods"]),
            }
        )
        count += 1
    return count


def write_json(measurements: Iterable[Measurement], out: IO[str]) -> int:
    """``{"count": n, "runs": [...]}`` of full :meth:`Measurement.to_dict` records."""
    records = [m.to_dict() for m in measurements]
    out.write(json.dumps({"count": len(records), "runs": records}, indent=2, ensure_ascii=False))
    out.write("\n")
    return len(records)
