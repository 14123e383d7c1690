"""Registration validation: each bad field is reported on that field, nothing is written,
and everything the visitor typed (except passwords) comes back in the form."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Organisation, OutboxMessage, User
from marketplace.accounts.organisations import register_organisation
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from tests import factories

REGISTRATION = {
    "name": "Brouwerij De Klok",
    "kvk": "12345678",
    "sbi_code": "11.05",
    "address": "Brink 1",
    "postcode": "7411 AB",
    "city": "Deventer",
    "contact_name": "Anna de Vries",
    "email": "anna@brouwerij-de-klok.nl",
    "password": "lang genoeg wachtwoord",
    "confirm": "lang genoeg wachtwoord",
    "locale": "nl",
}


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0,
        db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0,
    )


def fields_with_errors(html: str) -> set[str]:
    return set(re.findall(r'<div class="field has-error">\s*<label for="(\w+)"', html))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kvk", "1234567"),  # 7 digits
        ("kvk", "1234567A"),  # a letter
        ("kvk", "123456789"),  # 9 digits
        ("postcode", "0123 AB"),  # no postcode starts with 0
        ("postcode", "1234 SA"),  # SA, SD and SS are never issued
        ("postcode", "7411"),  # the letters are required for a site
        ("postcode", "74 11AB"),
        ("postcode", "1000 AA"),  # well formed, but PC4 1000 (PO boxes) is not in the table
        ("email", "anna.brouwerij.nl"),
        ("email", "anna@"),
        ("password", "too short"),  # 9 characters
        ("sbi_code", "99.99"),
        ("sbi_code", "10"),  # a division, not a class
        ("confirm", "a different passphrase"),
        ("name", ""),
        ("city", ""),
    ],
)
def test_an_invalid_field_is_reported_on_that_field_and_nothing_is_written(
    client: FlaskClient, db_session: Any, field: str, value: str
) -> None:
    before = counts()
    data = {**REGISTRATION, field: value}
    if field == "password":
        data["confirm"] = value
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert fields_with_errors(response.text) == {field}
    assert counts() == before


def test_every_problem_is_reported_at_once(client: FlaskClient, db_session: Any) -> None:
    data = {
        **REGISTRATION,
        "kvk": "1234",
        "postcode": "0123 AB",
        "email": "not-an-address",
        "password": "short",
        "confirm": "short",
        "sbi_code": "",
    }
    response = client.post("/register", data=data)
    assert response.status_code == 422
    assert fields_with_errors(response.text) == {"kvk", "postcode", "email", "password", "sbi_code"}


def _outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_duplicate_kvk_number_answers_like_a_new_registration_and_mails_the_applicant(
    client: FlaskClient, db_session: Any
) -> None:
    factories.organisation(kvk="12345678")
    before = counts()
    response = client.post("/register", data=REGISTRATION)
    assert (response.status_code, response.location) == (302, "/login")
    assert counts() == before
    [mail] = _outbox()
    assert mail.recipient == "anna@brouwerij-de-klok.nl"
    assert "12345678" in mail.body


def test_an_address_registered_in_another_case_answers_alike_and_mails_its_owner(
    client: FlaskClient, db_session: Any
) -> None:
    owner = factories.user(email="anna@brouwerij-de-klok.nl")
    db_session.commit()
    before = counts()
    response = client.post("/register", data={**REGISTRATION, "email": "ANNA@Brouwerij-De-Klok.NL"})
    assert (response.status_code, response.location) == (302, "/login")
    assert counts() == before
    [mail] = _outbox()
    assert mail.recipient == owner.email
    assert "/password/forgot" in mail.body


def test_the_answer_is_the_same_for_a_new_and_a_known_address(
    client: FlaskClient, db_session: Any
) -> None:
    new = client.post("/register", data=REGISTRATION, follow_redirects=True)
    client.post("/logout")
    again = client.post(
        "/register", data={**REGISTRATION, "kvk": "87654321"}, follow_redirects=True
    )
    assert new.status_code == again.status_code == 200
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", new.text) == strip.sub("", again.text)
    assert "Check your e-mail" in new.text or "Controleer je e-mail" in new.text


def test_what_was_typed_comes_back_except_the_passwords(
    client: FlaskClient, db_session: Any
) -> None:
    response = client.post("/register", data={**REGISTRATION, "postcode": "1234 SS"})
    html = response.text
    for field in ("name", "kvk", "address", "postcode", "city", "contact_name", "email"):
        value = REGISTRATION[field] if field != "postcode" else "1234 SS"
        assert re.search(rf'name="{field}"[^>]*value="{re.escape(value)}"', html) or re.search(
            rf'value="{re.escape(value)}"[^>]*name="{field}"', html
        ), field
    assert re.search(r'<option selected value="11.05">|<option value="11.05" selected', html)
    assert REGISTRATION["password"] not in html


def test_user_input_is_escaped_when_shown_again(client: FlaskClient, db_session: Any) -> None:
    response = client.post(
        "/register", data={**REGISTRATION, "name": "<script>alert(1)</script>", "kvk": "bad"}
    )
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_the_service_reports_every_problem_with_the_form_field_names(
    app: Flask, db_session: Any
) -> None:
    with app.test_request_context(), pytest.raises(InvalidInput) as info:
        register_organisation(
            name=" ",
            kvk="12 34 56 7",
            sbi_code="10",
            address="",
            postcode="1234 SD",
            city="",
            contact_name="",
            email="x@",
            password="123",
        )
    assert sorted(info.value.errors) == [
        "address",
        "city",
        "contact_name",
        "email",
        "kvk",
        "name",
        "password",
        "postcode",
        "sbi_code",
    ]
    assert all(len(messages) == 1 for messages in info.value.errors.values())


def test_the_service_normalises_kvk_postcode_and_email(app: Flask, db_session: Any) -> None:
    with app.test_request_context():
        user = register_organisation(
            name="  Brouwerij De Klok ",
            kvk="1234 5678",
            sbi_code="11.05",
            address="Brink 1",
            postcode=" 7411ab ",
            city="Deventer",
            contact_name=" Anna ",
            email=" Anna@Brouwerij.NL ",
            password="lang genoeg wachtwoord",
        )
    org = user.organisation
    assert (org.name, org.kvk, org.postcode) == ("Brouwerij De Klok", "12345678", "7411 AB")
    assert (user.email, user.name) == ("anna@brouwerij.nl", "Anna")
