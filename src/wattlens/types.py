"""The value types every result is made of: a range, money, a coded warning, impacts.

- :class:`Range`: an uncertain quantity summarised as p5 / p50 / p95 and its
  mean, optionally with the Monte Carlo samples it came from. A measured
  quantity with a low / central / high band is the same type
  (:meth:`Range.bounds`); only its JSON spelling differs (``style``).
- :class:`Money`: an amount with its currency, and the same in US dollars
  where an exchange rate is known.
- :class:`WarningItem`: a warning or an assumption with a stable ``code``
  that code can test, and its ``text`` for people.
- :class:`Impacts`: carbon (location- and market-based), water (on-site and
  off-site, each saying whether it counts consumption or withdrawal) and cost
  of an energy at a place, with the catalog rows and assumptions behind them.

Plain frozen dataclasses without numpy or pydantic at import time: measuring
imports this module and must stay cheap. ``to_dict`` gives the JSON form the
README documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import numpy.typing as npt

#: ``quantiles``: ``{"p5", "p50", "p95", "mean"}`` (estimates, scenarios);
#: ``bounds``: ``{"low", "central", "high"}`` (measurements).
RangeStyle = Literal["quantiles", "bounds"]


@dataclass(frozen=True)
class Range:
    """An uncertain quantity: p5, p50 (central), p95 and mean, in SI units."""

    p5: float
    p50: float
    p95: float
    mean: float
    samples: npt.NDArray[np.float64] | None = field(default=None, repr=False, compare=False)
    """The Monte Carlo samples summarised here, where kept (not part of the JSON)."""

    @classmethod
    def point(cls, value: float) -> Range:
        """A known value: every summary equals it."""
        v = float(value)
        return cls(v, v, v, v)

    @classmethod
    def bounds(cls, low: float, central: float, high: float) -> Range:
        """A low / central / high band (a measurement's range); the mean is the central value."""
        return cls(float(low), float(central), float(high), float(central))

    @classmethod
    def from_samples(cls, values: npt.NDArray[np.float64], *, keep: bool = False) -> Range:
        """p5, p50, p95 and mean of a sample (the samples are kept when ``keep``)."""
        from wattlens.percentiles import summary

        return cls(*summary(values), values if keep else None)

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> Range:
        """Read either JSON spelling back."""
        if "p50" in data:
            return cls(data["p5"], data["p50"], data["p95"], data.get("mean", data["p50"]))
        return cls.bounds(data["low"], data["central"], data["high"])

    @property
    def is_point(self) -> bool:
        return self.p5 == self.p50 == self.p95

    def scaled(self, k: float) -> Range:
        """The range of ``k`` times this quantity (``k >= 0``)."""
        samples = self.samples * k if self.samples is not None else None
        return Range(self.p5 * k, self.p50 * k, self.p95 * k, self.mean * k, samples)

    def to_dict(self, style: RangeStyle = "quantiles") -> dict[str, float]:
        if style == "bounds":
            return {"low": self.p5, "central": self.p50, "high": self.p95}
        return {"p5": self.p5, "p50": self.p50, "p95": self.p95, "mean": self.mean}


def read_range(value: object) -> Range | None:
    """A range from JSON of any provenance: a number, or either spelling of a band.

    The one place that reads ``{"low", "central", "high"}`` and ``{"p5", "p50",
    "p95"[, "mean"]}`` alike (stored runs, older files); anything else gives None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Range.point(value)
    if isinstance(value, Mapping):
        for low, mid, high in (("low", "central", "high"), ("p5", "p50", "p95")):
            if {low, mid, high} <= value.keys():
                parts = (value[low], value[mid], value[high])
                if all(isinstance(v, int | float) and not isinstance(v, bool) for v in parts):
                    low_v, mid_v, high_v = (float(v) for v in parts)
                    return Range(low_v, mid_v, high_v, float(value.get("mean", mid_v)))
    return None


@dataclass(frozen=True)
class Money:
    """An amount of money in a currency (ISO 4217 code), and in USD where a rate is known."""

    amount: Range
    currency: str
    amount_usd: Range | None = None
    price_per_kwh: float | None = None
    """The electricity price behind the amount, per kWh, where one price applies."""

    def to_dict(self, style: RangeStyle = "quantiles") -> dict[str, Any]:
        out: dict[str, Any] = {"currency": self.currency}
        if style == "bounds":
            out["price_per_kwh"] = self.price_per_kwh
        out["amount"] = self.amount.to_dict(style)
        out["amount_usd"] = self.amount_usd.to_dict(style) if self.amount_usd else None
        return out


class WarningItem(str):
    """A warning or assumption: a stable ``code`` for code, ``text`` for people.

    It is its text (a ``str``), so lists of warnings print, compare and
    serialise as the sentences they always were; code tests ``.code``, never
    the wording.
    """

    code: str

    def __new__(cls, code: str, text: str) -> WarningItem:
        item = super().__new__(cls, text)
        item.code = code
        return item

    @property
    def text(self) -> str:
        return str.__str__(self)

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self.code, self.text)

    def __repr__(self) -> str:
        return f"WarningItem({self.code!r}, {self.text!r})"


def codes(items: Iterable[str]) -> set[str]:
    """The codes of warnings (plain strings, e.g. read back from JSON, have none)."""
    return {i.code for i in items if isinstance(i, WarningItem)}


@dataclass(frozen=True)
class Place:
    """Where the energy is used: what was asked, its grid zone and, when given, cloud region."""

    query: str
    grid_id: str
    grid_name: str
    region_id: str | None
    co2e_g_per_kwh: float
    origin: str | None = None
    """Where the location came from: given, env, project, user, detected or default."""
    origin_detail: str | None = None
    """The variable, file or evidence behind ``origin`` (None for given and default)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query,
            "grid_id": self.grid_id,
            "grid_name": self.grid_name,
            "region_id": self.region_id,
            "co2e_g_per_kwh": self.co2e_g_per_kwh,
        }
        if self.origin is not None:
            out["origin"] = self.origin
            out["origin_detail"] = self.origin_detail
        return out

    def origin_note(self) -> str:
        """Where the location came from, for people (`` (from WATTLENS_LOCATION)``; "" if given)."""
        return origin_note(self.origin, self.origin_detail)


