"""The coordinators' view of the region: per municipality figures and the exchange network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from geo.regions import region_geojson
from marketplace.accounts.models import Organisation
from marketplace.core.reference import Municipality
from marketplace.core.vocabulary import LIVE_STATUSES
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing


@dataclass
class MunicipalityFigures:
    code: str
    name: str
    organisations: int
    active_offers: int
    active_needs: int
    exchanges_out: int
    exchanges_in: int
    net_co2e_t_per_year: float


def municipality_figures(*, statuses: tuple[str, ...] = LIVE_STATUSES) -> list[MunicipalityFigures]:
    """Firms, listings and exchanges per region municipality."""
    municipalities = db.session.execute(
        sa.select(Municipality.code, Municipality.name)
        .where(Municipality.in_region)
        .order_by(Municipality.name)
    ).all()
    orgs = dict(
        db.session.execute(
            sa.select(Organisation.municipality_code, sa.func.count()).group_by(
                Organisation.municipality_code
            )
        ).all()
    )
    listing_counts: dict[tuple[str | None, str], int] = {
        (code, kind): n
        for code, kind, n in db.session.execute(
            sa.select(Listing.municipality_code, Listing.kind, sa.func.count())
            .where(Listing.status == "active")
            .group_by(Listing.municipality_code, Listing.kind)
        )
    }
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    out_counts: dict[str | None, int] = {}
    in_counts: dict[str | None, int] = {}
    co2: dict[str | None, float] = {}
    for offer_code, need_code, net in db.session.execute(
        sa.select(offer.municipality_code, need.municipality_code, Match.net_co2e_kg)
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.status.in_(statuses))
    ):
        out_counts[offer_code] = out_counts.get(offer_code, 0) + 1
        in_counts[need_code] = in_counts.get(need_code, 0) + 1
        # Attribute the avoided CO2 half to each end, so the region total stays right.
        co2[offer_code] = co2.get(offer_code, 0.0) + net / 2
        co2[need_code] = co2.get(need_code, 0.0) + net / 2
    return [
        MunicipalityFigures(
            code=code,
            name=name,
            organisations=orgs.get(code, 0),
            active_offers=listing_counts.get((code, "offer"), 0),
            active_needs=listing_counts.get((code, "need"), 0),
            exchanges_out=out_counts.get(code, 0),
            exchanges_in=in_counts.get(code, 0),
            net_co2e_t_per_year=co2.get(code, 0.0) / 1000.0,
        )
        for code, name in municipalities
    ]


def exchange_network(
    *, statuses: tuple[str, ...] = LIVE_STATUSES, limit: int = 5000
) -> dict[str, Any]:
    """Exchanges as GeoJSON lines between the two sites, for the coordinators' map.

    Coordinators see exact sites: they manage every firm's data on its behalf.
    """
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    rows = db.session.execute(
        sa.select(
            Match.public_id,
            Match.status,
            Match.loop_id,
            Match.net_co2e_kg,
            Match.quantity_per_year,
            Match.unit,
            offer.lon,
            offer.lat,
            offer.title,
            offer.material,
            need.lon,
            need.lat,
            need.title,
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.status.in_(statuses))
        .order_by(Match.net_co2e_kg.desc())
        .limit(limit)
    ).all()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[r[6], r[7]], [r[10], r[11]]]},
            "properties": {
                "id": r[0],
                "status": r[1],
                "loop_id": r[2],
                "net_co2e_kg": round(float(r[3]), 1),
                "quantity_per_year": round(float(r[4]), 3),
                "unit": r[5],
                "offer_title": r[8],
                "material": r[9],
                "need_title": r[12],
            },
        }
        for r in rows
    ]
    return {"type": "FeatureCollection", "features": features}


def region_outline() -> dict[str, Any]:
    """The municipal boundaries of the Cleantech Regio, as GeoJSON."""
    return region_geojson()
