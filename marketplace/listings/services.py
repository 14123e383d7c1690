"""Listings: create, edit, change status, search, and the safe view of a listing.

Every page and JSON answer renders a listing through :class:`ListingView`, whose
identifying fields come from :func:`marketplace.core.disclosure.disclose_listing`.
Search measures anonymous listings from the point it shows, ranks and breaks ties as
the disclosure module says, so that neither order nor a distance filter gives away
what is hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from flows import taxonomy
from geo.distance import straight_km
from geo.errors import GeoError
from geo.geocode import geocode_postcode, normalise_postcode
from geo.regions import municipality_at
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import audit_on_behalf
from marketplace.core.disclosure import (
    disclose_listing,
    order_key,
    recency_s,
    reveals,
    shown_point,
)
from marketplace.core.permissions import require_manage
from marketplace.core.reference import EWCCode
from marketplace.core.vocabulary import (
    KINDS,
    LISTING_STATUSES,
    LISTING_TRANSITIONS,
    WITHDRAWN_LISTING_STATUSES,
    label,
    needs_ewc_code,
)
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.listings.limits import check_listing_limits
from marketplace.listings.models import Listing, ListingAcceptedCode

#: Fields only meaningful for one kind of listing.
OFFER_ONLY = ("current_route", "ewc_code")
NEED_ONLY = ("max_distance_km", "current_source", "current_source_km", "accepted_ewc_codes")

#: Sent with the listing when it is paused or closed (``listing_withdrawn.send(listing)``):
#: the exchanges slice supersedes its open proposals. Listings know nothing of matches.
_signals = Namespace()
listing_withdrawn = _signals.signal("listing-withdrawn")


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


def _ewc_exists(code: str) -> bool:
    return db.session.get(EWCCode, code) is not None


def _normalise_codes(raw: str | list[str] | tuple[str, ...] | None) -> tuple[list[str], list[str]]:
    """Split and normalise a `;`-separated list of EWC codes: (codes, error messages)."""
    from flows.errors import InvalidEWCCode
    from flows.ewc import normalise_ewc_code

    if raw is None:
        return [], []
    parts = (
        raw if isinstance(raw, list | tuple) else [p for p in str(raw).replace(",", ";").split(";")]
    )
    codes, errors = [], []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        try:
            code = normalise_ewc_code(part)
        except InvalidEWCCode:
            errors.append(
                _(
                    "%(value)s is not a code of the European List of Waste (use 02 01 03).",
                    value=part,
                )
            )
            continue
        if code not in codes:
            codes.append(code)
    return codes, errors


def clean_listing_data(data: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """Check the cross-field rules of a listing and return the values to store.

    ``data`` holds the form's typed values. Raises :class:`InvalidInput` with every
    field error at once.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, messages in check_listing_limits(data).items():
        errors.setdefault(name, []).extend(messages)

    kind = data.get("kind")
    if kind not in KINDS:
        err("kind", _("Choose offer or need."))
    material = data.get("material") or ""
    if not taxonomy.is_category(material):
        err("material", _("Choose a material category from the list."))

    values: dict[str, Any] = {
        k: data.get(k)
        for k in (
            "kind",
            "title",
            "description",
            "material",
            "quantity",
            "unit",
            "frequency",
            "available_from",
            "available_until",
            "price_terms",
            "price_eur_per_unit",
            "visibility",
        )
    }
    values["title"] = (values["title"] or "").strip()
    if not values["title"]:
        err("title", _("Give the listing a title."))
    values["description"] = (values.get("description") or "").strip() or None
    quantity = data.get("quantity")
    if quantity is None or not math.isfinite(float(quantity)) or float(quantity) <= 0:
        err("quantity", _("The quantity must be greater than 0."))
    else:
        values["quantity"] = float(quantity)
    if values.get("price_eur_per_unit") is not None:
        values["price_eur_per_unit"] = float(values["price_eur_per_unit"])
        if values["price_eur_per_unit"] < 0:
            err(
                "price_eur_per_unit",
                _("The price cannot be negative; choose 'paid to take' instead."),
            )
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        err("available_until", _("The end of the availability window lies before its start."))
    if values.get("frequency") == "once" and not (start or end):
        pass  # a one-off batch without a window is available from now on

    # EWC codes: required for offers unless energy or water.
    ewc_raw = (data.get("ewc_code") or "").strip()
    ewc_code = None
    if ewc_raw:
        codes, code_errors = _normalise_codes(ewc_raw)
        for m in code_errors:
            err("ewc_code", m)
        if codes:
            ewc_code = codes[0]
            if len(codes) > 1:
                err("ewc_code", _("Give one EWC code for an offer."))
            elif not _ewc_exists(ewc_code):
                err("ewc_code", _("%(value)s is not on the European List of Waste.", value=ewc_raw))
    accepted, accepted_errors = _normalise_codes(data.get("accepted_ewc_codes"))
    for m in accepted_errors:
        err("accepted_ewc_codes", m)

    if kind == "offer":
        if not ewc_code and material and needs_ewc_code(material) and "ewc_code" not in errors:
            err("ewc_code", _("An offer needs an EWC code, unless it is energy or water."))
        for name in NEED_ONLY:
            if data.get(name) not in (None, "", [], ()):
                err(name, _("This field is for needs only."))
        values.update(ewc_code=ewc_code, current_route=data.get("current_route") or None)
        values.update(max_distance_km=None, current_source=None, current_source_km=None)
        accepted = []
    elif kind == "need":
        if data.get("current_route"):
            err("current_route", _("This field is for offers only."))
        if ewc_code and not accepted:
            accepted = [ewc_code]  # a need that names one code accepts that code
        max_km = data.get("max_distance_km")
        if max_km is not None and float(max_km) <= 0:
            err("max_distance_km", _("The maximum distance must be greater than 0 km."))
        source_km = data.get("current_source_km")
        if source_km is not None and float(source_km) < 0:
            err("current_source_km", _("The distance cannot be negative."))
        values.update(
            ewc_code=None,
            current_route=None,
            max_distance_km=float(max_km) if max_km is not None else None,
            current_source=data.get("current_source") or None,
            current_source_km=float(source_km) if source_km is not None else None,
        )

    # Location: the organisation's site, a postcode, or a point picked on the map.
    mode = data.get("location_mode") or "site"
    if mode == "site":
        if organisation.lon is None or organisation.lat is None:
            err("location_mode", _("Your organisation has no site location yet; give a postcode."))
        else:
            values.update(
                lon=organisation.lon,
                lat=organisation.lat,
                postcode=organisation.postcode,
                municipality_code=organisation.municipality_code,
            )
    elif mode == "postcode":
        raw_pc = (data.get("postcode") or "").strip()
        try:
            postcode = normalise_postcode(raw_pc)
            lon, lat = geocode_postcode(postcode)
        except GeoError:
            err(
                "postcode",
                _("%(value)s is not a known Dutch postcode (use 1234 AB).", value=raw_pc),
            )
        else:
            values.update(lon=lon, lat=lat, postcode=postcode)
    elif mode == "map":
        lon, lat = data.get("lon"), data.get("lat")
        if (
            lon is None
            or lat is None
            or not (3.2 <= float(lon) <= 7.3 and 50.7 <= float(lat) <= 53.6)
            # The box also holds Flanders and a strip of Germany: only a municipality counts.
            or municipality_at(float(lon), float(lat)) is None
        ):
            err("lat", _("Pick a point in the Netherlands on the map."))
        else:
            values.update(lon=float(lon), lat=float(lat), postcode=None)
    else:
        err("location_mode", _("Choose where the material is."))
    if "lon" in values and mode != "site" and not errors:
        found = municipality_at(values["lon"], values["lat"])
        values["municipality_code"] = found.code if found else None

    if errors:
        raise InvalidInput(_("Please correct the marked fields."), errors)
    values["accepted"] = accepted
    return values


