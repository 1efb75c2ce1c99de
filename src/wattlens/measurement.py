"""What a measurement produces: per-component energy, power, method and impacts.

Plain dataclasses (no pydantic) so that measuring stays cheap; ``to_dict``
gives the stable JSON form documented in the README (snake_case, units in
names). Fields that a range was computed for carry ``*_low_j``/``*_high_j``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from wattlens.sensors.base import ComponentKind, Method
from wattlens.types import Impacts

if TYPE_CHECKING:
    from wattlens.embodied import Embodied

#: Warning codes a measurement may carry (``WarningItem.code``).
WARNING_MODELLED = "modelled-components"
WARNING_NOTHING_MEASURED = "nothing-measured"

RunStatus = Literal["completed", "failed", "killed", "interrupted", "not_started", "running"]

Scope = Literal["workload", "machine"]
"""What the impacts of a measurement are computed on: the measured process tree's share
(``workload``) or the whole machine (``machine``)."""
ScopeChoice = Literal["auto", "workload", "machine"]
SCOPES: tuple[ScopeChoice, ...] = ("auto", "workload", "machine")
OTHER_LOAD_BELOW_SHARE = 0.9
"""``auto`` scope: other load is present when the process tree used less than this share
of the CPU time the whole machine was busy in the window (more than 10 % was other
processes); the impacts are then the process tree's."""


def choose_scope(
    requested: ScopeChoice, cpu_share: float | None, workload_known: bool
) -> tuple[Scope, str]:
    """The scope of a window's impacts and the reason, in words.

    Args:
        requested: ``auto`` decides from ``cpu_share``; ``workload`` and ``machine`` force it.
        cpu_share: the process tree's share of the machine's busy CPU time (None: unknown).
        workload_known: whether any component knows the process tree's share of its energy.
    """
    if requested == "machine":
        return "machine", "machine scope asked for"
    if not workload_known:
        return "machine", "no component knows the process tree's share of its energy"
    other = "" if cpu_share is None else f"{1 - cpu_share:.0%} of busy CPU time was other processes"
    if requested == "workload":
        return "workload", "process tree asked for" + (f" ({other})" if other else "")
    if cpu_share is None:
        return "machine", "other load unknown: the machine's busy CPU time could not be read"
    if cpu_share < OTHER_LOAD_BELOW_SHARE:
        return "workload", f"other load present: {other}"
    return "machine", f"no other load: {other} (under {1 - OTHER_LOAD_BELOW_SHARE:.0%})"


@dataclass(frozen=True)
class ComponentEnergy:
    """Energy of one component over a window."""

    id: str
    kind: ComponentKind
    name: str
    method: Method
    sensor: str
    basis: str
    energy_j: float
    """Energy of the whole component (machine level) over the window."""
    avg_power_w: float
    peak_power_w: float | None = None
    energy_low_j: float | None = None
    energy_high_j: float | None = None
    attributed_energy_j: float | None = None
    """Share attributable to the measured process tree, where known."""
    catalog_ids: tuple[str, ...] = ()
    status: Literal["measured", "partial", "unknown"] = "measured"
    """``partial``: reads failed inside the window and the energy is up to the last good
    read; ``unknown``: the component could not be read in the window at all."""
    status_reason: str | None = None


@dataclass(frozen=True)
class TimelinePoint:
    """Power of each component at an offset from the window start."""

    t_s: float
    power_w: dict[str, float]


