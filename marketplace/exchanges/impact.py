"""Realised impact: what the deliveries of agreed exchanges really moved and avoided.

The engine stores, per match, the yearly quantity and its CO2e terms (avoided primary
production, avoided disposal, avoided transport from the current source, transport of
this exchange), all proportional to the quantity (docs/co2-method.md). The realised
figures apply the same terms to the delivered quantity: each term per unit of the match
times the delivered quantity; the transport per delivered tonne-km (the match's road
distance times the delivered mass, at the same kg CO2e per tonne-km).

The estimate shown beside it is the net CO2e per year frozen at agreement.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.core.vocabulary import AGREED_STATUSES
from marketplace.errors import InvalidInput
from marketplace.exchanges.models import Delivery, Match
from marketplace.extensions import db
from marketplace.listings.models import Listing

#: The CO2e terms of a match, all proportional to its quantity; transport counts negative.
CO2_TERMS = (
    "avoided_production_co2e_kg",
    "avoided_disposal_co2e_kg",
    "avoided_transport_co2e_kg",
    "transport_co2e_kg",
)
#: Mass units a delivery may be logged in, in tonnes per unit.
TONNES_PER_UNIT = {"t": 1.0, "kg": 0.001}


def tonnes_per_match_unit(match: Match) -> float | None:
    """The mass of one unit of the match's quantity (None when it has no mass)."""
    if match.unit in TONNES_PER_UNIT:
        return TONNES_PER_UNIT[match.unit]
    if match.mass_t_per_year and match.quantity_per_year:
        return float(match.mass_t_per_year) / float(match.quantity_per_year)
    return None


def delivered_in_match_unit(match: Match, quantity: float, unit: str) -> float:
    """A delivered ``quantity`` in ``unit`` as a quantity in the match's unit.

    The same unit, or a mass (t, kg) when the match's quantity has a mass (its unit is a
    mass, or a volume with the material's density the engine used).
    """
    if unit == match.unit:
        return float(quantity)
    per_unit_t = tonnes_per_match_unit(match)
    if unit in TONNES_PER_UNIT and per_unit_t:
        return float(quantity) * TONNES_PER_UNIT[unit] / per_unit_t
    raise InvalidInput(
        _(
            "A delivery under this match is logged in %(unit)s%(mass)s, not in %(given)s.",
            unit=match.unit,
            mass=_(" or by mass (t, kg)") if per_unit_t else "",
            given=unit,
        ),
        {"unit": [_("Choose the unit of the match.")]},
    )


@dataclass(frozen=True)
class Realised:
    """What a quantity (in the match's unit) delivered under ``match`` moved and avoided."""

    quantity: float
    mass_t: float | None
    tonne_km: float | None
    avoided_production_co2e_kg: float
    avoided_disposal_co2e_kg: float
    avoided_transport_co2e_kg: float
    transport_co2e_kg: float

    @property
    def net_co2e_kg(self) -> float:
        return (
            self.avoided_production_co2e_kg
            + self.avoided_disposal_co2e_kg
            + self.avoided_transport_co2e_kg
            - self.transport_co2e_kg
        )


def realised_for(match: Match, quantity: float) -> Realised:
    """The realised figures of ``quantity`` (in the match's unit) delivered under ``match``."""
    share = quantity / match.quantity_per_year if match.quantity_per_year else 0.0
    per_unit_t = tonnes_per_match_unit(match)
    mass_t = quantity * per_unit_t if per_unit_t else None
    return Realised(
        quantity=quantity,
        mass_t=mass_t,
        tonne_km=mass_t * match.road_km if mass_t is not None else None,
        **{term: float(getattr(match, term) or 0.0) * share for term in CO2_TERMS},
    )


def delivery_quantity(delivery: Delivery) -> float:
    return delivered_in_match_unit(delivery.match, delivery.quantity, delivery.unit)


def realised(match: Match) -> Realised:
    """The realised figures of every delivery under ``match``."""
    return realised_for(match, sum(delivery_quantity(d) for d in match.deliveries))


# --- a firm's impact ---------------------------------------------------------------------------


@dataclass
class MonthImpact:
    month: str  # YYYY-MM
    supplied_t: float = 0.0
    received_t: float = 0.0
    tonne_km: float = 0.0
    net_co2e_kg: float = 0.0


