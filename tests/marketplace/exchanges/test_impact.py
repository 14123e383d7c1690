"""Realised impact: the engine's CO2e terms applied to delivered quantities, by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient

from marketplace.errors import InvalidInput
from marketplace.exchanges import impact
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from tests.marketplace.helpers import login, make_user
from tests.marketplace.region_world import Region


def agreed_match(region: Region, **overrides: float | str) -> Match:
    """120 t a year over 20 km of road, with round CO2e terms (kg per year)."""
    values = {
        "quantity_per_year": 120.0,
        "unit": "t",
        "quantity_flow_unit": 120.0,
        "flow_unit": "t",
        "distance_km": 15.0,
        "road_km": 20.0,
        "mass_t_per_year": 120.0,
        "avoided_production_co2e_kg": 12_000.0,
        "avoided_disposal_co2e_kg": 2_400.0,
        "avoided_transport_co2e_kg": 600.0,
        "transport_co2e_kg": 1_200.0,
        "net_co2e_kg": 13_800.0,
        "agreed_net_co2e_kg": 13_800.0,
    }
    values.update(overrides)
    match = Match(
        offer_id=region.grain.id,
        need_id=region.feed.id,
        status="agreed",
        agreed_at=datetime.now(UTC),
        **values,
    )
    db.session.add(match)
    db.session.commit()
    return match


def test_realised_co2e_scales_every_term_by_the_delivered_share(region: Region) -> None:
    match = agreed_match(region)
    farmer = make_user(organisation=region.farm)
    matching.record_delivery(farmer, match, delivered_on=date(2026, 3, 2), quantity=10.0, unit="t")
    matching.record_delivery(
        farmer, match, delivered_on=date(2026, 4, 6), quantity=20_000.0, unit="kg"
    )
    db.session.commit()
    done = impact.realised(match)
    # 10 t + 20 000 kg = 30 t, a quarter of the 120 t a year.
    assert done.quantity == pytest.approx(30.0)
    assert done.mass_t == pytest.approx(30.0)
    assert done.tonne_km == pytest.approx(30.0 * 20.0)
    assert done.avoided_production_co2e_kg == pytest.approx(3_000.0)
    assert done.avoided_disposal_co2e_kg == pytest.approx(600.0)
    assert done.avoided_transport_co2e_kg == pytest.approx(150.0)
    assert done.transport_co2e_kg == pytest.approx(300.0)
    assert done.net_co2e_kg == pytest.approx(3_000 + 600 + 150 - 300)
    assert match.status == "active"


def test_a_volume_match_takes_deliveries_by_mass_through_its_density(region: Region) -> None:
    # 100 m3 a year weighing 60 t: 6 t delivered is 10 m3, a tenth of the year.
    match = agreed_match(
        region, quantity_per_year=100.0, unit="m3", mass_t_per_year=60.0, net_co2e_kg=1_000.0
    )
    assert impact.delivered_in_match_unit(match, 6.0, "t") == pytest.approx(10.0)
    assert impact.realised_for(match, 10.0).tonne_km == pytest.approx(6.0 * 20.0)
    with pytest.raises(InvalidInput):
        impact.delivered_in_match_unit(match, 6.0, "MWh")


def test_a_firms_impact_counts_supplied_and_received_tonnes_per_month(region: Region) -> None:
    match = agreed_match(region)
    brewer = make_user(organisation=region.brewery)
    for day, quantity in (
        (date(2026, 3, 2), 10.0),
        (date(2026, 3, 20), 5.0),
        (date(2026, 4, 6), 15.0),
    ):
        matching.record_delivery(brewer, match, delivered_on=day, quantity=quantity, unit="t")
    db.session.commit()
    supplier = impact.firm_impact(region.brewery.id)
    receiver = impact.firm_impact(region.farm.id)
    assert (supplier.supplied_t, supplier.received_t) == (pytest.approx(30.0), 0.0)
    assert (receiver.supplied_t, receiver.received_t) == (0.0, pytest.approx(30.0))
    assert supplier.partners == [region.farm.name]
    assert receiver.partners == [region.brewery.name]
    assert [(m.month, m.supplied_t) for m in supplier.months] == [
        ("2026-03", pytest.approx(15.0)),
        ("2026-04", pytest.approx(15.0)),
    ]
    assert supplier.realised_net_co2e_kg == pytest.approx(13_800.0 / 4)
    assert supplier.estimated_net_co2e_kg_per_year == pytest.approx(13_800.0)
    assert supplier.tonne_km == pytest.approx(600.0)
    csv_text = impact.impact_csv(supplier)
    lines = csv_text.strip().split("\n")
    assert lines[0].split(";")[:4] == ["delivered_on", "match", "role", "partner"]
    assert len(lines) == 4
    assert lines[1].startswith(f"2026-03-02;{match.id};supplier;{region.farm.name};")


def test_the_region_counts_agreed_and_realised_totals(region: Region) -> None:
    match = agreed_match(region)
    matching.record_delivery(
        make_user(organisation=region.farm),
        match,
        delivered_on=date(2026, 3, 2),
        quantity=60.0,
        unit="t",
    )
    db.session.commit()
    totals = impact.exchange_totals()
    assert totals.agreed_matches == 1
    assert totals.estimated_net_co2e_t_per_year == pytest.approx(13.8)
    assert totals.realised_mass_t == pytest.approx(60.0)
    assert totals.realised_net_co2e_t == pytest.approx(6.9)
    assert totals.realised_tonne_km == pytest.approx(1_200.0)


def test_landing_page_and_impact_page_show_the_realised_figures(
    client: FlaskClient, region: Region
) -> None:
    match = agreed_match(region)
    brewer = make_user(organisation=region.brewery)
    matching.record_delivery(brewer, match, delivered_on=date(2026, 3, 2), quantity=60.0, unit="t")
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert 'data-figure="realised_net_co2e_t">6,9<' in home
    login(client, brewer)
    page = client.get("/matches/impact").get_data(as_text=True)
    assert 'data-figure="supplied_t">60.0<' in page or 'data-figure="supplied_t">60,0<' in page
    assert region.farm.name in page
    response = client.get("/matches/impact.csv")
    assert response.mimetype == "text/csv"
    assert region.farm.name in response.get_data(as_text=True)


def test_editing_and_deleting_a_delivery_is_recorded(region: Region) -> None:
    match = agreed_match(region)
    brewer = make_user(organisation=region.brewery)
    delivery = matching.record_delivery(
        brewer, match, delivered_on=date(2026, 3, 2), quantity=10.0, unit="t", document_number="A1"
    )
    db.session.commit()
    matching.update_delivery(
        brewer,
        delivery,
        delivered_on=date(2026, 3, 3),
        quantity=12.0,
        unit="t",
        document_number="A2",
    )
    db.session.commit()
    assert impact.realised(match).quantity == pytest.approx(12.0)
    matching.delete_delivery(brewer, delivery)
    db.session.commit()
    assert match.deliveries == []
    changed, deleted = [e for e in match.events if e.action.startswith("delivery_")][1:]
    assert changed.details["before"]["quantity"] == 10.0
    assert changed.details["after"]["document_number"] == "A2"
    assert deleted.details["before"]["quantity"] == 12.0


def test_a_delivery_is_corrected_and_deleted_on_the_match_page(
    client: FlaskClient, region: Region
) -> None:
    match = agreed_match(region)
    brewer = make_user(organisation=region.brewery)
    delivery = matching.record_delivery(
        brewer, match, delivered_on=date(2026, 3, 2), quantity=10.0, unit="t"
    )
    db.session.commit()
    login(client, brewer)
    page = client.get(f"/matches/{match.public_id}").get_data(as_text=True)
    assert f'id="edit-delivery-{delivery.id}"' in page
    response = client.post(
        f"/matches/{match.public_id}/deliveries/{delivery.id}",
        data={"delivered_on": "2026-03-04", "quantity": "11", "unit": "t", "document_number": "X9"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (delivery.quantity, delivery.document_number, delivery.updated_by_id) == (
        11.0,
        "X9",
        brewer.id,
    )
    outsider = make_user(organisation=region.builder)
    other = client.application.test_client()
    login(other, outsider)
    assert (
        other.post(f"/matches/{match.public_id}/deliveries/{delivery.id}/delete").status_code == 404
    )
    assert (
        client.post(f"/matches/{match.public_id}/deliveries/{delivery.id}/delete").status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Match, match.id).deliveries == []
