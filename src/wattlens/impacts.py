"""From energy to carbon, water and cost, for a place and a facility overhead.

One module, used by every part of wattlens (measure, estimate, scenario). The
chain, applied once:

1. IT energy (what sensors measure, or an estimate at the server boundary)
   x PUE -> facility energy. :func:`apply_pue` is the only place anything is
   multiplied by a PUE (``tests/test_pue_once.py`` enforces it).
2. Carbon (location-based) = facility energy x the grid's average intensity;
   market-based = location-based x (1 - clean share).
3. Water = on-site (WUE x IT energy; cooling water, only inside a data
   centre, i.e. when a PUE is given) + off-site (the electricity's water
   intensity x facility energy); reported separately and together, each
   saying whether its source counts consumption or withdrawal.
4. Cost = facility energy x the business electricity price, in the tariff's
   currency, and in USD through the catalog's exchange rate.

The API, in two steps:

- :func:`factors_at` (one place) or :func:`mix_factors` (a share-weighted
  mix of places) read the per-joule factors from the catalog once:
  a :class:`Factors` (carbon and off-site water per facility joule, on-site
  water per IT joule, price per facility joule, sources, coded notes).
- :func:`impacts_of` applies them to an IT energy. It uses only arithmetic,
  so the same call takes a float (a measurement, a point estimate) or numpy
  arrays of any shape (Monte Carlo samples, years x samples in a scenario);
  ``pue``, ``clean_share``, the on-site WUE and the price may be arrays too
  (drawn per sample). It returns a :class:`Chain` of arrays; chains of
  several parts (inference and amortised training, each with its own PUE and
  place) add up with ``+``.

Summaries built on them: :func:`measured_impacts_typed` (a measured energy
with its low / central / high band -> :class:`wattlens.types.Impacts`),
:func:`estimate_impacts` (Monte Carlo samples -> ``Impacts`` in quantiles),
and the JSON forms :func:`measured_impacts` and :func:`unit_impacts`.

Example (a scenario's years x samples, with a drawn PUE and clean share)::

    f = mix_factors([("us", 0.6), ("fr", 0.4)], catalog)
    chain = impacts_of(it_j, factors=f, pue=pue_draws, clean_share=clean_draws)
    chain.facility_j, chain.co2e_market_g, chain.water_onsite_l, chain.cost_usd
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from wattlens.types import Impacts, Money, Place, Range, WarningItem, Water
from wattlens.units import J_PER_KWH

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from wattlens.catalog import Catalog, Grid, Region

    Array = npt.NDArray[np.float64]

#: A float or a numpy array: the chain is the same arithmetic for both.
F = TypeVar("F", float, "Array")

DEFAULT_LOCATION = "world"
DEFAULT_ONSITE_WUE_ID = "onsite-industry"


@dataclass(frozen=True)
class Location:
    """A resolved place: its grid zone and, when given, the cloud region."""

    query: str
    grid: Grid
    region: Region | None


def resolve_location(query: str | None, catalog: Catalog | None = None) -> Location:
    """Resolve a country, grid zone or cloud region name to its grid row.

    Raises:
        UnknownNameError: nothing matches; the message lists close names.
    """
    from wattlens.catalog import Grid, Region, get_catalog
    from wattlens.errors import AmbiguousNameError, UnknownNameError

    catalog = catalog or get_catalog()
    text = query or DEFAULT_LOCATION
    try:
        return Location(text, catalog.get_typed("grids", text, Grid), None)
    except UnknownNameError as grid_error:
        try:
            region = catalog.get_typed("regions", text, Region)
        except UnknownNameError as region_error:
            suggestions = list(dict.fromkeys(grid_error.suggestions + region_error.suggestions))
            raise UnknownNameError("location", text, suggestions[:8]) from None
        except AmbiguousNameError:
            raise
        grid = catalog.get_typed("grids", region.grid_id, Grid)
        return Location(text, grid, region)


# -- the one PUE multiplication ------------------------------------------------------------------
def apply_pue(energy_j: Any, pue: Any) -> Any:
    """Facility energy: IT energy x power usage effectiveness (The Green Grid, PUE, 2007).

    The only multiplication by a PUE in wattlens. Takes floats or numpy arrays
    (broadcast together).
    """
    return energy_j * pue


# -- factors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factors:
    """Per-joule impact factors of a place, or of a share-weighted mix of places (SI units).

    Carbon, off-site water and cost apply to facility energy; on-site water
    (the catalog's industry WUE) to IT energy, and only inside a data centre.
    """

    place: Place
    """The place (for a mix: the largest share)."""
    co2e_g_per_j: float
    water_offsite_l_per_j: float
    offsite_measure: str | None
    water_onsite_l_per_j: float
    """Default WUE, per IT joule (0 where the catalog has none)."""
    onsite_measure: str | None
    onsite_label: str | None
    price_per_j: float | None
    """Business electricity price per facility joule in ``currency`` (None: unknown)."""
    currency: str | None
    usd_per_unit: float | None
    place_sources: tuple[str, ...]
    """Grid, region and off-site water rows."""
    onsite_sources: tuple[str, ...]
    price_sources: tuple[str, ...]
    notes: tuple[WarningItem, ...]
    """What the factors had to assume (codes ``water-world-average``, ``no-price``)."""
    parts: tuple[tuple[Factors, float], ...] = ()
    """For a mix: each place's factors and its share."""

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: getattr(self, k) for k in _SCALARS},
            "place": self.place.to_dict(),
            "place_sources": list(self.place_sources),
            "onsite_sources": list(self.onsite_sources),
            "price_sources": list(self.price_sources),
            "notes": [[n.code, n.text] for n in self.notes],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Factors:
        return cls(
            place=Place(**data["place"]),
            place_sources=tuple(data["place_sources"]),
            onsite_sources=tuple(data["onsite_sources"]),
            price_sources=tuple(data["price_sources"]),
            notes=tuple(WarningItem(c, t) for c, t in data["notes"]),
            **{k: data[k] for k in _SCALARS},
        )


