"""The map page: who sees which map, filters from the URL, tiles and the CSP."""

from __future__ import annotations

import html
import json
import re

from flask.testing import FlaskClient

from marketplace import content_security_policy, create_app
from tests.marketplace.helpers import login
from tests.marketplace.region.map_world import MapWorld


def map_config(page: str) -> dict[str, object]:
    found = re.search(r'data-map-config="([^"]*)"', page)
    assert found, "the map element carries its configuration"
    return json.loads(html.unescape(found.group(1)))


def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, world: MapWorld) -> None:
    response = client.get("/region/map")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_coordinator_gets_the_whole_map_with_filters_from_the_url(
    client: FlaskClient, world: MapWorld
) -> None:
    login(client, world.coordinator)
    page = client.get("/region/map?category=organics.wood&status=agreed").get_data(as_text=True)
    config = map_config(page)
    assert config["coordinator"] is True and config["mine"] is False
    assert config["organisations"] == "/api/v1/map/organisations.geojson"
    assert config["tiles"] is None  # tests run without tiles
    assert '<option value="organics.wood" selected>' in page
    assert 'value="agreed" checked' in page and 'value="proposed" checked' not in page


def test_a_firm_gets_its_own_map(client: FlaskClient, world: MapWorld) -> None:
    login(client, world.member_a)
    page = client.get("/region/map").get_data(as_text=True)
    config = map_config(page)
    assert config["mine"] is True and config["organisations"] is None
    assert "Uw circulariteitskaart" in page


def test_bad_filters_are_named_on_the_page_not_a_500(client: FlaskClient, world: MapWorld) -> None:
    login(client, world.coordinator)
    response = client.get("/region/map?family=cheese&zoom=x")
    assert response.status_code == 200
    errors = response.get_data(as_text=True).split('id="map-errors"')[1]
    assert "cheese" in errors and "zoom" in errors


def test_the_csp_allows_the_tile_host_only_when_configured() -> None:
    assert "tile" not in content_security_policy(None)
    policy = content_security_policy("https://{s}.tile.example.nl/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tile.example.nl;" in policy
    app = create_app("testing", TILE_URL="https://tiles.example.nl/{z}/{x}/{y}.png")
    response = app.test_client().get("/login")
    assert "https://tiles.example.nl" in response.headers["Content-Security-Policy"]
