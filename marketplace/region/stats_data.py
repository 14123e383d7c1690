"""Rows for the regional figures, read from the database once per request.

:mod:`marketplace.region.stats` computes; this module only turns listings, matches and
deliveries into its plain rows, and reads the cited gas factors from the engine's
factor tables (``flows/data``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from flows.co2 import factor_table
from flows.schema import FAMILY_BASE_UNIT, PER_YEAR, TO_BASE_UNIT, UNIT_FAMILY
from flows.symbiosis import GJ_PER_MWH, cited_figures
from marketplace.accounts.models import Organisation
from marketplace.core.reference import Municipality, SBICode
from marketplace.core.vocabulary import AGREED_STATUSES, OPEN_STATUSES
from marketplace.exchanges.impact import delivery_quantity, realised_for
from marketplace.exchanges.models import Match
from marketplace.exchanges.review import HIDDEN
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.region import stats
from marketplace.region.stats import DeliveryFact, ExchangeFact, GasFactor, ListingFact

#: Heat delivered per MWh of gas burnt in the boiler the heat replaces, per material.
_HEAT_EFFICIENCY_KEYS = {
    "energy.heat": "efficiency.gas_boiler_hot_water",
    "energy.hot_water": "efficiency.gas_boiler_hot_water",
    "energy.heat_low_temperature": "efficiency.gas_boiler_hot_water",
    "energy.steam": "efficiency.gas_boiler_steam",
}
SBI_CSV = Path(__file__).resolve().parent.parent / "data" / "sbi2008_codes_nl.csv"
_WOOD_NCV_KEY = "g6_desnz2025_woodchips_ncv"


@functools.cache
def gas_factors() -> tuple[GasFactor, ...]:
    """MWh of natural gas displaced per unit of heat, steam, biogas, fuel gas and biomass
    fuel, each with the source of the engine's factor table it comes from."""
    table = factor_table().set_index("factor_key")
    factors = []
    for material, key in _HEAT_EFFICIENCY_KEYS.items():
        efficiency = float(table.loc[key, "value"])
        factors.append(
            GasFactor(
                material,
                "MWh",
                1.0 / efficiency,
                f"1 / {efficiency:g} ({key}: {table.loc[key, 'source']}, {table.loc[key, 'year']})",
            )
        )
    for material in ("energy.biogas", "energy.fuel_gas"):
        factors.append(
            GasFactor(
                material,
                "MWh",
                1.0,
                "1 MWh of natural gas per MWh (energy_displaced."
                f"{material}: {table.loc['energy_displaced.' + material, 'source']})",
            )
        )
    wood = cited_figures()[_WOOD_NCV_KEY]
    factors.append(
        GasFactor(
            "organics.biomass_fuel",
            "t",
            wood.value / GJ_PER_MWH,
            f"{wood.value:g} GJ/t / {GJ_PER_MWH:g} GJ/MWh ({wood.item}, {wood.source}, "
            f"{wood.year}); the same boiler efficiency as gas assumed",
        )
    )
    return tuple(factors)


def _base(quantity: float, unit: str, frequency: str) -> tuple[float, str]:
    family = UNIT_FAMILY.get(unit, "count")
    return quantity * TO_BASE_UNIT.get(unit, 1.0) * PER_YEAR.get(frequency, 1.0), FAMILY_BASE_UNIT[
        family
    ]


