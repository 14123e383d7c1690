"""Every response type shows exactly what :mod:`marketplace.core.disclosure` allows.

One anonymous offer of firm A, seen by a member of firm B, a visitor who is not logged
in, a coordinator and a member of firm A itself: the market page, the detail page, the
map's JSON, the region's outline, the match pages and both exports are checked field by
field against the disclosure module's answer for that viewer.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin
from markupsafe import escape

from marketplace.core.disclosure import (
    ListingDisclosure,
    disclose_listing,
    disclose_match,
    export_identity,
)
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.runs import services as runs
from tests.marketplace.core.anonymous_world import (
    A_NAME,
    A_POSTCODE,
    A_REF,
    SITE_LAT,
    SITE_LON,
    World,
    build_world,
    sign_in,
)
from tests.marketplace.helpers import english

VIEWERS = ("member_b", "visitor", "coordinator", "member_a")


@pytest.fixture
def world(db_session: Any) -> World:
    return build_world(db_session)


def viewer_of(world: World, viewer: str) -> Any:
    return AnonymousUserMixin() if viewer == "visitor" else getattr(world, viewer)


def allowed(world: World, viewer: str) -> ListingDisclosure:
    return disclose_listing(world.offer, viewer_of(world, viewer))


def test_the_viewers_cover_hidden_and_revealed(world: World) -> None:
    seen = {viewer: allowed(world, viewer) for viewer in VIEWERS}
    assert not seen["member_b"].revealed and not seen["visitor"].revealed
    assert seen["coordinator"].revealed and seen["coordinator"].manages
    assert seen["member_a"].revealed and seen["member_a"].ref == A_REF
    assert seen["member_b"].organisation_name is None and seen["member_b"].ref is None
    assert (seen["member_b"].map_lon, seen["member_b"].map_lat) != (SITE_LON, SITE_LAT)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_html_listing_pages_show_what_the_disclosure_allows(
    client: FlaskClient, world: World, viewer: str
) -> None:
    shown = allowed(world, viewer)
    sign_in(client, world, viewer)
    for url in ("/listings/", f"/listings/{world.offer.public_id}"):
        html = client.get(url).get_data(as_text=True)
        assert world.offer.title in html, url
        assert (A_NAME in html) == (shown.organisation_name is not None), url
    detail = client.get(f"/listings/{world.offer.public_id}").get_data(as_text=True)
    assert ("anonymous firm" in detail) == (shown.organisation_name is None)
    assert (A_POSTCODE in detail) == (shown.postcode is not None)
    if shown.ref is None:  # the page need not show the ref, but only where allowed
        assert A_REF not in detail


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_map_json_gives_exactly_the_disclosed_fields(
    client: FlaskClient, world: World, viewer: str
) -> None:
    shown = allowed(world, viewer)
    sign_in(client, world, viewer)
    features = client.get("/api/listings").get_json()["features"]
    feature = next(f for f in features if f["properties"]["id"] == world.offer.public_id)
    props = feature["properties"]
    assert props["organisation_public_id"] == shown.organisation_public_id
    assert props["organisation_name"] == shown.organisation_name
    assert props["postcode"] == shown.postcode
    assert props["ref"] == shown.ref
    assert props["exact_location"] is shown.revealed
    assert props["can_manage"] is shown.manages
    assert props["created_at"] == shown.created_at.isoformat()
    assert props["updated_at"] == shown.updated_at.isoformat()
    assert feature["geometry"]["coordinates"] == pytest.approx([shown.map_lon, shown.map_lat])


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_region_outline_carries_no_listing_data(
    client: FlaskClient, world: World, viewer: str
) -> None:
    sign_in(client, world, viewer)
    text = client.get("/api/region").get_data(as_text=True)
    for value in (A_NAME, A_POSTCODE, A_REF, world.offer.title):
        assert value not in text


def csv_row(body: bytes, title: str) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    return next(r for r in rows if r["title"] == title)


def xlsx_row(body: bytes, title: str) -> dict[str, Any]:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and "ref" in rows[0] and "title" in rows[0]:
            header = [str(h) for h in rows[0]]
            for values in rows[1:]:
                row = dict(zip(header, values, strict=False))
                if row["title"] == title:
                    return row
    raise AssertionError(f"no row titled {title!r} in the workbook")


def blank(value: Any) -> bool:
    return value is None or value == ""


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_market_export_gives_exactly_the_disclosed_columns(
    client: FlaskClient, world: World, viewer: str, fmt: str
) -> None:
    identity = export_identity(world.offer, viewer_of(world, viewer))
    sign_in(client, world, viewer)
    body = client.get(f"/listings/export.{fmt}").data
    row = (csv_row if fmt == "csv" else xlsx_row)(body, world.offer.title)
    for column in ("ref", "organisation", "postcode"):
        if blank(identity[column]):
            assert blank(row[column]), column
        else:
            assert str(row[column]) == identity[column], column
    for column in ("lat", "lon"):
        if identity[column] is None:
            assert blank(row[column]), column
        else:
            assert float(row[column]) == pytest.approx(identity[column]), column


@pytest.fixture
def proposal(world: World) -> Match:
    run = runs.run_engine()
    db.session.commit()
    assert run.status == "succeeded"
    return db.session.scalars(sa.select(Match)).one()


@pytest.mark.parametrize("status", ["proposed", "agreed"])
@pytest.mark.parametrize("viewer", ["member_b", "coordinator", "member_a"])
def test_the_match_pages_show_what_the_disclosure_allows(
    client: FlaskClient, world: World, proposal: Match, viewer: str, status: str
) -> None:
    proposal.status = status
    db.session.commit()
    who = viewer_of(world, viewer)
    shown = disclose_match(
        proposal,
        offer=disclose_listing(proposal.offer, who),
        need=disclose_listing(proposal.need, who),
        lang="en",
    )
    firm_a_named = shown.counterpart_revealed or disclose_listing(proposal.offer, who).revealed
    sign_in(client, world, viewer)
    for url in ("/matches/?status=all", f"/matches/{proposal.public_id}"):
        html = client.get(url).get_data(as_text=True)
        assert (A_NAME in html) == firm_a_named, url
        assert str(escape(shown.road_text)) in html, url
    detail = client.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    assert ('id="co2-breakdown"' in detail) == (not shown.distance_hidden)
    assert (A_POSTCODE in detail) is False  # match pages never quote a postcode


def test_a_visitor_sees_no_match_page(client: FlaskClient, world: World, proposal: Match) -> None:
    english(client)
    response = client.get(f"/matches/{proposal.public_id}")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"] or "login" in response.headers["Location"]


def test_an_agreement_reveals_the_firms_name_and_nothing_else(world: World) -> None:
    hidden = disclose_listing(world.offer, world.member_b)
    agreed = disclose_listing(world.offer, world.member_b, agreed=True)
    assert (hidden.organisation_name, agreed.organisation_name) == (None, A_NAME)
    assert agreed.revealed is False
    assert (agreed.postcode, agreed.ref, agreed.organisation_public_id) == (None, None, None)
    assert (agreed.map_lon, agreed.map_lat) == (hidden.map_lon, hidden.map_lat)
