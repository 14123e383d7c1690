"""Searching the market: text, kind, category tree, EWC chapter, municipality, hazard, distance."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin

from geo.distance import straight_km
from geo.geocode import geocode_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings.forms import SEARCH_FIELDS, SearchForm
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.listings.search import SearchFilters, search_listings
from tests import factories
from tests.marketplace.helpers import login, make_user

#: PC4 -> municipality code, from Deventer outwards.
PLACES = {
    "7411": "GM0150",  # Deventer
    "7201": "GM0301",  # Zutphen
    "7311": "GM0200",  # Apeldoorn
    "7241": "GM0262",  # Lochem
    "8161": "GM0232",  # Epe
    "1012": "GM0363",  # Amsterdam
    "9711": "GM0014",  # Groningen
}


def firm_at(pc4: str, **kw: Any) -> Organisation:
    lon, lat = geocode_postcode(pc4)
    return factories.organisation(
        postcode=f"{pc4} AA", lon=lon, lat=lat, municipality_code=PLACES[pc4], **kw
    )


@pytest.fixture
def viewer(db_session: Any) -> User:
    """A member whose firm sits at the Deventer PC4 point 7411."""
    user = make_user(organisation=firm_at("7411", name="Kijker BV"))
    db_session.commit()
    return user


@pytest.fixture
def market(viewer: User, db_session: Any) -> dict[str, Listing]:
    """One listing per place, each of a different sort, all active unless named otherwise."""
    items = {
        "grain_deventer": factories.listing(
            organisation=firm_at("7411"), title="Bierbostel vers", description="Dagelijks"
        ),
        "feed_zutphen": factories.listing(
            organisation=firm_at("7201"),
            kind="need",
            title="Veevoer gezocht",
            accepted_codes=[],
        ),
        "pallets_apeldoorn": factories.listing(
            organisation=firm_at("7311"),
            title="Eikenhouten pallets",
            material="organics.wood.residues",
            ewc_code="03 01 05",
        ),
        "rubble_lochem": factories.listing(
            organisation=firm_at("7241"),
            title="Betonpuin",
            material="minerals.concrete_rubble",
            ewc_code="17 01 01",
            description="Gebroken puin van eikenhout-vrije sloop",
        ),
        "asbestos_epe": factories.listing(
            organisation=firm_at("8161"),
            title="Asbesthoudend materiaal",
            material="other.hazardous",
            ewc_code="17 06 05",
        ),
        "gypsum_amsterdam": factories.listing(
            organisation=firm_at("1012"),
            title="Gipsplaat resten",
            material="minerals.gypsum",
            ewc_code="17 08 02",
        ),
        "wood_need_groningen": factories.listing(
            organisation=firm_at("9711"),
            kind="need",
            title="Houtsnippers voor ketel",
            material="organics.wood",
        ),
        "draft_deventer": factories.listing(
            organisation=firm_at("7411"), title="Bierbostel concept", status="draft"
        ),
        "paused_zutphen": factories.listing(
            organisation=firm_at("7201"), title="Bierbostel gepauzeerd", status="paused"
        ),
    }
    items["feed_zutphen"].accepted_codes = [ListingAcceptedCode(ewc_code="02 07 02")]
    db_session.commit()
    return items


def ids_of(market: dict[str, Listing], *names: str) -> set[int]:
    return {market[n].public_id for n in names}


def found(client: FlaskClient, **params: Any) -> set[int]:
    response = client.get("/api/listings", query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["total"] == len(body["features"])
    return {f["properties"]["id"] for f in body["features"]}


ACTIVE = (
    "grain_deventer",
    "feed_zutphen",
    "pallets_apeldoorn",
    "rubble_lochem",
    "asbestos_epe",
    "gypsum_amsterdam",
    "wood_need_groningen",
)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({}, ACTIVE, id="everything active, no drafts or paused"),
        pytest.param({"q": "eikenhout"}, ("pallets_apeldoorn", "rubble_lochem"), id="title+desc"),
        pytest.param({"q": "EIKENHOUTEN PALLETS"}, ("pallets_apeldoorn",), id="case-insensitive"),
        pytest.param({"q": "17 01 01"}, ("rubble_lochem",), id="ewc code as text"),
        pytest.param({"q": "gezocht"}, ("feed_zutphen",), id="need title"),
        pytest.param({"kind": "need"}, ("feed_zutphen", "wood_need_groningen"), id="needs"),
        pytest.param(
            {"kind": "offer"},
            (
                "grain_deventer",
                "pallets_apeldoorn",
                "rubble_lochem",
                "asbestos_epe",
                "gypsum_amsterdam",
            ),
            id="offers",
        ),
        pytest.param(
            {"category": "organics"},
            ("grain_deventer", "feed_zutphen", "pallets_apeldoorn", "wood_need_groningen"),
            id="category with all its descendants",
        ),
        pytest.param(
            {"category": "organics.wood"},
            ("pallets_apeldoorn", "wood_need_groningen"),
            id="category with its children",
        ),
        pytest.param({"category": "organics.spent_grain"}, ("grain_deventer",), id="leaf"),
        pytest.param(
            {"category": "minerals"}, ("rubble_lochem", "gypsum_amsterdam"), id="minerals"
        ),
        pytest.param(
            {"chapter": "02"}, ("grain_deventer", "feed_zutphen"), id="chapter via accepted code"
        ),
        pytest.param(
            {"chapter": "17"},
            ("rubble_lochem", "asbestos_epe", "gypsum_amsterdam"),
            id="chapter 17",
        ),
        pytest.param({"municipality": "GM0301"}, ("feed_zutphen",), id="Zutphen"),
        pytest.param({"hazardous": "yes"}, ("asbestos_epe",), id="hazardous only"),
        pytest.param(
            {"hazardous": "no"},
            tuple(n for n in ACTIVE if n != "asbestos_epe"),
            id="not hazardous (needs without code included)",
        ),
        pytest.param(
            {"kind": "offer", "category": "minerals", "chapter": "17", "hazardous": "no"},
            ("rubble_lochem", "gypsum_amsterdam"),
            id="filters combine",
        ),
        pytest.param({"q": "eikenhout", "kind": "need"}, (), id="nothing"),
    ],
)
def test_filters_find_exactly_the_matching_active_listings(
    client: FlaskClient,
    viewer: User,
    market: dict[str, Listing],
    params: dict[str, str],
    expected: tuple[str, ...],
) -> None:
    login(client, viewer)
    assert found(client, **params) == ids_of(market, *expected)


def test_the_market_page_lists_what_the_search_finds(
    client: FlaskClient, viewer: User, market: dict[str, Listing]
) -> None:
    login(client, viewer)
    html = client.get("/listings/?category=organics.wood").get_data(as_text=True)
    assert "Eikenhouten pallets" in html
    assert "Houtsnippers voor ketel" in html
    assert "Betonpuin" not in html
    assert "Bierbostel" not in html
    assert "2 listings found" in html


def _expected_distances(viewer: User, market: dict[str, Listing]) -> dict[int, float]:
    names = list(ACTIVE)
    lon = np.array([market[n].lon for n in names])
    lat = np.array([market[n].lat for n in names])
    origin = viewer.organisation
    km = straight_km(np.full_like(lon, origin.lon), np.full_like(lat, origin.lat), lon, lat)
    return {market[n].public_id: float(d) for n, d in zip(names, km, strict=True)}


@pytest.mark.parametrize("within_km", [5.0, 13.0, 15.0, 40.0, 150.0])
def test_the_within_km_filter_keeps_exactly_the_listings_that_close(
    client: FlaskClient, viewer: User, market: dict[str, Listing], within_km: float
) -> None:
    distances = _expected_distances(viewer, market)
    expected = {i for i, d in distances.items() if d <= within_km}
    login(client, viewer)
    assert found(client, within_km=within_km) == expected


def test_the_distance_cases_are_not_trivial(viewer: User, market: dict[str, Listing]) -> None:
    # Guards the test above: each radius must split the listings differently.
    distances = sorted(_expected_distances(viewer, market).values())
    assert distances[0] == 0.0
    assert 12 < distances[1] < 13 < distances[2] < 15 < distances[3] < 40 < distances[-1]
    assert distances[-1] < 150


def test_sorting_by_distance_orders_by_the_independently_computed_distance(
    viewer: User, market: dict[str, Listing], db_session: Any
) -> None:
    distances = _expected_distances(viewer, market)
    result = search_listings(viewer, SearchFilters(sort="distance"), "en")
    assert [v.id for v in result.items] == sorted(distances, key=distances.__getitem__)
    for view in result.items:
        assert view.distance_km == pytest.approx(distances[view.id], abs=1e-9)
        assert view.distance_text == f"{distances[view.id]:.1f} km"
    assert result.origin == (viewer.organisation.lon, viewer.organisation.lat)


def test_sorting_by_distance_on_the_page_puts_the_nearest_first(
    client: FlaskClient, viewer: User, market: dict[str, Listing]
) -> None:
    login(client, viewer)
    html = client.get("/listings/?sort=distance").get_data(as_text=True)
    positions = [
        html.index(market[n].title)
        for n in ("grain_deventer", "feed_zutphen", "pallets_apeldoorn", "gypsum_amsterdam")
    ]
    assert positions == sorted(positions)


def test_a_visitor_without_a_site_gets_no_distances_and_no_distance_filter(
    market: dict[str, Listing], db_session: Any
) -> None:
    result = search_listings(
        AnonymousUserMixin(), SearchFilters(within_km=5.0, sort="distance"), "en"
    )
    assert result.origin is None
    assert {v.id for v in result.items} == ids_of(market, *ACTIVE)
    assert all(v.distance_km is None for v in result.items)


@pytest.mark.parametrize("bad", [{"within_km": "-1"}, {"within_km": "abc"}, {"page": "0"}])
def test_an_invalid_search_is_a_400_on_the_api(
    client: FlaskClient, viewer: User, market: dict[str, Listing], bad: dict[str, str]
) -> None:
    login(client, viewer)
    response = client.get("/api/listings", query_string=bad)
    assert response.status_code == 400
    assert next(iter(bad)) in response.get_json()["fields"]


# Pagination --------------------------------------------------------------------------------------


@pytest.fixture
def thirty(viewer: User, db_session: Any) -> list[int]:
    org = viewer.organisation
    ids = [
        factories.listing(organisation=org, title=f"Partij {n:02d}").public_id for n in range(30)
    ]
    db_session.commit()
    return ids


def test_pages_split_the_results_without_overlap_newest_first(
    viewer: User, thirty: list[int]
) -> None:
    first = search_listings(viewer, SearchFilters(page=1, per_page=25), "en")
    second = search_listings(viewer, SearchFilters(page=2, per_page=25), "en")
    assert (first.total, first.pages, first.page) == (30, 2, 1)
    assert (second.total, second.pages, second.page) == (30, 2, 2)
    assert len(first.items) == 25
    assert len(second.items) == 5
    rows = db.session.execute(
        db.select(Listing.public_id).order_by(Listing.created_at.desc(), Listing.id.desc())
    ).scalars()
    assert [v.id for v in first.items + second.items] == list(rows)


def test_a_page_past_the_end_shows_the_last_page(viewer: User, thirty: list[int]) -> None:
    result = search_listings(viewer, SearchFilters(page=9, per_page=25), "en")
    assert result.page == 2
    assert len(result.items) == 5


def test_the_market_page_links_to_the_next_page_keeping_the_filters(
    client: FlaskClient, viewer: User, thirty: list[int]
) -> None:
    login(client, viewer)
    html = client.get("/listings/?kind=offer").get_data(as_text=True)
    assert "page 1 of 2" in html
    assert "kind=offer" in html.split("page 1 of 2")[1]
    html2 = client.get("/listings/?kind=offer&page=2").get_data(as_text=True)
    assert "page 2 of 2" in html2
    assert html2.count("Partij ") == 5


@pytest.mark.parametrize(
    "extra",
    [
        {"endpoint": "x"},
        {"_external": "1"},
        {"_external": "1", "_scheme": "javascript"},
        {"_anchor": "top", "_method": "POST"},
        {"values": "x", "colour": "red"},
    ],
)
def test_the_market_page_carries_over_only_the_search_fields_into_its_links(
    client: FlaskClient, viewer: User, thirty: list[int], extra: dict[str, str]
) -> None:
    login(client, viewer)
    response = client.get("/listings/", query_string={"kind": "offer", **extra})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    links = re.findall(r'href="([^"]*page=2[^"]*)"', html)
    sources = re.findall(r'data-source="([^"]*)"', html)
    assert links == ["/listings/?page=2&amp;kind=offer"]
    assert sources == ["/api/listings?kind=offer"]


def test_the_carried_over_search_fields_are_the_search_forms_fields(app: Flask) -> None:
    with app.test_request_context():
        names = {field.name for field in SearchForm()}
    assert set(SEARCH_FIELDS) == names - {"page"}
