"""Embodied impacts: the manufacturing footprint of accelerators and their servers,
amortised over the hours the hardware is used.

A footprint made once (cradle to gate: materials, chips, memory, boards, assembly) is
spread over the hardware's service life, and over the share of that life it is in use::

    per accelerator-hour = (device + server / devices per server) / (lifetime x 8760 h x use)

(EcoLogits' allocation by time over lifetime, docs/methodology/llm_inference.md; the
utilisation divisor as in Luccioni et al. 2023, JMLR 24(253), Section 4.1, whose 150 kg
GPU over 6 years at 85 % use gives their 0.003 kgCO2e per GPU-hour.)

Every constant is a row of the ``embodied`` catalog kind with its source and year:
vendor product carbon footprints where one is published for the accelerator, otherwise
the spread of the published per-GPU figures (flagged), host servers without their
accelerators, and the lifetimes and utilisations the sources used. The result is a
separate quantity beside the use-phase impacts, never added into them: it is modelled
from other people's life-cycle assessments, not measured, and its method says so.

Water and abiotic resource depletion are reported only where a source gives them (no
source here gives embodied water, so ``water_l`` is None).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from wattlens.types import Range

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from wattlens.catalog import Catalog, HardwareFootprint

    Array = npt.NDArray[np.float64]

#: Hours in a year of 365 days (the year Luccioni et al. 2023 amortise over).
HOURS_PER_YEAR = 8760.0
#: Draws of the amortisation (footprint, lifetime, use); cached per set of constants.
_DRAWS = 65536
_SEED = 20250


def amortised_g_per_hour(footprint_kg: float, lifetime_years: float, utilisation: float) -> float:
    """Grams per hour of use of a footprint of ``footprint_kg`` kilograms spread over
    ``lifetime_years`` at ``utilisation`` (0-1] of the time in use.

    >>> round(amortised_g_per_hour(150.0, 5.0, 1.0), 2)
    3.42
    """
    if not (footprint_kg >= 0 and lifetime_years > 0 and 0 < utilisation <= 1):
        raise ValueError("footprint >= 0, lifetime > 0 and 0 < utilisation <= 1 required")
    return footprint_kg * 1000.0 / (lifetime_years * HOURS_PER_YEAR * utilisation)


Span = tuple[float, float]


@dataclass(frozen=True)
class Footprint:
    """What one accelerator and its share of a host server cost to make, and the range
    of lifetimes and utilisations that spread it over hours of use."""

    accelerators: tuple[str, ...]
    """The accelerator ids (catalog) the footprint is for."""
    device_kgco2e: Span
    server_kgco2e: Span
    """The host server's footprint per accelerator it hosts."""
    adp_kgsbeq: Span | None
    """Abiotic depletion (device + server share), kg Sb eq; None where unsourced."""
    water_l: Span | None
    lifetime_years: Span
    utilisation: Span
    unsourced: tuple[str, ...]
    """The accelerators without a published footprint (they take the generic range)."""
    sources: tuple[str, ...]
    """Catalog rows (``embodied/<id>``)."""

    @property
    def specific(self) -> bool:
        """A footprint was published for every one of these accelerators."""
        return not self.unsourced

    @property
    def basis(self) -> str:
        if self.specific:
            device = (
                f"device {_span(self.device_kgco2e)} kgCO2e from the vendor's product carbon "
                "footprint"
            )
        else:
            device = (
                f"device {_span(self.device_kgco2e)} kgCO2e: no footprint is published for "
                f"{', '.join(self.unsourced)}, so the range spans the published per-GPU "
                "figures"
            )
        return (
            f"manufacturing (cradle to gate), modelled: {device}; host server "
            f"{_span(self.server_kgco2e)} kgCO2e per accelerator; amortised over "
            f"{_span(self.lifetime_years)} years at {_span(self.utilisation, pct=True)} use"
        )


def _span(s: Span, *, pct: bool = False) -> str:
    if pct:
        low, high = f"{s[0]:.0%}", f"{s[1]:.0%}"
    else:
        low, high = f"{s[0]:.4g}", f"{s[1]:.4g}"
    return low if low == high else f"{low}-{high}"


def _hull(values: Sequence[float]) -> Span:
    return (min(values), max(values))


