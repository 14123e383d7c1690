"""Landing page, dashboards and error pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs.models import EngineRun
from tests import factories
from tests.factories import PASSWORD


def login(client: FlaskClient, user: User) -> None:
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )


def match(offer: Listing, need: Listing, *, status: str, net_co2e_kg: float) -> Match:
    row = Match(
        offer=offer,
        need=need,
        status=status,
        quantity_per_year=100.0,
        unit="t",
        quantity_flow_unit=100.0,
        flow_unit="t",
        distance_km=10.0,
        road_km=13.0,
        net_co2e_kg=net_co2e_kg,
    )
    db.session.add(row)
    db.session.flush()
    return row


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))


@pytest.fixture
def market(db_session: Any) -> dict[str, Any]:
    """Two Deventer firms: the brewery offers spent grain, the farm needs feed."""
    brewery = factories.organisation(name="Brouwerij")
    farm = factories.organisation(name="Boerderij", municipality_code="GM0200")
    offer = factories.listing(organisation=brewery, kind="offer")
    factories.listing(organisation=brewery, kind="offer", status="draft", title="Gist")
    factories.listing(organisation=brewery, kind="need", status="paused")
    need = factories.listing(organisation=farm, kind="need")
    other_need = factories.listing(organisation=farm, kind="need", title="Strooisel")
    match(offer, need, status="agreed", net_co2e_kg=12_345.0)
    match(offer, other_need, status="proposed", net_co2e_kg=2_000.0)
    member = factories.user(organisation=brewery)
    db_session.commit()
    return {"brewery": brewery, "farm": farm, "member": member}


def test_the_landing_page_shows_the_region_figures_and_invites_to_register(
    client: FlaskClient, market: dict[str, Any]
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<html lang="nl">' in response.text  # Dutch by default
    # Numbers in Dutch notation; 12,345 kg CO2e is 12.3 t.
    assert figures(response.text) == {
        "organisations": "2",
        "municipalities": "8",
        "active_offers": "1",
        "active_needs": "2",
        "proposed_matches": "1",
        "agreed_matches": "1",
        "agreed_net_co2e_t_per_year": "12,3",
        # The agreed match's estimate frozen at agreement; nothing delivered yet.
        "estimated_net_co2e_t_per_year": "12,3",
        "realised_mass_t": "0,0",
        "realised_net_co2e_t": "0,0",
        "realised_tonne_km": "0",
    }
    assert 'href="/register"' in response.text
    assert 'href="/login"' in response.text


def test_the_landing_page_of_an_empty_marketplace_shows_zeros(
    client: FlaskClient, db_session: Any
) -> None:
    values = figures(client.get("/").text)
    assert values["organisations"] == "0"
    assert values["municipalities"] == "8"
    assert values["agreed_net_co2e_t_per_year"] == "0,0"


def test_a_member_dashboard_counts_the_firms_listings_and_matches(
    client: FlaskClient, market: dict[str, Any]
) -> None:
    login(client, market["member"])
    html = client.get("/dashboard").text
    assert f'href="/organisations/{market["brewery"].id}">Brouwerij</a>' in html
    cells = dict(
        ((kind, status), count)
        for kind, row in re.findall(r'<tr data-kind="(\w+)">(.*?)</tr>', html, re.S)
        for status, count in re.findall(r'data-status="(\w+)">(\d+)<', row)
    )
    assert cells == {
        ("offer", "draft"): "1",
        ("offer", "active"): "1",
        ("offer", "paused"): "0",
        ("offer", "closed"): "0",
        ("need", "draft"): "0",
        ("need", "active"): "0",
        ("need", "paused"): "1",
        ("need", "closed"): "0",
    }
    matches = re.findall(
        r'<tr data-status="(\w+)"><th scope="row">[^<]*</th><td class="num">(\d+)', html
    )
    assert matches == [("proposed", "1"), ("agreed", "1")]
    assert 'id="region-figures"' not in html


def test_a_new_member_dashboard_says_what_to_do_instead_of_showing_empty_tables(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user()
    db_session.commit()
    login(client, user)
    html = client.get("/dashboard").text
    assert 'id="my-listings"' in html
    assert "data-kind=" not in html
    assert "data-status=" not in html


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_a_coordinator_dashboard_shows_region_figures_firms_per_municipality_and_runs(
    client: FlaskClient, market: dict[str, Any], role: str
) -> None:
    db.session.add(EngineRun(status="succeeded", progress=1.0))
    db.session.add(EngineRun(status="failed", error="solver gave up"))
    user = factories.user(role=role)
    db.session.commit()
    login(client, user)
    html = client.get("/dashboard").text
    assert figures(html)["agreed_matches"] == "1"
    assert figures(html)["proposed_net_co2e_t_per_year"] == "2,0"
    per_municipality = dict(
        re.findall(r'data-municipality="(\w*)">.*?<td class="num">(\d+)</td>', html, re.S)
    )
    # All eight region municipalities are listed, those without firms with 0.
    assert len(per_municipality) == 8
    assert per_municipality["GM0150"] == "1"  # Deventer: the brewery
    assert per_municipality["GM0200"] == "1"  # Apeldoorn
    assert per_municipality["GM0301"] == "0"  # Zutphen
    assert len(re.findall(r'<tr data-run="\d+">', html)) == 2
    assert "solver gave up" in html


def test_a_coordinator_dashboard_without_engine_runs_has_no_runs_table(
    client: FlaskClient, db_session: Any
) -> None:
    user = factories.user(role="coordinator")
    db_session.commit()
    login(client, user)
    html = client.get("/dashboard").text
    assert 'id="engine-runs"' in html
    assert "data-run=" not in html


# Error pages -------------------------------------------------------------------------------


def test_an_unknown_page_is_the_friendly_404_page_inside_the_layout(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert 'data-status="404"' in response.text
    assert 'class="site-header"' in response.text
    assert 'href="/"' in response.text


def test_json_clients_get_errors_as_json(client: FlaskClient) -> None:
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["status"] == 404


def test_a_wrong_method_gets_the_generic_error_page(client: FlaskClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert 'data-status="405"' in response.text


def test_a_too_large_request_gets_the_413_page(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1_000)
    response = client.post("/login", data={"email": "x" * 2_000, "password": "y"})
    assert response.status_code == 413
    assert 'data-status="413"' in response.text


def test_an_unexpected_error_gets_the_500_page_and_is_logged(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    def broken() -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    monkeypatch.setattr("marketplace.region.routes.region_figures", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert 'data-status="500"' in response.text
    assert "database on fire" not in response.text  # no internals shown to visitors
    assert "database on fire" in caplog.text


def test_form_fields_with_errors_are_marked_for_screen_readers(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    field = re.search(r'<div class="field has-error">.*?</div>', response.text, re.S).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="email-errors"' in field
    assert '<ul class="errors" id="email-errors">' in field
