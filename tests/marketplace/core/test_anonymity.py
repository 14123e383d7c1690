"""An anonymous listing never shows its firm's name, postcode or site to anyone outside it."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin

from geo.distance import straight_km
from marketplace.core.disclosure import municipality_points, order_key
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.search import SearchFilters, search_listings
from marketplace.runs import services as runs
from tests import factories
from tests.marketplace.core.anonymous_world import (
    A_NAME,
    A_POSTCODE,
    SITE_LAT,
    SITE_LON,
    World,
    assert_no_secrets,
    build_world,
    sign_in,
)
from tests.marketplace.helpers import english, login


@pytest.fixture
def world(db_session: Any) -> World:
    return build_world(db_session)


def xlsx_text(body: bytes) -> str:
    """Every XML part of a workbook as one text (cell values, shared strings, hidden sheets)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


OUTSIDERS = ("member_b", "anonymous")


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_market_page_hides_the_anonymous_firm(
    client: FlaskClient, world: World, actor: str
) -> None:
    sign_in(client, world, actor)
    html = client.get("/listings/").get_data(as_text=True)
    assert world.offer.title in html
    assert "anonymous firm" in html
    assert_no_secrets(html)


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_market_page_sorted_by_distance_shows_only_a_distance_band(
    client: FlaskClient, world: World, actor: str
) -> None:
    sign_in(client, world, actor)
    html = client.get("/listings/?sort=distance&within_km=50").get_data(as_text=True)
    assert_no_secrets(html)
    if actor == "member_b":
        assert "&lt; 25 km" in html  # Zutphen to Deventer is 11.9 km, shown as a band


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_detail_page_hides_the_anonymous_firm(
    client: FlaskClient, world: World, actor: str
) -> None:
    sign_in(client, world, actor)
    response = client.get(f"/listings/{world.offer.public_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "the map shows the municipality, not the site" in html
    assert "Deventer" in html
    assert "BOSTEL-1" not in html
    assert_no_secrets(html)


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_map_data_places_the_anonymous_listing_inside_its_municipality_only(
    client: FlaskClient, world: World, actor: str
) -> None:
    sign_in(client, world, actor)
    response = client.get("/api/listings")
    assert response.status_code == 200
    assert_no_secrets(response.get_data(as_text=True))
    feature = next(
        f for f in response.get_json()["features"] if f["properties"]["id"] == world.offer.public_id
    )
    props = feature["properties"]
    assert props["organisation_name"] is None
    assert props["organisation_public_id"] is None
    assert props["postcode"] is None
    assert props["ref"] is None
    assert props["distance_km"] is None
    assert props["exact_location"] is False
    assert feature["geometry"]["coordinates"] != [SITE_LON, SITE_LAT]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_market_export_leaves_out_the_anonymous_firm(
    client: FlaskClient, world: World, actor: str, fmt: str
) -> None:
    sign_in(client, world, actor)
    response = client.get(f"/listings/export.{fmt}")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig") if fmt == "csv" else xlsx_text(response.data)
    assert world.offer.title in text
    assert "BOSTEL-1" not in text
    assert_no_secrets(text)


def export_rows(client: FlaskClient) -> list[dict[str, str]]:
    text = client.get("/listings/export.csv").data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_market_export_orders_rows_by_kind_material_and_title_never_by_firm(
    client: FlaskClient, db_session: Any
) -> None:
    # Firm A (the lower id) lists a batch around its anonymous offer; sorted by firm, the
    # anonymous row sat between A's named rows and so gave A away.
    firm_a = factories.organisation(name="Firma A")
    firm_b = factories.organisation(name="Firma B")
    for title, visibility in (("Zaagsel", "public"), ("Bierbostel geheim", "anonymous")):
        factories.listing(organisation=firm_a, title=title, visibility=visibility)
    factories.listing(organisation=firm_a, title="Zand")
    factories.listing(organisation=firm_b, title="Citruspulp")
    factories.listing(organisation=firm_b, title="appelpulp")
    factories.listing(organisation=firm_b, kind="need", title="Veevoer")
    db_session.commit()
    english(client)
    rows = [(r["kind"], r["title"], r["organisation"]) for r in export_rows(client)]
    assert rows == [
        ("need", "Veevoer", "Firma B"),
        ("offer", "appelpulp", "Firma B"),
        ("offer", "Bierbostel geheim", ""),
        ("offer", "Citruspulp", "Firma B"),
        ("offer", "Zaagsel", "Firma A"),
        ("offer", "Zand", "Firma A"),
    ]


def test_identical_rows_of_the_market_export_follow_the_keyed_hash_not_firm_or_id(
    client: FlaskClient, db_session: Any
) -> None:
    firms = [factories.organisation(name="Firma A"), factories.organisation(name="Firma B")]
    owner = {
        factories.listing(organisation=firms[n % 2], title="Pallets").id: firms[n % 2].name
        for n in range(12)
    }
    db_session.commit()
    english(client)
    names = [r["organisation"] for r in export_rows(client)]
    assert names == [owner[i] for i in sorted(owner, key=order_key)]


def test_the_order_key_is_stable_and_depends_on_the_secret_key(
    app: Flask, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [order_key(i) for i in range(1, 40)]
    assert first == [order_key(i) for i in range(1, 40)]
    assert len(set(first)) == len(first)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key-for-this-test")
    other = [order_key(i) for i in range(1, 40)]
    assert all(a != b for a, b in zip(first, other, strict=True))


# Distances to an anonymous listing are distances to the point shown ------------------------------


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = (np.array([v]) for v in (*a, *b))
    return float(straight_km(lon1, lat1, lon2, lat2)[0])


def b_site(world: World) -> tuple[float, float]:
    firm_b = world.member_b.organisation
    return (firm_b.lon, firm_b.lat)


def test_the_distance_cases_for_the_anonymous_listing_are_not_trivial(world: World) -> None:
    # Guards the tests below: the shown point lies further from B than the hidden site.
    true_km = km_between(b_site(world), (SITE_LON, SITE_LAT))
    shown_km = km_between(b_site(world), municipality_points()["GM0150"])
    assert true_km == pytest.approx(11.899, abs=1e-3)
    assert shown_km == pytest.approx(14.486, abs=1e-3)


@pytest.mark.parametrize(("within_km", "found"), [(11.8, False), (13.0, False), (14.6, True)])
def test_the_within_km_filter_measures_an_anonymous_listing_from_its_shown_point(
    client: FlaskClient, world: World, within_km: float, found: bool
) -> None:
    # 13 km holds the hidden site (11.9 km) but not the shown point (14.5 km): halving the
    # radius step by step must home in on the shown point, never on the site.
    login(client, world.member_b)
    body = client.get("/api/listings", query_string={"within_km": within_km}).get_json()
    ids = {f["properties"]["id"] for f in body["features"]}
    assert (world.offer.public_id in ids) is found


def test_the_firm_itself_filters_its_anonymous_listing_by_the_true_site(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_a)
    body = client.get("/api/listings", query_string={"within_km": 0.1}).get_json()
    assert world.offer.public_id in {f["properties"]["id"] for f in body["features"]}


def test_nearest_first_places_an_anonymous_listing_by_its_shown_point(
    world: World, db_session: Any
) -> None:
    # 13.0 km north of B: between the hidden site (11.9 km) and the shown point (14.5 km).
    lon, lat = b_site(world)
    between = factories.listing(lon=lon, lat=lat + 13.0 / 111.195, title="Tussenin")
    db_session.commit()
    assert km_between((lon, lat), (between.lon, between.lat)) == pytest.approx(13.0, abs=0.01)
    result = search_listings(world.member_b, SearchFilters(sort="distance"), "en")
    assert [v.id for v in result.items] == [
        world.need.public_id,
        between.public_id,
        world.offer.public_id,
    ]
    shown = next(v for v in result.items if v.id == world.offer.public_id)
    assert (shown.distance_km, shown.distance_text) == (None, "< 25 km")


# Time stamps of an anonymous listing: the date only, and no batch order --------------------------


def as_utc(moment: datetime) -> datetime:
    # SQLite returns the stored UTC time without its zone.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_the_map_data_gives_only_the_date_of_an_anonymous_listing(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_b)
    features = client.get("/api/listings").get_json()["features"]
    props = {f["properties"]["id"]: f["properties"] for f in features}
    created = as_utc(world.offer.created_at)
    assert props[world.offer.public_id]["created_at"] == created.date().isoformat()
    assert props[world.offer.public_id]["updated_at"] == created.date().isoformat()
    assert "T" in props[world.need.public_id]["created_at"]  # public: the full time stamp


def test_the_firm_itself_sees_the_full_time_stamps_of_its_anonymous_listing(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_a)
    features = client.get("/api/listings").get_json()["features"]
    props = next(
        f["properties"] for f in features if f["properties"]["id"] == world.offer.public_id
    )
    assert "T" in props["created_at"]
    assert "T" in props["updated_at"]


DAY = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.mark.parametrize("viewer", ["member_b", "anonymous"])
def test_newest_first_places_an_anonymous_listing_by_its_date_not_its_time(
    world: World, db_session: Any, viewer: str
) -> None:
    # Firm A publishes public listings at 8, 12, 16 and 20 o'clock and an anonymous one.
    # Whenever that day it was made, the anonymous listing keeps one place among them, so
    # its place cannot pair it with the public listings of the same batch.
    at = {
        "tomorrow": DAY + timedelta(days=1),
        "h20": DAY + timedelta(hours=20),
        "h16": DAY + timedelta(hours=16),
        "h12": DAY + timedelta(hours=12),
        "h08": DAY + timedelta(hours=8),
        "yesterday": DAY - timedelta(seconds=1),
    }
    public = {
        name: factories.listing(organisation=world.firm_a, title=name, created_at=moment).public_id
        for name, moment in at.items()
    }
    hidden = world.offer
    who = AnonymousUserMixin() if viewer == "anonymous" else getattr(world, viewer)
    orders = []
    for moment in (DAY, DAY + timedelta(hours=12, microseconds=1), DAY + timedelta(hours=23)):
        hidden.created_at = moment
        db_session.commit()
        result = search_listings(who, SearchFilters(), "en")
        orders.append([v.id for v in result.items if v.id != world.need.public_id])
    assert orders[0] == orders[1] == orders[2]
    assert orders[0][0] == public["tomorrow"]
    assert orders[0][-1] == public["yesterday"]
    assert [i for i in orders[0] if i != hidden.public_id] == list(public.values())


@pytest.fixture
def proposal(world: World) -> Match:
    run = runs.run_engine()
    db.session.commit()
    assert run.status == "succeeded"
    return db.session.scalars(sa.select(Match)).one()


def test_the_match_pages_of_a_proposal_hide_the_anonymous_firm_from_the_other_side(
    client: FlaskClient, world: World, proposal: Match
) -> None:
    login(client, world.member_b)
    for url in ("/matches/", f"/matches/{proposal.public_id}", "/matches/?status=all"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "anonymous firm" in html, url
        assert_no_secrets(html)


def test_the_match_page_shows_only_a_distance_band_towards_an_anonymous_firm(
    client: FlaskClient, world: World, proposal: Match
) -> None:
    exact = f"{proposal.road_km:.1f}".replace(".", ",")  # Dutch number format
    login(client, world.member_b)
    html = client.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    assert exact not in html
    assert f"{proposal.road_km:.1f}" not in html
    assert " km" in html  # the band, e.g. "< 10 km"
    assert 'id="co2-breakdown"' not in html
    other = client.application.test_client()
    login(other, world.member_a)
    own = other.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    # The anonymous firm itself knows both sites: it sees the exact figures.
    assert 'id="co2-breakdown"' in own


def test_the_reason_of_a_proposal_names_no_firm(world: World, proposal: Match) -> None:
    for text in (proposal.reason, proposal.reason_nl):
        assert f"org-{world.firm_a.id}" not in text
        assert f"org-{world.need.organisation_id}" not in text
        assert_no_secrets(text)


def test_both_firms_learn_each_others_name_once_the_match_is_agreed(
    client: FlaskClient, world: World, proposal: Match
) -> None:
    proposal.status = "agreed"
    db.session.commit()
    login(client, world.member_b)
    html = client.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    assert A_NAME in html


# The firm itself sees everything ----------------------------------------------------------------


def test_the_firms_own_members_see_name_postcode_and_site(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_a)
    assert A_NAME in client.get("/listings/").get_data(as_text=True)
    detail = client.get(f"/listings/{world.offer.public_id}").get_data(as_text=True)
    assert A_NAME in detail
    assert A_POSTCODE in detail
    features = client.get("/api/listings").get_json()["features"]
    feature = next(f for f in features if f["properties"]["id"] == world.offer.public_id)
    assert feature["geometry"]["coordinates"] == [SITE_LON, SITE_LAT]
    assert feature["properties"]["organisation_name"] == A_NAME
    assert feature["properties"]["ref"] == "BOSTEL-1"
    market = client.get("/listings/export.csv").data.decode("utf-8-sig")
    assert A_NAME in market
    assert "BOSTEL-1" in market
    assert "7416" in market


def test_the_firms_own_export_round_trips_its_anonymous_listing_in_full(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_a)
    text = client.get(f"/listings/export.csv?organisation={world.firm_a.public_id}").data.decode(
        "utf-8-sig"
    )
    for value in ("BOSTEL-1", A_NAME, "7416", "6.17321", "52.24687", "anonymous"):
        assert value in text


def test_a_public_listing_shows_its_firm_to_everyone(client: FlaskClient, world: World) -> None:
    world.offer.visibility = "public"
    db.session.commit()
    html = client.get(f"/listings/{world.offer.public_id}").get_data(as_text=True)
    assert A_NAME in html
    assert A_POSTCODE in html