def footprint(
    accelerators: Sequence[str] | str,
    catalog: Catalog | None = None,
    *,
    lifetime_years: Span | None = None,
    utilisation: Span | None = None,
) -> Footprint:
    """The footprint per accelerator of the accelerators named (ids, names or aliases; a
    family's variants together), from the ``embodied`` catalog rows.

    Args:
        accelerators: catalog names of the accelerators; unknown names take the generic
            range of published per-GPU footprints.
        catalog: defaults to the process-wide catalog.
        lifetime_years: (low, high) years instead of the catalog's range.
        utilisation: (low, high) share of the lifetime in use instead of the catalog's.
    """
    from wattlens.catalog import get_catalog
    from wattlens.errors import WattlensError

    cat = catalog or get_catalog()
    names = [accelerators] if isinstance(accelerators, str) else list(accelerators)
    ids: list[str] = []
    for name in names:
        try:
            ids.append(cat.get("accelerators", name).id)
        except WattlensError:
            ids.append(name)
    rows: list[HardwareFootprint] = cat.rows("embodied")  # type: ignore[assignment]
    by_scope: dict[str, list[HardwareFootprint]] = {}
    for row in rows:
        by_scope.setdefault(row.scope, []).append(row)
    devices = by_scope.get("accelerator", [])
    used: list[str] = []

    def use(row: HardwareFootprint) -> None:
        if f"embodied/{row.id}" not in used:
            used.append(f"embodied/{row.id}")

    carbon: list[float] = []
    unsourced: list[str] = []
    generic_carbon = [r for r in devices if r.carbon_kgco2e is not None]
    for acc_id in ids:
        own = [r for r in generic_carbon if acc_id in r.accelerator_ids]
        if not own:
            unsourced.append(acc_id)
            own = generic_carbon
        for r in own:
            use(r)
            assert r.carbon_kgco2e is not None
            carbon.append(r.carbon_kgco2e)
    servers = [r for r in by_scope.get("server", []) if r.carbon_kgco2e is not None]
    server_share = []
    for r in servers:
        use(r)
        assert r.carbon_kgco2e is not None
        assert r.devices_per_server is not None
        server_share.append(r.carbon_kgco2e / r.devices_per_server)
    adp = _adp(devices, by_scope.get("server", []), ids, use)
    if lifetime_years is None:
        lifetimes = [r.lifetime_years for r in by_scope.get("lifetime", [])]
        for r in by_scope.get("lifetime", []):
            use(r)
        lifetime_years = _hull([v for v in lifetimes if v is not None])
    if utilisation is None:
        uses = [r.utilisation for r in by_scope.get("utilisation", [])]
        for r in by_scope.get("utilisation", []):
            use(r)
        utilisation = _hull([v for v in uses if v is not None])
    _check_span("lifetime_years", lifetime_years, high=None)
    _check_span("utilisation", utilisation, high=1.0)
    return Footprint(
        accelerators=tuple(ids),
        device_kgco2e=_hull(carbon),
        server_kgco2e=_hull(server_share) if server_share else (0.0, 0.0),
        adp_kgsbeq=adp,
        water_l=None,
        lifetime_years=(float(lifetime_years[0]), float(lifetime_years[1])),
        utilisation=(float(utilisation[0]), float(utilisation[1])),
        unsourced=tuple(unsourced),
        sources=tuple(used),
    )


def _adp(
    devices: list[HardwareFootprint],
    servers: list[HardwareFootprint],
    ids: list[str],
    use: Any,
) -> Span | None:
    """Device + server-share abiotic depletion, where both are sourced."""
    with_adp = [r for r in devices if r.adp_kgsbeq is not None]
    srv = [r for r in servers if r.adp_kgsbeq is not None and r.devices_per_server]
    if not with_adp or not srv:
        return None
    device: list[float] = []
    for acc_id in ids:
        own = [r for r in with_adp if acc_id in r.accelerator_ids] or [
            r for r in with_adp if not r.accelerator_ids
        ]
        device.extend(r.adp_kgsbeq for r in own if r.adp_kgsbeq is not None)
        for r in own:
            use(r)
    if not device:
        return None
    shares = []
    for r in srv:
        use(r)
        assert r.adp_kgsbeq is not None
        assert r.devices_per_server is not None
        shares.append(r.adp_kgsbeq / r.devices_per_server)
    return (min(device) + min(shares), max(device) + max(shares))