_SCALARS = (
    "co2e_g_per_j", "water_offsite_l_per_j", "offsite_measure", "water_onsite_l_per_j",
    "onsite_measure", "onsite_label", "price_per_j", "currency", "usd_per_unit",
)  # fmt: skip


def factors_at(location: str | None = None, catalog: Catalog | None = None) -> Factors:
    """The per-joule factors of a country, grid zone or cloud region.

    None: the configured, detected or default location (:mod:`wattlens.location`);
    the place says which (``origin``).

    Raises:
        UnknownNameError: the location is unknown (close names suggested).
    """
    from wattlens.location import located_factors

    return located_factors(location, lambda name: factors_of(name, catalog))


def factors_of(location: str, catalog: Catalog | None = None) -> Factors:
    """The factors of a named place (no default), without ``origin``.

    Cached on disk (keyed by the catalog's files) when the process catalog is used,
    so measuring does not load the catalog.
    """
    if catalog is None:
        from wattlens import _cache

        key = json.dumps(["factors", location])
        cached = _cache.load("impacts", key)
        if cached is not None:
            return Factors.from_json(cached)
        out = _read_factors(location, None)
        _cache.store("impacts", key, out.to_json())
        return out
    return catalog.derived(("impact-factors", location), lambda: _read_factors(location, catalog))


