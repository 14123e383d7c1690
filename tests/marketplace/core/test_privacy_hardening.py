"""What a probing firm could still learn from ordering, loop ids, exports and distance limits.

Each test builds the probe: a firm that sees a list order, a loop id shared by two
matches, another firm's reference in the market export, or a need whose distance limit it
moves in small steps, and checks that the answer says no more than the page shows.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.disclosure import (
    DISTANCE_BANDS_KM,
    shown_distance_sort_km,
    stepped_distance_limit_km,
)
from marketplace.exchanges import services as exchanges
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.listings.rules import distance_limit_notice
from tests import factories
from tests.marketplace.helpers import english, login, make_user
from tests.marketplace.region_world import Parties, agree, reload

# --- loop ids -----------------------------------------------------------------------------------


def _anonymous_loop(parties: Parties) -> Match:
    match = parties.proposal
    # Keep updated_at: a listing changed after its proposal cannot be accepted.
    db.session.execute(
        sa.update(Listing)
        .where(Listing.id == match.offer_id)
        .values(visibility="anonymous", updated_at=match.offer.updated_at)
    )
    match.loop_id = "LOOP-XQ7"
    db.session.commit()
    return reload(match)


def test_a_loop_id_is_withheld_from_a_firm_while_its_counterpart_is_hidden(
    client: FlaskClient, parties: Parties
) -> None:
    match = _anonymous_loop(parties)
    row = exchanges.match_row(match, parties.farmer, "en")
    assert row.distance_hidden and row.loop_id is None
    login(client, parties.farmer)
    for url in ("/matches/?status=all", f"/matches/{match.public_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "LOOP-XQ7" not in html


def test_a_loop_id_is_shown_to_a_coordinator_and_to_both_firms_once_they_agree(
    client: FlaskClient, parties: Parties
) -> None:
    match = _anonymous_loop(parties)
    coordinator = make_user(role="coordinator")
    db.session.commit()
    assert exchanges.match_row(match, coordinator, "en").loop_id == "LOOP-XQ7"
    agree(match)
    match = reload(match)
    assert exchanges.match_row(match, parties.farmer, "en").loop_id == "LOOP-XQ7"
    login(client, parties.farmer)
    assert "LOOP-XQ7" in client.get(f"/matches/{match.public_id}").get_data(as_text=True)


# --- list order ---------------------------------------------------------------------------------


def _copies(match: Match, net_kg: list[float]) -> list[Match]:
    skip = {"id", "public_id", "net_co2e_kg"}
    columns = [c.key for c in sa.inspect(Match).column_attrs if c.key not in skip]
    made = []
    for kg in net_kg:
        copy = Match(**{c: getattr(match, c) for c in columns}, net_co2e_kg=kg)
        db.session.add(copy)
        made.append(copy)
    db.session.commit()
    return made


def test_matches_are_listed_on_the_rounded_figure_not_the_exact_one(parties: Parties) -> None:
    # Five matches inside one tonne: in kilograms their order would rank the hidden
    # distances; in whole tonnes they tie and the random public id orders them.
    db.session.delete(parties.proposal)
    made = _copies(parties.proposal, [1210.0, 1490.0, 1020.0, 1330.0, 1100.0, 2600.0])
    stmt = exchanges.visible_matches_stmt(parties.farmer)
    listed = list(db.session.scalars(stmt))
    assert listed[0].net_co2e_kg == 2600.0
    same_tonne = [m for m in made if m.net_co2e_kg < 1500.0]
    assert [m.public_id for m in listed[1:]] == sorted(m.public_id for m in same_tonne)


@given(km=st.floats(min_value=0.0, max_value=500.0))
def test_a_hidden_distance_sorts_by_its_band(km: float) -> None:
    shown = shown_distance_sort_km(km, revealed=False)
    assert shown >= km
    assert shown in (*map(float, DISTANCE_BANDS_KM), math.inf)
    assert shown_distance_sort_km(km, revealed=True) == km


def test_nearest_first_puts_hidden_listings_at_the_end_of_their_band(
    client: FlaskClient, db_session: Any
) -> None:
    from geo.geocode import geocode_postcode

    lon, lat = geocode_postcode("7411")
    viewer_firm = factories.organisation(name="Kijker", lon=lon, lat=lat, postcode="7411 AA")
    hidden_firm = factories.organisation(name="Verborgen")
    factories.listing(
        organisation=hidden_firm,
        title="Verborgen partij",
        visibility="anonymous",
        lon=lon + 0.001,
        lat=lat,
        municipality_code="GM0150",
    )
    public = factories.listing(
        organisation=hidden_firm, title="Open partij", lon=lon + 0.103, lat=lat
    )
    viewer = make_user(organisation=viewer_firm)
    db_session.commit()
    login(client, viewer)
    english(client)
    html = client.get("/listings/?sort=distance").get_data(as_text=True)
    # The hidden listing's shown point (Deventer's) is 5.7 km away, the public one 7.0 km:
    # sorted on the exact figure the hidden one would come first; on its band (< 10 km)
    # it comes after.
    assert html.index(public.title) < html.index("Verborgen partij")


# --- exports ------------------------------------------------------------------------------------


def test_the_market_export_carries_no_other_firms_ref(client: FlaskClient, db_session: Any) -> None:
    other = factories.organisation(name="Brouwerij Open")
    factories.listing(organisation=other, title="Open bostel", ref="BOSTEL-1")
    mine = factories.organisation(name="Eigen Firma")
    factories.listing(organisation=mine, title="Eigen hout", ref="HOUT-9")
    member = make_user(organisation=mine)
    db_session.commit()
    login(client, member)
    text = client.get("/listings/export.csv").data.decode("utf-8-sig")
    rows = {r["title"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["Open bostel"]["organisation"] == "Brouwerij Open"  # public: the firm shows
    assert rows["Open bostel"]["ref"] == ""
    assert rows["Eigen hout"]["ref"] == "HOUT-9"
    assert "BOSTEL-1" not in text


# --- distance limits ----------------------------------------------------------------------------


@given(km=st.floats(min_value=0.01, max_value=995.0, allow_nan=False))
def test_distance_limits_are_stored_in_5_km_steps_rounded_up(km: float) -> None:
    stored = stepped_distance_limit_km(km)
    assert stored is not None
    assert stored % 5 == 0
    assert km <= stored < km + 5 + 1e-9


@pytest.mark.parametrize(
    ("given_km", "stored_km"), [(0.5, 5.0), (5.0, 5.0), (31.0, 35.0), (42.5, 45.0)]
)
def test_the_form_stores_the_distance_limit_rounded_up(
    client: FlaskClient, db_session: Any, given_km: float, stored_km: float
) -> None:
    from tests.marketplace.listings.test_listings import NEED, post_listing

    member = make_user(organisation=factories.organisation(name="Boerderij", lon=6.2, lat=52.1))
    db_session.commit()
    login(client, member)
    assert post_listing(client, NEED | {"max_distance_km": str(given_km)}).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.max_distance_km == stored_km
    form = client.get(f"/listings/{listing.public_id}/edit").get_data(as_text=True)
    assert "5 km" in form


def test_an_import_rounds_a_distance_limit_and_says_so(
    client: FlaskClient, db_session: Any
) -> None:
    from tests.marketplace.listings.test_import_export import token_of, upload

    member = make_user(organisation=factories.organisation(name="Boerderij", lon=6.2, lat=52.1))
    db_session.commit()
    login(client, member)
    english(client)
    body = (
        b"ref,kind,title,material,quantity,unit,postcode,max_distance_km\n"
        b"N-1,need,Veevoer gezocht,organics.animal_feed,300,t,7201 AA,12\n"
    )
    html = upload(client, body, "n.csv").get_data(as_text=True)
    assert "The maximum distance 12 km was rounded up to 15 km" in html
    client.post("/listings/import/confirm", data={"token": token_of(html)})
    stored = db.session.scalars(sa.select(Listing.max_distance_km)).one()
    assert stored == 15.0


def test_the_notice_is_only_given_for_a_changed_limit(app: Any) -> None:
    with app.test_request_context():
        assert distance_limit_notice(10.0, 10.0) is None
        assert distance_limit_notice(None, None) is None
        assert "7.5 km" in (distance_limit_notice(7.5, 10.0) or "")
