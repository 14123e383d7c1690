"""The listing form: validation field by field, locations, on-behalf audit, status changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from geo.geocode import geocode_postcode
from marketplace.accounts.models import User
from marketplace.core import public_ids
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import count, login, make_user

OFFER: dict[str, str] = {
    "kind": "offer",
    "title": "Bierbostel uit de brouwerij",
    "material": "organics.spent_grain",
    "ewc_code": "02 07 02",
    "quantity": "20",
    "unit": "t",
    "frequency": "week",
    "location_mode": "site",
    "current_route": "",
    "current_source": "",
    "price_terms": "negotiable",
    "visibility": "public",
    "publish": "Publish",
}
NEED: dict[str, str] = {
    **OFFER,
    "kind": "need",
    "title": "Veevoer voor melkvee",
    "material": "organics.animal_feed",
    "ewc_code": "",
    "quantity": "500",
    "frequency": "year",
    "max_distance_km": "30",
}


def field_errors(html: str, name: str) -> list[str]:
    """The error messages rendered in the form field that holds input ``name``."""
    for block in re.split(r'(?=<div[^>]*class="field)', html):
        if re.search(rf'name="{re.escape(name)}"', block):
            errors = re.search(r'<ul class="errors"[^>]*>(.*?)</ul>', block, re.S)
            if errors:
                return [
                    re.sub(r"\s+", " ", e).strip()
                    for e in re.findall(r"<li>(.*?)</li>", errors[1], re.S)
                ]
    return []


@pytest.fixture
def member(db_session: Any) -> User:
    user = make_user()
    db_session.commit()
    return user


def post_listing(client: FlaskClient, data: dict[str, str], **query: Any) -> Any:
    return client.post("/listings/new", data=data, query_string=query)


# Creating listings ---------------------------------------------------------------------------


def test_a_member_publishes_an_offer_located_at_the_organisation_site(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    response = post_listing(client, OFFER)
    assert response.status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert response.headers["Location"].endswith(f"/listings/{listing.public_id}")
    org = member.organisation
    assert (listing.organisation_id, listing.kind, listing.status) == (org.id, "offer", "active")
    assert (listing.title, listing.material, listing.ewc_code) == (
        "Bierbostel uit de brouwerij",
        "organics.spent_grain",
        "02 07 02",
    )
    assert (listing.quantity, listing.unit, listing.frequency) == (20.0, "t", "week")
    assert (listing.lon, listing.lat, listing.postcode, listing.municipality_code) == (
        org.lon,
        org.lat,
        org.postcode,
        "GM0150",
    )
    assert listing.accepted_ewc_codes == ()
    assert listing.max_distance_km is None
    # a member acting for the own firm is not an on-behalf action
    assert count(AuditEntry) == 0


def test_save_as_draft_keeps_the_listing_unpublished(client: FlaskClient, member: User) -> None:
    login(client, member)
    data = {k: v for k, v in OFFER.items() if k != "publish"} | {"save_draft": "Save as draft"}
    assert post_listing(client, data).status_code == 302
    assert db.session.scalars(sa.select(Listing.status)).one() == "draft"


def test_an_ewc_code_without_spaces_is_stored_in_the_official_notation(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    assert post_listing(client, OFFER | {"ewc_code": "020702"}).status_code == 302
    assert db.session.scalars(sa.select(Listing.ewc_code)).one() == "02 07 02"


def test_an_energy_offer_needs_no_ewc_code(client: FlaskClient, member: User) -> None:
    login(client, member)
    data = OFFER | {"material": "energy.heat", "ewc_code": "", "unit": "MWh", "title": "Restwarmte"}
    assert post_listing(client, data).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert (listing.material, listing.ewc_code, listing.unit) == ("energy.heat", None, "MWh")


def test_a_need_stores_its_accepted_codes_normalised_and_without_duplicates(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    data = NEED | {"accepted_ewc_codes": "02 07 02; 020304;02 07 02"}
    assert post_listing(client, data).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.kind == "need"
    assert listing.accepted_ewc_codes == ("02 03 04", "02 07 02")
    assert (listing.max_distance_km, listing.ewc_code) == (30.0, None)


def test_a_need_that_names_one_ewc_code_accepts_that_code(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    assert post_listing(client, NEED | {"ewc_code": "02 07 02"}).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert (listing.ewc_code, listing.accepted_ewc_codes) == (None, ("02 07 02",))


def test_a_listing_at_another_postcode_is_geocoded_to_that_pc4(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    data = OFFER | {"location_mode": "postcode", "postcode": "7201aa"}
    assert post_listing(client, data).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert (listing.lon, listing.lat) == geocode_postcode("7201")
    assert (listing.postcode, listing.municipality_code) == ("7201 AA", "GM0301")  # Zutphen


def test_a_listing_at_a_point_on_the_map_gets_that_point_and_its_municipality(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    data = OFFER | {"location_mode": "map", "lon": "6.0", "lat": "52.2"}
    assert post_listing(client, data).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert (listing.lon, listing.lat, listing.postcode) == (6.0, 52.2, None)
    assert listing.municipality_code == "GM0200"  # Apeldoorn


# Validation: every bad value re-renders the form with an error on its field -----------------

BAD_VALUES = [
    pytest.param("title", OFFER | {"title": ""}, id="empty title"),
    pytest.param("title", OFFER | {"title": "   "}, id="blank title"),
    pytest.param("title", OFFER | {"title": "x" * 201}, id="title too long"),
    pytest.param("kind", OFFER | {"kind": "gift"}, id="unknown kind"),
    pytest.param("material", OFFER | {"material": "organics.unicorns"}, id="unknown material"),
    pytest.param("quantity", OFFER | {"quantity": ""}, id="no quantity"),
    pytest.param("quantity", OFFER | {"quantity": "0"}, id="zero quantity"),
    pytest.param("quantity", OFFER | {"quantity": "-3"}, id="negative quantity"),
    pytest.param("quantity", OFFER | {"quantity": "veel"}, id="quantity not a number"),
    pytest.param("quantity", OFFER | {"quantity": "NaN"}, id="quantity NaN"),
    pytest.param("quantity", OFFER | {"quantity": "Infinity"}, id="quantity infinite"),
    pytest.param("unit", OFFER | {"unit": "lb"}, id="unknown unit"),
    pytest.param("frequency", OFFER | {"frequency": "daily"}, id="unknown frequency"),
    pytest.param("ewc_code", OFFER | {"ewc_code": ""}, id="offer without ewc"),
    pytest.param("ewc_code", OFFER | {"ewc_code": "02 07"}, id="ewc too short"),
    pytest.param("ewc_code", OFFER | {"ewc_code": "99 99 99"}, id="ewc not on the list"),
    pytest.param("ewc_code", OFFER | {"ewc_code": "020702;0207"}, id="ewc list for offer"),
    pytest.param(
        "accepted_ewc_codes", NEED | {"accepted_ewc_codes": "02 07 02; 12 34"}, id="bad accepted"
    ),
    pytest.param(
        "accepted_ewc_codes",
        NEED | {"accepted_ewc_codes": "02 07 02; 99 99 99"},
        id="accepted code not on the list",
    ),
    pytest.param(
        "available_until",
        OFFER | {"available_from": "2026-05-01", "available_until": "2026-04-30"},
        id="until before from",
    ),
    pytest.param("available_from", OFFER | {"available_from": "2026-02-31"}, id="no such date"),
    pytest.param(
        "postcode", OFFER | {"location_mode": "postcode", "postcode": "1000"}, id="unknown PC4"
    ),
    pytest.param(
        "postcode", OFFER | {"location_mode": "postcode", "postcode": "0999 AA"}, id="bad postcode"
    ),
    pytest.param(
        "postcode", OFFER | {"location_mode": "postcode", "postcode": ""}, id="postcode missing"
    ),
    pytest.param("lat", OFFER | {"location_mode": "map"}, id="no point picked"),
    pytest.param(
        "lat", OFFER | {"location_mode": "map", "lon": "7.5", "lat": "52.0"}, id="in Germany"
    ),
    pytest.param(
        "lat", OFFER | {"location_mode": "map", "lon": "4.35", "lat": "50.85"}, id="in Brussels"
    ),
    pytest.param(
        "lat", OFFER | {"location_mode": "map", "lon": "NaN", "lat": "NaN"}, id="NaN point"
    ),
    pytest.param("location_mode", OFFER | {"location_mode": "moon"}, id="unknown location mode"),
    pytest.param(
        "max_distance_km", OFFER | {"max_distance_km": "20"}, id="max distance on an offer"
    ),
    pytest.param("max_distance_km", NEED | {"max_distance_km": "0"}, id="zero max distance"),
    pytest.param("max_distance_km", NEED | {"max_distance_km": "NaN"}, id="NaN max distance"),
    pytest.param(
        "current_route", NEED | {"current_route": "landfill"}, id="current route on a need"
    ),
    pytest.param("current_route", OFFER | {"current_route": "moon"}, id="unknown route"),
    pytest.param(
        "current_source_km", NEED | {"current_source_km": "-1"}, id="negative source distance"
    ),
    pytest.param(
        "current_source_km", NEED | {"current_source_km": "NaN"}, id="NaN source distance"
    ),
    pytest.param("price_eur_per_unit", OFFER | {"price_eur_per_unit": "-1"}, id="negative price"),
    pytest.param("price_eur_per_unit", OFFER | {"price_eur_per_unit": "NaN"}, id="NaN price"),
    pytest.param("visibility", OFFER | {"visibility": "secret"}, id="unknown visibility"),
]


@pytest.mark.parametrize(("field", "data"), BAD_VALUES)
def test_a_bad_value_re_renders_the_form_with_an_error_on_its_field_and_writes_nothing(
    client: FlaskClient, member: User, field: str, data: dict[str, str]
) -> None:
    login(client, member)
    response = post_listing(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html, field), f"no error shown on {field!r}"
    assert count(Listing) == 0


def test_every_problem_of_a_submission_is_reported_at_once(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    data = OFFER | {
        "ewc_code": "99 99 99",
        "available_from": "2026-05-01",
        "available_until": "2026-04-01",
        "location_mode": "postcode",
        "postcode": "1000",
    }
    html = post_listing(client, data).get_data(as_text=True)
    assert field_errors(html, "ewc_code") == [
        "99 99 99 is not a code of the European List of Waste (use 02 01 03)."
    ]
    assert field_errors(html, "available_until") == [
        "The end of the availability window lies before its start."
    ]
    assert field_errors(html, "postcode") == ["1000 is not a known Dutch postcode (use 1234 AB)."]


def test_an_offer_without_ewc_code_is_refused_with_the_reason(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    html = post_listing(client, OFFER | {"ewc_code": ""}).get_data(as_text=True)
    assert field_errors(html, "ewc_code") == [
        "An offer needs an EWC code, unless it is energy or water."
    ]


def test_the_site_location_is_refused_when_the_organisation_has_none(
    client: FlaskClient, db_session: Any
) -> None:
    org = factories.organisation(lon=None, lat=None, postcode=None, municipality_code=None)
    user = make_user(organisation=org)
    db_session.commit()
    login(client, user)
    response = post_listing(client, OFFER)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "location_mode")
    assert count(Listing) == 0


# Acting on behalf of a firm --------------------------------------------------------------------


def test_a_listing_made_with_the_form_gets_the_ref_its_export_will_carry(
    client: FlaskClient, member: User
) -> None:
    login(client, member)
    assert post_listing(client, OFFER).status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.ref == listing.public_id
    assert str(listing.id) not in listing.ref


def test_a_form_listing_whose_ref_an_import_already_took_gets_the_next_free_one(
    client: FlaskClient, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported rows may have named themselves like a public id that did not exist yet.
    first = factories.listing(organisation=member.organisation, ref="first")
    second = factories.listing(organisation=member.organisation, ref="second")
    next_public_id = "NextPublicId"
    first.ref, second.ref = next_public_id, f"{next_public_id}-2"
    db.session.commit()
    monkeypatch.setattr(public_ids, "new_public_id", lambda: next_public_id)
    login(client, member)
    assert post_listing(client, OFFER).status_code == 302
    created = db.session.scalars(sa.select(Listing).where(Listing.title == OFFER["title"])).one()
    assert (created.public_id, created.ref) == (next_public_id, f"{next_public_id}-3")


def test_a_coordinator_creating_a_listing_for_a_firm_writes_an_audit_entry(
    client: FlaskClient, db_session: Any
) -> None:
    firm = factories.organisation(name="Brouwerij Davo")
    coordinator = make_user(role="coordinator")
    db_session.commit()
    login(client, coordinator)
    response = post_listing(client, OFFER, organisation=firm.public_id)
    assert response.status_code == 302
    listing = db.session.scalars(sa.select(Listing)).one()
    assert listing.organisation_id == firm.id
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.user_id, entry.organisation_id, entry.action) == (
        coordinator.id,
        firm.id,
        "listing.create",
    )
    assert (entry.object_type, entry.object_id) == ("listing", listing.id)
    assert entry.details == {"title": "Bierbostel uit de brouwerij"}


def test_a_coordinator_editing_a_firms_listing_writes_an_audit_entry(
    client: FlaskClient, db_session: Any
) -> None:
    item = factories.listing()
    coordinator = make_user(role="coordinator")
    db_session.commit()
    login(client, coordinator)
    response = client.post(
        f"/listings/{item.public_id}/edit", data=OFFER | {"title": "Nieuwe titel"}
    )
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.title == "Nieuwe titel"
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.action, entry.organisation_id, entry.object_id) == (
        "listing.update",
        item.organisation_id,
        item.id,
    )


def test_a_member_editing_the_own_listing_writes_no_audit_entry(
    client: FlaskClient, member: User
) -> None:
    item = factories.listing(organisation=member.organisation)
    db.session.commit()
    login(client, member)
    response = client.post(f"/listings/{item.public_id}/edit", data=OFFER | {"quantity": "35"})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.quantity == 35.0
    assert count(AuditEntry) == 0


def test_the_edit_form_is_prefilled_with_the_listing(client: FlaskClient, member: User) -> None:
    item = factories.listing(organisation=member.organisation, kind="need", title="Gerst")
    item.accepted_codes = []
    db.session.commit()
    login(client, member)
    html = client.get(f"/listings/{item.public_id}/edit").get_data(as_text=True)
    assert 'value="Gerst"' in html
    assert re.search(
        r'<input[^>]*checked[^>]*value="need"|<input[^>]*value="need"[^>]*checked', html
    )


# Status changes ----------------------------------------------------------------------------------

TRANSITIONS = [
    ("draft", "active", True),
    ("draft", "closed", True),
    ("active", "paused", True),
    ("active", "closed", True),
    ("paused", "active", True),
    ("paused", "closed", True),
    ("closed", "active", True),
    ("draft", "paused", False),
    ("active", "draft", False),
    ("paused", "draft", False),
    ("closed", "paused", False),
    ("closed", "draft", False),
    ("active", "active", False),
    ("active", "deleted", False),
]


@pytest.mark.parametrize(("current", "target", "allowed"), TRANSITIONS)
def test_a_status_change_happens_only_when_the_transition_is_allowed(
    client: FlaskClient, member: User, current: str, target: str, allowed: bool
) -> None:
    item = factories.listing(organisation=member.organisation, status=current)
    db.session.commit()
    login(client, member)
    response = client.post(f"/listings/{item.public_id}/status", data={"status": target})
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == (target if allowed else current)


def test_a_refused_status_change_says_why(client: FlaskClient, member: User) -> None:
    item = factories.listing(organisation=member.organisation, status="draft")
    db.session.commit()
    login(client, member)
    response = client.post(
        f"/listings/{item.public_id}/status", data={"status": "paused"}, follow_redirects=True
    )
    assert "A draft listing cannot become paused." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("http://reststroom.test/listings/mine?organisation=7", "/listings/mine?organisation=7"),
        ("https://evil.example/phish?next=1", "/phish?next=1"),
        ("https://evil.example//evil.example/x", None),
        ("http://reststroom.test/\\evil.example", None),
        ("javascript:alert(1)", None),
        (None, None),
    ],
)
def test_a_status_change_returns_to_the_referring_page_on_this_site_only(
    client: FlaskClient, member: User, referrer: str | None, expected: str | None
) -> None:
    item = factories.listing(organisation=member.organisation)
    db.session.commit()
    login(client, member)
    headers = {"Referer": referrer} if referrer else {}
    response = client.post(
        f"/listings/{item.public_id}/status", data={"status": "paused"}, headers=headers
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (expected or f"/listings/{item.public_id}")


def test_publishing_a_draft_from_the_edit_form_activates_it(
    client: FlaskClient, member: User
) -> None:
    item = factories.listing(organisation=member.organisation, status="draft")
    db.session.commit()
    login(client, member)
    assert client.post(f"/listings/{item.public_id}/edit", data=OFFER).status_code == 302
    db.session.refresh(item)
    assert item.status == "active"


# CSRF --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/listings/new", "/listings/{id}/status", "/listings/{id}/edit"])
def test_a_listing_form_without_a_csrf_token_is_refused(
    csrf_app: Flask, member: User, path: str
) -> None:
    item = factories.listing(organisation=member.organisation, title="Ongewijzigd")
    db.session.commit()
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login",
        data={"email": member.email, "password": factories.PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 302
    data = OFFER | {"status": "paused", "title": "Vervalst"}
    response = client.post(path.format(id=item.public_id), data=data)
    assert response.status_code in (400, 422)
    db.session.refresh(item)
    assert (item.status, item.title) == ("active", "Ongewijzigd")
    assert count(Listing) == 1
