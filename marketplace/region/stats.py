"""The regional figures of the coordinators' dashboard, computed from plain rows.

Every function here is pure: it takes :class:`ListingFact` and :class:`ExchangeFact`
rows (built from the database by :mod:`marketplace.region.stats_data`, or by hand in
the tests) and returns numbers, so each figure can be checked against a hand-made
fixture with an exact answer.

Definitions (also on the dashboard's method note):

- *Proposed* exchanges are the open ones (the vocabulary's ``OPEN_STATUSES``), *agreed*
  ones are agreed, active or completed (``AGREED_STATUSES``); hidden proposals of the
  review queue are left out of every figure.
- *Tonnes* are the yearly mass of an exchange (``mass_t_per_year``); exchanges without
  a mass (heat in MWh, water in m3 without a density) count in MWh or m3 instead and
  are left out of tonne figures.
- *Realised* figures come from the recorded deliveries.
- *Regional share of needs met*: the tonnes per year of proposed (resp. agreed)
  exchanges whose offer **and** need lie in the region's municipalities, over the
  tonnes per year of the active needs in the region.
- *Residual tonnes kept in the region*: of the tonnes per year that suppliers in the
  region exchange (proposed plus agreed), the share that goes to needs in the region.
- *Fossil energy avoided*: the natural gas (MWh, gross calorific value) a heat,
  steam, biogas, fuel-gas or biomass-fuel exchange displaces, with the engine's cited
  boiler efficiencies and the wood-chip net calorific value (see :func:`gas_mwh_per_unit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from marketplace.core.vocabulary import AGREED_STATUSES, OPEN_STATUSES

#: Upper edges (km, road) of the distance histogram's bins; the last bin is open.
DISTANCE_BINS_KM: Final = (5.0, 10.0, 25.0, 50.0, 100.0, 250.0)


@dataclass(frozen=True)
class ListingFact:
    """One listing as the figures need it (quantities per year in the base unit)."""

    kind: str  # "offer" | "need"
    status: str
    material: str
    quantity_per_year: float
    unit: str  # base unit: t, m3, MWh, pcs
    organisation_id: int
    municipality_code: str | None
    in_region: bool
    sector: str | None = None  # SBI section letter of the firm

    @property
    def family(self) -> str:
        return self.material.split(".", 1)[0]

    @property
    def mass_t_per_year(self) -> float | None:
        return self.quantity_per_year if self.unit == "t" else None


@dataclass(frozen=True)
class DeliveryFact:
    """What one delivery realised, in the match's unit and as mass and CO2e."""

    month: str  # YYYY-MM
    quantity: float
    mass_t: float | None
    net_co2e_kg: float


@dataclass(frozen=True)
class ExchangeFact:
    """One match as the figures need it."""

    status: str
    material: str  # the offer's material
    quantity_per_year: float
    unit: str
    mass_t_per_year: float | None
    road_km: float
    tonne_km_saved: float
    net_co2e_kg: float  # estimated per year (frozen at agreement when agreed)
    offer_organisation_id: int
    need_organisation_id: int
    offer_municipality_code: str | None
    need_municipality_code: str | None
    offer_in_region: bool
    need_in_region: bool
    created_month: str  # YYYY-MM
    agreed_month: str | None = None
    loop_id: str | None = None
    offer_sector: str | None = None
    need_sector: str | None = None
    hidden: bool = False
    deliveries: tuple[DeliveryFact, ...] = ()

    @property
    def family(self) -> str:
        return self.material.split(".", 1)[0]

    @property
    def proposed(self) -> bool:
        return self.status in OPEN_STATUSES and not self.hidden

    @property
    def agreed(self) -> bool:
        return self.status in AGREED_STATUSES

    @property
    def counted(self) -> bool:
        return self.proposed or self.agreed

    @property
    def mass_t(self) -> float:
        return self.mass_t_per_year or 0.0

    @property
    def realised_mass_t(self) -> float:
        return sum(d.mass_t or 0.0 for d in self.deliveries)

    @property
    def realised_net_co2e_kg(self) -> float:
        return sum(d.net_co2e_kg for d in self.deliveries)


# --- fossil energy ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GasFactor:
    """MWh of natural gas (gross CV) one unit of a material displaces, with its source."""

    material: str
    unit: str
    gas_mwh_per_unit: float
    source: str


def _ancestors(material: str) -> list[str]:
    parts = material.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def gas_mwh_per_unit(material: str, factors: Sequence[GasFactor]) -> GasFactor | None:
    """The gas factor of ``material`` or of its nearest ancestor (None: displaces no gas)."""
    by_material = {f.material: f for f in factors}
    for key in _ancestors(material):
        if key in by_material:
            return by_material[key]
    return None


def _gas_mwh(exchange: ExchangeFact, quantity: float, factors: Sequence[GasFactor]) -> float:
    factor = gas_mwh_per_unit(exchange.material, factors)
    if factor is None or factor.unit != exchange.unit:
        return 0.0
    return quantity * factor.gas_mwh_per_unit


