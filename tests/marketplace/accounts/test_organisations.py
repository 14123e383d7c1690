"""Organisation profiles: what members see, what they and coordinators may change, the audit."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from tests import factories
from tests.factories import DEVENTER_LONLAT, PASSWORD


@pytest.fixture
def brewery(db_session: Any) -> Organisation:
    org = factories.organisation(
        name="Brouwerij De Klok",
        kvk="12345678",
        sbi_code="11.05",
        address="Brink 1",
        postcode="7411 AB",
        city="Deventer",
    )
    factories.user(organisation=org, name="Anna de Vries", email="anna@klok.nl")
    factories.user(organisation=org, name="Bert Brouwer", email="bert@klok.nl")
    db_session.commit()
    return org


def login(client: FlaskClient, user: User) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def form_of(org: Organisation, **changes: str) -> dict[str, str]:
    values = {
        "name": org.name,
        "kvk": org.kvk or "",
        "sbi_code": org.sbi_code or "",
        "address": org.address or "",
        "postcode": org.postcode or "",
        "city": org.city or "",
        "website": org.website or "",
        "description": org.description or "",
    }
    values.update(changes)
    return values


def audit_entries() -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry)))


def test_a_member_sees_the_profile_with_municipality_kvk_sbi_and_members(
    client: FlaskClient, brewery: Organisation
) -> None:
    login(client, brewery.members[0])
    response = client.get("/organisation")
    assert response.status_code == 200
    html = response.text
    for expected in (
        "Brouwerij De Klok",
        "12345678",
        "11.05 – Vervaardiging van bier",
        "Deventer",
        "Anna de Vries",
        "Bert Brouwer",
        "bert@klok.nl",
        f'href="/organisations/{brewery.public_id}/edit"',
    ):
        assert expected in html

    def main(page: str) -> str:
        return page.split("<h1>", 1)[1]

    assert main(client.get(f"/organisations/{brewery.public_id}").text) == main(html)


def test_a_member_edit_is_saved_geocoded_and_not_audited(
    client: FlaskClient, brewery: Organisation
) -> None:
    login(client, brewery.members[0])
    response = client.post(
        f"/organisations/{brewery.public_id}/edit",
        data=form_of(brewery, postcode="7311ab", city="Apeldoorn", website="www.klok.nl"),
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/organisations/{brewery.public_id}")
    db.session.expire_all()
    org = db.session.get(Organisation, brewery.id)
    assert (org.postcode, org.city, org.website) == ("7311 AB", "Apeldoorn", "https://www.klok.nl")
    # PC4 7311 in geo/data/nl_pc4_centroids.csv lies in Apeldoorn.
    assert (org.lon, org.lat, org.municipality_code) == (5.9609, 52.213, "GM0200")
    assert audit_entries() == []


def test_an_unchanged_postcode_keeps_the_stored_point(
    client: FlaskClient, brewery: Organisation
) -> None:
    login(client, brewery.members[0])
    response = client.post(
        f"/organisations/{brewery.public_id}/edit", data=form_of(brewery, postcode="7411ab")
    )
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.get(Organisation, brewery.id)
    assert (org.lon, org.lat) == DEVENTER_LONLAT  # not the PC4 point (6.1593, 52.2525)


def test_a_coordinator_edit_is_recorded_in_the_audit_trail(
    client: FlaskClient, brewery: Organisation
) -> None:
    coordinator = factories.user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    edit_page = client.get(f"/organisations/{brewery.public_id}/edit")
    assert edit_page.status_code == 200
    assert 'class="warning"' in edit_page.text
    response = client.post(
        f"/organisations/{brewery.public_id}/edit",
        data=form_of(brewery, name="Brouwerij De Klok BV", description="Speciaalbier"),
    )
    assert response.status_code == 302
    (entry,) = audit_entries()
    assert (entry.user_id, entry.organisation_id) == (coordinator.id, brewery.id)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "organisation.update",
        "organisation",
        brewery.id,
    )
    assert entry.details == {
        "changes": {
            "name": ["Brouwerij De Klok", "Brouwerij De Klok BV"],
            "description": [None, "Speciaalbier"],
        }
    }


def test_an_edit_without_changes_writes_no_audit_entry(
    client: FlaskClient, brewery: Organisation
) -> None:
    login(client, factories.user(role="admin"))
    response = client.post(f"/organisations/{brewery.public_id}/edit", data=form_of(brewery))
    assert response.status_code == 302
    assert audit_entries() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postcode": "1234 SS"}, "postcode"),
        ({"postcode": "1000 AA"}, "postcode"),
        ({"kvk": "1234"}, "kvk"),
        ({"kvk": "87654321"}, "kvk"),  # another organisation's number
        ({"sbi_code": "A"}, "sbi_code"),
    ],
)
def test_an_invalid_edit_is_shown_again_and_changes_nothing(
    client: FlaskClient, brewery: Organisation, changes: dict[str, str], field: str
) -> None:
    factories.organisation(kvk="87654321")
    db.session.commit()
    login(client, brewery.members[0])
    data = form_of(brewery, name="Nieuwe Naam", **changes)
    response = client.post(f"/organisations/{brewery.public_id}/edit", data=data)
    assert response.status_code == 422
    errors = set(re.findall(r'<div class="field has-error">\s*<label for="(\w+)"', response.text))
    assert errors == {field}
    assert 'value="Nieuwe Naam"' in response.text
    db.session.expire_all()
    assert db.session.get(Organisation, brewery.id).name == "Brouwerij De Klok"


def test_a_website_cannot_smuggle_a_script_url(client: FlaskClient, brewery: Organisation) -> None:
    login(client, brewery.members[0])
    client.post(
        f"/organisations/{brewery.public_id}/edit",
        data=form_of(brewery, website="javascript:alert(1)"),
    )
    page = client.get("/organisation").text
    assert 'href="javascript:' not in page
    assert 'href="https://javascript:alert(1)"' in page


def test_a_coordinator_sees_every_organisation_with_its_member_count(
    client: FlaskClient, brewery: Organisation
) -> None:
    empty = factories.organisation(name="Aannemer Zonder Leden")
    coordinator = factories.user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    html = client.get("/organisations/").text
    rows = re.findall(
        r'<a href="/organisations/([\w-]{12})">([^<]+)</a>.*?<td class="num">(\d+)</td>', html, re.S
    )
    assert rows == [
        (empty.public_id, "Aannemer Zonder Leden", "0"),
        (brewery.public_id, brewery.name, "2"),
    ]
    # A coordinator without an organisation of their own is sent to this list.
    response = client.get("/organisation")
    assert response.status_code == 302
    assert response.location.endswith("/organisations/")
