"""Fixtures of the API tests: firms A and B, a coordinator and an admin, each with a token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from marketplace.accounts.models import User
from marketplace.accounts.tokens import create_token
from marketplace.extensions import db
from tests.marketplace.helpers import make_user


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Caller:
    user: User | None
    token: str | None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token) if self.token else {}


@dataclass
class Callers:
    anonymous: Caller
    a: Caller  # member of firm A (the brewery: offers spent grain)
    b: Caller  # member of firm B (the farm: needs feed)
    coordinator: Caller
    admin: Caller

    def __iter__(self) -> Any:
        return iter(
            [
                ("anonymous", self.anonymous),
                ("firm_a", self.a),
                ("firm_b", self.b),
                ("coordinator", self.coordinator),
                ("admin", self.admin),
            ]
        )


def with_token(user: User) -> Caller:
    _row, token = create_token(user, name="test")
    return Caller(user, token)


@pytest.fixture
def callers(region: Any) -> Callers:
    """Firm A = the region's brewery, firm B = its farm; every caller has a token."""
    a = with_token(make_user(organisation=region.brewery))
    b = with_token(make_user(organisation=region.farm))
    coordinator = with_token(make_user(role="coordinator"))
    admin = with_token(make_user(role="admin"))
    db.session.commit()
    return Callers(Caller(None, None), a, b, coordinator, admin)


def csrf_token_of(client: Any, path: str) -> str:
    """The CSRF token of the form on ``path`` (for session-cookie writes)."""
    import re

    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found is not None, f"{path} has no CSRF token"
    return found.group(1)


def login_with_csrf(client: Any, user: User) -> None:
    """Log in through the form while CSRF protection is on."""
    from tests.factories import PASSWORD

    token = csrf_token_of(client, "/login")
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
