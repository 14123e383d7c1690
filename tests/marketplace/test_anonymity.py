"""An anonymous listing never shows its firm's name, postcode or site to anyone outside it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from geo.geocode import geocode_postcode
from marketplace.extensions import db
from marketplace.models import Listing, Match, Organisation, User
from marketplace.services import matching
from tests import factories
from tests.marketplace.helpers import english, login, make_user

#: Firm A's site in Deventer, with digits that occur nowhere else on the pages.
SITE_LON, SITE_LAT = 6.17321, 52.24687
A_NAME = "Geheime Brouwerij Zwartwater"
A_POSTCODE = "7416 XK"
#: What must never reach anyone outside firm A.
SECRETS = (A_NAME, "Zwartwater", "7416", "6.1732", "52.2468")


@dataclass
class World:
    firm_a: Organisation
    member_a: User
    member_b: User
    offer: Listing
    need: Listing


@pytest.fixture
def world(db_session: Any) -> World:
    firm_a = factories.organisation(
        name=A_NAME, postcode=A_POSTCODE, lon=SITE_LON, lat=SITE_LAT, kvk="41234567"
    )
    lon, lat = geocode_postcode("7201")  # Zutphen
    firm_b = factories.organisation(
        name="Melkveebedrijf Berends",
        postcode="7201 AA",
        lon=lon,
        lat=lat,
        municipality_code="GM0301",
    )
    offer = factories.listing(
        organisation=firm_a,
        kind="offer",
        visibility="anonymous",
        postcode=A_POSTCODE,
        ref="BOSTEL-1",
        quantity=500.0,
        frequency="year",
    )
    need = factories.listing(organisation=firm_b, kind="need", quantity=500.0, frequency="year")
    member_a = make_user(organisation=firm_a)
    member_b = make_user(organisation=firm_b)
    db_session.commit()
    return World(firm_a, member_a, member_b, offer, need)


def assert_no_secrets(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"anonymous firm leaked: {leaked}"


def xlsx_text(body: bytes) -> str:
    """Every XML part of a workbook as one text (cell values, shared strings, hidden sheets)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())


OUTSIDERS = ("member_b", "anonymous")


def as_actor(client: FlaskClient, world: World, actor: str) -> None:
    if actor == "anonymous":
        english(client)
    else:
        login(client, getattr(world, actor))


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_market_page_hides_the_anonymous_firm(
    client: FlaskClient, world: World, actor: str
) -> None:
    as_actor(client, world, actor)
    html = client.get("/listings/").get_data(as_text=True)
    assert world.offer.title in html
    assert "anonymous firm" in html
    assert_no_secrets(html)


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_market_page_sorted_by_distance_shows_only_a_distance_band(
    client: FlaskClient, world: World, actor: str
) -> None:
    as_actor(client, world, actor)
    html = client.get("/listings/?sort=distance&within_km=50").get_data(as_text=True)
    assert_no_secrets(html)
    if actor == "member_b":
        assert "&lt; 25 km" in html  # Zutphen to Deventer is 11.9 km, shown as a band


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_the_detail_page_hides_the_anonymous_firm(
    client: FlaskClient, world: World, actor: str
) -> None:
    as_actor(client, world, actor)
    response = client.get(f"/listings/{world.offer.id}")
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
    as_actor(client, world, actor)
    response = client.get("/api/listings")
    assert response.status_code == 200
    assert_no_secrets(response.get_data(as_text=True))
    feature = next(
        f for f in response.get_json()["features"] if f["properties"]["id"] == world.offer.id
    )
    props = feature["properties"]
    assert props["organisation_name"] is None
    assert props["organisation_id"] is None
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
    as_actor(client, world, actor)
    response = client.get(f"/listings/export.{fmt}")
    assert response.status_code == 200
    text = response.data.decode("utf-8-sig") if fmt == "csv" else xlsx_text(response.data)
    assert world.offer.title in text
    assert "BOSTEL-1" not in text
    assert_no_secrets(text)


@pytest.fixture
def proposal(world: World) -> Match:
    run = matching.run_engine()
    db.session.commit()
    assert run.status == "succeeded"
    return db.session.scalars(sa.select(Match)).one()


def test_the_match_pages_of_a_proposal_hide_the_anonymous_firm_from_the_other_side(
    client: FlaskClient, world: World, proposal: Match
) -> None:
    login(client, world.member_b)
    for url in ("/matches/", f"/matches/{proposal.id}", "/matches/?status=all"):
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
    html = client.get(f"/matches/{proposal.id}").get_data(as_text=True)
    assert exact not in html
    assert f"{proposal.road_km:.1f}" not in html
    assert " km" in html  # the band, e.g. "< 10 km"
    assert 'id="co2-breakdown"' not in html
    other = client.application.test_client()
    login(other, world.member_a)
    own = other.get(f"/matches/{proposal.id}").get_data(as_text=True)
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
    html = client.get(f"/matches/{proposal.id}").get_data(as_text=True)
    assert A_NAME in html


# The firm itself sees everything ----------------------------------------------------------------


def test_the_firms_own_members_see_name_postcode_and_site(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_a)
    assert A_NAME in client.get("/listings/").get_data(as_text=True)
    detail = client.get(f"/listings/{world.offer.id}").get_data(as_text=True)
    assert A_NAME in detail
    assert A_POSTCODE in detail
    features = client.get("/api/listings").get_json()["features"]
    feature = next(f for f in features if f["properties"]["id"] == world.offer.id)
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
    text = client.get(f"/listings/export.csv?organisation={world.firm_a.id}").data.decode(
        "utf-8-sig"
    )
    for value in ("BOSTEL-1", A_NAME, "7416", "6.17321", "52.24687", "anonymous"):
        assert value in text


def test_a_public_listing_shows_its_firm_to_everyone(client: FlaskClient, world: World) -> None:
    world.offer.visibility = "public"
    db.session.commit()
    html = client.get(f"/listings/{world.offer.id}").get_data(as_text=True)
    assert A_NAME in html
    assert A_POSTCODE in html
