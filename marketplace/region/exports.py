"""Exports of the region: GeoJSON of listings and exchanges, and the XLSX workbook.

Listings go through :func:`marketplace.core.disclosure.disclose_listing` (via the
listings slice's :func:`view_of`): an anonymous listing of another firm is a point in its
municipality without a name, a postcode or a reference. Exchanges are for coordinators
only (the route checks the role; :func:`exchanges_geojson` checks again).
GeoJSON follows RFC 7946: WGS84 longitude, latitude.
"""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import selectinload

from marketplace.core.disclosure import disclose_listing
from marketplace.core.vocabulary import AGREED_STATUSES, MARKET_LISTING_STATUSES, OPEN_STATUSES
from marketplace.errors import PermissionDenied
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.listings.views import view_of
from marketplace.region.tables import Table


def listings_geojson(viewer: Any, lang: str) -> dict[str, Any]:
    """Active listings as points, as ``viewer`` may see them."""
    listings = db.session.scalars(
        sa.select(Listing)
        .where(Listing.status.in_(MARKET_LISTING_STATUSES))
        .options(selectinload(Listing.organisation))
        .order_by(Listing.id)
    )
    features = []
    for listing in listings:
        view = view_of(listing, viewer, lang)
        if view.map_lon is None:
            continue
        properties = {
            k: v
            for k, v in view.as_json().items()
            if isinstance(v, str | int | float | bool | None)
        }
        features.append(
            {
                "type": "Feature",
                "id": view.id,
                "geometry": {"type": "Point", "coordinates": [view.map_lon, view.map_lat]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def exchanges_geojson(viewer: Any) -> dict[str, Any]:
    """Proposed and agreed exchanges as lines from the offer's site to the need's."""
    if not getattr(viewer, "is_coordinator", False):
        raise PermissionDenied()
    matches = db.session.scalars(
        sa.select(Match)
        .where(Match.status.in_((*OPEN_STATUSES, *AGREED_STATUSES)))
        .options(
            selectinload(Match.offer).selectinload(Listing.organisation),
            selectinload(Match.need).selectinload(Listing.organisation),
        )
        .order_by(Match.id)
    )
    features = []
    for match in matches:
        offer = disclose_listing(match.offer, viewer)
        need = disclose_listing(match.need, viewer)
        if None in (offer.map_lon, offer.map_lat, need.map_lon, need.map_lat):
            continue
        features.append(
            {
                "type": "Feature",
                "id": match.public_id,
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[offer.map_lon, offer.map_lat], [need.map_lon, need.map_lat]],
                },
                "properties": {
                    "status": match.status,
                    "review": match.review,
                    "material": match.offer.material,
                    "quantity_per_year": match.quantity_per_year,
                    "unit": match.unit,
                    "mass_t_per_year": match.mass_t_per_year,
                    "road_km": match.road_km,
                    "net_co2e_kg": match.net_co2e_kg,
                    "loop_id": match.loop_id,
                    "offer_id": match.offer.public_id,
                    "need_id": match.need.public_id,
                    "offer_organisation": offer.organisation_name,
                    "need_organisation": need.organisation_name,
                    "offer_municipality": match.offer.municipality_code,
                    "need_municipality": match.need.municipality_code,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def workbook_bytes(tables: dict[str, Table], notes: list[tuple[str, str]]) -> bytes:
    """The regional report as an XLSX workbook: one sheet per table and a notes sheet."""
    book = Workbook()
    notes_sheet = book.active
    notes_sheet.title = _("Method")[:31]
    notes_sheet.append([_("Topic"), _("Note")])
    for cell in notes_sheet[1]:
        cell.font = Font(bold=True)
    for topic, text in notes:
        notes_sheet.append([topic, text])
    notes_sheet.column_dimensions["A"].width = 32
    notes_sheet.column_dimensions["B"].width = 120
    for table in tables.values():
        sheet = book.create_sheet(table.key[:31])
        sheet.append([str(label) for _key, label in table.columns])
        sheet.append(table.keys)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([row[k] for k in table.keys])
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
