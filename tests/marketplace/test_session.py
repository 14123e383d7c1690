"""Background API reads never rewrite the session cookie (they could undo a concurrent change)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient


def test_a_read_only_api_call_sends_no_session_cookie(client: FlaskClient, db_session: Any) -> None:
    client.get("/listings/")  # the page puts a CSRF token in the session
    response = client.get("/api/listings")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_page_still_writes_the_session(client: FlaskClient, db_session: Any) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302
    assert "session=" in response.headers.get("Set-Cookie", "")


def test_pages_carry_headers_against_clickjacking_and_sniffing(
    client: FlaskClient, db_session: Any
) -> None:
    response = client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy  # no inline scripts
    # Development and tests run on plain http: no HSTS there.
    assert "Strict-Transport-Security" not in response.headers


def test_reset_links_use_the_configured_base_url_not_the_host_header(
    app: Any, client: FlaskClient, db_session: Any
) -> None:
    from marketplace.accounts.models import OutboxMessage
    from tests import factories

    user = factories.user()
    db_session.commit()
    app.config["BASE_URL"] = "https://reststroom.example.nl"
    try:
        client.post(
            "/password/forgot",
            data={"email": user.email},
            headers={"Host": "attacker.example"},
        )
    finally:
        app.config["BASE_URL"] = None
    body = db_session.scalars(sa.select(OutboxMessage)).one().body
    assert "https://reststroom.example.nl/password/reset/" in body
    assert "attacker.example" not in body
