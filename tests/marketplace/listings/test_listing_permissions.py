"""Who may see, edit, pause, close, export and import a firm's listings: role x route."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.listings.test_listings import OFFER


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # previews are kept under the instance folder between upload and confirmation
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


@dataclass
class World:
    firm_a: Organisation
    member_a: User
    member_b: User
    coordinator: User
    active: Listing
    draft: Listing


@pytest.fixture
def world(db_session: Any) -> World:
    firm_a = factories.organisation(name="Brouwerij Aalders")
    member_a = make_user(organisation=firm_a)
    member_b = make_user()  # of a firm of its own
    coordinator = make_user(role="coordinator")
    active = factories.listing(organisation=firm_a, title="Actief aanbod")
    draft = factories.listing(organisation=firm_a, title="Concept aanbod", status="draft")
    db_session.commit()
    return World(firm_a, member_a, member_b, coordinator, active, draft)


def as_actor(client: FlaskClient, world: World, actor: str) -> None:
    if actor != "anonymous":
        login(client, getattr(world, actor))


ACTORS = ("member_a", "member_b", "coordinator", "anonymous")


# Viewing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "status"),
    [("member_a", 200), ("member_b", 404), ("coordinator", 200), ("anonymous", 404)],
)
def test_a_draft_is_visible_only_to_its_firm_and_coordinators(
    client: FlaskClient, world: World, actor: str, status: int
) -> None:
    as_actor(client, world, actor)
    response = client.get(f"/listings/{world.draft.public_id}")
    assert response.status_code == status
    assert ("Concept aanbod" in response.get_data(as_text=True)) == (status == 200)


@pytest.mark.parametrize("listing_status", ["paused", "closed"])
def test_paused_and_closed_listings_of_another_firm_look_missing(
    client: FlaskClient, world: World, listing_status: str
) -> None:
    world.active.status = listing_status
    db.session.commit()
    login(client, world.member_b)
    assert client.get(f"/listings/{world.active.public_id}").status_code == 404


@pytest.mark.parametrize("actor", ACTORS)
def test_an_active_listing_is_visible_to_everyone(
    client: FlaskClient, world: World, actor: str
) -> None:
    as_actor(client, world, actor)
    assert client.get(f"/listings/{world.active.public_id}").status_code == 200


@pytest.mark.parametrize(
    ("actor", "status"),
    [("member_a", 200), ("member_b", 403), ("coordinator", 200)],
)
def test_the_organisation_listings_page_is_for_the_firm_and_coordinators(
    client: FlaskClient, world: World, actor: str, status: int
) -> None:
    as_actor(client, world, actor)
    response = client.get(f"/listings/mine?organisation={world.firm_a.public_id}")
    assert response.status_code == status
    if status == 200:
        assert "Concept aanbod" in response.get_data(as_text=True)


# Changing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "which", "status"),
    [
        ("member_a", "active", 200),
        ("coordinator", "active", 200),
        ("member_b", "active", 403),
        ("member_b", "draft", 404),
    ],
)
def test_the_edit_form_is_for_the_firm_and_coordinators(
    client: FlaskClient, world: World, actor: str, which: str, status: int
) -> None:
    as_actor(client, world, actor)
    assert client.get(f"/listings/{getattr(world, which).public_id}/edit").status_code == status


@pytest.mark.parametrize(
    ("actor", "which", "status"),
    [("member_b", "active", 403), ("member_b", "draft", 404)],
)
def test_another_firm_cannot_save_an_edit(
    client: FlaskClient, world: World, actor: str, which: str, status: int
) -> None:
    listing = getattr(world, which)
    as_actor(client, world, actor)
    response = client.post(f"/listings/{listing.public_id}/edit", data=OFFER | {"title": "Gekaapt"})
    assert response.status_code == status
    db.session.refresh(listing)
    assert listing.title != "Gekaapt"


@pytest.mark.parametrize(
    ("which", "target"),
    [("active", "paused"), ("active", "closed"), ("draft", "active"), ("draft", "closed")],
)
@pytest.mark.parametrize(
    ("actor", "allowed"), [("member_a", True), ("coordinator", True), ("member_b", False)]
)
def test_only_the_firm_and_coordinators_change_a_listings_status(
    client: FlaskClient, world: World, which: str, target: str, actor: str, allowed: bool
) -> None:
    listing = getattr(world, which)
    before = listing.status
    as_actor(client, world, actor)
    response = client.post(f"/listings/{listing.public_id}/status", data={"status": target})
    if allowed:
        assert response.status_code == 302
    else:
        # a draft of another firm does not exist as far as that firm can tell
        assert response.status_code == (404 if before == "draft" else 403)
    db.session.refresh(listing)
    assert listing.status == (target if allowed else before)


@pytest.mark.parametrize(("actor", "status"), [("member_b", 403), ("coordinator", 302)])
def test_only_coordinators_create_listings_for_another_firm(
    client: FlaskClient, world: World, actor: str, status: int
) -> None:
    as_actor(client, world, actor)
    before = count(Listing)
    response = client.post(f"/listings/new?organisation={world.firm_a.public_id}", data=OFFER)
    assert response.status_code == status
    created = db.session.scalars(sa.select(Listing).where(Listing.title == OFFER["title"])).all()
    assert [item.organisation_id for item in created] == (
        [world.firm_a.id] if status == 302 else []
    )
    assert count(Listing) == before + (status == 302)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/listings/new"),
        ("post", "/listings/new"),
        ("get", "/listings/{active}/edit"),
        ("post", "/listings/{active}/edit"),
        ("post", "/listings/{active}/status"),
        ("get", "/listings/mine"),
        ("get", "/listings/import"),
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client: FlaskClient, world: World, method: str, path: str
) -> None:
    url = path.format(active=world.active.public_id)
    response = getattr(client, method)(url, data={"status": "paused"} | OFFER)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    db.session.refresh(world.active)
    assert (world.active.status, world.active.title) == ("active", "Actief aanbod")
    assert count(Listing) == 2


# Export and import -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("actor", "status"),
    [("member_a", 200), ("coordinator", 200), ("member_b", 403), ("anonymous", 401)],
)
def test_only_the_firm_and_coordinators_export_the_firms_listings(
    client: FlaskClient, world: World, fmt: str, actor: str, status: int
) -> None:
    as_actor(client, world, actor)
    response = client.get(f"/listings/export.{fmt}?organisation={world.firm_a.public_id}")
    assert response.status_code == status
    if status == 200:
        assert response.headers["Content-Disposition"].startswith("attachment;")
    else:
        assert b"Concept aanbod" not in response.data


def _csv(*rows: str) -> bytes:
    header = "ref,organisation,kind,title,material,ewc_code,quantity,unit,postcode"
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_member_cannot_choose_another_firm_on_the_import_form(
    client: FlaskClient, world: World
) -> None:
    login(client, world.member_b)
    data = {
        "file": (io.BytesIO(_csv("x1,,offer,Hout,,03 01 05,5,t,7411")), "hout.csv"),
        "organisation": world.firm_a.public_id,
    }
    response = client.post("/listings/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert count(Listing) == 2


def test_a_member_cannot_import_rows_for_another_firm(client: FlaskClient, world: World) -> None:
    login(client, world.member_b)
    body = _csv("x1,Brouwerij Aalders,offer,Hout,,03 01 05,5,t,7411")
    response = client.post(
        "/listings/import",
        data={"file": (io.BytesIO(body), "hout.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "organisation &#39;Brouwerij Aalders&#39; is not" in html
    assert count(Listing) == 2


def test_a_coordinator_imports_for_a_chosen_firm(client: FlaskClient, world: World) -> None:
    login(client, world.coordinator)
    body = _csv("x1,,offer,Hout,,03 01 05,5,t,7411")
    response = client.post(
        "/listings/import",
        data={"file": (io.BytesIO(body), "hout.csv"), "organisation": world.firm_a.public_id},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Hout" in response.get_data(as_text=True)
