"""The safe view of a listing: what one viewer may see of it, for pages and JSON.

Every page and JSON answer renders a listing through :class:`ListingView`, whose
identifying fields come from :func:`marketplace.core.disclosure.disclose_listing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from flows import taxonomy
from marketplace.core.disclosure import disclose_listing
from marketplace.core.permissions import require_manage
from marketplace.extensions import db
from marketplace.listings.models import Listing


def material_label(key: str, lang: str) -> str:
    try:
        cat = taxonomy.category(key)
    except KeyError:
        return key
    return cat.name_en if lang == "en" else cat.name_nl


def material_choices(lang: str) -> list[tuple[str, str]]:
    """Taxonomy keys with their names, indented by depth, in taxonomy order."""
    choices = []
    for key in taxonomy.CATEGORIES:
        depth = key.count(".")
        choices.append((key, "\u00a0\u00a0" * depth + material_label(key, lang)))
    return choices


@dataclass
class ListingView:
    """What a given viewer may see of a listing."""

    #: The listing's public id (the database id never leaves the server).
    id: str
    kind: str
    title: str
    description: str | None
    material: str
    material_name: str
    ewc_code: str | None
    ewc_description: str | None
    hazardous: bool
    accepted_ewc_codes: tuple[str, ...]
    quantity: float
    unit: str
    frequency: str
    available_from: date | None
    available_until: date | None
    municipality: str | None
    status: str
    visibility: str
    price_terms: str
    price_eur_per_unit: float | None
    max_distance_km: float | None
    current_route: str | None
    current_source: str | None
    current_source_km: float | None
    # The date only (no time) for anonymous listings the viewer does not manage: exact
    # times would pair a listing with the firm's public ones created in the same batch.
    created_at: datetime | date
    updated_at: datetime | date
    can_manage: bool
    # Withheld (None) for anonymous listings unless the viewer manages the firm:
    organisation_public_id: str | None
    organisation_name: str | None
    postcode: str | None
    ref: str | None
    # The point shown on a map: exact, or a point inside the municipality when anonymous.
    map_lon: float | None
    map_lat: float | None
    exact_location: bool
    distance_km: float | None = None
    distance_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("extra", "created_at", "updated_at", "available_from", "available_until")
        }
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        out["available_from"] = self.available_from.isoformat() if self.available_from else None
        out["available_until"] = self.available_until.isoformat() if self.available_until else None
        return out


def view_of(
    listing: Listing, viewer: Any, lang: str, *, distance_km: float | None = None
) -> ListingView:
    """What ``viewer`` may see of ``listing``.

    ``distance_km`` is measured from the viewer's site to the point shown: the site for
    listings revealed to the viewer, the municipality point otherwise (see
    :func:`search_listings`); hidden listings only show it as a coarse band.
    """
    shown = disclose_listing(listing, viewer)
    ewc = listing.ewc
    return ListingView(
        id=listing.public_id,
        kind=listing.kind,
        title=listing.title,
        description=listing.description,
        material=listing.material,
        material_name=material_label(listing.material, lang),
        ewc_code=listing.ewc_code,
        ewc_description=ewc.description(lang) if ewc else None,
        hazardous=bool(ewc and ewc.hazardous),
        accepted_ewc_codes=listing.accepted_ewc_codes,
        quantity=listing.quantity,
        unit=listing.unit,
        frequency=listing.frequency,
        available_from=listing.available_from,
        available_until=listing.available_until,
        municipality=listing.municipality.name if listing.municipality else None,
        status=listing.status,
        visibility=listing.visibility,
        price_terms=listing.price_terms,
        price_eur_per_unit=listing.price_eur_per_unit,
        max_distance_km=listing.max_distance_km,
        current_route=listing.current_route,
        current_source=listing.current_source,
        current_source_km=listing.current_source_km,
        created_at=shown.created_at,
        updated_at=shown.updated_at,
        can_manage=shown.manages,
        organisation_public_id=shown.organisation_public_id,
        organisation_name=shown.organisation_name,
        postcode=shown.postcode,
        ref=shown.ref,
        map_lon=shown.map_lon,
        map_lat=shown.map_lat,
        exact_location=shown.revealed,
        distance_km=shown.distance_km(distance_km),
        distance_text=shown.distance_text(distance_km, lang),
    )


def organisation_listings(viewer: Any, organisation_id: int, lang: str) -> list[ListingView]:
    require_manage(viewer, organisation_id)
    rows = db.session.scalars(
        sa.select(Listing)
        .where(Listing.organisation_id == organisation_id)
        .order_by(Listing.status, Listing.kind, Listing.title)
    )
    return [view_of(item, viewer, lang) for item in rows]
