"""The engine over the database (runs, proposals kept, superseded, committed) and the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from geo.distance import straight_km
from geo.geocode import geocode_postcode
from marketplace.extensions import db
from marketplace.models import Delivery, EngineRun, Listing, Match, Organisation, User
from marketplace.services import listings as listing_service
from marketplace.services import matching
from tests import factories
from tests.marketplace.helpers import count, english, login, make_user

MUNICIPALITY = {"7411": "GM0150", "7201": "GM0301", "7311": "GM0200", "7241": "GM0262"}


def firm_at(pc4: str, name: str) -> Organisation:
    lon, lat = geocode_postcode(pc4)
    return factories.organisation(
        name=name, postcode=f"{pc4} AA", lon=lon, lat=lat, municipality_code=MUNICIPALITY[pc4]
    )


def offer(org: Organisation, quantity_t: float, **kw: Any) -> Listing:
    return factories.listing(
        organisation=org, kind="offer", quantity=quantity_t, frequency="year", **kw
    )


def need(org: Organisation, quantity_t: float, **kw: Any) -> Listing:
    return factories.listing(
        organisation=org, kind="need", quantity=quantity_t, frequency="year", **kw
    )


@dataclass
class Region:
    brewery: Organisation  # Deventer
    farm: Organisation  # Zutphen
    builder: Organisation  # Apeldoorn
    grain: Listing
    feed: Listing
    rubble: Listing


@pytest.fixture
def region(db_session: Any) -> Region:
    """Spent grain in Deventer, animal feed wanted in Zutphen, rubble nobody can use."""
    brewery = firm_at("7411", "Brouwerij Davo")
    farm = firm_at("7201", "Melkveebedrijf Berends")
    builder = firm_at("7311", "Sloopbedrijf Apeldoorn")
    grain = offer(brewery, 500.0, material="organics.spent_grain", ewc_code="02 07 02")
    feed = need(farm, 500.0, material="organics.animal_feed", max_distance_km=30.0)
    rubble = offer(
        builder, 200.0, title="Betonpuin", material="minerals.concrete_rubble", ewc_code="17 01 01"
    )
    db_session.commit()
    return Region(brewery, farm, builder, grain, feed, rubble)


def matches() -> list[Match]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Match).order_by(Match.id)))


def run() -> EngineRun:
    engine_run = matching.run_engine()
    db.session.commit()
    assert engine_run.status == "succeeded", engine_run.error
    return engine_run


def agree(match: Match) -> None:
    offer_member = make_user(organisation=match.offer.organisation)
    need_member = make_user(organisation=match.need.organisation)
    matching.accept(offer_member, match)
    matching.accept(need_member, match)
    db.session.commit()
    assert match.status == "agreed"


# Engine runs ----------------------------------------------------------------------------------


def test_a_run_stores_its_figures_and_proposes_only_the_compatible_pair(region: Region) -> None:
    engine_run = run()
    assert engine_run.finished_at is not None
    assert engine_run.progress == 1.0
    assert engine_run.error is None
    assert engine_run.params["objective"] == "co2"
    assert engine_run.params["default_max_distance_km"] == 50.0
    counts = engine_run.counts
    assert (counts["offers"], counts["needs"], counts["candidates"], counts["proposals"]) == (
        2,
        1,
        1,
        1,
    )
    assert (counts["created"], counts["updated"], counts["superseded"]) == (1, 0, 0)
    assert engine_run.totals["exchanged_per_unit"] == {"t": 500.0}
    assert engine_run.totals["mass_t_per_year"] == 500.0
    assert engine_run.timings_s
    assert all(seconds >= 0 for seconds in engine_run.timings_s.values())

    [proposal] = matches()
    assert (proposal.offer_id, proposal.need_id) == (region.grain.id, region.feed.id)
    assert (proposal.status, proposal.engine_run_id) == ("proposed", engine_run.id)
    assert (proposal.quantity_per_year, proposal.unit) == (500.0, "t")
    expected_km = float(
        straight_km(region.brewery.lon, region.brewery.lat, region.farm.lon, region.farm.lat)
    )
    # the engine keeps distances to the metre
    assert proposal.distance_km == pytest.approx(expected_km, abs=0.0005)
    assert proposal.road_km == pytest.approx(1.3 * expected_km, abs=0.0015)
    assert proposal.net_co2e_kg == pytest.approx(
        proposal.avoided_production_co2e_kg
        + proposal.avoided_disposal_co2e_kg
        + proposal.avoided_transport_co2e_kg
        - proposal.transport_co2e_kg
    )
    assert engine_run.totals["net_co2e_kg"] == pytest.approx(proposal.net_co2e_kg)
    assert (proposal.offer_accepted_at, proposal.need_accepted_at) == (None, None)


def test_a_need_beyond_its_maximum_distance_gets_no_proposal(region: Region) -> None:
    region.feed.max_distance_km = 10.0  # Deventer to Zutphen is 12.7 km
    db.session.commit()
    engine_run = run()
    assert matches() == []
    assert engine_run.counts["proposals"] == 0


def test_a_second_run_keeps_the_proposal_in_place(region: Region) -> None:
    first = run()
    [before] = matches()
    second = run()
    [after] = matches()
    assert after.id == before.id
    assert (after.status, after.engine_run_id) == ("proposed", second.id)
    assert (second.counts["created"], second.counts["updated"], second.counts["superseded"]) == (
        0,
        1,
        0,
    )
    assert second.id != first.id


def test_a_rerun_keeps_a_firms_consent_to_an_unchanged_proposal(region: Region) -> None:
    run()
    [proposal] = matches()
    matching.accept(make_user(organisation=region.brewery), proposal)
    db.session.commit()
    run()
    [after] = matches()
    assert after.offer_accepted_at is not None
    assert after.status == "proposed"


def test_a_rerun_asks_consent_again_when_the_quantity_changed(region: Region) -> None:
    run()
    [proposal] = matches()
    matching.accept(make_user(organisation=region.brewery), proposal)
    region.feed.quantity = 300.0
    db.session.commit()
    run()
    [after] = matches()
    assert after.quantity_per_year == 300.0
    assert after.offer_accepted_at is None


def test_pausing_a_listing_supersedes_its_open_proposal_but_not_its_agreed_match(
    region: Region,
) -> None:
    region.grain.quantity = 800.0
    lochem = firm_at("7241", "Varkenshouderij Lochem")
    second_need = need(lochem, 300.0, material="organics.animal_feed", max_distance_km=30.0)
    db.session.commit()
    first = run()
    by_need = {m.need_id: m for m in matches()}
    assert {k: m.quantity_per_year for k, m in by_need.items()} == {
        region.feed.id: 500.0,
        second_need.id: 300.0,
    }
    agree(by_need[region.feed.id])

    listing_service.set_status(make_user(organisation=region.brewery), region.grain, "paused")
    db.session.commit()
    second = run()
    after = {m.need_id: m for m in matches()}
    assert after[second_need.id].status == "superseded"
    agreed = after[region.feed.id]
    assert (agreed.status, agreed.engine_run_id, agreed.quantity_per_year) == (
        "agreed",
        first.id,
        500.0,
    )
    assert second.counts["superseded"] == 1
    assert second.counts["proposals"] == 0


def test_an_agreed_match_for_the_full_quantity_leaves_nothing_to_propose(region: Region) -> None:
    run()
    [proposal] = matches()
    agree(proposal)
    lochem = firm_at("7241", "Varkenshouderij Lochem")
    need(lochem, 300.0, material="organics.animal_feed", max_distance_km=30.0)
    db.session.commit()
    engine_run = run()
    assert [m.status for m in matches()] == ["agreed"]
    assert engine_run.counts["proposals"] == 0
    assert engine_run.counts["offers_with_quantity_left"] == 1  # the rubble only


def test_only_the_uncommitted_rest_of_an_offer_is_proposed(region: Region) -> None:
    region.feed.quantity = 200.0
    db.session.commit()
    run()
    [proposal] = matches()
    assert proposal.quantity_per_year == 200.0
    agree(proposal)
    lochem = firm_at("7241", "Varkenshouderij Lochem")
    hungry = need(lochem, 450.0, material="organics.animal_feed", max_distance_km=30.0)
    db.session.commit()
    run()
    new = [m for m in matches() if m.status == "proposed"]
    assert [(m.offer_id, m.need_id, m.quantity_per_year) for m in new] == [
        (region.grain.id, hungry.id, 300.0)  # 500 t offered, 200 t already agreed
    ]


def test_a_run_over_an_empty_market_succeeds_and_supersedes_open_proposals(
    region: Region,
) -> None:
    run()
    for item in (region.grain, region.feed, region.rubble):
        item.status = "closed"
    db.session.commit()
    engine_run = run()
    assert [m.status for m in matches()] == ["superseded"]
    assert (engine_run.counts["offers"], engine_run.counts["proposals"]) == (0, 0)
    assert engine_run.counts["superseded"] == 1


# flask flows run ---------------------------------------------------------------------------------


def test_flows_run_prints_the_summary(app: Flask, region: Region) -> None:
    result = app.test_cli_runner().invoke(args=["flows", "run"])
    assert result.exit_code == 0, result.output
    engine_run = db.session.scalars(sa.select(EngineRun)).one()
    assert engine_run.status == "succeeded"
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"engine run {engine_run.id}: 2 offers, 1 needs, 1 candidate pairs, 1 proposals "
        "(1 new, 0 kept, 0 superseded)"
    )
    net_t = engine_run.totals["net_co2e_kg"] / 1000
    assert lines[1].startswith(
        f"exchanged 500.0 t/year; net avoided {net_t:,.1f} t CO2e/year; 0 loops; "
    )
    assert lines[2].startswith("time per phase: ")
    assert count(Match) == 1


def test_flows_run_passes_its_options_to_the_engine(app: Flask, region: Region) -> None:
    args = ["flows", "run", "--objective", "tonnes", "--max-distance-km", "20", "--top-k", "3"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    params = db.session.scalars(sa.select(EngineRun.params)).one()
    assert (params["objective"], params["default_max_distance_km"], params["top_k"]) == (
        "tonnes",
        20.0,
        3,
    )


@pytest.mark.parametrize("bad", [["--top-k", "0"], ["--max-distance-km", "-5"]])
def test_flows_run_refuses_bad_options_before_running(
    app: Flask, region: Region, bad: list[str]
) -> None:
    result = app.test_cli_runner().invoke(args=["flows", "run", *bad])
    assert result.exit_code == 2
    assert count(EngineRun) == 0


# The match workflow ------------------------------------------------------------------------------


@dataclass
class Parties:
    proposal: Match
    brewer: User
    farmer: User
    outsider: User


@pytest.fixture
def parties(region: Region) -> Parties:
    run()
    [proposal] = matches()
    brewer = make_user(organisation=region.brewery)
    farmer = make_user(organisation=region.farm)
    outsider = make_user(organisation=region.builder)
    db.session.commit()
    return Parties(proposal, brewer, farmer, outsider)


def reload(match: Match) -> Match:
    db.session.expire_all()
    found = db.session.get(Match, match.id)
    assert found is not None
    return found


def test_both_sides_accepting_turns_a_proposal_into_an_agreement(
    client: FlaskClient, app: Flask, parties: Parties
) -> None:
    url = f"/matches/{parties.proposal.id}"
    login(client, parties.brewer)
    assert client.post(f"{url}/accept").status_code == 302
    half = reload(parties.proposal)
    assert (half.status, half.need_accepted_at, half.agreed_at) == ("proposed", None, None)
    assert half.offer_accepted_at is not None

    other = app.test_client()
    login(other, parties.farmer)
    assert other.post(f"{url}/accept").status_code == 302
    done = reload(parties.proposal)
    assert done.status == "agreed"
    assert done.need_accepted_at is not None
    assert done.agreed_at is not None


def test_a_declined_proposal_can_no_longer_be_accepted(
    client: FlaskClient, parties: Parties
) -> None:
    url = f"/matches/{parties.proposal.id}"
    login(client, parties.farmer)
    assert client.post(f"{url}/decline").status_code == 302
    assert reload(parties.proposal).status == "declined"
    response = client.post(f"{url}/accept", follow_redirects=True)
    assert "Only a proposed match can be accepted; this one is declined." in response.get_data(
        as_text=True
    )
    assert reload(parties.proposal).status == "declined"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("post", "/accept"),
        ("post", "/decline"),
        ("post", "/complete"),
        ("post", "/deliveries"),
    ],
)
def test_a_third_firm_can_neither_see_nor_act_on_the_match(
    client: FlaskClient, parties: Parties, method: str, suffix: str
) -> None:
    login(client, parties.outsider)
    data = {"delivered_on": "2026-03-01", "quantity": "10", "unit": "t"}
    response = getattr(client, method)(f"/matches/{parties.proposal.id}{suffix}", data=data)
    assert response.status_code == 404
    after = reload(parties.proposal)
    assert (after.status, after.offer_accepted_at, after.need_accepted_at) == (
        "proposed",
        None,
        None,
    )
    assert count(Delivery) == 0


def test_a_third_firm_does_not_see_the_match_in_its_list(
    client: FlaskClient, parties: Parties
) -> None:
    login(client, parties.outsider)
    html = client.get("/matches/?status=all").get_data(as_text=True)
    assert f"/matches/{parties.proposal.id}" not in html
    assert "Bierbostel" not in html


def test_each_side_sees_the_match_in_its_list(
    client: FlaskClient, app: Flask, parties: Parties
) -> None:
    for user in (parties.brewer, parties.farmer):
        other = app.test_client()
        login(other, user)
        assert f"/matches/{parties.proposal.id}" in other.get("/matches/").get_data(as_text=True)


def test_deliveries_are_refused_before_agreement(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.brewer)
    response = client.post(
        f"/matches/{parties.proposal.id}/deliveries",
        data={"delivered_on": "2026-03-01", "quantity": "10", "unit": "t"},
    )
    assert response.status_code == 422
    assert "Deliveries can be recorded for agreed or active matches only." in response.get_data(
        as_text=True
    )
    assert count(Delivery) == 0


def test_a_delivery_under_an_agreed_match_is_recorded_and_activates_it(
    client: FlaskClient, parties: Parties
) -> None:
    agree(parties.proposal)
    login(client, parties.farmer)
    response = client.post(
        f"/matches/{parties.proposal.id}/deliveries",
        data={"delivered_on": "2026-03-01", "quantity": "12.5", "unit": "t", "note": "eerste"},
    )
    assert response.status_code == 302
    delivery = db.session.scalars(sa.select(Delivery)).one()
    assert (str(delivery.delivered_on), delivery.quantity, delivery.unit, delivery.note) == (
        "2026-03-01",
        12.5,
        "t",
        "eerste",
    )
    assert delivery.created_by_id == parties.farmer.id
    assert reload(parties.proposal).status == "active"


@pytest.mark.parametrize(
    "data",
    [
        {"delivered_on": "2026-03-01", "quantity": "0", "unit": "t"},
        {"delivered_on": "2026-03-01", "quantity": "NaN", "unit": "t"},
        {"delivered_on": "", "quantity": "5", "unit": "t"},
        {"delivered_on": "2026-03-01", "quantity": "5", "unit": "lb"},
    ],
)
def test_a_bad_delivery_is_refused(
    client: FlaskClient, parties: Parties, data: dict[str, str]
) -> None:
    agree(parties.proposal)
    login(client, parties.farmer)
    response = client.post(f"/matches/{parties.proposal.id}/deliveries", data=data)
    assert response.status_code == 422
    assert count(Delivery) == 0
    assert reload(parties.proposal).status == "agreed"


def test_an_agreed_match_can_be_completed(client: FlaskClient, parties: Parties) -> None:
    agree(parties.proposal)
    login(client, parties.brewer)
    assert client.post(f"/matches/{parties.proposal.id}/complete").status_code == 302
    assert reload(parties.proposal).status == "completed"


# Engine runs from the pages (coordinators) -------------------------------------------------------


def test_a_coordinator_starts_a_run_and_lands_on_its_figures(
    client: FlaskClient, region: Region
) -> None:
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    response = client.post("/matches/runs", data={"objective": "co2"})
    assert response.status_code == 302
    engine_run = db.session.scalars(sa.select(EngineRun)).one()
    assert response.headers["Location"].endswith(f"/matches/runs/{engine_run.id}")
    assert (engine_run.status, engine_run.started_by_id) == ("succeeded", coordinator.id)
    html = client.get(f"/matches/runs/{engine_run.id}").get_data(as_text=True)
    assert 'data-status="succeeded"' in html
    assert '<div class="value">1</div><div class="label">proposals</div>' in html
    status = client.get(f"/matches/runs/{engine_run.id}.json").get_json()
    assert (status["status"], status["counts"]["proposals"]) == ("succeeded", 1)
    assert count(Match) == 1


def test_a_second_run_is_not_started_while_one_is_running(
    client: FlaskClient, region: Region
) -> None:
    coordinator = make_user(role="coordinator")
    running = EngineRun(status="running")
    db.session.add(running)
    db.session.commit()
    login(client, coordinator)
    response = client.post("/matches/runs", data={"objective": "co2"})
    assert response.headers["Location"].endswith(f"/matches/runs/{running.id}")
    assert count(EngineRun) == 1


@pytest.mark.parametrize("actor", ["member", "anonymous"])
def test_members_and_visitors_cannot_run_the_engine(
    client: FlaskClient, region: Region, actor: str
) -> None:
    if actor == "member":
        login(client, make_user(organisation=region.brewery))
        db.session.commit()
        expected = 403
    else:
        english(client)
        expected = 302
    assert client.post("/matches/runs", data={"objective": "co2"}).status_code == expected
    assert count(EngineRun) == 0


def test_a_configured_road_network_is_loaded_once_for_the_engine(
    app: Flask, db_session: Any, tmp_path: Any
) -> None:
    from geo.distance import RoadNetwork
    from tests.geo.test_road_network import _graphml

    graph = tmp_path / "roads.graphml"
    graph.write_text(_graphml(), encoding="utf-8")
    app.config["ROAD_GRAPHML"] = str(graph)
    try:
        first = matching.engine_params()
        second = matching.engine_params(objective="tonnes")
    finally:
        app.config["ROAD_GRAPHML"] = None
    assert isinstance(first.road_network, RoadNetwork)
    assert second.road_network is first.road_network
    assert matching.engine_params().road_network is None