def _read_factors(location: str | None, catalog: Catalog | None) -> Factors:
    from wattlens.catalog import ExchangeRate, Price, Water, get_catalog
    from wattlens.errors import UnknownNameError

    catalog = catalog or get_catalog()
    found = resolve_location(location, catalog)
    grid = found.grid
    kwh = 1.0 / J_PER_KWH
    place_sources = [f"grids/{grid.id}"]
    if found.region is not None:
        place_sources.append(f"regions/{found.region.id}")
    notes: list[WarningItem] = []

    waters = {w.id: w for w in catalog.rows("water") if isinstance(w, Water)}
    offsite = next(
        (w for w in waters.values() if w.scope == "offsite" and w.entity == grid.id), None
    )
    if offsite is None:
        offsite = waters.get("offsite-world")
        if offsite is not None:
            notes.append(
                WarningItem(
                    "water-world-average",
                    f"no electricity water intensity for {grid.id}: world average used",
                )
            )
    if offsite is not None:
        place_sources.append(f"water/{offsite.id}")
    onsite = waters.get(DEFAULT_ONSITE_WUE_ID)

    price_sources: list[str] = []
    per_kwh: float | None = None
    currency: str | None = None
    usd_rate: float | None = None
    try:
        price = catalog.get_typed("prices", grid.id, Price)
    except UnknownNameError:
        price = None
        notes.append(
            WarningItem("no-price", f"no business electricity price for {grid.name} in the catalog")
        )
    if price is not None:
        price_sources.append(f"prices/{price.id}")
        try:
            rate = catalog.get_typed("exchange_rates", price.currency.lower(), ExchangeRate)
            usd_rate = rate.usd_per_unit
            price_sources.append(f"exchange_rates/{rate.id}")
        except UnknownNameError:
            pass
        if price.price_local_per_kwh is not None:
            per_kwh, currency = price.price_local_per_kwh, price.currency
        else:
            assert price.price_usd_per_kwh is not None
            per_kwh, currency, usd_rate = price.price_usd_per_kwh, "USD", 1.0

    return Factors(
        place=Place(
            found.query,
            grid.id,
            grid.name,
            found.region.id if found.region else None,
            grid.co2e_g_per_kwh,
        ),
        co2e_g_per_j=kwh * grid.co2e_g_per_kwh,
        water_offsite_l_per_j=kwh * offsite.l_per_kwh if offsite is not None else 0.0,
        offsite_measure=offsite.measure if offsite is not None else None,
        water_onsite_l_per_j=kwh * onsite.l_per_kwh if onsite is not None else 0.0,
        onsite_measure=onsite.measure if onsite is not None else None,
        onsite_label=f"{onsite.l_per_kwh} L/kWh ({onsite.name})" if onsite is not None else None,
        price_per_j=kwh * per_kwh if per_kwh is not None else None,
        currency=currency,
        usd_per_unit=usd_rate,
        place_sources=tuple(place_sources),
        onsite_sources=(f"water/{onsite.id}",) if onsite is not None else (),
        price_sources=tuple(price_sources),
        notes=tuple(notes),
    )


def mix_factors(
    parts: Sequence[tuple[str | None, float]], catalog: Catalog | None = None
) -> Factors:
    """Share-weighted factors of several places (``[(location, share), ...]``, shares sum to 1).

    Carbon and off-site water are weighted by share. The price is weighted in
    the common currency when every place has one; in USD when currencies
    differ and every rate is known (note ``several-currencies``); else unknown.
    """
    each = [(factors_at(name, catalog), share) for name, share in parts]
    if len(each) == 1:
        return replace(each[0][0], parts=tuple(each))
    first = max(each, key=lambda fs: fs[1])[0]
    notes: list[WarningItem] = []
    sources: list[str] = []
    price_sources: list[str] = []
    for f, _ in each:
        notes.extend(n for n in f.notes if n not in notes)
        sources.extend(s for s in f.place_sources if s not in sources)
        price_sources.extend(s for s in f.price_sources if s not in price_sources)
    price: float | None = None
    currency: str | None = None
    usd: float | None = None
    prices = [(f.price_per_j, f.usd_per_unit, s) for f, s in each]
    if all(p is not None for p, _, _ in prices):
        currencies = {f.currency for f, _ in each}
        if len(currencies) == 1:
            currency = currencies.pop()
            price = sum((p or 0.0) * s for p, _, s in prices)
            usd = first.usd_per_unit
        elif all(r is not None for _, r, _ in prices):
            currency, usd = "USD", 1.0
            price = sum((p or 0.0) * (r or 0.0) * s for p, r, s in prices)
            notes.append(
                WarningItem(
                    "several-currencies", "locations price in several currencies: cost in USD"
                )
            )
    return Factors(
        place=first.place,
        co2e_g_per_j=sum(f.co2e_g_per_j * s for f, s in each),
        water_offsite_l_per_j=sum(f.water_offsite_l_per_j * s for f, s in each),
        offsite_measure=first.offsite_measure,
        water_onsite_l_per_j=first.water_onsite_l_per_j,
        onsite_measure=first.onsite_measure,
        onsite_label=first.onsite_label,
        price_per_j=price,
        currency=currency,
        usd_per_unit=usd,
        place_sources=tuple(sources),
        onsite_sources=first.onsite_sources,
        price_sources=tuple(price_sources),
        notes=tuple(notes),
        parts=tuple(each),
    )


