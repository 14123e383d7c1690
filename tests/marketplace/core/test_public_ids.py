"""Listings, matches and organisations are named by a random public id, never the row id.

Sequential ids would tell a probing firm how many listings exist and which anonymous
ones were made in the same batch as a firm's public ones; so no URL, JSON answer,
export or redirect carries them, and a route given a row id answers 404.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.accounts.models import Organisation
from marketplace.core.public_ids import PUBLIC_ID_RE, by_public_id, new_public_id
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests.conftest import DATABASES, _database_url
from tests.marketplace.helpers import login, make_user
from tests.marketplace.region_world import Parties
from tests.marketplace.test_migrations import _scratch_postgresql_database

#: A row id in a URL, a query parameter or a data attribute.
ROW_ID_IN_URL = re.compile(
    r"(?:/listings/|/matches/|/organisations/|[?&;]organisation=)(\d+)\b|data-[\w-]*id=\"\d+\""
)


def test_public_ids_are_random_url_safe_and_distinct() -> None:
    ids = {new_public_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(PUBLIC_ID_RE.fullmatch(i) for i in ids)


def test_every_listing_match_and_organisation_gets_a_public_id(parties: Parties) -> None:
    for model in (Listing, Match, Organisation):
        rows = db.session.scalars(sa.select(model)).all()
        assert rows
        assert all(PUBLIC_ID_RE.fullmatch(r.public_id) for r in rows)
        assert len({r.public_id for r in rows}) == len(rows)
        assert by_public_id(model, rows[0].public_id) is rows[0]
    assert by_public_id(Listing, "not-an-id") is None
    assert by_public_id(Listing, str(parties.proposal.offer_id)) is None


def _pages(parties: Parties) -> list[str]:
    match = parties.proposal
    return [
        "/",
        "/listings/",
        "/listings/mine",
        f"/listings/{match.offer.public_id}",
        f"/listings/{match.offer.public_id}/edit",
        "/matches/?status=all",
        f"/matches/{match.public_id}",
        "/organisation",
        f"/organisations/{match.offer.organisation.public_id}",
        "/organisations/",
        "/dashboard",
    ]


@pytest.mark.parametrize("who", ["brewer", "coordinator"])
def test_no_page_shows_a_row_id(client: FlaskClient, parties: Parties, who: str) -> None:
    user = parties.brewer if who == "brewer" else make_user(role="coordinator")
    db.session.commit()
    login(client, user)
    seen = 0
    for url in _pages(parties):
        response = client.get(url)
        if response.status_code != 200:
            continue
        seen += 1
        html = response.get_data(as_text=True)
        assert ROW_ID_IN_URL.search(html) is None, (url, ROW_ID_IN_URL.search(html))
    assert seen >= 6


def _ints_named_id(value: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            named_id = key == "id" or key.endswith("_id")
            if named_id and isinstance(item, int) and key != "engine_run_id":
                found.append(f"{path}.{key}")
            found += _ints_named_id(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found += _ints_named_id(item, f"{path}[{n}]")
    return found


def test_the_json_names_objects_by_public_id(client: FlaskClient, parties: Parties) -> None:
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    listings = client.get("/api/listings").get_json()
    assert listings["features"]
    assert _ints_named_id(listings) == []
    ids = {f["properties"]["id"] for f in listings["features"]}
    assert parties.proposal.offer.public_id in ids
    assert all(PUBLIC_ID_RE.fullmatch(i) for i in ids)
    exchanges = client.get("/region/exchanges.json")
    if exchanges.status_code == 200:
        body = exchanges.get_json()
        assert _ints_named_id(body) == []


def test_exports_carry_no_row_id(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.brewer)
    org = parties.brewer.organisation
    for url in (f"/listings/export.csv?organisation={org.public_id}", "/listings/export.csv"):
        response = client.get(url)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert re.search(r"(?m)^L\d+,", text) is None
    name = client.get(f"/listings/export.csv?organisation={org.public_id}").headers[
        "Content-Disposition"
    ]
    assert org.public_id in name and f"-{org.id}-" not in name


def test_saving_a_listing_redirects_to_its_public_id(client: FlaskClient, parties: Parties) -> None:
    listing = parties.proposal.offer
    login(client, parties.brewer)
    response = client.post(f"/listings/{listing.public_id}/status", data={"status": "paused"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/listings/{listing.public_id}")


@pytest.mark.parametrize(
    "template", ["/listings/{}", "/listings/{}/edit", "/matches/{}", "/organisations/{}"]
)
def test_a_row_id_in_a_url_is_not_found(
    client: FlaskClient, parties: Parties, template: str
) -> None:
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    match = parties.proposal
    row_id = {"l": match.offer_id, "m": match.id, "o": match.offer.organisation_id}[template[1]]
    for value in (row_id, 73786976294838206464, "%00", "x" * 200):
        assert client.get(template.format(value)).status_code == 404, value


def test_an_organisation_row_id_in_a_query_is_not_found(
    client: FlaskClient, parties: Parties
) -> None:
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    org = parties.brewer.organisation
    assert client.get(f"/listings/mine?organisation={org.id}").status_code == 404
    assert client.get(f"/listings/export.csv?organisation={org.id}").status_code == 404
    assert client.get(f"/listings/mine?organisation={org.public_id}").status_code == 200


@pytest.fixture(params=DATABASES)
def old_schema_app(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Flask:
    url = _database_url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        url = _scratch_postgresql_database(url)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url)


def test_the_migration_gives_existing_rows_public_ids(old_schema_app: Flask) -> None:
    with old_schema_app.app_context():
        upgrade(revision="9e940bacd9d1")
        now = "2026-01-01 00:00:00"
        with db.engine.begin() as conn:
            for n in (1, 2, 3):
                conn.execute(
                    sa.text(
                        "INSERT INTO organisation (id, name, is_demo, created_at, updated_at)"
                        " VALUES (:id, :name, false, :now, :now)"
                    ),
                    {"id": n, "name": f"Firma {n}", "now": now},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO listing (id, organisation_id, kind, title, material,"
                        " quantity, unit, frequency, lon, lat, price_terms, visibility, status,"
                        " created_at, updated_at) VALUES (:id, :id, 'offer', 'Hout', 'wood',"
                        " 1, 't', 'year', 6.1, 52.2, 'negotiable', 'public', 'active',"
                        " :now, :now)"
                    ),
                    {"id": n, "now": now},
                )
        upgrade()
        with db.engine.connect() as conn:
            for table in ("organisation", "listing"):
                rows = sa.table(table, sa.column("public_id"))
                ids = conn.execute(sa.select(rows.c.public_id)).scalars().all()
                assert len(ids) == 3 and len(set(ids)) == 3
                assert all(PUBLIC_ID_RE.fullmatch(i) for i in ids)
            columns = {c["name"]: c for c in sa.inspect(conn).get_columns("listing")}
            assert columns["public_id"]["nullable"] is False
        db.engine.dispose()
