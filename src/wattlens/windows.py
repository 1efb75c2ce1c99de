"""Windows of a run: spans inside it (an epoch, a group of steps) with their own energy.

A stored run may carry windows (the ``windows`` table of the run store): a
training run has one ``epoch`` window per epoch and one ``steps`` window per
epoch that summarises the steps measured in it. A window is written as soon as
it ends, so that a run whose process dies keeps the windows it finished.

Standard library only: the save path of ``wattlens run`` and of the training
callbacks imports it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KIND_EPOCH", "KIND_STEPS", "Window"]

KIND_EPOCH = "epoch"
KIND_STEPS = "steps"
_MAX_KIND = 32


@dataclass(frozen=True)
class Window:
    """One span of a run, with its energy.

    ``start_s`` and ``end_s`` are seconds from the start of the run; ``detail``
    holds what a kind adds (a step count, the mean energy of a step), as JSON.
    """

    seq: int
    """Order of the window in its run (0, 1, …); a run's windows are unique by it."""
    kind: str
    """``epoch``, ``steps`` or another short word (at most 32 characters)."""
    label: str
    start_s: float
    end_s: float
    duration_s: float
    energy_j: float
    energy_low_j: float | None = None
    energy_high_j: float | None = None
    methods: tuple[str, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.kind or len(self.kind) > _MAX_KIND:
            raise ValueError(f"a window's kind must be 1 to {_MAX_KIND} characters: {self.kind!r}")
        if self.seq < 0:
            raise ValueError(f"a window's seq must be 0 or more, got {self.seq}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``runs show --json``'s ``windows``; the spool)."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "label": self.label,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "duration_s": self.duration_s,
            "energy_j": self.energy_j,
            "energy_low_j": self.energy_low_j,
            "energy_high_j": self.energy_high_j,
            "methods": list(self.methods),
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Window:
        """A window from :meth:`to_dict`'s form.

        Raises:
            KeyError, TypeError, ValueError: A field is missing or has the wrong type.
        """

        def number(key: str) -> float:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"window field {key} must be a number, got {value!r}")
            return float(value)

        def optional(key: str) -> float | None:
            return None if data.get(key) is None else number(key)

        detail = data.get("detail") or {}
        if not isinstance(detail, dict):
            raise TypeError("window field detail must be an object")
        seq = data["seq"]
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise TypeError(f"window field seq must be an integer, got {seq!r}")
        return cls(
            seq=seq,
            kind=str(data["kind"]),
            label=str(data.get("label") or ""),
            start_s=number("start_s"),
            end_s=number("end_s"),
            duration_s=number("duration_s"),
            energy_j=number("energy_j"),
            energy_low_j=optional("energy_low_j"),
            energy_high_j=optional("energy_high_j"),
            methods=tuple(str(m) for m in data.get("methods") or ()),
            detail=detail,
        )

    def row(self, run_id: str) -> dict[str, Any]:
        """The ``windows`` table row of this window in run ``run_id``."""
        return {
            "run_id": run_id,
            "seq": self.seq,
            "kind": self.kind,
            "label": self.label,
            "start_s": float(self.start_s),
            "end_s": float(self.end_s),
            "duration_s": float(self.duration_s),
            "energy_j": float(self.energy_j),
            "energy_low_j": self.energy_low_j,
            "energy_high_j": self.energy_high_j,
            "methods": ",".join(self.methods),
            "detail": json.dumps(self.detail, sort_keys=True, default=str),
        }

    @classmethod
    def from_row(cls, row: Any) -> Window:
        """A window from its ``windows`` table row (a mapping)."""
        detail = json.loads(row["detail"]) if row["detail"] else {}
        return cls(
            seq=int(row["seq"]),
            kind=str(row["kind"]),
            label=str(row["label"] or ""),
            start_s=float(row["start_s"]),
            end_s=float(row["end_s"]),
            duration_s=float(row["duration_s"]),
            energy_j=float(row["energy_j"]),
            energy_low_j=row["energy_low_j"],
            energy_high_j=row["energy_high_j"],
            methods=tuple(m for m in (row["methods"] or "").split(",") if m),
            detail=detail if isinstance(detail, dict) else {},
        )
