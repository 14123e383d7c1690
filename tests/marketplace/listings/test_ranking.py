"""The vectorised, cached ranking gives exactly the order the disclosure rules give row by row."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask

from geo.distance import straight_km
from marketplace.core.disclosure import (
    order_key,
    recency_s,
    reveals,
    shown_distance_sort_km,
    shown_point,
)
from marketplace.extensions import db
from marketplace.listings import ranking
from marketplace.listings.models import Listing
from marketplace.listings.search import SearchFilters, search_listings
from tests import factories
from tests.marketplace.helpers import make_user

DAY = datetime(2026, 5, 4, tzinfo=UTC)


@pytest.fixture
def market(db_session: Any) -> dict[str, Any]:
    """40 listings of three firms in three places, public and anonymous, over three days."""
    rng = random.Random(7)
    firms = [
        factories.organisation(name="Deventer BV"),
        factories.organisation(
            name="Zutphen BV", lon=6.1950, lat=52.1380, municipality_code="GM0301"
        ),
        factories.organisation(
            name="Apeldoorn BV", lon=5.9690, lat=52.2110, municipality_code="GM0200"
        ),
    ]
    listings = []
    for n in range(40):
        firm = firms[n % 3]
        moment = DAY + timedelta(days=rng.randrange(3), seconds=rng.randrange(86_400))
        if n % 7 == 0:
            moment = DAY + timedelta(hours=12)  # the same instant for several listings
        listings.append(
            factories.listing(
                organisation=firm,
                kind="offer" if n % 4 else "need",
                visibility="anonymous" if n % 3 == 1 or n % 5 == 0 else "public",
                created_at=moment,
            )
        )
    member = make_user(organisation=firms[1])
    coordinator = make_user(role="coordinator")
    db_session.commit()
    return {"firms": firms, "listings": listings, "member": member, "coordinator": coordinator}


def expected_order(viewer: Any, *, by_distance: bool, within_km: float | None = None) -> list[str]:
    """The order (public ids) by the rules of marketplace.core.disclosure, one row at a time."""
    rows = db.session.scalars(sa.select(Listing).where(Listing.status == "active")).all()
    origin = None
    if getattr(viewer, "is_authenticated", False) and viewer.organisation is not None:
        origin = (viewer.organisation.lon, viewer.organisation.lat)
    keyed = []
    for row in rows:
        rev = reveals(viewer, organisation_id=row.organisation_id, visibility=row.visibility)
        km = math.nan
        if origin:
            lon, lat = shown_point(
                revealed=rev, lon=row.lon, lat=row.lat, municipality_code=row.municipality_code
            )
            if lon is not None:
                km = float(
                    straight_km(
                        np.array([origin[0]]),
                        np.array([origin[1]]),
                        np.array([lon]),
                        np.array([lat]),
                    )[0]
                )
            if within_km is not None and not km <= within_km:
                continue
        shown_km = shown_distance_sort_km(km, revealed=rev)
        keyed.append(
            (row.id, recency_s(row.id, row.created_at, revealed=rev), shown_km, row.public_id)
        )
    if by_distance and origin:
        keyed.sort(key=lambda r: (math.isnan(r[2]), r[2], order_key(r[0])))
    else:
        keyed.sort(key=lambda r: (-r[1], -r[0]))
    return [r[3] for r in keyed]


def searched(viewer: Any, **filters: Any) -> list[str]:
    result = search_listings(viewer, SearchFilters(per_page=1000, **filters), "en")
    return [v.id for v in result.items]


class Anonymous:
    is_authenticated = False
    is_coordinator = False
    organisation_id = None


@pytest.mark.parametrize("who", ["anonymous", "member", "coordinator"])
def test_newest_first_is_the_order_of_the_disclosure_rules(
    market: dict[str, Any], who: str
) -> None:
    viewer = Anonymous() if who == "anonymous" else market[who]
    assert searched(viewer) == expected_order(viewer, by_distance=False)


def test_nearest_first_is_the_order_of_the_disclosure_rules(market: dict[str, Any]) -> None:
    member = market["member"]
    order = searched(member, sort="distance")
    assert order == expected_order(member, by_distance=True)
    assert len(order) == 40


def test_within_km_keeps_what_the_disclosure_rules_keep(market: dict[str, Any]) -> None:
    member = market["member"]
    kept = searched(member, within_km=15.0)
    assert kept == expected_order(member, by_distance=False, within_km=15.0)
    assert 0 < len(kept) < 40


def test_pages_are_slices_of_one_order(market: dict[str, Any]) -> None:
    viewer = Anonymous()
    pages = [
        [v.id for v in search_listings(viewer, SearchFilters(page=p, per_page=7), "en").items]
        for p in range(1, 7)
    ]
    assert [i for page in pages for i in page] == expected_order(viewer, by_distance=False)


def test_a_changed_listing_is_seen_at_once_despite_the_kept_ranking(
    market: dict[str, Any],
) -> None:
    viewer = Anonymous()
    first = searched(viewer)
    paused = db.session.scalar(sa.select(Listing).where(Listing.public_id == first[0]))
    paused.status = "paused"
    db.session.commit()
    assert searched(viewer) == first[1:]
    newest = factories.listing(created_at=DAY + timedelta(days=9), title="Nieuw")
    db.session.commit()
    assert searched(viewer) == [newest.public_id, *first[1:]]


def test_turning_a_listing_anonymous_moves_it_as_the_rules_say(market: dict[str, Any]) -> None:
    viewer = Anonymous()
    searched(viewer)  # keep a ranking
    public = next(i for i in market["listings"] if i.visibility == "public")
    public.visibility = "anonymous"
    db.session.commit()
    assert searched(viewer) == expected_order(viewer, by_distance=False)


def test_another_secret_key_gives_another_ranking_not_a_kept_one(
    app: Flask, market: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = Anonymous()
    searched(viewer)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-for-this-test")
    assert searched(viewer) == expected_order(viewer, by_distance=False)


def test_order_keys_are_the_disclosure_order_keys(app: Flask, db_session: Any) -> None:
    ids = [1, 2, 3, 99, 123456]
    assert [int(k) for k in ranking.order_keys(ids)] == [order_key(i) for i in ids]


def test_recency_is_the_disclosure_recency_for_hidden_and_revealed_rows(
    app: Flask, db_session: Any
) -> None:
    moments = [DAY + timedelta(hours=h, microseconds=17) for h in (0, 5, 23)]
    ids = [11, 12, 13]
    revealed = np.array([True, False, False])
    created_s = ranking.epoch_s([m.replace(tzinfo=None) for m in moments])  # as SQLite
    got = ranking.recency(ids, created_s, revealed)
    want = [
        recency_s(i, m, revealed=bool(r)) for i, m, r in zip(ids, moments, revealed, strict=True)
    ]
    assert got.tolist() == want
