"""Kept search output (``marketplace/listings/kept.py``): the market page's results and the
map's GeoJSON are built once per viewer scope and question, never shown to another scope,
and rebuilt as soon as a listing or a firm changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings import search
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import english, login, make_user

HIDDEN_NAME = "Stille Mouterij Bovenwater"


@dataclass
class Firms:
    hidden: Organisation
    public: Organisation
    member_hidden: User
    member_other: User
    anonymous_offer: Listing
    public_need: Listing


@pytest.fixture
def firms(db_session: Any) -> Firms:
    hidden = factories.organisation(name=HIDDEN_NAME)
    public = factories.organisation(name="Open Veehouderij Jansen")
    offer = factories.listing(organisation=hidden, visibility="anonymous", title="Moutkiemen")
    need = factories.listing(organisation=public, kind="need", title="Veevoergrondstof")
    member_hidden = make_user(organisation=hidden)
    member_other = make_user(organisation=public)
    db_session.commit()
    return Firms(hidden, public, member_hidden, member_other, offer, need)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every search actually run (a kept answer runs none)."""
    calls: list[str] = []
    original = search.search_listings

    def counted(viewer: Any, filters: Any, lang: str) -> Any:
        calls.append(getattr(viewer, "email", "anonymous"))
        return original(viewer, filters, lang)

    monkeypatch.setattr(search, "search_listings", counted)
    return calls


def clients(app: Flask, firms: Firms) -> dict[str, FlaskClient]:
    anonymous, hidden, other = app.test_client(), app.test_client(), app.test_client()
    english(anonymous)
    login(hidden, firms.member_hidden)
    login(other, firms.member_other)
    return {"anonymous": anonymous, "hidden": hidden, "other": other}


def page(client: FlaskClient, path: str = "/listings/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def test_the_market_page_is_built_once_per_scope_and_question(
    app: Flask, firms: Firms, builds: list[str]
) -> None:
    anonymous = app.test_client()
    first = without_tokens(page(anonymous))
    assert without_tokens(page(anonymous)) == first
    # Another anonymous visitor: the same results, its own session's CSRF token.
    assert without_tokens(page(app.test_client())) == first
    assert len(builds) == 1
    page(anonymous, "/listings/?kind=offer")
    assert len(builds) == 2


@pytest.mark.parametrize(
    "path", ["/listings/", "/api/listings", "/listings/?q=mout", "/api/listings?kind=offer"]
)
def test_one_scope_never_gets_what_was_kept_for_another(
    app: Flask, firms: Firms, path: str
) -> None:
    by = clients(app, firms)
    # The hidden firm's own view, with its name, is built (and kept) first.
    assert HIDDEN_NAME in page(by["hidden"], path)
    for outsider in ("anonymous", "other"):
        text = page(by[outsider], path)
        assert "Moutkiemen" in text
        assert HIDDEN_NAME not in text
    assert HIDDEN_NAME in page(by["hidden"], path)


def change_and_see(app: Flask, change: Callable[[], None], path: str, expect: str) -> None:
    anonymous = app.test_client()
    english(anonymous)
    assert expect not in page(anonymous, path)
    change()
    db.session.commit()
    assert expect in page(anonymous, path)


@pytest.mark.parametrize("path", ["/listings/", "/api/listings"])
def test_a_changed_listing_shows_at_once(app: Flask, firms: Firms, path: str) -> None:
    def retitle() -> None:
        firms.public_need.title = "Eiwitrijk veevoer gezocht"

    change_and_see(app, retitle, path, "Eiwitrijk veevoer gezocht")


@pytest.mark.parametrize("path", ["/listings/", "/api/listings"])
def test_a_listing_made_anonymous_hides_its_firm_at_once(
    app: Flask, firms: Firms, path: str
) -> None:
    anonymous = app.test_client()
    assert "Open Veehouderij Jansen" in page(anonymous, path)
    firms.public_need.visibility = "anonymous"
    db.session.commit()
    assert "Open Veehouderij Jansen" not in page(anonymous, path)


@pytest.mark.parametrize("path", ["/listings/", "/api/listings"])
def test_a_renamed_firm_shows_its_new_name_at_once(app: Flask, firms: Firms, path: str) -> None:
    def rename() -> None:
        firms.public.name = "Veehouderij Jansen-Ter Horst"

    change_and_see(app, rename, path, "Veehouderij Jansen-Ter Horst")


def test_each_language_is_kept_apart(app: Flask, firms: Firms) -> None:
    dutch, english_client = app.test_client(), app.test_client()
    english(english_client)
    assert "Markt" in page(dutch)
    assert "Market" in page(english_client)
    assert "Markt" in page(dutch)


def test_the_map_json_answers_304_to_its_own_etag_until_a_listing_changes(
    app: Flask, firms: Firms
) -> None:
    client = app.test_client()
    first = client.get("/api/listings")
    etag = first.headers["ETag"]
    assert "private" in first.headers["Cache-Control"]
    again = client.get("/api/listings", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    firms.public_need.quantity = 12.5
    db.session.commit()
    changed = client.get("/api/listings", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.get_json()["type"] == "FeatureCollection"


def test_the_region_outline_is_encoded_once_and_revalidated(client: FlaskClient) -> None:
    first = client.get("/api/region")
    assert first.get_json()["type"] == "FeatureCollection"
    assert len(first.get_json()["features"]) == 8
    again = client.get("/api/region", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
