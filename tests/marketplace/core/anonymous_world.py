"""The world of the anonymity and disclosure tests: firm A (Deventer) with one anonymous
offer, firm B (Zutphen) with a public need, a member of each firm and a coordinator.

Firm A's name, postcode, ref and site digits occur nowhere else on the pages, so a test
can look for them in any response text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from geo.geocode import geocode_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import english, login, make_user

#: Firm A's site in Deventer, with digits that occur nowhere else on the pages.
SITE_LON, SITE_LAT = 6.17321, 52.24687
A_NAME = "Geheime Brouwerij Zwartwater"
A_POSTCODE = "7416 XK"
A_REF = "BOSTEL-1"
#: What must never reach anyone outside firm A.
SECRETS = (A_NAME, "Zwartwater", "7416", "6.1732", "52.2468")


@dataclass
class World:
    firm_a: Organisation
    member_a: User
    member_b: User
    coordinator: User
    offer: Listing
    need: Listing


def build_world(db_session: Any) -> World:
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
        ref=A_REF,
        quantity=500.0,
        frequency="year",
    )
    need = factories.listing(organisation=firm_b, kind="need", quantity=500.0, frequency="year")
    world = World(
        firm_a=firm_a,
        member_a=make_user(organisation=firm_a),
        member_b=make_user(organisation=firm_b),
        coordinator=make_user(role="coordinator", organisation=None),
        offer=offer,
        need=need,
    )
    db_session.commit()
    return world


def assert_no_secrets(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"anonymous firm leaked: {leaked}"


def sign_in(client: FlaskClient, world: World, who: str) -> None:
    """``who``: a user of the world by attribute name; "anonymous" or "visitor" (not
    logged in) reads the pages in English."""
    if who in ("anonymous", "visitor"):
        english(client)
    else:
        login(client, getattr(world, who))
