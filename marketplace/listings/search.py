"""Search the market: filters, distances from the viewer's site, order, pages, GeoJSON.

Search measures anonymous listings from the point it shows, ranks them and breaks ties
as :mod:`marketplace.core.disclosure` says, so that neither the order nor a distance
filter gives away what is hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa

from flows import taxonomy
from geo.distance import straight_km
from marketplace.core.disclosure import (
    order_key,
    recency_s,
    reveals,
    shown_distance_sort_km,
    shown_point,
)
from marketplace.core.reference import EWCCode
from marketplace.core.vocabulary import KINDS, MARKET_LISTING_STATUSES
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.listings.views import ListingView, view_of


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
    kept_revealed = np.array(revealed, dtype=bool)
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
            ids, tie_keys, recency, distances, kept_revealed = (
                ids[keep],
                tie_keys[keep],
                recency[keep],
                distances[keep],
                kept_revealed[keep],
            )
    if filters.sort == "distance" and distances is not None:
        # Sorted on the distance as shown: a hidden listing by its band, so that its
        # place says no more than the band; the keyed hash orders ties.
        shown_km = np.array(
            [
                shown_distance_sort_km(float(km), revealed=rev)
                for km, rev in zip(distances, kept_revealed, strict=True)
            ],
            dtype=float,
        )
        order = np.lexsort((tie_keys, shown_km))
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
