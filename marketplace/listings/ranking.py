"""The order of a search's results, computed for all matching listings at once.

:func:`rank` puts the rows of a search in the order the disclosure rules say
(:mod:`marketplace.core.disclosure`): newest first by :func:`~marketplace.core.disclosure.
recency_s`, or nearest first by the distance to the point shown, ties broken by the keyed
:func:`~marketplace.core.disclosure.order_key`. It gives exactly the order that calling
those functions row by row gives, but with numpy over whole columns, keyed hashes
memoised per process, and the finished order kept for the next request with the same
filters and viewer scope until a listing changes.

Why it matters: a national market holds ~100,000 active listings; row-by-row Python
(two HMACs, a ``current_user`` look-up and a datetime conversion per row) took about a
second per market page.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app

from geo.distance import straight_km
from marketplace.core.disclosure import municipality_points, shown_distance_sort_km
from marketplace.extensions import db
from marketplace.listings.memo import ProcessStore, process_key
from marketplace.listings.models import Listing

#: Rankings kept per process (each holds two arrays of the matching listings).
CACHE_SIZE = 32
_SECONDS_PER_DAY = 86_400

_order_keys: dict[tuple[str, int], int] = {}


@dataclass(frozen=True)
class Ranking:
    """Listing ids in display order, with the distance (km) to each, or None."""

    ids: np.ndarray
    distances_km: np.ndarray | None


_rankings: ProcessStore[Ranking] = ProcessStore(CACHE_SIZE)


def order_keys(listing_ids: Sequence[int]) -> np.ndarray:
    """:func:`~marketplace.core.disclosure.order_key` of every id, as ``uint64``, memoised."""
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("SECRET_KEY is not set; listing order keys are derived from it")
    key = str(secret).encode("utf-8")
    fingerprint = hashlib.sha256(key).hexdigest()[:16]
    out = np.empty(len(listing_ids), dtype=np.uint64)
    cache = _order_keys
    for n, listing_id in enumerate(listing_ids):
        value = cache.get((fingerprint, listing_id))
        if value is None:
            digest = hmac.digest(
                key, f"reststroom.listing-order:{listing_id}".encode("ascii"), "sha256"
            )
            value = int.from_bytes(digest[:8], "big")
            cache[(fingerprint, listing_id)] = value
        out[n] = value
    return out


def viewer_scope(viewer: Any) -> tuple[Any, ...]:
    """Whose listings ``viewer`` sees in full besides the public ones (as a cache key)."""
    if not getattr(viewer, "is_authenticated", False):
        return ("public",)
    if viewer.is_coordinator:
        return ("all",)
    return ("organisation", viewer.organisation_id)


def revealed_mask(
    scope: tuple[Any, ...], visibility: np.ndarray, org_ids: np.ndarray
) -> np.ndarray:
    """Per row, :func:`~marketplace.core.disclosure.reveals` for a viewer of ``scope``."""
    public = visibility == "public"
    if scope[0] == "all":
        return np.ones(len(public), dtype=bool)
    if scope[0] == "organisation" and scope[1] is not None:
        return public | (org_ids == scope[1])
    return public


def epoch_s(moments: Sequence[Any]) -> np.ndarray:
    """Seconds since 1970 of each stored (UTC) datetime, naive ones read as UTC."""
    return np.fromiter(
        (
            m.timestamp() if m.tzinfo is not None else m.replace(tzinfo=UTC).timestamp()
            for m in moments
        ),
        dtype=float,
        count=len(moments),
    )


def recency(ids: Sequence[int], created_s: np.ndarray, revealed: np.ndarray) -> np.ndarray:
    """:func:`~marketplace.core.disclosure.recency_s` of every row at once."""
    out = created_s.copy()
    hidden = ~revealed
    if hidden.any():
        hidden_ids = [ids[i] for i in np.flatnonzero(hidden)]
        day_start_s = np.floor(created_s[hidden] / _SECONDS_PER_DAY) * _SECONDS_PER_DAY
        out[hidden] = day_start_s + order_keys(hidden_ids) / 2**64 * _SECONDS_PER_DAY
    return out


def change_stamp() -> tuple[Any, ...]:
    """What changes whenever a listing is added or changed: two index look-ups.

    Every change of a listing row stamps ``updated_at`` (ORM and Core updates alike);
    a new listing raises the largest id. Listings are not deleted one by one (only
    ``demo load --replace`` deletes, and re-inserts with higher ids); a listing deleted
    otherwise drops out of a kept ranking's pages at once and out of its counts within
    :data:`~marketplace.listings.memo.TTL_S`.
    """
    row = db.session.execute(
        sa.select(sa.func.max(Listing.updated_at), sa.func.max(Listing.id))
    ).one()
    return tuple(row)


def rank(
    stmt: sa.Select[Any],
    *,
    viewer: Any,
    origin: tuple[float, float] | None,
    within_km: float | None,
    by_distance: bool,
    cache_key: Hashable | None,
) -> Ranking:
    """Run ``stmt`` (id, organisation_id, visibility, lon, lat, municipality_code,
    created_at of the matching listings) and order its rows as the disclosure rules say.

    ``cache_key`` names the filters; with it, the ranking is kept for the same filters,
    viewer scope and origin until a listing changes (or
    :data:`~marketplace.listings.memo.TTL_S`). Without it (filters on data other than the
    listing row) nothing is kept.
    """
    scope = viewer_scope(viewer)
    key = None
    if cache_key is not None:
        key = (*process_key(), scope, origin, within_km, by_distance, cache_key, change_stamp())
        kept = _rankings.get(key)
        if kept is not None:
            return kept
    ranking = _compute(
        stmt, scope=scope, origin=origin, within_km=within_km, by_distance=by_distance
    )
    if key is not None:
        _rankings.put(key, ranking)
    return ranking


def _fetch(stmt: sa.Select[Any], *, with_location: bool) -> list[tuple[Any, ...]]:
    """The rows of ``stmt`` as plain tuples, narrowed to the columns the ranking needs."""
    columns = [Listing.id, Listing.organisation_id, Listing.visibility, Listing.created_at]
    if with_location:
        columns += [Listing.lon, Listing.lat, Listing.municipality_code]
    connection = db.session.connection()
    result = connection.execute(stmt.with_only_columns(*columns))
    if connection.dialect.name == "postgresql":
        # psycopg already returns Python values; skipping SQLAlchemy's row objects halves
        # the time for 100,000 rows. (SQLite needs SQLAlchemy to parse its datetimes.)
        try:
            return result.cursor.fetchall()  # type: ignore[attr-defined,no-any-return]
        finally:
            result.close()
    return [tuple(row) for row in result]


def _compute(
    stmt: sa.Select[Any],
    *,
    scope: tuple[Any, ...],
    origin: tuple[float, float] | None,
    within_km: float | None,
    by_distance: bool,
) -> Ranking:
    rows = _fetch(stmt, with_location=origin is not None)
    if not rows:
        empty = np.array([], dtype=np.int64)
        return Ranking(ids=empty, distances_km=None if not origin else np.array([]))
    columns = list(zip(*rows, strict=True))
    id_list, org_list, vis_list, created_list = columns[:4]
    ids = np.array(id_list, dtype=np.int64)
    org_ids = np.array(org_list, dtype=np.int64)
    revealed = revealed_mask(scope, np.array(vis_list, dtype=object), org_ids)
    distances = None
    keep = None
    if origin:
        lon_list, lat_list, code_list = columns[4:]
        points = municipality_points()
        lon = np.array(lon_list, dtype=float)
        lat = np.array(lat_list, dtype=float)
        for i in np.flatnonzero(~revealed):
            lon[i], lat[i] = points.get(code_list[i] or "", (math.nan, math.nan))
        # A hidden listing without a municipality has no shown point: no distance.
        located = np.isfinite(lon) & np.isfinite(lat)
        distances = np.full(len(ids), math.nan)
        if located.any():
            distances[located] = straight_km(
                np.full(int(located.sum()), origin[0]),
                np.full(int(located.sum()), origin[1]),
                lon[located],
                lat[located],
            )
        if within_km:
            keep = located & (np.where(located, distances, math.inf) <= within_km)
    if by_distance and distances is not None:
        # Sorted on the distance as shown: a hidden listing by its band, so that its
        # place says no more than the band; the keyed hash orders ties.
        shown_km = np.array(
            [
                shown_distance_sort_km(float(km), revealed=bool(rev))
                for km, rev in zip(distances, revealed, strict=True)
            ],
            dtype=float,
        )
        tie_keys = order_keys(id_list)
        order = np.lexsort((tie_keys, shown_km))
    else:
        created_s = epoch_s(created_list)
        order = np.lexsort((-ids, -recency(id_list, created_s, revealed)))
    if keep is not None:
        order = order[keep[order]]
    return Ranking(ids=ids[order], distances_km=None if distances is None else distances[order])


def warm() -> None:
    """Fill this process's order keys and municipality points (Gunicorn's master calls it
    before it forks, so that every worker starts with them)."""
    municipality_points()
    ids = list(db.session.scalars(sa.select(Listing.id)))
    order_keys(ids)
    db.session.remove()