# -- the chain -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Chain:
    """Energy and impacts of an IT energy (floats or arrays of one shape).

    ``cost``/``cost_usd`` are None where no price (or no exchange rate) is known.
    """

    it_j: Any
    facility_j: Any
    co2e_location_g: Any
    co2e_market_g: Any
    water_onsite_l: Any
    water_offsite_l: Any
    cost: Any
    cost_usd: Any
    currency: str | None

    @property
    def water_l(self) -> Any:
        return self.water_onsite_l + self.water_offsite_l

    def __add__(self, other: Chain) -> Chain:
        """Impacts of two parts together (costs only where both have them, in one currency)."""
        same = self.currency == other.currency
        return Chain(
            self.it_j + other.it_j,
            self.facility_j + other.facility_j,
            self.co2e_location_g + other.co2e_location_g,
            self.co2e_market_g + other.co2e_market_g,
            self.water_onsite_l + other.water_onsite_l,
            self.water_offsite_l + other.water_offsite_l,
            self.cost + other.cost if same and self.cost is not None and other.cost is not None
            else None,
            self.cost_usd + other.cost_usd
            if self.cost_usd is not None and other.cost_usd is not None
            else None,
            self.currency if same else None,
        )  # fmt: skip


def impacts_of(
    it_j: Any,
    *,
    factors: Factors,
    pue: Any = None,
    clean_share: Any = 0.0,
    onsite_l_per_j: Any = None,
    price_per_j: Any = None,
    currency: str | None = None,
    usd_per_unit: float | None = None,
) -> Chain:
    """The chain: IT energy -> PUE -> carbon, water, cost. Floats or numpy arrays.

    Args:
        it_j: IT energy in joules (float or array).
        factors: from :func:`factors_at` or :func:`mix_factors`.
        pue: power usage effectiveness (float or array, >= 1). None: outside a data
            centre: facility energy is the IT energy and no cooling water is counted.
        clean_share: share of contracted clean supply (market-based carbon), in [0, 1].
        onsite_l_per_j: on-site WUE per IT joule (float or array) instead of the
            catalog's; ignored outside a data centre.
        price_per_j: electricity price per facility joule instead of the catalog's,
            in ``currency`` (converted to USD at ``usd_per_unit``).
        currency: the currency of ``price_per_j``.
        usd_per_unit: USD per unit of ``currency`` (None: no USD cost).
    """
    facility = it_j if pue is None else apply_pue(it_j, pue)
    co2e = facility * factors.co2e_g_per_j
    if pue is None:
        onsite = it_j * 0.0
    else:
        wue = factors.water_onsite_l_per_j if onsite_l_per_j is None else onsite_l_per_j
        onsite = it_j * wue
    if price_per_j is None:
        price_per_j, currency, usd_per_unit = (
            factors.price_per_j, factors.currency, factors.usd_per_unit
        )  # fmt: skip
    cost = facility * price_per_j if price_per_j is not None else None
    return Chain(
        it_j=it_j,
        facility_j=facility,
        co2e_location_g=co2e,
        co2e_market_g=co2e * (1.0 - clean_share),
        water_onsite_l=onsite,
        water_offsite_l=facility * factors.water_offsite_l_per_j,
        cost=cost,
        cost_usd=cost * usd_per_unit if cost is not None and usd_per_unit is not None else None,
        currency=currency if cost is not None else None,
    )