def _month(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m") if moment is not None else None


@dataclass(frozen=True)
class Reference:
    """Names of municipalities and SBI sections, and the region's municipality codes."""

    municipality_names: dict[str, str]
    region_codes: tuple[str, ...]
    sector_names: dict[str, str]
    org_sector: dict[int, str | None]


@functools.cache
def sbi_sections() -> dict[str, str]:
    """SBI 2008 section letters and their Dutch titles (the shipped CBS list)."""
    with SBI_CSV.open(encoding="utf-8") as fh:
        return {
            row["section"]: row["description_nl"]
            for row in csv.DictReader(fh)
            if row["level"] == "section"
        }


def reference() -> Reference:
    municipalities = db.session.execute(
        sa.select(Municipality.code, Municipality.name, Municipality.in_region)
    ).all()
    org_sector = dict(
        db.session.execute(
            sa.select(Organisation.id, SBICode.section).outerjoin(
                SBICode, SBICode.code == Organisation.sbi_code
            )
        ).all()
    )
    return Reference(
        municipality_names={code: name for code, name, _ in municipalities},
        region_codes=tuple(sorted(code for code, _, regional in municipalities if regional)),
        sector_names=sbi_sections(),
        org_sector=org_sector,
    )


def listing_facts(ref: Reference) -> list[ListingFact]:
    regional = set(ref.region_codes)
    rows = db.session.execute(
        sa.select(
            Listing.kind,
            Listing.status,
            Listing.material,
            Listing.quantity,
            Listing.unit,
            Listing.frequency,
            Listing.organisation_id,
            Listing.municipality_code,
        )
    ).all()
    facts = []
    for kind, status, material, quantity, unit, frequency, org_id, code in rows:
        per_year, base = _base(float(quantity), unit, frequency)
        facts.append(
            ListingFact(
                kind=kind,
                status=status,
                material=material,
                quantity_per_year=per_year,
                unit=base,
                organisation_id=org_id,
                municipality_code=code,
                in_region=code in regional,
                sector=ref.org_sector.get(org_id),
            )
        )
    return facts


def _deliveries(match: Match) -> tuple[DeliveryFact, ...]:
    """What each delivery under an agreed ``match`` realised (mass and CO2e)."""
    facts = []
    for delivery in match.deliveries:
        done = realised_for(match, delivery_quantity(delivery))
        facts.append(
            DeliveryFact(
                month=delivery.delivered_on.strftime("%Y-%m"),
                quantity=done.quantity,
                mass_t=done.mass_t,
                net_co2e_kg=done.net_co2e_kg,
            )
        )
    return tuple(facts)


def exchange_facts(ref: Reference) -> list[ExchangeFact]:
    """Every open and agreed match as a row: one column query for all of them (the
    national demo has tens of thousands of proposals), and the deliveries of the agreed
    ones (few) through the exchanges slice's realised-impact rules."""
    offer, need = aliased(Listing), aliased(Listing)
    rows = db.session.execute(
        sa.select(
            Match.id,
            Match.status,
            offer.material,
            Match.quantity_per_year,
            Match.unit,
            Match.mass_t_per_year,
            Match.road_km,
            Match.tonne_km_saved,
            Match.net_co2e_kg,
            Match.agreed_net_co2e_kg,
            offer.organisation_id,
            need.organisation_id,
            offer.municipality_code,
            need.municipality_code,
            Match.created_at,
            Match.agreed_at,
            Match.loop_id,
            Match.review,
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.status.in_((*OPEN_STATUSES, *AGREED_STATUSES)))
        .order_by(Match.id)
    ).all()
    agreed = db.session.scalars(
        sa.select(Match)
        .where(Match.status.in_(AGREED_STATUSES))
        .options(selectinload(Match.deliveries))
    )
    deliveries = {m.id: _deliveries(m) for m in agreed}
    regional = set(ref.region_codes)
    sector = ref.org_sector
    facts = []
    for (
        match_id,
        status,
        material,
        quantity,
        unit,
        mass_t,
        road_km,
        tonne_km,
        net_kg,
        agreed_net_kg,
        offer_org,
        need_org,
        offer_code,
        need_code,
        created_at,
        agreed_at,
        loop_id,
        review,
    ) in rows:
        is_agreed = status in AGREED_STATUSES
        estimated = agreed_net_kg if is_agreed and agreed_net_kg is not None else net_kg
        facts.append(
            ExchangeFact(
                status=status,
                material=material,
                quantity_per_year=float(quantity),
                unit=unit,
                mass_t_per_year=mass_t,
                road_km=float(road_km),
                tonne_km_saved=float(tonne_km or 0.0),
                net_co2e_kg=float(estimated or 0.0),
                offer_organisation_id=offer_org,
                need_organisation_id=need_org,
                offer_municipality_code=offer_code,
                need_municipality_code=need_code,
                offer_in_region=offer_code in regional,
                need_in_region=need_code in regional,
                created_month=_month(created_at) or "",
                agreed_month=_month(agreed_at),
                loop_id=loop_id,
                offer_sector=sector.get(offer_org),
                need_sector=sector.get(need_org),
                hidden=review == HIDDEN,
                deliveries=deliveries.get(match_id, ()),
            )
        )
    return facts


@dataclass(frozen=True)
class RegionReport:
    """Every figure of the dashboard, the report and the exports."""

    headline: stats.Headline
    families: list[stats.FamilyRow]
    distances: list[stats.DistanceBin]
    months: list[stats.MonthRow]
    municipalities: list[stats.AreaRow]
    sectors: list[stats.AreaRow]
    gas_factors: tuple[GasFactor, ...]
    exchanges: list[ExchangeFact]


def region_report() -> RegionReport:
    """Read the rows once and compute every figure."""
    ref = reference()
    listings = listing_facts(ref)
    exchanges = exchange_facts(ref)
    factors = gas_factors()
    return RegionReport(
        headline=stats.headline(listings, exchanges, factors),
        families=stats.per_family(listings, exchanges),
        distances=stats.distance_histogram(exchanges),
        months=stats.per_month(exchanges),
        municipalities=stats.per_municipality(
            listings, exchanges, names=ref.municipality_names, region_codes=ref.region_codes
        ),
        sectors=stats.per_sector(listings, exchanges, names=ref.sector_names),
        gas_factors=factors,
        exchanges=exchanges,
    )