def _check_span(name: str, span: Span, *, high: float | None) -> None:
    from wattlens.errors import InputValueError

    low_v, high_v = span
    ok = all(math.isfinite(v) and v > 0 for v in span) and low_v <= high_v
    if ok and high is not None:
        ok = high_v <= high
    if not ok:
        limit = f" and at most {high:g}" if high is not None else ""
        raise InputValueError(
            f"{name} must be a (low, high) pair of positive numbers{limit}, low <= high; "
            f"got {span!r}",
            hint=f"e.g. {name}=(3, 6)" if high is None else f"e.g. {name}=(0.5, 1.0)",
        )


@functools.lru_cache(maxsize=64)
def _draws(
    device: Span, server: Span, adp: Span | None, lifetime: Span, use: Span
) -> tuple[Array, Array | None, Range, Range | None]:
    """Per accelerator-hour kgCO2e (and kg Sb eq) draws, and their summary, cached."""
    import numpy as np

    rng = np.random.default_rng(_SEED)
    per_hour = 1.0 / (rng.uniform(*lifetime, _DRAWS) * HOURS_PER_YEAR * rng.uniform(*use, _DRAWS))
    made = rng.uniform(*device, _DRAWS) + rng.uniform(*server, _DRAWS)
    carbon = made * per_hour
    adp_rate = rng.uniform(*adp, _DRAWS) * per_hour if adp is not None else None
    return (
        carbon,
        adp_rate,
        Range.from_samples(carbon),
        Range.from_samples(adp_rate) if adp_rate is not None else None,
    )


