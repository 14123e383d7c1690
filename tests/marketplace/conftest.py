"""Fixtures for every test of the web app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, request_started
from werkzeug.security import generate_password_hash


def _clear_g(sender: Flask, **_: Any) -> None:
    # ``db_session`` keeps one app context open for the whole test, so every request of a
    # test would share ``g`` (Flask-Login's user, Flask-WTF's CSRF token, Flask-Babel's
    # locale). A real server gives each request a fresh context; so do we.
    for name in list(g):
        g.pop(name, None)


@pytest.fixture(autouse=True)
def _fresh_g_per_request(request: pytest.FixtureRequest) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with request_started.connected_to(_clear_g, app):
        yield


@pytest.fixture(autouse=True)
def _cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt costs ~0.25 s a hash; tests that are not about passwords use a cheap one."""
    if request.node.get_closest_marker("real_password_hash"):
        return

    def cheap(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return generate_password_hash(password, method="pbkdf2:sha256:1", salt_length=8)

    monkeypatch.setattr("marketplace.accounts.models.generate_password_hash", cheap)


# The small region of the engine, exchange and limit tests (runs/, exchanges/, listings/).
from tests.marketplace.job_queue import redis_app  # noqa: E402, F401
from tests.marketplace.region_world import parties, region  # noqa: E402, F401
