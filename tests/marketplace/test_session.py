"""Background API reads never rewrite the session cookie (they could undo a concurrent change)."""

from __future__ import annotations

from typing import Any

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