@dataclass(frozen=True)
class Embodied:
    """Manufacturing impacts amortised over some accelerator-hours: a modelled quantity,
    reported beside the use-phase impacts and never added to them."""

    carbon_kgco2e: Range
    adp_kgsbeq: Range | None
    water_l: Range | None
    accelerator_hours: Range
    carbon_per_accelerator_hour_g: Range
    footprint: Footprint
    method: str = "modeled"
    hours_samples: Array | None = field(default=None, repr=False, compare=False)
    """The accelerator-hours per Monte Carlo sample, where samples were given."""
    scope: Literal["machine", "workload", "rank"] | None = None
    """For a measurement: whose hardware is counted (None: an estimate's accelerators)."""
    devices: tuple[str, ...] = ()
    """For a measurement: the accelerator components counted (``gpu:0``…)."""
    host_share: float | None = None
    """For a measurement in workload scope: the share of the host server counted."""
    machine: Embodied | None = field(default=None, compare=False)
    """The whole machine's figure, beside a workload's."""

    @property
    def basis(self) -> str:
        return self.footprint.basis

    @property
    def sources(self) -> tuple[str, ...]:
        return self.footprint.sources

    def carbon_samples(self) -> Array | None:
        """kgCO2e per sample, each paired with its draw of footprint, lifetime and use
        (computed on demand: scenario engines need them, estimates only the summary)."""
        return self._paired(0)

    def adp_samples(self) -> Array | None:
        """kg Sb eq per sample, paired like :meth:`carbon_samples`; None where unsourced."""
        return self._paired(1)

    def _paired(self, which: int) -> Array | None:
        import numpy as np

        if self.hours_samples is None:
            return None
        fp = self.footprint
        carbon, adp, _, _ = _draws(
            fp.device_kgco2e, fp.server_kgco2e, fp.adp_kgsbeq, fp.lifetime_years, fp.utilisation
        )
        rates = carbon if which == 0 else adp
        if rates is None:
            return None
        return np.resize(rates, self.hours_samples.size) * self.hours_samples

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``embodied`` of estimates, measurements and scenarios)."""
        fp = self.footprint
        return {
            "method": self.method,
            "carbon_kgco2e": self.carbon_kgco2e.to_dict(),
            "adp_kgsbeq": self.adp_kgsbeq.to_dict() if self.adp_kgsbeq is not None else None,
            "water_l": self.water_l.to_dict() if self.water_l is not None else None,
            "accelerator_hours": self.accelerator_hours.to_dict(),
            "carbon_per_accelerator_hour_g": self.carbon_per_accelerator_hour_g.to_dict(),
            "lifetime_years": {"low": fp.lifetime_years[0], "high": fp.lifetime_years[1]},
            "utilisation": {"low": fp.utilisation[0], "high": fp.utilisation[1]},
            "accelerators": list(fp.accelerators),
            "basis": self.basis,
            "sources": list(self.sources),
            **(
                {"scope": self.scope, "devices": list(self.devices), "host_share": self.host_share}
                if self.scope is not None
                else {}
            ),
        }

    def describe(self) -> str:
        """One line for people, labelled as modelled."""
        from wattlens.units import MASS, format_range, format_sig

        def grams(r: Range) -> str:
            return f"{format_range(r.p5 * 1000.0, r.p50 * 1000.0, r.p95 * 1000.0, MASS)} CO2e"

        whose = ""
        if self.scope == "workload":
            share = "" if self.host_share is None else f"{self.host_share:.0%} of the host"
            parts = [", ".join(self.devices), share]
            whose = f" for the process tree ({' and '.join(p for p in parts if p)})"
        elif self.scope == "rank":
            whose = f" of this rank's devices ({', '.join(self.devices)}) and their host share"
        line = (
            f"embodied (manufacturing, modelled){whose}: {grams(self.carbon_kgco2e)}, "
            f"{_span(self.footprint.lifetime_years)} years at "
            f"{_span(self.footprint.utilisation, pct=True)} use"
        )
        if self.machine is not None:
            line += f"; machine: {grams(self.machine.carbon_kgco2e)}"
        line += "; not in the figures above"
        if self.adp_kgsbeq is not None:
            line += f"; abiotic depletion {format_sig(self.adp_kgsbeq.p50)} kg Sb eq"
        return line


def amortise(fp: Footprint, accelerator_hours: float | Array) -> Embodied:
    """The embodied impacts of ``accelerator_hours`` of use of the footprint's hardware.

    Args:
        fp: from :func:`footprint`.
        accelerator_hours: hours times accelerators, a number or Monte Carlo samples
            (each sample is paired with a draw of footprint, lifetime and use).
    """
    import numpy as np

    from wattlens.errors import InputValueError

    carbon, adp, carbon_rate, adp_rate = _draws(
        fp.device_kgco2e, fp.server_kgco2e, fp.adp_kgsbeq, fp.lifetime_years, fp.utilisation
    )
    g_per_hour = carbon_rate.scaled(1000.0)
    hours = np.asarray(accelerator_hours, dtype=np.float64).reshape(-1)
    # min >= 0 is False for NaN; one pass each instead of a mask per check.
    if hours.size == 0 or not (hours.min() >= 0 and math.isfinite(hours.max())):
        raise InputValueError(
            "accelerator-hours must be finite and non-negative",
            hint="give the hours the accelerators were busy times their number",
        )
    if hours.size == 1:
        h = float(hours[0])
        return Embodied(
            carbon_kgco2e=carbon_rate.scaled(h),
            adp_kgsbeq=adp_rate.scaled(h) if adp_rate is not None else None,
            water_l=None,
            accelerator_hours=Range.point(h),
            carbon_per_accelerator_hour_g=g_per_hour,
            footprint=fp,
        )
    # A strided subsample, not a prefix: a mixture's samples come in blocks (one per
    # serving stack), so the first ones would all come from one block. The percentiles
    # of a million products would cost more than the whole estimate.
    step = max(1, -(-hours.size // _DRAWS))
    head = hours[::step][:_DRAWS]
    return Embodied(
        carbon_kgco2e=Range.from_samples(carbon[: head.size] * head),
        adp_kgsbeq=Range.from_samples(adp[: head.size] * head) if adp is not None else None,
        water_l=None,
        accelerator_hours=Range.from_samples(head),
        carbon_per_accelerator_hour_g=g_per_hour,
        footprint=fp,
        hours_samples=hours,
    )


def embodied(
    accelerators: Sequence[str] | str,
    accelerator_hours: float | Array,
    catalog: Catalog | None = None,
    *,
    lifetime_years: Span | None = None,
    utilisation: Span | None = None,
) -> Embodied:
    """Embodied impacts of ``accelerator_hours`` on the named accelerators.

    >>> e = embodied("H100 SXM", 1.0)
    >>> 0 < e.carbon_kgco2e.p5 < e.carbon_kgco2e.p95
    True
    """
    from wattlens.catalog import get_catalog

    cat = catalog or get_catalog()
    names = accelerators if isinstance(accelerators, str) else tuple(accelerators)
    spans = tuple(s if s is None else tuple(s) for s in (lifetime_years, utilisation))
    fp = cat.derived(  # the catalog's rows never change: one footprint per question
        ("embodied-footprint", names, spans),
        lambda: footprint(
            accelerators, cat, lifetime_years=lifetime_years, utilisation=utilisation
        ),
    )
    return amortise(fp, accelerator_hours)


@functools.lru_cache(maxsize=64)
def _split_draws(
    device: Span, server: Span, adp: Span | None, lifetime: Span, use: Span
) -> tuple[Array, Array]:
    """Per accelerator-hour kgCO2e of the device alone and of its host-server share.

    The same draws as :func:`_draws` (same seed, same order), so that a workload's
    figure and its machine's are paired sample by sample.
    """
    import numpy as np

    rng = np.random.default_rng(_SEED)
    per_hour = 1.0 / (rng.uniform(*lifetime, _DRAWS) * HOURS_PER_YEAR * rng.uniform(*use, _DRAWS))
    return rng.uniform(*device, _DRAWS) * per_hour, rng.uniform(*server, _DRAWS) * per_hour


def measured(
    accelerators: Sequence[str],
    devices: Sequence[str],
    used: Sequence[bool],
    duration_s: float,
    *,
    host_share: float | None = None,
    rank: bool = False,
    catalog: Catalog | None = None,
) -> Embodied:
    """The embodied impacts of a measured window, for its scope.

    Args:
        accelerators: the catalog name of each accelerator component of the window.
        devices: their component ids (``gpu:0``…), in the same order.
        used: whether the workload used each one; ignored without ``host_share``.
        duration_s: the window's duration.
        host_share: workload scope: the process tree's share of the host (the share of
            busy CPU time its use-phase energy is attributed by). The workload is
            counted the manufacture of the accelerators it used and this share of the
            host server (``devices x server per accelerator``); the machine's figure
            (every accelerator with its server share) is attached as ``machine``.
            None: the machine's figure alone.
        rank: a rank of a distributed job: its own devices, each with its server share
            (a node's ranks split the host by devices, so that they add up to the node).
    """
    import numpy as np

    hours = duration_s / 3600.0
    whole = embodied(list(accelerators), len(accelerators) * hours, catalog)
    ids = tuple(devices)
    if rank:
        return replace(whole, scope="rank", devices=ids)
    machine = replace(whole, scope="machine", devices=ids)
    if host_share is None:
        return machine
    if not 0.0 <= host_share <= 1.0 or not math.isfinite(host_share):
        from wattlens.errors import InputValueError

        raise InputValueError(
            f"host share must be between 0 and 1, got {host_share!r}",
            hint="give the process tree's share of the machine's busy CPU time",
        )
    fp = whole.footprint
    dev_rate, srv_rate = _split_draws(
        fp.device_kgco2e, fp.server_kgco2e, fp.adp_kgsbeq, fp.lifetime_years, fp.utilisation
    )
    machine_hours = len(accelerators) * hours
    device_hours = sum(1 for u in used if u) * hours
    # The host server is made once for all its accelerators (per accelerator: server /
    # devices per server, catalog rows `embodied/*server*`); the workload takes its share.
    server_hours = host_share * machine_hours
    carbon = dev_rate * device_hours + srv_rate * server_hours
    adp = None
    if whole.adp_kgsbeq is not None:
        # No source splits abiotic depletion between device and server: the workload
        # takes the share of it that it takes of the carbon.
        full = float(np.mean((dev_rate + srv_rate) * machine_hours))
        adp = whole.adp_kgsbeq.scaled(float(np.mean(carbon)) / full if full > 0 else 0.0)
    counted = [d for d, u in zip(ids, used, strict=True) if u]
    return Embodied(
        carbon_kgco2e=Range.from_samples(carbon),
        adp_kgsbeq=adp,
        water_l=None,
        accelerator_hours=Range.point(device_hours),
        carbon_per_accelerator_hour_g=whole.carbon_per_accelerator_hour_g,
        footprint=fp,
        scope="workload",
        devices=tuple(counted),
        host_share=host_share,
        machine=machine,
    )


@dataclass(frozen=True)
class EmbodiedYear:
    """One projected year's embodied impacts."""

    year: int
    index: int
    carbon_kgco2e: Range
    adp_kgsbeq: Range | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "index": self.index,
            "carbon_kgco2e": self.carbon_kgco2e.to_dict(),
            "adp_kgsbeq": self.adp_kgsbeq.to_dict() if self.adp_kgsbeq is not None else None,
        }


