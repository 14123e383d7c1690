"""The safe view of a listing: what one viewer may see of it, for pages and JSON.

Every page and JSON answer renders a listing through :class:`ListingView`, whose
identifying fields come from :func:`marketplace.core.disclosure.disclose_listing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from flows import taxonomy
from marketplace.core.disclosure import ListingDisclosure, disclose_listing
from marketplace.core.permissions import require_manage
from marketplace.core.reference import Municipality
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


#: What :class:`ListingView` reads from the disclosure (the JSON carries them too).
IDENTITY_FIELDS = (
    "can_manage",
    "exact_location",
    "organisation_public_id",
    "organisation_name",
    "postcode",
    "ref",
    "map_lon",
    "map_lat",
    "created_at",
    "updated_at",
)


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
    transport_mode: str
    current_source_transport_mode: str | None
    #: The firm, its site, its ref and the timestamps as the disclosure rules allow.
    shown: ListingDisclosure
    distance_km: float | None = None
    distance_text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # The identifying fields read through to the disclosure.
    can_manage = property(lambda self: self.shown.manages)
    exact_location = property(lambda self: self.shown.revealed)
    organisation_public_id = property(lambda self: self.shown.organisation_public_id)
    organisation_name = property(lambda self: self.shown.organisation_name)
    postcode = property(lambda self: self.shown.postcode)
    ref = property(lambda self: self.shown.ref)
    map_lon = property(lambda self: self.shown.map_lon)
    map_lat = property(lambda self: self.shown.map_lat)
    created_at = property(lambda self: self.shown.created_at)
    updated_at = property(lambda self: self.shown.updated_at)

    def as_json(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("extra", "shown", "available_from", "available_until")
        }
        for name in IDENTITY_FIELDS:
            out[name] = getattr(self, name)
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        out["available_from"] = self.available_from.isoformat() if self.available_from else None
        out["available_until"] = self.available_until.isoformat() if self.available_until else None
        return out


def view_loads() -> tuple[Any, ...]:
    """Loader options for listings shown through :func:`view_of`.

    The firm, the waste code and the municipality (its name, not its boundary) come in
    the listings' own query; the accepted codes in one more query for the whole page.
    Without these, every listing shown cost a query or two of its own.
    """
    return (
        sa.orm.joinedload(Listing.organisation),
        sa.orm.joinedload(Listing.ewc),
        sa.orm.joinedload(Listing.municipality).load_only(Municipality.code, Municipality.name),
        sa.orm.selectinload(Listing.accepted_codes),
    )


def view_of(
    listing: Listing,
    viewer: Any,
    lang: str,
    *,
    distance_km: float | None = None,
    agreed: bool = False,
) -> ListingView:
    """What ``viewer`` may see of ``listing`` (``agreed``: see :func:`disclose_listing`).

    ``distance_km`` is measured from the viewer's site to the point shown: the site for
    listings revealed to the viewer, the municipality point otherwise (see
    :func:`search_listings`); hidden listings only show it as a coarse band.
    """
    shown = disclose_listing(listing, viewer, agreed=agreed)
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
        transport_mode=listing.transport_mode,
        current_source_transport_mode=listing.current_source_transport_mode,
        shown=shown,
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
