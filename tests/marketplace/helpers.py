"""Helpers shared by the marketplace tests: logging in, counting rows, English pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.extensions import db
from tests import factories
from tests.factories import PASSWORD


def login(client: FlaskClient, user: User, *, password: str = PASSWORD) -> None:
    """Log ``user`` in on ``client`` through the login form; fail the test if that fails."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def count(model: type[Any], *where: Any) -> int:
    """The number of rows of ``model`` (matching ``where``) in the database."""
    stmt = sa.select(sa.func.count()).select_from(model)
    if where:
        stmt = stmt.where(*where)
    return db.session.scalar(stmt) or 0


def make_user(**kw: Any) -> User:
    """A user (see :func:`tests.factories.user`) who reads the pages in English."""
    return factories.user(**{"locale": "en", **kw})


def english(client: FlaskClient) -> None:
    """Show the pages in English to ``client`` while it is not logged in."""
    with client.session_transaction() as session:
        session["lang"] = "en"
