"""The v1 framework: JSON errors for everything under /api/, tokens, CSRF, the OpenAPI docs."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import ApiToken
from marketplace.accounts.tokens import create_token, hash_token, revoke_token
from marketplace.extensions import db
from tests.marketplace.api.conftest import Callers, bearer, csrf_token_of, login_with_csrf
from tests.marketplace.helpers import count, login, make_user


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]
    return error


# --- errors -----------------------------------------------------------------------------------


def test_an_unknown_api_path_answers_json_404(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")


def test_a_wrong_method_answers_json_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/v1/listings")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/listings/73786976294838206464",
        "/api/v1/matches/73786976294838206464",
        "/api/v1/listings/%00%00%00%00%00%00%00%00%00%00%00%00",
        "/api/v1/runs/73786976294838206464",
    ],
)
def test_ids_beyond_64_bits_and_nul_bytes_are_a_404_not_a_500(
    client: FlaskClient, callers: Callers, path: str
) -> None:
    assert_error(client.get(path, headers=callers.coordinator.headers), 404, "not_found")


def test_a_body_that_is_not_json_is_415_and_bad_json_is_422(
    client: FlaskClient, callers: Callers
) -> None:
    headers = callers.a.headers
    assert_error(
        client.post("/api/v1/listings", data="kind=offer", headers=headers),
        415,
        "unsupported_media_type",
    )
    error = assert_error(
        client.post(
            "/api/v1/listings", data="{nope", content_type="application/json", headers=headers
        ),
        422,
        "invalid_input",
    )
    assert error["fields"] == {"": ["The body is not valid JSON."]} or error["fields"][""]
    error = assert_error(
        client.post("/api/v1/listings", json=[1, 2], headers=headers), 422, "invalid_input"
    )
    assert "" in error["fields"]


def test_a_body_over_the_limit_is_413_json(
    app: Flask, client: FlaskClient, callers: Callers
) -> None:
    body = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/listings/import", data=body, content_type="text/csv", headers=callers.a.headers
    )
    assert_error(response, 413, "payload_too_large")


def test_a_500_is_json_with_a_request_id_that_the_log_carries(
    app: Flask,
    client: FlaskClient,
    callers: Callers,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("marketplace.api.v1.listings.search_listings", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/listings")
    error = assert_error(response, 500, "internal_error")
    assert "fire" not in error["message"] and "Traceback" not in response.get_data(as_text=True)
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_a_sane_client_request_id_is_kept(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing", headers={"X-Request-Id": "client-req-0001"})
    assert response.headers["X-Request-Id"] == "client-req-0001"
    response = client.get("/api/v1/nothing", headers={"X-Request-Id": "bad id <script>"})
    assert response.headers["X-Request-Id"] != "bad id <script>"


def test_the_old_site_endpoints_keep_working_with_json_errors(client: FlaskClient) -> None:
    assert client.get("/api/ewc?q=gips").status_code == 200
    assert client.get("/api/region").get_json()["type"] == "FeatureCollection"
    assert client.get("/api/listings").get_json()["type"] == "FeatureCollection"
    error = assert_error(client.get("/api/ewc?q=" + "x" * 101), 400, "bad_request")
    assert "q" in error["fields"]


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_acts_as_its_user_and_writes_no_session(
    client: FlaskClient, callers: Callers
) -> None:
    response = client.get("/api/v1/matches", headers=callers.a.headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.get("/api/v1/matches").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer rst_" + "A" * 43,  # well formed, unknown
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_an_invalid_token_is_a_json_401_even_for_public_endpoints(
    client: FlaskClient, db_session: Any, header: str
) -> None:
    response = client.get("/api/v1/listings", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_and_an_inactive_user_answer_401(
    client: FlaskClient, callers: Callers
) -> None:
    assert client.get("/api/v1/matches", headers=callers.a.headers).status_code == 200
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == callers.a.user.id))
    revoke_token(row)
    db.session.commit()
    assert_error(client.get("/api/v1/matches", headers=callers.a.headers), 401, "unauthorized")
    callers.b.user.active = False
    db.session.commit()
    assert_error(client.get("/api/v1/matches", headers=callers.b.headers), 401, "unauthorized")


def test_only_the_hash_of_a_token_is_stored(callers: Callers) -> None:
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == callers.a.user.id))
    assert row.token_hash == hash_token(callers.a.token)
    assert callers.a.token not in (row.token_hash, row.prefix, row.name)
    assert callers.a.token.startswith(row.prefix) and len(row.prefix) == 12


def test_token_names_are_checked(db_session: Any) -> None:
    from marketplace.errors import InvalidInput

    user = make_user()
    create_token(user, name="ERP")
    with pytest.raises(InvalidInput) as exc:
        create_token(user, name="ERP")
    assert "name" in exc.value.errors
    with pytest.raises(InvalidInput):
        create_token(user, name="   ")


def test_cookie_writes_need_the_csrf_header_token_writes_do_not(
    csrf_app: Flask, client: FlaskClient, callers: Callers
) -> None:
    body = {"status": "paused"}
    listing = callers.a.user.organisation.listings[0]
    path = f"/api/v1/listings/{listing.public_id}"
    # A bearer token needs no CSRF token.
    assert client.patch(path, json=body, headers=callers.a.headers).status_code == 200
    # The session cookie alone is refused for a write...
    login_with_csrf(client, callers.a.user)
    error = assert_error(client.patch(path, json={"status": "active"}), 400, "csrf_failed")
    assert "CSRF" in error["message"]
    # ...and accepted with the page's CSRF token in X-CSRFToken.
    token = csrf_token_of(client, "/account")
    response = client.patch(path, json={"status": "active"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    # Reads with the cookie need no CSRF token.
    assert client.get("/api/v1/matches").status_code == 200


# --- the command line ---------------------------------------------------------------------------


def test_tokens_create_prints_the_token_alone_on_the_last_line(
    app: Flask, client: FlaskClient, db_session: Any
) -> None:
    user = make_user()
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", user.email.upper(), "--name", "ERP"])
    assert result.exit_code == 0, result.output
    token = result.output.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"rst_[A-Za-z0-9_-]{43}", token)
    assert client.get("/api/v1/matches", headers=bearer(token)).status_code == 200

    listed = runner.invoke(args=["tokens", "list"])
    assert "'ERP'" in listed.output and token[:12] in listed.output and token not in listed.output

    result = runner.invoke(args=["tokens", "revoke", "ERP", "--user", user.email])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/matches", headers=bearer(token)).status_code == 401


def test_tokens_revoke_by_id_and_refusals(app: Flask, db_session: Any) -> None:
    user = make_user()
    row, _token = create_token(user, name="scanner")
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tokens", "revoke", "scanner"]).exit_code != 0  # name needs --user
    assert (
        runner.invoke(args=["tokens", "create", "nobody@example.nl", "--name", "x"]).exit_code != 0
    )
    result = runner.invoke(args=["tokens", "revoke", str(row.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert runner.invoke(args=["tokens", "revoke", str(row.id)]).exit_code != 0


# --- the account page ---------------------------------------------------------------


def test_the_account_page_creates_a_token_shows_it_once_and_revokes_it(
    client: FlaskClient, db_session: Any
) -> None:
    user = make_user()
    db.session.commit()
    login(client, user)
    page = client.get("/account")
    assert page.status_code == 200 and "API" in page.text
    created = client.post("/account/tokens", data={"name": "Exact Online"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    token = re.search(r"<code data-token>(rst_[^<]+)</code>", created.text).group(1)
    assert client.get("/api/v1/matches", headers=bearer(token)).status_code == 200
    again = client.get("/account")
    assert token not in again.text and token[:12] in again.text and "Exact Online" in again.text

    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
    response = client.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert client.get("/api/v1/matches", headers=bearer(token)).status_code == 401


def test_a_token_without_a_name_is_refused_on_the_page(
    client: FlaskClient, db_session: Any
) -> None:
    user = make_user()
    db.session.commit()
    login(client, user)
    response = client.post("/account/tokens", data={"name": ""})
    assert response.status_code == 422
    assert count(ApiToken) == 0


def test_nobody_revokes_another_users_token(client: FlaskClient, callers: Callers) -> None:
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == callers.a.user.id))
    login(client, callers.b.user)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    login_as_coordinator = callers.coordinator.user
    client.post("/logout")
    login(client, login_as_coordinator)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert client.get("/api/v1/matches", headers=callers.a.headers).status_code == 200


# --- the OpenAPI document and the docs -----------------------------------------------------------


def test_the_openapi_document_describes_every_v1_route(app: Flask, client: FlaskClient) -> None:
    from marketplace.api.v1.spec import openapi_path

    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in {
            "api_v1.openapi_json",
            "api_v1.docs_page",
            "api_v1.docs_asset",
        }:
            continue
        path = openapi_path(rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                undocumented.append(f"{method} {rule.rule}")
    assert undocumented == []


def test_the_docs_page_loads_swagger_ui_from_the_package_without_inline_script(
    client: FlaskClient,
) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "http" not in "".join(attrs for attrs, _ in scripts)
    for src in re.findall(r'(?:src|href)="(/[^"]+\.(?:js|css))"', page.text):
        with client.get(src) as asset:
            assert asset.status_code == 200, src
            assert len(asset.data) > 1000 or src.endswith("api_docs.js")
    assert client.get("/api/v1/docs/assets/../../config.py").status_code == 404
