"""Sessions: fresh on login, remember-me for at most 30 days, logout and password change
end every session on the server, cookies HttpOnly, SameSite=Lax and Secure in production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from config import load_config
from tests import factories
from tests.marketplace.helpers import PASSWORD

DOMAIN = "reststroom.test"  # the test app's SERVER_NAME
SECURE_ENV = {
    "SECRET_KEY": "a-long-and-varied-secret-key-0123456789",
    "DATABASE_URL": "postgresql://u@127.0.0.1/x",
    "RESTSTROOM_BASE_URL": "https://reststroom.example.nl",
}


def _login(client: FlaskClient, email: str, *, remember: bool = False) -> Any:
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def _cookies(response: Any) -> dict[str, SimpleCookie]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/organisation").status_code != 302


def test_logging_in_starts_a_fresh_session(client: FlaskClient, db_session: Any) -> None:
    user = factories.user(email="anna@example.nl")
    db_session.commit()
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
        planted["lang"] = "en"
    assert _login(client, user.email).status_code == 302
    with client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["lang"] == "en"  # the language choice survives
        assert session["_user_id"] == user.get_id()


def test_remember_me_lasts_at_most_30_days_and_its_cookies_are_locked_down(
    client: FlaskClient, db_session: Any, app: Flask
) -> None:
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)
    user = factories.user(email="bea@example.nl")
    db_session.commit()
    response = _login(client, user.email, remember=True)
    cookies = _cookies(response)
    for name in ("session", "remember_token"):
        morsel = cookies[name][name]
        assert morsel["httponly"], name
        assert morsel["samesite"] == "Lax", name
    remember = cookies["remember_token"]["remember_token"]
    expires = parsedate_to_datetime(remember["expires"])
    assert expires <= datetime.now(UTC) + timedelta(days=30, minutes=1)
    assert expires >= datetime.now(UTC) + timedelta(days=29)


def test_a_remember_cookie_alone_logs_in_until_logout(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="cees@example.nl")
    db_session.commit()
    remember = _cookies(_login(client, user.email, remember=True))["remember_token"]
    value = remember["remember_token"].value
    # A second browser with only the remember cookie (e.g. a stolen one).
    thief = app.test_client()
    thief.set_cookie("remember_token", value, domain=DOMAIN)
    assert _logged_in(thief)
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("remember_token", value, domain=DOMAIN)
    assert not _logged_in(other)


def test_logout_makes_a_copied_session_cookie_worthless(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="dirk@example.nl")
    db_session.commit()
    session_cookie = _cookies(_login(client, user.email))["session"]["session"].value
    copy = app.test_client()
    copy.set_cookie("session", session_cookie, domain=DOMAIN)
    assert _logged_in(copy)
    client.post("/logout")
    assert not _logged_in(copy)
    assert not _logged_in(client)


def test_a_password_change_ends_other_sessions_and_remember_cookies(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="els@example.nl")
    db_session.commit()
    other_device = app.test_client()
    remember = _cookies(_login(other_device, user.email, remember=True))["remember_token"]
    _login(client, user.email)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert _logged_in(client)  # this session was renewed
    assert not _logged_in(other_device)
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remember["remember_token"].value, domain=DOMAIN)
    assert not _logged_in(fresh)


def test_production_cookies_are_secure() -> None:
    settings = load_config("production", SECURE_ENV)
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
