"""Access matrix: who gets what on every protected route of accounts and organisations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from marketplace.accounts.decorators import role_required
from marketplace.accounts.models import Organisation, User
from tests import factories
from tests.factories import PASSWORD

ACTORS = ("anonymous", "member", "other_member", "coordinator", "admin")

#: route -> expected status per actor, in the order of ACTORS. ``{org}`` is the member's
#: organisation, which the other member does not belong to.
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/dashboard"): (302, 200, 200, 200, 200),
    ("GET", "/organisation"): (302, 200, 200, 302, 302),  # no own firm: sent to the list
    ("GET", "/organisations/"): (302, 403, 403, 200, 200),
    ("GET", "/organisations/{org}"): (302, 200, 403, 200, 200),
    ("GET", "/organisations/{org}/edit"): (302, 200, 403, 200, 200),
    ("POST", "/organisations/{org}/edit"): (302, 302, 403, 302, 302),
    ("GET", "/organisations/{missing}"): (302, 404, 404, 404, 404),
    ("GET", "/account/password"): (302, 200, 200, 200, 200),
    ("POST", "/account/password"): (302, 422, 422, 422, 422),  # empty form: re-shown
}

CASES = [
    pytest.param(method, path, actor, statuses[i], id=f"{method} {path} as {actor}")
    for (method, path), statuses in MATRIX.items()
    for i, actor in enumerate(ACTORS)
]


@dataclass
class World:
    organisation: Organisation
    users: dict[str, User]


@pytest.fixture
def world(db_session: Any) -> World:
    org = factories.organisation(name="Brouwerij De Klok", sbi_code="11.05", address="Brink 1")
    other = factories.organisation(name="Zuivel BV")
    users = {
        "member": factories.user(organisation=org),
        "other_member": factories.user(organisation=other),
        "coordinator": factories.user(role="coordinator"),
        "admin": factories.user(role="admin"),
    }
    db_session.commit()
    return World(org, users)


def _profile_form(org: Organisation) -> dict[str, str]:
    return {
        "name": org.name,
        "kvk": org.kvk or "",
        "sbi_code": org.sbi_code or "",
        "address": org.address or "",
        "postcode": org.postcode or "",
        "city": org.city or "",
        "website": "",
        "description": "Bier uit Deventer",
    }


@pytest.mark.parametrize(("method", "path", "actor", "expected"), CASES)
def test_access_matrix(
    client: FlaskClient, world: World, method: str, path: str, actor: str, expected: int
) -> None:
    if actor != "anonymous":
        response = client.post(
            "/login", data={"email": world.users[actor].email, "password": PASSWORD}
        )
        assert response.status_code == 302
    url = path.format(org=world.organisation.public_id, missing="no-such-org0")
    data = _profile_form(world.organisation) if "edit" in path else {}
    response = client.open(url, method=method, data=data)
    assert response.status_code == expected
    if actor == "anonymous":
        assert "/login?next=" in response.location


def test_a_refused_page_is_the_friendly_403_page(client: FlaskClient, world: World) -> None:
    client.post("/login", data={"email": world.users["other_member"].email, "password": PASSWORD})
    response = client.get(f"/organisations/{world.organisation.public_id}")
    assert response.status_code == 403
    assert 'data-status="403"' in response.text
    assert world.organisation.name not in response.text.split('<main id="main"')[1]


def test_a_refused_edit_changes_nothing(client: FlaskClient, world: World) -> None:
    client.post("/login", data={"email": world.users["other_member"].email, "password": PASSWORD})
    form = {**_profile_form(world.organisation), "name": "Gekaapt BV"}
    assert (
        client.post(f"/organisations/{world.organisation.public_id}/edit", data=form).status_code
        == 403
    )
    assert world.organisation.name == "Brouwerij De Klok"


def test_role_required_rejects_unknown_role_names_when_decorating() -> None:
    with pytest.raises(ValueError, match=r"role_required\('boss',\): roles must be one or more"):
        role_required("boss")
    with pytest.raises(ValueError, match=r"role_required\(\)"):
        role_required()