# -- summaries -----------------------------------------------------------------------------------
def _check(pue: float | None, clean_share: float | None) -> None:
    from wattlens.errors import InputValueError

    if pue is not None and pue < 1.0:
        raise InputValueError(f"PUE must be at least 1.0, got {pue}")
    if clean_share is not None and not 0.0 <= clean_share <= 1.0:
        raise InputValueError(f"clean-energy share must be within [0, 1], got {clean_share}")


def measured_impacts_typed(
    energy_j: float,
    energy_low_j: float | None = None,
    energy_high_j: float | None = None,
    *,
    location: str | None = None,
    pue: float | None = None,
    clean_share: float | None = None,
    catalog: Catalog | None = None,
) -> Impacts:
    """Carbon, water and cost of a measured IT energy and its band, at a location.

    Market-based carbon follows the GHG Protocol Scope 2 Guidance (2015): the
    share covered by contracted clean supply counts at zero; the rest at the
    grid average (a residual mix is not in the catalog, so the average stands in).

    Raises:
        InputValueError: a PUE below 1 or a clean share outside [0, 1].
        UnknownNameError: an unknown location.
    """
    _check(pue, clean_share)
    f = factors_at(location, catalog)
    low = energy_j if energy_low_j is None else energy_low_j
    high = energy_j if energy_high_j is None else energy_high_j
    factor_pue = 1.0 if pue is None else pue
    # A measurement outside a data centre has PUE 1 and no cooling water (pue=None below).
    chains = [
        impacts_of(e, factors=f, pue=pue, clean_share=clean_share or 0.0)
        for e in (low, energy_j, high)
    ]
    in_dc = pue is not None and bool(f.onsite_sources)
    onsite = _band(chains, "water_onsite_l") if in_dc else Range.point(0.0)
    offsite = _band(chains, "water_offsite_l")
    return Impacts(
        place=f.place,
        co2e_g=_band(chains, "co2e_location_g"),
        co2e_market_g=_band(chains, "co2e_market_g"),
        water_l=Water(
            onsite,
            offsite,
            Range.bounds(
                onsite.p5 + offsite.p5, onsite.p50 + offsite.p50, onsite.p95 + offsite.p95
            ),
            f.onsite_measure if in_dc else None,
            f.offsite_measure,
        ),
        cost=_measured_cost(f, chains),
        sources=(
            *f.place_sources,
            *(f.onsite_sources if in_dc else ()),
            *f.price_sources,
        ),
        assumptions=_measured_assumptions(f, pue, clean_share, in_dc=in_dc),
        style="bounds",
        pue=factor_pue,
        facility_energy_j=_band(chains, "facility_j"),
        clean_share=0.0 if clean_share is None else clean_share,
    )


def _band(chains: Sequence[Chain], attr: str) -> Range:
    """The low, central and high chains' values of one field, as a band."""
    return Range.bounds(*(getattr(c, attr) for c in chains))


def _measured_cost(f: Factors, chains: Sequence[Chain]) -> Money | None:
    central = chains[1]
    if central.cost is None:
        return None
    assert f.price_per_j is not None
    assert central.currency is not None
    return Money(
        _band(chains, "cost"),
        central.currency,
        _band(chains, "cost_usd") if central.cost_usd is not None else None,
        f.price_per_j * J_PER_KWH,
    )


def _measured_assumptions(
    f: Factors, pue: float | None, clean_share: float | None, *, in_dc: bool
) -> tuple[WarningItem, ...]:
    assumptions: list[WarningItem] = []
    if pue is None:
        assumptions.append(
            WarningItem(
                "pue-default", "PUE 1.0: no data-centre overhead counted (pass a PUE to add it)"
            )
        )
    if clean_share is None:
        assumptions.append(
            WarningItem(
                "no-clean-share", "market-based carbon equals location-based: no clean-energy share"
            )
        )
    assumptions.extend(n for n in f.notes if n.code == "water-world-average")
    if in_dc:
        assumptions.append(
            WarningItem(
                "onsite-water",
                f"on-site cooling water at {f.onsite_label}",
            )
        )
    else:
        assumptions.append(
            WarningItem(
                "no-onsite-water", "no on-site cooling water counted (outside a data centre)"
            )
        )
    assumptions.extend(n for n in f.notes if n.code == "no-price")
    return tuple(assumptions)