# --- the figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    active_firms: int
    active_offers: int
    active_needs: int
    offered_t_per_year: float
    needed_t_per_year: float
    proposed_exchanges: int
    agreed_exchanges: int
    proposed_t_per_year: float
    agreed_t_per_year: float
    realised_t: float
    proposed_co2e_t_per_year: float
    agreed_co2e_t_per_year: float
    realised_co2e_t: float
    agreed_gas_mwh_per_year: float
    realised_gas_mwh: float
    regional_need_t_per_year: float
    regional_share_proposed: float | None
    regional_share_agreed: float | None
    kept_in_region_share: float | None
    closed_loops: int
    loop_t_per_year: float
    proposed_tonne_km_saved: float
    agreed_tonne_km_saved: float


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def headline(
    listings: Iterable[ListingFact],
    exchanges: Iterable[ExchangeFact],
    gas_factors: Sequence[GasFactor] = (),
) -> Headline:
    """The dashboard's headline figures (definitions in the module docstring)."""
    active = [row for row in listings if row.status == "active"]
    rows = [e for e in exchanges if e.counted]
    proposed = [e for e in rows if e.proposed]
    agreed = [e for e in rows if e.agreed]
    regional_need_t = sum(
        row.mass_t_per_year or 0.0 for row in active if row.kind == "need" and row.in_region
    )
    inside = [e for e in rows if e.offer_in_region and e.need_in_region]
    from_region = [e for e in rows if e.offer_in_region]
    loops = {e.loop_id for e in rows if e.loop_id}
    return Headline(
        active_firms=len({row.organisation_id for row in active}),
        active_offers=sum(1 for row in active if row.kind == "offer"),
        active_needs=sum(1 for row in active if row.kind == "need"),
        offered_t_per_year=sum(r.mass_t_per_year or 0.0 for r in active if r.kind == "offer"),
        needed_t_per_year=sum(r.mass_t_per_year or 0.0 for r in active if r.kind == "need"),
        proposed_exchanges=len(proposed),
        agreed_exchanges=len(agreed),
        proposed_t_per_year=sum(e.mass_t for e in proposed),
        agreed_t_per_year=sum(e.mass_t for e in agreed),
        realised_t=sum(e.realised_mass_t for e in agreed),
        proposed_co2e_t_per_year=sum(e.net_co2e_kg for e in proposed) / 1000.0,
        agreed_co2e_t_per_year=sum(e.net_co2e_kg for e in agreed) / 1000.0,
        realised_co2e_t=sum(e.realised_net_co2e_kg for e in agreed) / 1000.0,
        agreed_gas_mwh_per_year=sum(_gas_mwh(e, e.quantity_per_year, gas_factors) for e in agreed),
        realised_gas_mwh=sum(
            _gas_mwh(e, d.quantity, gas_factors) for e in agreed for d in e.deliveries
        ),
        regional_need_t_per_year=regional_need_t,
        regional_share_proposed=_share(sum(e.mass_t for e in inside), regional_need_t),
        regional_share_agreed=_share(sum(e.mass_t for e in inside if e.agreed), regional_need_t),
        kept_in_region_share=_share(
            sum(e.mass_t for e in inside), sum(e.mass_t for e in from_region)
        ),
        closed_loops=len(loops),
        loop_t_per_year=sum(e.mass_t for e in rows if e.loop_id),
        proposed_tonne_km_saved=sum(e.tonne_km_saved for e in proposed),
        agreed_tonne_km_saved=sum(e.tonne_km_saved for e in agreed),
    )


@dataclass
class FamilyRow:
    family: str
    unit: str
    offers: int = 0
    offered_per_year: float = 0.0
    needs: int = 0
    needed_per_year: float = 0.0
    proposed_per_year: float = 0.0
    agreed_per_year: float = 0.0
    realised: float = 0.0


def per_family(
    listings: Iterable[ListingFact], exchanges: Iterable[ExchangeFact]
) -> list[FamilyRow]:
    """Active listings and exchanges per material family and unit (t, m3, MWh, pcs)."""
    table: dict[tuple[str, str], FamilyRow] = {}

    def row(family: str, unit: str) -> FamilyRow:
        return table.setdefault((family, unit), FamilyRow(family, unit))

    for listing in listings:
        if listing.status != "active":
            continue
        target = row(listing.family, listing.unit)
        if listing.kind == "offer":
            target.offers += 1
            target.offered_per_year += listing.quantity_per_year
        else:
            target.needs += 1
            target.needed_per_year += listing.quantity_per_year
    for exchange in exchanges:
        if not exchange.counted:
            continue
        target = row(exchange.family, exchange.unit)
        if exchange.proposed:
            target.proposed_per_year += exchange.quantity_per_year
        else:
            target.agreed_per_year += exchange.quantity_per_year
            target.realised += sum(d.quantity for d in exchange.deliveries)
    return [table[key] for key in sorted(table)]


@dataclass(frozen=True)
class DistanceBin:
    low_km: float
    high_km: float | None  # None: open-ended
    exchanges: int
    t_per_year: float