@dataclass(frozen=True)
class ScenarioEmbodied:
    """A scenario's embodied impacts: the modelled request classes' accelerator time,
    per year and over all years (``carbon_kgco2e``), beside the use-phase figures."""

    carbon_kgco2e: Range
    adp_kgsbeq: Range | None
    yearly: tuple[EmbodiedYear, ...]
    basis: str
    sources: tuple[str, ...]
    method: str = "modeled"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "carbon_kgco2e": self.carbon_kgco2e.to_dict(),
            "adp_kgsbeq": self.adp_kgsbeq.to_dict() if self.adp_kgsbeq is not None else None,
            "water_l": None,
            "yearly": [y.to_dict() for y in self.yearly],
            "basis": self.basis,
            "sources": list(self.sources),
        }

    def describe(self) -> str:
        """One line for people, labelled as modelled."""
        return describe_scenario(self.to_dict())


def describe_scenario(data: dict[str, Any]) -> str:
    """One line for people from a scenario's ``embodied`` JSON, labelled as modelled."""
    from wattlens.units import MASS, format_range

    def q(r: dict[str, float]) -> str:
        grams = (r["p5"] * 1000.0, r["p50"] * 1000.0, r["p95"] * 1000.0)
        return f"{format_range(*grams, MASS)} CO2e"

    first = data["yearly"][0]["carbon_kgco2e"] if data["yearly"] else data["carbon_kgco2e"]
    return (
        f"embodied (manufacturing, modelled): first year {q(first)}, all years "
        f"{q(data['carbon_kgco2e'])}; not in the figures above"
    )


