"""CSRF protection, switched on as in production: every POST needs the session's token."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from tests import factories
from tests.factories import PASSWORD


def csrf_token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


def test_login_without_a_token_is_refused(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert 'data-status="400"' in response.text
    assert client.get("/dashboard").status_code == 302


def test_login_with_the_token_of_the_page_succeeds(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_token_from_another_session_is_refused(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    foreign = csrf_token(csrf_app.test_client(), "/login")
    client.get("/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 400


def test_logout_without_a_token_is_refused_and_with_it_succeeds(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})

    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
    # Every page carries the logout form with the token.
    token = csrf_token(client, "/dashboard")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_registration_without_a_token_writes_nothing(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    data = {
        "name": "Brouwerij De Klok",
        "sbi_code": "11.05",
        "address": "Brink 1",
        "postcode": "7411 AB",
        "city": "Deventer",
        "contact_name": "Anna",
        "email": "anna@example.nl",
        "password": "lang genoeg wachtwoord",
        "confirm": "lang genoeg wachtwoord",
        "locale": "nl",
    }
    assert client.post("/register", data=data).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0
    token = csrf_token(client, "/register")
    assert client.post("/register", data={**data, "csrf_token": token}).status_code == 302


def test_a_missing_token_answers_json_to_json_clients(
    csrf_app: Flask, client: FlaskClient, db_session: Any
) -> None:
    response = client.post("/login", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json is not None
    assert response.json["error"]["code"] == "bad_request"