def distance_histogram(
    exchanges: Iterable[ExchangeFact], edges_km: Sequence[float] = DISTANCE_BINS_KM
) -> list[DistanceBin]:
    """Proposed and agreed exchanges per road-distance bin [low, high)."""
    lows = (0.0, *edges_km)
    highs: tuple[float | None, ...] = (*edges_km, None)
    counts = [0] * len(lows)
    tonnes = [0.0] * len(lows)
    for exchange in exchanges:
        if not exchange.counted:
            continue
        index = sum(1 for edge in edges_km if exchange.road_km >= edge)
        counts[index] += 1
        tonnes[index] += exchange.mass_t
    return [
        DistanceBin(low, high, count, mass)
        for low, high, count, mass in zip(lows, highs, counts, tonnes, strict=True)
    ]


@dataclass
class MonthRow:
    month: str
    proposals: int = 0
    proposed_t: float = 0.0
    agreements: int = 0
    agreed_t_per_year: float = 0.0
    realised_t: float = 0.0
    realised_co2e_t: float = 0.0


def per_month(exchanges: Iterable[ExchangeFact]) -> list[MonthRow]:
    """Per month: proposals made that are still open or agreed (hidden ones left out),
    agreements, realised deliveries."""
    months: dict[str, MonthRow] = {}

    def at(month: str) -> MonthRow:
        return months.setdefault(month, MonthRow(month))

    for exchange in exchanges:
        if not exchange.counted:
            continue
        made = at(exchange.created_month)
        made.proposals += 1
        made.proposed_t += exchange.mass_t
        if exchange.agreed and exchange.agreed_month:
            agreed = at(exchange.agreed_month)
            agreed.agreements += 1
            agreed.agreed_t_per_year += exchange.mass_t
        for delivery in exchange.deliveries if exchange.agreed else ():
            done = at(delivery.month)
            done.realised_t += delivery.mass_t or 0.0
            done.realised_co2e_t += delivery.net_co2e_kg / 1000.0
    return [months[key] for key in sorted(months)]


@dataclass
class AreaRow:
    """Figures of one municipality or one SBI section."""

    key: str | None
    name: str | None = None
    in_region: bool = False
    firms: int = 0
    offers: int = 0
    needs: int = 0
    offered_t_per_year: float = 0.0
    needed_t_per_year: float = 0.0
    supplied_t_per_year: float = 0.0
    received_t_per_year: float = 0.0
    co2e_t_per_year: float = 0.0
    _firms: set[int] = field(default_factory=set, repr=False)


def _areas(
    listings: Iterable[ListingFact],
    exchanges: Iterable[ExchangeFact],
    listing_key: str,
    offer_key: str,
    need_key: str,
    names: dict[str, str],
    in_region: Iterable[str],
) -> list[AreaRow]:
    regional = set(in_region)
    table: dict[str | None, AreaRow] = {
        code: AreaRow(code, names.get(code), True) for code in sorted(regional)
    }

    def at(key: str | None) -> AreaRow:
        if key not in table:
            table[key] = AreaRow(key, names.get(key) if key else None, key in regional)
        return table[key]

    for listing in listings:
        if listing.status != "active":
            continue
        row = at(getattr(listing, listing_key))
        row._firms.add(listing.organisation_id)
        if listing.kind == "offer":
            row.offers += 1
            row.offered_t_per_year += listing.mass_t_per_year or 0.0
        else:
            row.needs += 1
            row.needed_t_per_year += listing.mass_t_per_year or 0.0
    for exchange in exchanges:
        if not exchange.agreed:
            continue
        supplier = at(getattr(exchange, offer_key))
        supplier.supplied_t_per_year += exchange.mass_t
        supplier.co2e_t_per_year += exchange.net_co2e_kg / 1000.0
        at(getattr(exchange, need_key)).received_t_per_year += exchange.mass_t
    for row in table.values():
        row.firms = len(row._firms)
    return sorted(
        table.values(), key=lambda r: (not r.in_region, r.key is None, r.name or r.key or "")
    )


def per_municipality(
    listings: Iterable[ListingFact],
    exchanges: Iterable[ExchangeFact],
    *,
    names: dict[str, str],
    region_codes: Iterable[str],
) -> list[AreaRow]:
    """Per municipality (every region municipality, then others): firms with active
    listings, active listings and their tonnes, agreed tonnes supplied and received, and
    agreed CO2e avoided, counted at the supplier's municipality so the rows add up."""
    return _areas(
        listings,
        exchanges,
        "municipality_code",
        "offer_municipality_code",
        "need_municipality_code",
        names,
        region_codes,
    )


def per_sector(
    listings: Iterable[ListingFact],
    exchanges: Iterable[ExchangeFact],
    *,
    names: dict[str, str],
) -> list[AreaRow]:
    """The same figures per SBI section (A-U) of the firms; None: no SBI code known."""
    rows = _areas(listings, exchanges, "sector", "offer_sector", "need_sector", names, ())
    return sorted(rows, key=lambda r: (r.key is None, r.key or ""))