def origin_note(origin: object, detail: object) -> str:
    """:meth:`Place.origin_note` for a place read from JSON (``origin``, ``origin_detail``)."""
    if origin in ("env", "project", "user") and detail:
        kind = "" if origin == "env" else f"{origin} file "
        return f" (from {kind}{detail})"
    if origin == "detected" and detail:
        return f" (detected: {detail})"
    if origin == "default":
        return f" (default: {detail or 'no location set'})"
    return ""


@dataclass(frozen=True)
class Water:
    """Water in litres: on-site (cooling, WUE x IT energy) and off-site (electricity's)."""

    onsite: Range
    offsite: Range
    total: Range
    onsite_measure: str | None
    """``consumption`` or ``withdrawal``: what the on-site factor counts (None: none counted)."""
    offsite_measure: str | None


@dataclass(frozen=True)
class Impacts:
    """Carbon, water and cost of an energy at a place, with sources and assumptions.

    ``style`` says how the ranges are spelled in JSON: a measurement's bands
    (``bounds``) or an estimate's quantiles (``quantiles``); measurements also
    report the PUE, the facility energy, market-based carbon and the clean
    share, estimates the energy the impacts rest on (``basis``).
    """

    place: Place
    co2e_g: Range
    """Location-based carbon (grid average), grams CO2e."""
    co2e_market_g: Range
    """Market-based carbon (GHG Protocol Scope 2): contracted clean supply counts at zero."""
    water_l: Water
    cost: Money | None
    sources: tuple[str, ...]
    assumptions: tuple[WarningItem, ...]
    style: RangeStyle = "quantiles"
    pue: float | None = None
    facility_energy_j: Range | None = None
    clean_share: float | None = None
    basis: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form documented in the README."""
        s = self.style
        w = self.water_l
        if s == "bounds":
            assert self.facility_energy_j is not None
            return {
                "location": self.place.to_dict(),
                "pue": self.pue,
                "facility_energy_j": self.facility_energy_j.to_dict(s),
                "co2e_g": self.co2e_g.to_dict(s),
                "co2e_market_g": self.co2e_market_g.to_dict(s),
                "clean_share": self.clean_share,
                "water_l": {
                    "onsite": w.onsite.to_dict(s),
                    "onsite_measure": w.onsite_measure,
                    "offsite": w.offsite.to_dict(s),
                    "offsite_measure": w.offsite_measure,
                    "total": w.total.to_dict(s),
                },
                "cost": self.cost.to_dict(s) if self.cost is not None else None,
                "sources": list(self.sources),
                "assumptions": [a.text for a in self.assumptions],
            }
        return {
            "location": self.place.to_dict(),
            "basis": self.basis,
            "co2e_g": self.co2e_g.to_dict(s),
            "water_l": {
                "onsite": w.onsite.to_dict(s),
                "offsite": w.offsite.to_dict(s),
                "total": w.total.to_dict(s),
                "onsite_measure": w.onsite_measure,
                "offsite_measure": w.offsite_measure,
            },
            "water_offsite_l": w.offsite.to_dict(s),
            "sources": list(self.sources),
            "assumptions": [a.text for a in self.assumptions],
            "cost": self.cost.to_dict(s) if self.cost is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Impacts:
        """Read :meth:`to_dict` output back (assumptions lose their codes: ``stored``).

        Raises:
            KeyError, TypeError: the mapping is not in this shape (e.g. an older one).
        """
        style: RangeStyle = "bounds" if "facility_energy_j" in data else "quantiles"
        w = data["water_l"]
        cost = data["cost"]
        return cls(
            place=Place(**data["location"]),
            co2e_g=Range.from_dict(data["co2e_g"]),
            co2e_market_g=Range.from_dict(data.get("co2e_market_g", data["co2e_g"])),
            water_l=Water(
                Range.from_dict(w["onsite"]),
                Range.from_dict(w["offsite"]),
                Range.from_dict(w["total"]),
                w["onsite_measure"],
                w["offsite_measure"],
            ),
            cost=(
                Money(
                    Range.from_dict(cost["amount"]),
                    cost["currency"],
                    Range.from_dict(cost["amount_usd"]) if cost["amount_usd"] else None,
                    cost.get("price_per_kwh"),
                )
                if cost is not None
                else None
            ),
            sources=tuple(data["sources"]),
            assumptions=tuple(WarningItem("stored", a) for a in data["assumptions"]),
            style=style,
            pue=data.get("pue"),
            facility_energy_j=(
                Range.from_dict(data["facility_energy_j"]) if style == "bounds" else None
            ),
            clean_share=data.get("clean_share"),
            basis=data.get("basis"),
        )