def _apply(listing: Listing, values: dict[str, Any]) -> None:
    accepted = values.pop("accepted")
    for key, value in values.items():
        setattr(listing, key, value)
    listing.accepted_codes = [ListingAcceptedCode(ewc_code=c) for c in accepted]


def create_listing(
    actor: User, organisation: Organisation, data: dict[str, Any], *, publish: bool
) -> Listing:
    """Create a listing for ``organisation`` (draft, or active when ``publish``)."""
    require_manage(actor, organisation.id)
    values = clean_listing_data(data, organisation)
    listing = Listing(organisation=organisation, status="active" if publish else "draft")
    _apply(listing, values)
    db.session.add(listing)
    db.session.flush()
    if listing.ref is None:
        # The export writes this ref; with it stored, export -> import updates in place.
        listing.ref = _free_ref(organisation.id, f"L{listing.id}")
        db.session.flush()
    audit_on_behalf(actor, organisation, "listing.create", listing, title=listing.title)
    return listing


def _free_ref(organisation_id: int, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``...: the first ref the firm does not use yet.

    An imported row may already have claimed ``L{id}`` before that id existed.
    """
    taken = set(
        db.session.scalars(
            sa.select(Listing.ref).where(
                Listing.organisation_id == organisation_id,
                sa.or_(Listing.ref == wanted, Listing.ref.like(f"{wanted}-%")),
            )
        )
    )
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


def update_listing(actor: User, listing: Listing, data: dict[str, Any]) -> Listing:
    require_manage(actor, listing.organisation_id)
    values = clean_listing_data(data, listing.organisation)
    _apply(listing, values)
    db.session.flush()
    audit_on_behalf(actor, listing.organisation_id, "listing.update", listing, title=listing.title)
    return listing


def set_status(actor: User, listing: Listing, status: str) -> Listing:
    """Pause, reopen, publish or close a listing."""
    require_manage(actor, listing.organisation_id)
    if status not in LISTING_STATUSES or status not in LISTING_TRANSITIONS.get(listing.status, ()):
        raise InvalidInput(
            _(
                "A %(current)s listing cannot become %(target)s.",
                current=label(listing.status, "listing_status"),
                target=label(status, "listing_status"),
            )
        )
    previous = listing.status
    listing.status = status
    if status in WITHDRAWN_LISTING_STATUSES:
        listing_withdrawn.send(listing)
    db.session.flush()
    audit_on_behalf(
        actor, listing.organisation_id, "listing.status", listing, previous=previous, status=status
    )
    return listing


# --- the safe view ----------------------------------------------------------------------------


@dataclass
class ListingView:
    """What a given viewer may see of a listing."""

    id: int
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
    organisation_id: int | None
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
        id=listing.id,
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
        organisation_id=shown.organisation_id,
        organisation_name=shown.organisation_name,
        postcode=shown.postcode,
        ref=shown.ref,
        map_lon=shown.map_lon,
        map_lat=shown.map_lat,
        exact_location=shown.revealed,
        distance_km=shown.distance_km(distance_km),
        distance_text=shown.distance_text(distance_km, lang),
    )


# --- search -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SearchFilters:
    q: str = ""
    kind: str | None = None
    category: str | None = None
    chapter: str | None = None
    municipality: str | None = None
    hazardous: bool | None = None
    within_km: float | None = None
    sort: str = "recent"  # or "distance"
    page: int = 1
    per_page: int = 25


@dataclass
class SearchResult:
    items: list[ListingView]
    total: int
    page: int
    pages: int
    origin: tuple[float, float] | None


def _text_condition(q: str, lang: str) -> sa.ColumnElement[bool]:
    pattern = f"%{q.strip().lower()}%"
    conditions: list[sa.ColumnElement[bool]] = [
        sa.func.lower(Listing.title).like(pattern),
        sa.func.lower(sa.func.coalesce(Listing.description, "")).like(pattern),
        sa.func.lower(sa.func.coalesce(Listing.ewc_code, "")).like(pattern),
    ]
    needle = q.strip().lower()
    matching_keys = [
        key
        for key, cat in taxonomy.CATEGORIES.items()
        if needle in cat.name_nl.lower() or needle in cat.name_en.lower() or needle in key
    ]
    if matching_keys:
        conditions.append(Listing.material.in_(matching_keys))
    return sa.or_(*conditions)


def search_listings(viewer: Any, filters: SearchFilters, lang: str) -> SearchResult:
    """Active listings matching ``filters``, as views safe for ``viewer``.

    Distances run from the viewer's site to the point the viewer is shown: the site of
    public listings and of the viewer's own, the municipality point of other firms'
    anonymous listings. ``within_km`` and "nearest first" use that same distance, so
    that narrowing the radius step by step cannot recover the distance to a hidden site.
    """
    stmt = sa.select(
        Listing.id,
        Listing.organisation_id,
        Listing.visibility,
        Listing.lon,
        Listing.lat,
        Listing.municipality_code,
        Listing.created_at,
    ).where(Listing.status == "active")
    if filters.q.strip():
        stmt = stmt.where(_text_condition(filters.q, lang))
    if filters.kind in KINDS:
        stmt = stmt.where(Listing.kind == filters.kind)
    if filters.category and taxonomy.is_category(filters.category):
        keys = list(taxonomy.descendants(filters.category))
        stmt = stmt.where(Listing.material.in_(keys))
    if filters.chapter and filters.chapter.isdigit() and len(filters.chapter) == 2:
        # Needs list accepted codes; offers carry one code.
        accepted = sa.select(ListingAcceptedCode.listing_id).where(
            ListingAcceptedCode.ewc_code.like(f"{filters.chapter} %")
        )
        stmt = stmt.where(
            sa.or_(Listing.ewc_code.like(f"{filters.chapter} %"), Listing.id.in_(accepted))
        )
    if filters.municipality:
        stmt = stmt.where(Listing.municipality_code == filters.municipality)
    if filters.hazardous is not None:
        hazardous_codes = sa.select(EWCCode.code).where(EWCCode.hazardous)
        condition = Listing.ewc_code.in_(hazardous_codes)
        stmt = stmt.where(
            condition if filters.hazardous else sa.not_(sa.func.coalesce(condition, False))
        )

    origin = None
    org = (
        getattr(viewer, "organisation", None)
        if getattr(viewer, "is_authenticated", False)
        else None
    )
    if org is not None and org.lon is not None and org.lat is not None:
        origin = (org.lon, org.lat)
    if filters.within_km and origin:
        # Cheap bounding box in SQL, on the true site, so for public listings only: a
        # box around the hidden site would itself answer "is it within x km?".
        dlat = filters.within_km / 110.5
        dlon = filters.within_km / (111.3 * math.cos(math.radians(origin[1])))
        stmt = stmt.where(
            sa.or_(
                Listing.visibility != "public",
                sa.and_(
                    Listing.lat.between(origin[1] - dlat, origin[1] + dlat),
                    Listing.lon.between(origin[0] - dlon, origin[0] + dlon),
                ),
            )
        )
    rows = db.session.execute(stmt).all()
    revealed = [
        reveals(viewer, organisation_id=r.organisation_id, visibility=r.visibility) for r in rows
    ]
    ids = np.array([r.id for r in rows], dtype=np.int64)
    tie_keys = np.array([order_key(r.id) for r in rows], dtype=np.uint64)
    recency = np.array(
        [
            recency_s(r.id, r.created_at, revealed=rev)
            for r, rev in zip(rows, revealed, strict=True)
        ],
        dtype=float,
    )
    distances = None
    if origin and rows:
        shown = [
            shown_point(revealed=rev, lon=r.lon, lat=r.lat, municipality_code=r.municipality_code)
            for r, rev in zip(rows, revealed, strict=True)
        ]
        lon = np.array([math.nan if p[0] is None else p[0] for p in shown], dtype=float)
        lat = np.array([math.nan if p[1] is None else p[1] for p in shown], dtype=float)
        # A hidden listing without a municipality has no shown point: no distance.
        located = np.isfinite(lon) & np.isfinite(lat)
        distances = np.full(len(rows), math.nan)
        distances[located] = straight_km(
            np.full(int(located.sum()), origin[0]),
            np.full(int(located.sum()), origin[1]),
            lon[located],
            lat[located],
        )
        if filters.within_km:
            keep = located & (np.where(located, distances, math.inf) <= filters.within_km)
            ids, tie_keys, recency, distances = (
                ids[keep],
                tie_keys[keep],
                recency[keep],
                distances[keep],
            )
    if filters.sort == "distance" and distances is not None:
        # Hidden listings of one municipality share a point: the keyed hash orders them.
        order = np.lexsort((tie_keys, distances))
    else:
        order = np.lexsort((-ids, -recency)) if len(ids) else np.array([], dtype=int)
    total = len(order)
    per_page = max(1, filters.per_page)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    chosen = order[(page - 1) * per_page : page * per_page]
    page_ids = [int(ids[i]) for i in chosen]
    by_id = {
        item.id: item
        for item in db.session.scalars(
            sa.select(Listing)
            .where(Listing.id.in_(page_ids))
            .options(sa.orm.selectinload(Listing.organisation), sa.orm.selectinload(Listing.ewc))
        )
    }
    items = []
    for listing_id, position in zip(page_ids, chosen, strict=True):
        distance_km = None
        if distances is not None and math.isfinite(distances[position]):
            distance_km = float(distances[position])
        items.append(view_of(by_id[listing_id], viewer, lang, distance_km=distance_km))
    return SearchResult(items=items, total=total, page=page, pages=pages, origin=origin)


def organisation_listings(viewer: Any, organisation_id: int, lang: str) -> list[ListingView]:
    require_manage(viewer, organisation_id)
    rows = db.session.scalars(
        sa.select(Listing)
        .where(Listing.organisation_id == organisation_id)
        .order_by(Listing.status, Listing.kind, Listing.title)
    )
    return [view_of(item, viewer, lang) for item in rows]


def feature_collection(result: SearchResult) -> dict[str, Any]:
    """A search result as GeoJSON points at the shown location of each listing."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [v.map_lon, v.map_lat]},
            "properties": v.as_json(),
        }
        for v in result.items
        if v.map_lon is not None
    ]
    return {"type": "FeatureCollection", "features": features, "total": result.total}