def _per_sample(samples: Array | None, r: Range | None, n: int) -> Array | None:
    import numpy as np

    if r is None:
        return None
    if samples is not None and samples.size == n:
        return samples
    return np.full(n, r.p50)


def scenario_embodied(
    classes: Sequence[tuple[float, Embodied | None]],
    requests_per_year: Array,
    base_year: int | None,
) -> ScenarioEmbodied | None:
    """Per-year embodied impacts of the request classes ``(share, per-request embodied)``
    with ``requests_per_year`` (years x samples); None when no class is modelled."""
    import numpy as np

    modelled = [(share, e) for share, e in classes if e is not None]
    if not modelled:
        return None
    years, n = requests_per_year.shape
    carbon = np.zeros(n)
    adp: Array | None = np.zeros(n)
    sources: list[str] = []
    for share, e in modelled:
        samples = _per_sample(e.carbon_samples(), e.carbon_kgco2e, n)
        assert samples is not None
        carbon = carbon + share * samples
        adp_s = _per_sample(e.adp_samples(), e.adp_kgsbeq, n)
        adp = None if adp is None or adp_s is None else adp + share * adp_s
        sources.extend(s for s in e.sources if s not in sources)
    carbon_y = requests_per_year * carbon[None, :]
    adp_y = requests_per_year * adp[None, :] if adp is not None else None
    covered = sum(share for share, _ in modelled)
    total_share = sum(share for share, _ in classes)
    basis = (
        f"{modelled[0][1].basis}; counts the modelled request classes "
        f"({covered:.0%} of the request mix"
        + (f" of {total_share:.0%}" if abs(total_share - 1.0) > 1e-9 else "")
        + "): classes with a given energy, training runs and a top-down fleet carry no "
        "accelerator time and are not counted"
    )
    yearly = tuple(
        EmbodiedYear(
            year=(base_year + i) if base_year else i + 1,
            index=i,
            carbon_kgco2e=Range.from_samples(carbon_y[i]),
            adp_kgsbeq=Range.from_samples(adp_y[i]) if adp_y is not None else None,
        )
        for i in range(years)
    )
    return ScenarioEmbodied(
        carbon_kgco2e=Range.from_samples(carbon_y.sum(axis=0)),
        adp_kgsbeq=Range.from_samples(adp_y.sum(axis=0)) if adp_y is not None else None,
        yearly=yearly,
        basis=basis,
        sources=tuple(sources),
    )
