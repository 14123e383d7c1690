"""The coordinators' circularity map: figures per municipality and the exchange network."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.region.services import exchange_network, municipality_figures
from marketplace.runs import services as runs
from tests import factories
from tests.marketplace.helpers import login, make_user


@pytest.fixture
def proposed(db_session: Any) -> dict[str, Any]:
    """Spent grain in Deventer (GM0150) proposed to a farm in Zutphen (GM0301)."""
    from geo.geocode import geocode_postcode

    lon_d, lat_d = geocode_postcode("7411")
    lon_z, lat_z = geocode_postcode("7201")
    brewery = factories.organisation(name="Brouwerij Kaai", lon=lon_d, lat=lat_d)
    farm = factories.organisation(
        name="Boerderij Veld", lon=lon_z, lat=lat_z, municipality_code="GM0301"
    )
    offer = factories.listing(organisation=brewery, kind="offer", quantity=100.0, frequency="year")
    need = factories.listing(organisation=farm, kind="need", quantity=100.0, frequency="year")
    db.session.commit()
    run = runs.run_engine()
    db.session.commit()
    assert run.status == "succeeded", run.error
    return {"offer": offer, "need": need, "brewery": brewery, "farm": farm}


def test_figures_per_municipality_count_firms_listings_and_exchanges(
    proposed: dict[str, Any],
) -> None:
    rows = {m.code: m for m in municipality_figures()}
    assert len(rows) == 8
    deventer, zutphen = rows["GM0150"], rows["GM0301"]
    assert (deventer.organisations, deventer.active_offers, deventer.exchanges_out) == (1, 1, 1)
    assert (zutphen.organisations, zutphen.active_needs, zutphen.exchanges_in) == (1, 1, 1)
    total = sum(m.net_co2e_t_per_year for m in rows.values())
    [match] = db.session.scalars(sa.select(Match)).all()
    assert total == pytest.approx(match.net_co2e_kg / 1000)


def test_the_exchange_network_draws_a_line_between_the_two_sites(
    proposed: dict[str, Any],
) -> None:
    [feature] = exchange_network()["features"]
    offer, need = proposed["offer"], proposed["need"]
    assert feature["geometry"]["coordinates"] == [[offer.lon, offer.lat], [need.lon, need.lat]]
    assert feature["properties"]["status"] == "proposed"


def test_only_coordinators_see_the_region_map(
    client: FlaskClient, app: Any, proposed: dict[str, Any]
) -> None:
    assert client.get("/region/").status_code == 302  # to the login page
    member = make_user(organisation=proposed["brewery"])
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, member)
    assert client.get("/region/").status_code == 403
    assert client.get("/region/exchanges.json").status_code == 403
    other = app.test_client()
    login(other, coordinator)
    page = other.get("/region/")
    assert page.status_code == 200
    assert 'id="municipalities"' in page.get_data(as_text=True)
    assert len(other.get("/region/exchanges.json").get_json()["features"]) == 1