@dataclass(frozen=True)
class Measurement:
    """The result of one measurement window (a run, a block, a training step)."""

    run_id: str
    name: str
    started_at: str
    """ISO 8601, UTC."""
    ended_at: str
    duration_s: float
    components: tuple[ComponentEnergy, ...]
    command: tuple[str, ...] | None = None
    exit_code: int | None = None
    status: RunStatus = "completed"
    timeline: tuple[TimelinePoint, ...] | None = None
    host: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Sentences; those the meter raises are :class:`WarningItem` with a code."""
    location: str | None = None
    """Where the energy was used (country, grid zone or cloud region); None: world."""
    pue: float | None = None
    """Facility overhead applied to the impacts; None: 1.0 (no facility)."""
    stored_impacts: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    stored_peak_power_w: float | None = field(default=None, repr=False, compare=False)
    """Peak total power of the timeline when it was not loaded (``Store.get(timeline=False)``)."""
    scope: Scope = "machine"
    """What :attr:`impacts` are computed on (runs stored before scopes existed: ``machine``)."""
    scope_reason: str | None = None
    """Why that scope, in words (``other load present: 38 % of busy CPU time was …``)."""
    workload_cpu_share: float | None = None
    """The process tree's share of the CPU time the machine was busy in the window."""
    stored_machine_impacts: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def typed_impacts(self) -> Impacts:
        """Carbon, water and cost for the location and PUE (computed on first use).

        Read back from the stored JSON where that has the current shape; an
        older stored shape is recomputed from the location and PUE.
        """
        cached = self.__dict__.get("_typed_impacts")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        typed: Impacts | None = None
        if self.stored_impacts is not None:
            try:
                typed = Impacts.from_dict(self.stored_impacts)
            except (KeyError, TypeError, AttributeError):
                typed = None
        if typed is None:
            from wattlens.impacts import measured_impacts_typed

            typed = measured_impacts_typed(
                self.scope_energy_j,
                self.scope_energy_low_j,
                self.scope_energy_high_j,
                location=self.location,
                pue=self.pue,
            )
        object.__setattr__(self, "_typed_impacts", typed)
        return typed

    @property
    def typed_machine_impacts(self) -> Impacts:
        """Carbon, water and cost of the whole machine's energy (= :attr:`typed_impacts`
        in machine scope)."""
        if self.scope == "machine":
            return self.typed_impacts
        cached = self.__dict__.get("_typed_machine_impacts")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        typed: Impacts | None = None
        if self.stored_machine_impacts is not None:
            try:
                typed = Impacts.from_dict(self.stored_machine_impacts)
            except (KeyError, TypeError, AttributeError):
                typed = None
        if typed is None:
            from wattlens.impacts import measured_impacts_typed

            typed = measured_impacts_typed(
                self.energy_j,
                self.energy_low_j,
                self.energy_high_j,
                location=self.location,
                pue=self.pue,
            )
        object.__setattr__(self, "_typed_machine_impacts", typed)
        return typed

    @property
    def machine_impacts(self) -> dict[str, Any]:
        """The JSON form of :attr:`typed_machine_impacts`."""
        if self.scope == "machine":
            return self.impacts
        if self.stored_machine_impacts is None:
            object.__setattr__(self, "stored_machine_impacts", self.typed_machine_impacts.to_dict())
        assert self.stored_machine_impacts is not None
        return self.stored_machine_impacts

    @property
    def distributed_role(self) -> Literal["rank", "node"] | None:
        """``rank`` or ``node`` for a record of a distributed run (see
        :mod:`wattlens.distributed`), None for a plain run."""
        tag = self.host.get("distributed")
        role = tag.get("role") if isinstance(tag, dict) else None
        return role if role in ("rank", "node") else None

    @property
    def extent_words(self) -> str:
        """What :attr:`energy_j` covers, for people: ``machine``, ``node`` or ``rank 3's
        devices`` (a rank's record holds its own devices only; the node's are in the node
        record)."""
        role = self.distributed_role
        if role == "rank":
            return f"rank {self.host['distributed'].get('rank', '?')}'s devices"
        return "node" if role == "node" else "machine"

    @property
    def embodied(self) -> Embodied | None:
        """Manufacturing impacts of the accelerators for the run's duration (modelled; None
        without an accelerator), for the scope: in workload scope the accelerators the
        process tree used and its share of the host, with the machine's figure as
        ``embodied.machine``; a rank's record, its own devices. See :mod:`wattlens.embodied`."""
        if "_embodied" not in self.__dict__:
            from wattlens.embodied import measured
            from wattlens.errors import WattlensError

            gpus = [c for c in self.components if c.kind == "gpu"]
            value = None
            if gpus and self.duration_s >= 0:
                share = None
                if self.scope == "workload" and self.attributed_energy_j is not None:
                    # Unknown shares count in full, as in the use-phase attribution.
                    share = 1.0 if self.workload_cpu_share is None else self.workload_cpu_share
                try:
                    value = measured(
                        [c.name for c in gpus],
                        [c.id for c in gpus],
                        # A GPU with no known per-process share counts as used.
                        [c.attributed_energy_j is None or c.attributed_energy_j > 0 for c in gpus],
                        self.duration_s,
                        host_share=share,
                        rank=self.distributed_role == "rank",
                    )
                except WattlensError:
                    value = None
            object.__setattr__(self, "_embodied", value)
        return self.__dict__["_embodied"]  # type: ignore[no-any-return]

    @property
    def machine_embodied(self) -> Embodied | None:
        """The whole machine's embodied impacts (= :attr:`embodied` in machine scope; None
        for a rank's record, whose node record has the node's)."""
        value = self.embodied
        if value is None or value.scope == "rank":
            return None
        return value.machine if value.machine is not None else value

    @property
    def impacts(self) -> dict[str, Any]:
        """The JSON form of :attr:`typed_impacts` (as stored, for runs saved in an older shape).

        See :func:`wattlens.impacts.measured_impacts` for the fields.
        """
        if self.stored_impacts is None:
            object.__setattr__(self, "stored_impacts", self.typed_impacts.to_dict())
        assert self.stored_impacts is not None
        return self.stored_impacts

    # -- totals ---------------------------------------------------------
    @property
    def energy_j(self) -> float:
        """Total energy of every component (machine level), in joules."""
        return sum(c.energy_j for c in self.components)

    @property
    def energy_low_j(self) -> float:
        return sum(
            c.energy_j if c.energy_low_j is None else c.energy_low_j for c in self.components
        )

    @property
    def energy_high_j(self) -> float:
        return sum(
            c.energy_j if c.energy_high_j is None else c.energy_high_j for c in self.components
        )

    @property
    def attributed_energy_j(self) -> float | None:
        """Energy attributable to the measured process tree (None where no component knows)."""
        shares = [c.attributed_energy_j for c in self.components]
        if all(s is None for s in shares):
            return None
        return sum(
            c.energy_j if s is None else s for c, s in zip(self.components, shares, strict=True)
        )

    def _workload_factors(self) -> list[float]:
        """Each component's process-tree share of its energy (1: unknown, the machine's)."""
        return [
            1.0
            if c.attributed_energy_j is None or c.energy_j <= 0
            else c.attributed_energy_j / c.energy_j
            for c in self.components
        ]

    @property
    def scope_energy_j(self) -> float:
        """The energy :attr:`impacts` are computed on: the process tree's share in workload
        scope (a component without a known share counts in full), else the machine's."""
        attributed = self.attributed_energy_j
        if self.scope == "workload" and attributed is not None:
            return attributed
        return self.energy_j

    @property
    def scope_energy_low_j(self) -> float:
        if self.scope != "workload" or self.attributed_energy_j is None:
            return self.energy_low_j
        return sum(
            f * (c.energy_j if c.energy_low_j is None else c.energy_low_j)
            for c, f in zip(self.components, self._workload_factors(), strict=True)
        )

    @property
    def scope_energy_high_j(self) -> float:
        if self.scope != "workload" or self.attributed_energy_j is None:
            return self.energy_high_j
        return sum(
            f * (c.energy_j if c.energy_high_j is None else c.energy_high_j)
            for c, f in zip(self.components, self._workload_factors(), strict=True)
        )

    @property
    def scope_words(self) -> str:
        """The scope for people: ``process tree (other load present: …)``."""
        extent = self.extent_words
        whole = "whole machine" if extent == "machine" else f"whole {extent}"
        if extent.startswith("rank "):
            whole = extent
        what = "process tree" if self.scope == "workload" else whole
        return f"{what} ({self.scope_reason})" if self.scope_reason else what

    @property
    def avg_power_w(self) -> float:
        return self.energy_j / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def peak_power_w(self) -> float | None:
        if self.timeline:
            return max(sum(p.power_w.values()) for p in self.timeline)
        if self.stored_peak_power_w is not None:
            return self.stored_peak_power_w
        peaks = [c.peak_power_w for c in self.components]
        if any(p is None for p in peaks):
            return None
        return sum(p for p in peaks if p is not None)

    @property
    def methods(self) -> list[str]:
        """The distinct methods used, in order: counter, sampled, modeled."""
        used = {c.method for c in self.components}
        return [m for m in ("counter", "sampled", "modeled") if m in used]

    @property
    def is_modeled(self) -> bool:
        return any(c.method == "modeled" for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (documented in the README)."""
        return {
            "run_id": self.run_id,
            "name": self.name,
            "command": list(self.command) if self.command is not None else None,
            "exit_code": self.exit_code,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "energy_j": self.energy_j,
            "energy_low_j": self.energy_low_j,
            "energy_high_j": self.energy_high_j,
            "attributed_energy_j": self.attributed_energy_j,
            "avg_power_w": self.avg_power_w,
            "peak_power_w": self.peak_power_w,
            "methods": self.methods,
            "components": [
                {**asdict(c), "catalog_ids": list(c.catalog_ids)} for c in self.components
            ],
            "location": self.location,
            "pue": self.pue,
            "scope": self.scope,
            "scope_reason": self.scope_reason,
            "workload_cpu_share": self.workload_cpu_share,
            "scope_energy_j": self.scope_energy_j,
            "impacts": self.impacts,
            "machine_impacts": self.machine_impacts,
            "embodied": self.embodied.to_dict() if self.embodied is not None else None,
            "machine_embodied": (
                self.machine_embodied.to_dict() if self.machine_embodied is not None else None
            ),
            "host": self.host,
            "warnings": [str(w) for w in self.warnings],
            "timeline": (
                [{"t_s": p.t_s, "power_w": p.power_w} for p in self.timeline]
                if self.timeline is not None
                else None
            ),
        }

    def _repr_html_(self) -> str:
        """Jupyter's rich view: totals, each component's method, impacts, sources (escaped)."""
        from wattlens.html_repr import measurement_html

        return measurement_html(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Rebuild a measurement from :meth:`to_dict` output (as stored)."""
        components = tuple(
            ComponentEnergy(**{**c, "catalog_ids": tuple(c.get("catalog_ids", ()))})
            for c in data["components"]
        )
        timeline = data.get("timeline")
        return cls(
            run_id=data["run_id"],
            name=data["name"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            duration_s=data["duration_s"],
            components=components,
            command=tuple(data["command"]) if data.get("command") is not None else None,
            exit_code=data.get("exit_code"),
            status=data.get("status", "completed"),
            timeline=(
                tuple(TimelinePoint(p["t_s"], p["power_w"]) for p in timeline)
                if timeline is not None
                else None
            ),
            host=data.get("host", {}),
            warnings=tuple(data.get("warnings", ())),
            location=data.get("location"),
            pue=data.get("pue"),
            stored_impacts=data.get("impacts"),
            scope=data.get("scope", "machine"),
            scope_reason=data.get("scope_reason"),
            workload_cpu_share=data.get("workload_cpu_share"),
            stored_machine_impacts=data.get("machine_impacts"),
        )
