"""Accounts: registration, login and logout, remember-me, password change and reset, the CLI."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Organisation, OutboxMessage, User
from marketplace.core.audit import AuditEntry
from marketplace.extensions import db
from tests import factories
from tests.factories import PASSWORD

# These tests are about passwords: hash them exactly as production does.
pytestmark = pytest.mark.real_password_hash

NEW_PASSWORD = "a brand new passphrase"
REGISTRATION = {
    "name": "Brouwerij De Klok",
    "kvk": "12345678",
    "sbi_code": "11.05",
    "address": "Brink 1",
    "postcode": "7411ab",
    "city": "Deventer",
    "contact_name": "Anna de Vries",
    "email": "Anna@Brouwerij-De-Klok.nl",
    "password": "lang genoeg wachtwoord",
    "confirm": "lang genoeg wachtwoord",
    "locale": "en",
}


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/login", data={"email": email, "password": password, **extra})


def is_logged_in(client: FlaskClient) -> bool:
    response = client.get("/dashboard")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def count(model: type[Any]) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# Registration ------------------------------------------------------------------------------


def test_the_registration_form_offers_sbi_classes_and_a_csrf_protected_form(
    client: FlaskClient,
) -> None:
    response = client.get("/register")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="11.05"' in html
    for field in ("name", "kvk", "sbi_code", "postcode", "email", "password", "confirm"):
        assert f'name="{field}"' in html


def test_registration_creates_the_organisation_and_its_first_member_and_mails_a_welcome(
    client: FlaskClient, db_session: Any
) -> None:
    response = client.post("/register", data=REGISTRATION)
    assert response.status_code == 302
    assert response.location.endswith("/login")

    org = db.session.scalars(sa.select(Organisation)).one()
    assert (org.name, org.kvk, org.sbi_code) == ("Brouwerij De Klok", "12345678", "11.05")
    assert (org.address, org.postcode, org.city) == ("Brink 1", "7411 AB", "Deventer")
    # PC4 7411 in geo/data/nl_pc4_centroids.csv, inside the municipality of Deventer.
    assert (org.lon, org.lat) == (6.1593, 52.2525)
    assert org.municipality_code == "GM0150"
    user = db.session.scalars(sa.select(User)).one()
    assert user.email == "anna@brouwerij-de-klok.nl"
    assert (user.name, user.role, user.locale) == ("Anna de Vries", "member", "en")
    assert user.organisation_id == org.id
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("lang genoeg wachtwoord")
    # Logged in only with the password: the answer must not differ from a registration
    # with a known address (which logs nobody in).
    assert not is_logged_in(client)
    [mail] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert mail.recipient == user.email and "Brouwerij De Klok" in mail.body


def test_registration_without_kvk_is_allowed(client: FlaskClient, db_session: Any) -> None:
    response = client.post("/register", data={**REGISTRATION, "kvk": ""})
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Organisation.kvk)).one() is None


def test_a_logged_in_user_is_sent_from_registration_to_the_dashboard(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    login(client, user.email)
    response = client.get("/register")
    assert response.status_code == 302
    assert response.location.endswith("/dashboard")


# Login and logout --------------------------------------------------------------------------


def test_login_with_the_right_password_records_the_login_and_opens_the_dashboard(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="piet@example.nl")
    db_session.commit()
    assert user.last_login_at is None
    response = login(client, "PIET@example.nl")  # addresses are case-insensitive
    assert response.status_code == 302
    assert response.location.endswith("/dashboard")
    db_session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None
    assert is_logged_in(client)


def test_login_with_a_wrong_password_is_refused_with_the_form_again(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="piet@example.nl")
    response = login(client, user.email, "not the password")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="piet@example.nl"' in html  # what was typed is kept ...
    assert "not the password" not in html  # ... except the password
    assert not is_logged_in(client)


def test_login_with_an_unknown_address_answers_like_a_wrong_password(
    client: FlaskClient, db_session: Any
) -> None:
    known = factories.user(email="piet@example.nl")
    wrong_password = login(client, known.email, "not the password")
    unknown = login(client, "nobody@example.nl", "not the password")
    assert unknown.status_code == wrong_password.status_code == 422

    def errors(r: Any) -> str:
        return re.search(r'role="alert">(.*?)</div>', r.get_data(as_text=True), re.S).group(1)

    assert errors(unknown) == errors(wrong_password)


def test_an_inactive_user_cannot_log_in(client: FlaskClient, db_session: Any) -> None:
    user = factories.user(active=False)
    response = login(client, user.email)
    assert response.status_code == 422
    assert not is_logged_in(client)


def test_a_user_deactivated_while_logged_in_is_logged_out(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    login(client, user.email)
    user.active = False
    db_session.commit()
    assert not is_logged_in(client)


def test_logout_by_post_ends_the_session(client: FlaskClient, db_session: Any) -> None:
    user = factories.user()
    login(client, user.email)
    response = client.post("/logout")
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_logout_by_get_is_refused_and_keeps_the_session(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    login(client, user.email)
    assert client.get("/logout").status_code == 405
    assert is_logged_in(client)


def test_remember_me_sets_a_cookie_that_logs_in_a_new_browser_session(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    login(client, user.email, remember="y")
    cookie = client.get_cookie("remember_token", domain="reststroom.test")
    assert cookie is not None
    assert cookie.http_only

    reopened = app.test_client()
    reopened.set_cookie("remember_token", cookie.value, domain="reststroom.test")
    assert is_logged_in(reopened)


def test_without_remember_me_no_cookie_is_set(client: FlaskClient, db_session: Any) -> None:
    user = factories.user()
    login(client, user.email)
    assert client.get_cookie("remember_token", domain="reststroom.test") is None


# Safe redirects ----------------------------------------------------------------------------


def test_a_protected_page_sends_anonymous_users_to_login_with_next(client: FlaskClient) -> None:
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "/login?next=" in response.location


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/organisation", "/organisation"),
        ("/dashboard?tab=matches", "/dashboard?tab=matches"),
        ("https://evil.example/phish", "/dashboard"),
        ("//evil.example/phish", "/dashboard"),
        ("/\\evil.example/phish", "/dashboard"),  # browsers read it as //evil.example
        ("/\\/evil.example/phish", "/dashboard"),
        ("javascript:alert(1)", "/dashboard"),
        ("", "/dashboard"),
    ],
)
def test_login_follows_only_local_next_urls(
    client: FlaskClient, db_session: Any, next_url: str, expected: str
) -> None:
    user = factories.user()
    form = client.get(f"/login?next={next_url}").get_data(as_text=True)
    assert 'name="next"' in form
    response = login(client, user.email, next=next_url)
    assert response.status_code == 302
    assert response.location.removeprefix("http://reststroom.test") == expected


# Password change ---------------------------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_logs_out_the_others(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    other_device = app.test_client()
    login(client, user.email)
    login(other_device, user.email)
    remembered = app.test_client()
    login(remembered, user.email, remember="y")
    old_cookie = remembered.get_cookie("remember_token", domain="reststroom.test")

    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert is_logged_in(client)
    assert not is_logged_in(other_device)
    stale = app.test_client()
    stale.set_cookie("remember_token", old_cookie.value, domain="reststroom.test")
    assert not is_logged_in(stale)
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), user.email, PASSWORD).status_code == 422


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"current_password": "wrong password", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        (
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": "other"},
            "confirm",
        ),
    ],
)
def test_a_refused_password_change_changes_nothing(
    client: FlaskClient, db_session: Any, data: dict[str, str], field: str
) -> None:
    user = factories.user()
    version = user.session_version
    login(client, user.email)
    response = client.post("/account/password", data={"confirm": data["new_password"], **data})
    assert response.status_code == 422
    assert re.search(rf'<div class="field has-error">\s*<label for="{field}"', response.text)
    db_session.expire_all()
    assert db.session.get(User, user.id).session_version == version
    assert is_logged_in(client)


# Password reset ----------------------------------------------------------------------------


def _reset_link(recipient: str) -> str:
    message = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == recipient)
    ).one()
    match = re.search(r"http://reststroom\.test(/password/reset/\S+)", message.body)
    assert match is not None, message.body
    return match.group(1)


def test_password_reset_works_once_through_the_emailed_link(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="piet@example.nl")
    db_session.commit()
    response = client.post("/password/forgot", data={"email": "Piet@Example.nl"})
    assert response.status_code == 302
    assert response.location.endswith("/login")
    link = _reset_link("piet@example.nl")

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.location.endswith("/login")
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302

    # The password changed, so the session version in the token is stale: used once only.
    again = client.get(link)
    assert again.status_code == 302
    assert again.location.endswith("/password/forgot")
    response = client.post(
        link, data={"password": "yet another passphrase", "confirm": "yet another passphrase"}
    )
    assert response.status_code == 302
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_reset_answers_the_same_for_unknown_addresses_and_sends_nothing(
    client: FlaskClient, db_session: Any
) -> None:
    factories.user(email="piet@example.nl")
    known = client.post("/password/forgot", data={"email": "piet@example.nl"})
    with client.session_transaction() as session:
        known_flashes = session.pop("_flashes")
    unknown = client.post("/password/forgot", data={"email": "nobody@example.nl"})
    with client.session_transaction() as session:
        unknown_flashes = session.pop("_flashes")
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert known_flashes == unknown_flashes
    assert db.session.scalars(sa.select(OutboxMessage.recipient)).all() == ["piet@example.nl"]


def test_an_inactive_account_gets_no_reset_mail(client: FlaskClient, db_session: Any) -> None:
    user = factories.user(active=False)
    client.post("/password/forgot", data={"email": user.email})
    assert count(OutboxMessage) == 0


def test_an_expired_reset_token_is_refused(
    client: FlaskClient, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = factories.user()
    max_age_s = client.application.config["PASSWORD_RESET_MAX_AGE_S"]
    with monkeypatch.context() as patch:
        # Issue the token as if it had been requested max_age + 1 seconds ago.
        patch.setattr(
            TimestampSigner, "get_timestamp", lambda self: int(time.time()) - max_age_s - 1
        )
        token = accounts.password_reset_token(user)
    response = client.post(
        f"/password/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response.location.endswith("/password/forgot")
    with client.session_transaction() as session:
        assert [category for category, _ in session["_flashes"]] == ["error"]
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1aWQiOjF9.forged.signature"])
def test_a_forged_reset_token_is_refused(client: FlaskClient, db_session: Any, token: str) -> None:
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 302
    assert response.location.endswith("/password/forgot")


def test_the_reset_page_keeps_its_token_out_of_referer_headers(
    client: FlaskClient, db_session: Any
) -> None:
    token = accounts.password_reset_token(factories.user())
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_too_short_new_password_keeps_the_token_usable(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    token = accounts.password_reset_token(user)
    response = client.post(
        f"/password/reset/{token}", data={"password": "short", "confirm": "short"}
    )
    assert response.status_code == 422
    assert client.get(f"/password/reset/{token}").status_code == 200


def test_mail_goes_through_smtp_when_configured(
    app: Flask, db_session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append((host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def send_message(self, message: Any) -> None:
            sent.append((message["To"], message["Subject"]))

    monkeypatch.setattr("marketplace.accounts.mail.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example")
    user = factories.user(email="piet@example.nl")
    with app.test_request_context():
        assert accounts.request_password_reset(user.email) is None
    assert sent[0] == ("mail.example", 25)
    assert sent[1][0] == "piet@example.nl"
    assert count(OutboxMessage) == 0


# Users CLI ---------------------------------------------------------------------------------


def test_cli_creates_a_member_with_a_password_from_stdin(app: Flask, db_session: Any) -> None:
    org = factories.organisation(name="Zuivel BV", kvk="87654321")
    db_session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Jan@Zuivel.nl",
            "--name",
            "Jan Jansen",
            "--role",
            "member",
            "--organisation",
            "87654321",
            "--password-stdin",
        ],
        input="stdin passphrase 1\n",
    )
    assert result.exit_code == 0, result.output
    assert result.output == "created member jan@zuivel.nl of Zuivel BV\n"
    user = db.session.scalars(sa.select(User).where(User.email == "jan@zuivel.nl")).one()
    assert (user.organisation_id, user.role) == (org.id, "member")
    assert user.check_password("stdin passphrase 1")


def test_cli_finds_the_organisation_by_name_and_prompts_twice_for_the_password(
    app: Flask, db_session: Any
) -> None:
    factories.organisation(name="Zuivel BV")
    db_session.commit()
    result = app.test_cli_runner().invoke(
        args=["users", "create", "jan@zuivel.nl", "--name", "Jan", "--organisation", "zuivel bv"],
        input="prompted passphrase\nprompted passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "prompted passphrase" not in result.output  # hidden input
    user = db.session.scalars(sa.select(User).where(User.email == "jan@zuivel.nl")).one()
    assert user.check_password("prompted passphrase")


def test_cli_creates_a_coordinator_without_organisation(app: Flask, db_session: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "co@regio.nl",
            "--name",
            "Coby",
            "--role",
            "coordinator",
            "--password-stdin",
        ],
        input="coordinator passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalars(sa.select(User.role)).one() == "coordinator"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "member"], "long enough passphrase\n", "a member needs --organisation"),
        (["--organisation", "Nobody BV"], "long enough passphrase\n", "'Nobody BV'"),
        (["--role", "coordinator"], "short\n", "password: "),
        (["--role", "overlord"], "long enough passphrase\n", "'overlord' is not one of"),
    ],
)
def test_cli_refuses_bad_input_with_a_clear_message_and_a_non_zero_exit(
    app: Flask, db_session: Any, args: list[str], stdin: str, message: str
) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "jan@example.nl", "--name", "Jan", *args, "--password-stdin"],
        input=stdin,
    )
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0


def test_cli_refuses_a_duplicate_address_in_another_case(app: Flask, db_session: Any) -> None:
    factories.user(email="jan@example.nl", role="coordinator")
    db_session.commit()
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "JAN@example.nl",
            "--name",
            "Jan",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="long enough passphrase\n",
    )
    assert result.exit_code == 1
    assert "email: An account with this e-mail address already exists." in result.output
    assert count(User) == 1


def test_cli_lists_users_as_a_table(app: Flask, db_session: Any) -> None:
    org = factories.organisation(name="Zuivel BV")
    factories.user(email="b@example.nl", name="Bea", organisation=org)
    factories.user(email="a@example.nl", name="Ad", role="admin", active=False)
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["email", "name", "role", "organisation", "active"]
    assert lines[2].split() == ["a@example.nl", "Ad", "admin", "-", "no"]
    assert lines[3].split() == ["b@example.nl", "Bea", "member", "Zuivel", "BV", "yes"]
    assert lines[4] == "2 user(s)"


def test_no_audit_entry_is_written_by_plain_account_actions(
    client: FlaskClient, db_session: Any
) -> None:
    client.post("/register", data=REGISTRATION)
    assert count(AuditEntry) == 0
