"""Search the market: filters, distances from the viewer's site, order, pages, GeoJSON.

Search measures anonymous listings from the point it shows, ranks them and breaks ties
as :mod:`marketplace.core.disclosure` says, so that neither the order nor a distance
filter gives away what is hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from flows import taxonomy
from marketplace.core.reference import EWCCode
from marketplace.core.vocabulary import KINDS, MARKET_LISTING_STATUSES
from marketplace.extensions import db
from marketplace.listings.kept import kept, viewer_origin
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.listings.ranking import rank
from marketplace.listings.views import ListingView, view_loads, view_of


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
    ).where(Listing.status.in_(MARKET_LISTING_STATUSES))
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

    origin = viewer_origin(viewer)
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
    # Only filters on the listing row itself: the ranking cache knows when those change.
    cacheable = not filters.chapter
    filter_key = (filters.q.strip().lower(), filters.kind, filters.category)
    cache_key = (*filter_key, filters.municipality, filters.hazardous, lang) if cacheable else None
    ranking = rank(
        stmt,
        viewer=viewer,
        origin=origin,
        within_km=filters.within_km,
        by_distance=filters.sort == "distance",
        cache_key=cache_key,
    )
    total = len(ranking.ids)
    per_page = max(1, filters.per_page)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, filters.page), pages)
    window = slice((page - 1) * per_page, page * per_page)
    page_ids = [int(i) for i in ranking.ids[window]]
    page_km = (
        [None] * len(page_ids) if ranking.distances_km is None else ranking.distances_km[window]
    )
    by_id = {
        item.id: item
        for item in db.session.scalars(
            sa.select(Listing).where(Listing.id.in_(page_ids)).options(*view_loads())
        )
    }
    items = []
    for listing_id, km in zip(page_ids, page_km, strict=True):
        if listing_id not in by_id:
            continue  # deleted since the ranking was kept
        distance_km = float(km) if km is not None and math.isfinite(km) else None
        items.append(view_of(by_id[listing_id], viewer, lang, distance_km=distance_km))
    return SearchResult(items=items, total=total, page=page, pages=pages, origin=origin)


def map_json(viewer: Any, filters: SearchFilters, lang: str) -> bytes:
    """The search as GeoJSON (:func:`feature_collection`), encoded, kept per scope
    (:mod:`marketplace.listings.kept`)."""

    def build() -> bytes:
        result = search_listings(viewer, filters, lang)
        return current_app.json.dumps(feature_collection(result), separators=(",", ":")).encode()

    return kept(viewer, ("map_json", filters, lang), build)


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