@dataclass
class FirmImpact:
    """A firm's agreed exchanges and what their deliveries realised."""

    organisation_id: int
    agreed_matches: int = 0
    estimated_net_co2e_kg_per_year: float = 0.0
    #: Its own residual streams delivered to others: kept from disposal.
    supplied_t: float = 0.0
    received_t: float = 0.0
    tonne_km: float = 0.0
    realised_net_co2e_kg: float = 0.0
    deliveries: int = 0
    partners: list[str] = field(default_factory=list)
    months: list[MonthImpact] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def _agreed_matches_of(organisation_id: int) -> list[Match]:
    own = sa.select(Listing.id).where(Listing.organisation_id == organisation_id)
    return list(
        db.session.scalars(
            sa.select(Match)
            .where(
                Match.status.in_(AGREED_STATUSES),
                sa.or_(Match.offer_id.in_(own), Match.need_id.in_(own)),
            )
            .options(
                sa.orm.selectinload(Match.deliveries),
                sa.orm.selectinload(Match.offer).selectinload(Listing.organisation),
                sa.orm.selectinload(Match.need).selectinload(Listing.organisation),
            )
            .order_by(Match.id)
        )
    )


def firm_impact(organisation_id: int) -> FirmImpact:
    """What the agreed exchanges of a firm are estimated to avoid and what they realised.

    Both firms of an agreed match know each other, so the partners are named.
    """
    impact = FirmImpact(organisation_id=organisation_id)
    months: dict[str, MonthImpact] = defaultdict(lambda: MonthImpact(month=""))
    partners: set[str] = set()
    for match in _agreed_matches_of(organisation_id):
        supplier = match.offer.organisation_id == organisation_id
        partner = (match.need if supplier else match.offer).organisation.name
        partners.add(partner)
        impact.agreed_matches += 1
        impact.estimated_net_co2e_kg_per_year += float(
            match.agreed_net_co2e_kg if match.agreed_net_co2e_kg is not None else match.net_co2e_kg
        )
        for delivery in match.deliveries:
            done = realised_for(match, delivery_quantity(delivery))
            month_key = delivery.delivered_on.strftime("%Y-%m")
            month = months[month_key]
            month.month = month_key
            mass_t = done.mass_t or 0.0
            if supplier:
                impact.supplied_t += mass_t
                month.supplied_t += mass_t
            else:
                impact.received_t += mass_t
                month.received_t += mass_t
            impact.tonne_km += done.tonne_km or 0.0
            month.tonne_km += done.tonne_km or 0.0
            impact.realised_net_co2e_kg += done.net_co2e_kg
            month.net_co2e_kg += done.net_co2e_kg
            impact.deliveries += 1
            impact.rows.append(
                {
                    "delivered_on": delivery.delivered_on.isoformat(),
                    "match": match.id,
                    "role": "supplier" if supplier else "receiver",
                    "partner": partner,
                    "material": match.offer.title,
                    "quantity": delivery.quantity,
                    "unit": delivery.unit,
                    "mass_t": round(mass_t, 3),
                    "tonne_km": round(done.tonne_km or 0.0, 1),
                    "net_co2e_kg": round(done.net_co2e_kg, 1),
                    "document_number": delivery.document_number or "",
                }
            )
    impact.partners = sorted(partners, key=str.casefold)
    impact.months = [months[k] for k in sorted(months)]
    impact.rows.sort(key=lambda r: (r["delivered_on"], r["match"]))
    return impact


CSV_COLUMNS = (
    "delivered_on",
    "match",
    "role",
    "partner",
    "material",
    "quantity",
    "unit",
    "mass_t",
    "tonne_km",
    "net_co2e_kg",
    "document_number",
)


def impact_csv(impact: FirmImpact) -> str:
    """The deliveries behind a firm's impact, one row each (semicolons: Dutch Excel)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for row in impact.rows:
        writer.writerow(row)
    return buffer.getvalue()


# --- the region --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeTotals:
    """The region's agreed exchanges (estimated, per year) and their realised deliveries."""

    agreed_matches: int
    estimated_net_co2e_t_per_year: float
    deliveries: int
    realised_mass_t: float
    realised_tonne_km: float
    realised_net_co2e_t: float


def exchange_totals() -> ExchangeTotals:
    """Agreed and realised totals of every agreed, active and completed match."""
    matches = list(
        db.session.scalars(
            sa.select(Match)
            .where(Match.status.in_(AGREED_STATUSES))
            .options(sa.orm.selectinload(Match.deliveries))
        )
    )
    estimated = mass_t = tonne_km = net = 0.0
    deliveries = 0
    for match in matches:
        estimated += float(
            match.agreed_net_co2e_kg if match.agreed_net_co2e_kg is not None else match.net_co2e_kg
        )
        if match.deliveries:
            done = realised(match)
            mass_t += done.mass_t or 0.0
            tonne_km += done.tonne_km or 0.0
            net += done.net_co2e_kg
            deliveries += len(match.deliveries)
    return ExchangeTotals(
        agreed_matches=len(matches),
        estimated_net_co2e_t_per_year=estimated / 1000.0,
        deliveries=deliveries,
        realised_mass_t=mass_t,
        realised_tonne_km=tonne_km,
        realised_net_co2e_t=net / 1000.0,
    )
