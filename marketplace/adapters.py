"""ORM rows <-> DataFrames: the one place where the web app and the engine meet."""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
import sqlalchemy as sa

from flows.normalise import normalise_listings
from marketplace.core.vocabulary import COMMITTED_STATUSES, MARKET_LISTING_STATUSES
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode


def organisation_key(organisation_id: int) -> str:
    """The engine's organisation identifier: unique even when two firms share a name."""
    return f"org-{organisation_id}"


def listings_frame(*, statuses: tuple[str, ...] = MARKET_LISTING_STATUSES) -> pd.DataFrame:
    """Listings in the engine's canonical frame, with ``listing_id`` and ``committed_quantity``."""
    rows = db.session.execute(
        sa.select(
            Listing.id,
            Listing.organisation_id,
            Listing.kind,
            Listing.title,
            Listing.material,
            Listing.ewc_code,
            Listing.quantity,
            Listing.unit,
            Listing.frequency,
            Listing.postcode,
            Listing.lat,
            Listing.lon,
            Listing.max_distance_km,
            Listing.available_from,
            Listing.available_until,
            Listing.current_route,
            Listing.current_source,
            Listing.current_source_km,
            Listing.transport_mode,
            Listing.current_source_transport_mode,
            Listing.visibility,
        ).where(Listing.status.in_(statuses))
    ).all()
    accepted: dict[int, list[str]] = defaultdict(list)
    for listing_id, code in db.session.execute(
        sa.select(ListingAcceptedCode.listing_id, ListingAcceptedCode.ewc_code)
        .join(Listing, Listing.id == ListingAcceptedCode.listing_id)
        .where(Listing.status.in_(statuses))
        .order_by(ListingAcceptedCode.ewc_code)
    ):
        accepted[listing_id].append(code)
    records = [
        {
            "listing_id": r.id,
            "ref": str(r.id),
            "organisation": organisation_key(r.organisation_id),
            "kind": r.kind,
            "title": r.title,
            "material": r.material,
            "ewc_code": r.ewc_code if r.kind == "offer" else None,
            "accepted_ewc_codes": tuple(accepted.get(r.id, ())) if r.kind == "need" else (),
            "quantity": float(r.quantity),
            "unit": r.unit,
            "frequency": r.frequency,
            "postcode": r.postcode,
            "lat": float(r.lat),
            "lon": float(r.lon),
            "max_distance_km": math.nan if r.max_distance_km is None else r.max_distance_km,
            "available_from": r.available_from,
            "available_until": r.available_until,
            "current_route": r.current_route,
            "current_source": r.current_source,
            "current_source_km": math.nan if r.current_source_km is None else r.current_source_km,
            "transport_mode": r.transport_mode,
            "current_source_transport_mode": (
                r.current_source_transport_mode if r.kind == "need" else None
            ),
            "visibility": r.visibility,
        }
        for r in rows
    ]
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        return frame
    frame["committed_quantity"] = committed_quantities(frame)
    return frame


def committed_quantities(frame: pd.DataFrame) -> pd.Series:
    """The part of each listing's quantity already promised in agreed or active matches.

    Matches store their flow in the engine's matching unit per year; the listing's own
    yearly capacity in that unit (from :func:`flows.normalise.normalise_listings`) turns
    it back into the listing's unit and frequency.
    """
    committed_flow: dict[int, float] = defaultdict(float)
    for offer_id, need_id, quantity in db.session.execute(
        sa.select(Match.offer_id, Match.need_id, Match.quantity_flow_unit).where(
            Match.status.in_(COMMITTED_STATUSES)
        )
    ):
        committed_flow[offer_id] += quantity
        committed_flow[need_id] += quantity
    result = pd.Series(0.0, index=frame.index)
    if not committed_flow:
        return result
    capacity = normalise_listings(frame.drop(columns=["committed_quantity"], errors="ignore"))
    per_year = dict(
        zip(
            frame["listing_id"].to_numpy()[capacity["source_position"].to_numpy()],
            capacity["quantity_per_year"],
            strict=True,
        )
    )
    for position, listing_id in enumerate(frame["listing_id"]):
        flow = committed_flow.get(int(listing_id), 0.0)
        yearly = per_year.get(listing_id)
        if flow and yearly:
            share = min(1.0, flow / yearly)
            result.iloc[position] = share * float(frame["quantity"].iloc[position])
    return result


def existing_exchanges_frame() -> pd.DataFrame:
    """Agreed and active matches as firm-to-firm exchanges (for loop detection)."""
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    rows = db.session.execute(
        sa.select(offer.organisation_id, need.organisation_id, Match.quantity_per_year)
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.status.in_(COMMITTED_STATUSES))
    ).all()
    return pd.DataFrame(
        {
            "offer_organisation": [organisation_key(o) for o, _, _ in rows],
            "need_organisation": [organisation_key(n) for _, n, _ in rows],
            "quantity_per_year": [float(q) for _, _, q in rows],
        }
    )