def measured_impacts(
    energy_j: float,
    energy_low_j: float | None = None,
    energy_high_j: float | None = None,
    *,
    location: str | None = None,
    pue: float | None = None,
    clean_share: float | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The JSON form of :func:`measured_impacts_typed`.

    Returns:
        ``location``, ``pue``, ``facility_energy_j``, ``co2e_g`` (location-based),
        ``co2e_market_g``, ``clean_share``, ``water_l`` (``onsite``, ``offsite``,
        ``total``), ``cost`` (or ``None`` where no price is known), each quantity
        as ``{"low", "central", "high"}``; ``sources`` (catalog row ids) and
        ``assumptions`` (sentences).
    """
    return measured_impacts_typed(
        energy_j, energy_low_j, energy_high_j,
        location=location, pue=pue, clean_share=clean_share, catalog=catalog,
    ).to_dict()  # fmt: skip


def unit_impacts(
    *,
    location: str | None = None,
    pue: float | None = None,
    clean_share: float | None = None,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The impacts of 1 J of IT energy at a location (JSON form): the factors, with sources."""
    return measured_impacts(
        1.0, location=location, pue=pue, clean_share=clean_share, catalog=catalog
    )


def estimate_impacts(
    it_j: Array,
    pue: Array | float,
    location: str | None,
    catalog: Catalog | None = None,
    *,
    it_range: Range | None = None,
    facility_range: Range | None = None,
) -> tuple[Impacts, Chain]:
    """Carbon, water and cost of Monte Carlo samples of IT (server) energy, as quantiles.

    The facility energy is ``apply_pue(it_j, pue)``; carbon, off-site water and
    cost follow it; on-site cooling water follows the IT energy at the catalog's
    industry WUE. Returns the impacts and the chain (whose ``facility_j`` is the
    facility-boundary energy of each sample).

    Each of those is its energy times one factor, so its quantiles are the energy's
    times that factor: ``it_range`` and ``facility_range`` (the summaries of ``it_j``
    and of its facility energy, where the caller has them) spare summarising again.
    """
    f = factors_at(location, catalog)
    chain = impacts_of(it_j, factors=f, pue=pue)
    assumptions = [
        WarningItem(
            "no-clean-share", "market-based carbon equals location-based: no clean-energy share"
        ),
        *(n for n in f.notes if n.code == "water-world-average"),
    ]
    if not f.onsite_sources:
        assumptions.append(
            WarningItem(
                "no-onsite-water", "no on-site cooling water counted (outside a data centre)"
            )
        )
    assumptions.extend(n for n in f.notes if n.code == "no-price")
    facility = facility_range or Range.from_samples(chain.facility_j)
    it = it_range or Range.from_samples(chain.it_j)
    co2e = _times(facility, f.co2e_g_per_j)
    cost = None
    if chain.cost is not None:
        assert chain.currency is not None
        assert f.price_per_j is not None
        in_currency = _times(facility, f.price_per_j)
        cost = Money(
            in_currency,
            chain.currency,
            _times(in_currency, f.usd_per_unit) if f.usd_per_unit is not None else None,
        )
    impacts = Impacts(
        place=f.place,
        co2e_g=co2e,
        co2e_market_g=co2e,
        water_l=Water(
            _times(it, f.water_onsite_l_per_j),
            _times(facility, f.water_offsite_l_per_j),
            Range.from_samples(chain.water_l),
            f.onsite_measure,
            f.offsite_measure,
        ),
        cost=cost,
        sources=(*f.place_sources, *f.onsite_sources, *f.price_sources),
        assumptions=tuple(assumptions),
        style="quantiles",
        basis="facility energy (on-site water: IT energy)",
    )
    return impacts, chain


def _times(r: Range, k: float) -> Range:
    """The quantiles of ``k`` (>= 0) times a quantity, without its samples."""
    return Range(r.p5 * k, r.p50 * k, r.p95 * k, r.mean * k)
