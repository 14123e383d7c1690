"""The engine over the database (runs, proposals kept, superseded, committed) and the workflow."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from geo.distance import straight_km
from geo.geocode import geocode_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.errors import InvalidInput
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Delivery, Match
from marketplace.extensions import db
from marketplace.listings import limits
from marketplace.listings import services as listing_service
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
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
    engine_run = runs.run_engine()
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
    # Superseded by the pause itself once set_status calls supersede_open_proposals_for,
    # or by this run until then: either way the proposal is closed and nothing is proposed.
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
        first = runs.engine_params()
        second = runs.engine_params(objective="tonnes")
    finally:
        app.config["ROAD_GRAPHML"] = None
    assert isinstance(first.road_network, RoadNetwork)
    assert second.road_network is first.road_network
    assert runs.engine_params().road_network is None


# Security review: limits, failing runs, stale runs, concurrent starts (H4, Low) -------------------

LISTING_FORM = {
    "kind": "offer",
    "title": "Bierbostel",
    "material": "organics.spent_grain",
    "ewc_code": "02 07 02",
    "quantity": "20",
    "unit": "t",
    "frequency": "week",
    "location_mode": "site",
    "price_terms": "negotiable",
    "visibility": "public",
    "publish": "1",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "1e308"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "10000000.5"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "1e400"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "Infinity"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "NaN"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "sNaN"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"price_eur_per_unit": "1e400"}, "price", limits.PRICE_LIMIT_MESSAGE),
        ({"price_eur_per_unit": "1000000.01"}, "price", limits.PRICE_LIMIT_MESSAGE),
        (
            {"kind": "need", "ewc_code": "", "max_distance_km": "1000.1"},
            "max_distance_km",
            limits.DISTANCE_LIMIT_MESSAGE,
        ),
        (
            {"kind": "need", "ewc_code": "", "current_source_km": "inf"},
            "current_source_km",
            limits.DISTANCE_LIMIT_MESSAGE,
        ),
    ],
)
def test_the_listing_form_refuses_numbers_beyond_the_limits(
    client: FlaskClient, region: Region, changes: dict[str, str], field: str, message: Any
) -> None:
    login(client, make_user(organisation=region.brewery))
    response = client.post("/listings/new", data={**LISTING_FORM, **changes})
    assert response.status_code == 422
    assert str(message) in response.get_data(as_text=True)
    assert count(Listing) == 3  # the region's


def test_the_listing_form_accepts_numbers_at_the_limits(
    client: FlaskClient, region: Region
) -> None:
    login(client, make_user(organisation=region.brewery))
    data = {**LISTING_FORM, "quantity": "10000000", "price_eur_per_unit": "1000000"}
    assert client.post("/listings/new", data=data).status_code == 302
    created = db.session.scalars(sa.select(Listing).order_by(Listing.id.desc())).first()
    assert created is not None
    assert (created.quantity, created.price_eur_per_unit) == (1e7, 1e6)


def test_check_listing_limits_names_every_field_beyond_its_limit(app: Flask) -> None:
    values = {
        "quantity": 1e308,
        "price_eur_per_unit": float("inf"),
        "max_distance_km": float("nan"),
        "current_source_km": Decimal("sNaN"),
        "title": "ignored",
    }
    with app.test_request_context():
        assert limits.check_listing_limits(values) == {
            "quantity": [str(limits.QUANTITY_LIMIT_MESSAGE)],
            "price_eur_per_unit": [str(limits.PRICE_LIMIT_MESSAGE)],
            "max_distance_km": [str(limits.DISTANCE_LIMIT_MESSAGE)],
            "current_source_km": [str(limits.DISTANCE_LIMIT_MESSAGE)],
        }
        at_limits = {
            "quantity": limits.MAX_QUANTITY_PER_UNIT,
            "price_eur_per_unit": Decimal("1000000"),
            "max_distance_km": limits.MAX_DISTANCE_KM,
            "current_source_km": None,
        }
        assert limits.check_listing_limits(at_limits) == {}


def test_the_limit_messages_state_the_limits(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        for limit, message in limits.LIMITS.values():
            assert f"{limit:,.0f}" in str(message)


def bad_listing(org: Organisation) -> Listing:
    """A listing no form lets through any more (written straight into the database)."""
    return offer(org, 1e308, material="organics.spent_grain", ewc_code="02 07 02")


def test_a_run_the_engine_cannot_solve_ends_failed_and_blocks_nothing(region: Region) -> None:
    bad_listing(region.builder)
    db.session.commit()
    engine_run = runs.run_engine()
    db.session.commit()
    # Whatever the engine raises for it (a ValueError today, not a FlowsError).
    assert (engine_run.status, bool(engine_run.error)) == ("failed", True)
    assert (engine_run.progress, engine_run.finished_at is not None) == (1.0, True)
    assert matches() == []
    db.session.delete(db.session.scalars(sa.select(Listing).where(Listing.quantity > 1e7)).one())
    db.session.commit()
    assert run().counts["created"] == 1  # the next run is not told one is in progress


def test_listings_at_the_limits_do_not_stop_the_engine(region: Region) -> None:
    for unit in ("t", "kg"):
        factories.listing(
            organisation=region.builder,
            kind="offer",
            material="organics.spent_grain",
            ewc_code="02 07 02",
            quantity=limits.MAX_QUANTITY_PER_UNIT,
            unit=unit,
            frequency="week",
            price_eur_per_unit=limits.MAX_PRICE_EUR_PER_UNIT,
        )
    region.feed.max_distance_km = limits.MAX_DISTANCE_KM
    region.feed.current_source_km = limits.MAX_DISTANCE_KM
    db.session.commit()
    engine_run = run()
    assert engine_run.counts["offers"] == 4
    assert sum(m.quantity_per_year for m in matches()) == 500.0  # all the feed wanted


def test_an_unexpected_engine_error_fails_the_run_with_its_type_and_message(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kw: Any) -> None:
        raise ValueError("supply and demand must be finite numbers >= 0")

    monkeypatch.setattr(runs, "propose", broken)
    engine_run = runs.run_engine()
    db.session.commit()
    db.session.expire_all()
    assert (engine_run.status, engine_run.error) == (
        "failed",
        "ValueError: supply and demand must be finite numbers >= 0",
    )


def test_a_run_failing_while_it_stores_leaves_no_half_written_proposals(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    region.grain.quantity = 800.0
    need(firm_at("7241", "Varkenshouderij Lochem"), 300.0, material="organics.animal_feed")
    db.session.commit()
    reasons = iter([lambda text: text, None])

    def neutral_then_fail(text: str, *, offer_key: Any, need_key: Any, lang: str) -> str:
        step = next(reasons, None) if lang == "en" else (lambda text: text)
        if step is None:
            raise RuntimeError("disk full")
        return step(text)

    monkeypatch.setattr(runs, "neutral_reason", neutral_then_fail)
    engine_run = runs.run_engine()
    db.session.commit()
    assert (engine_run.status, engine_run.error) == ("failed", "RuntimeError: disk full")
    assert matches() == []


def test_the_run_page_does_not_fail_when_the_engine_raises(
    client: FlaskClient, region: Region
) -> None:
    bad_listing(region.builder)
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    response = client.post("/matches/runs", data={"objective": "co2"})
    assert response.status_code == 302
    engine_run = db.session.scalars(sa.select(EngineRun)).one()
    db.session.refresh(engine_run)
    assert engine_run.status == "failed"
    assert response.headers["Location"].endswith(f"/matches/runs/{engine_run.id}")
    html = client.get(f"/matches/runs/{engine_run.id}").get_data(as_text=True)
    assert 'data-status="failed"' in html


def test_a_run_left_running_past_the_timeout_is_abandoned_for_a_new_one(
    client: FlaskClient, region: Region
) -> None:
    coordinator = make_user(role="coordinator")
    started = datetime.now(UTC) - runs.RUN_TIMEOUT - timedelta(minutes=1)
    dead = EngineRun(status="running", started_at=started)
    db.session.add(dead)
    db.session.commit()
    login(client, coordinator)
    response = client.post("/matches/runs", data={"objective": "co2"})
    db.session.expire_all()
    new = db.session.scalars(sa.select(EngineRun).where(EngineRun.id != dead.id)).one()
    assert response.headers["Location"].endswith(f"/matches/runs/{new.id}")
    assert new.status == "succeeded"
    abandoned = db.session.get(EngineRun, dead.id)
    assert abandoned is not None
    assert abandoned.status == "failed"
    assert abandoned.error is not None and abandoned.error.startswith("abandoned: ")
    assert abandoned.finished_at is not None


def test_a_run_abandoned_while_it_works_stores_nothing(region: Region) -> None:
    def abandon_meanwhile(phase: str, _share: float) -> None:
        if phase == "solving":  # a newer start took this run for dead
            db.session.execute(
                sa.update(EngineRun).where(EngineRun.id == engine_run.id).values(status="failed")
            )
            db.session.commit()

    params = runs.engine_params()
    engine_run = runs.start_run(params)
    runs.execute_run(engine_run, params, progress=abandon_meanwhile)
    db.session.commit()
    assert engine_run.status == "failed"
    assert matches() == []


def test_two_coordinators_starting_a_run_at_once_get_one_run(
    app: Flask, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second start waits for the first start's transaction, then sees its run."""
    params = runs.engine_params()
    reached_lock = threading.Event()
    original_lock = getattr(runs, "lock_run_starts", None)

    def lock_and_tell(connection: sa.Connection) -> None:
        reached_lock.set()
        assert original_lock is not None
        original_lock(connection)

    monkeypatch.setattr(runs, "lock_run_starts", lock_and_tell, raising=False)
    outcome: dict[str, Any] = {}

    def second_coordinator() -> None:
        with app.app_context():
            try:
                outcome["started"] = runs.start_run(params).id
            except runs.RunInProgress as exc:
                outcome["in_progress"] = exc.run.id
            finally:
                db.session.remove()

    with db.engine.connect() as first:  # the first start, between its check and its commit
        if original_lock is not None:
            original_lock(first)
        first_id = first.execute(
            sa.insert(EngineRun).values(status="running", started_at=datetime.now(UTC))
        ).inserted_primary_key[0]
        worker = threading.Thread(target=second_coordinator)
        worker.start()
        while worker.is_alive() and not reached_lock.wait(0.01):
            pass
        first.commit()
    worker.join()
    assert outcome == {"in_progress": first_id}
    assert count(EngineRun) == 1


# Declined pairs stay declined (H7) -------------------------------------------------------------


def test_a_declined_pair_is_not_proposed_again(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.farmer)
    assert client.post(f"/matches/{parties.proposal.id}/decline").status_code == 302
    engine_run = run()
    assert [(m.id, m.status) for m in matches()] == [(parties.proposal.id, "declined")]
    # The engine goes around the declined pair; the storage guard has nothing to skip.
    assert (engine_run.counts["created"], engine_run.counts["skipped_declined"]) == (0, 0)
    assert engine_run.counts["candidates"] == 0


def test_a_declined_pair_leaves_its_quantity_to_the_next_best_need(
    parties: Parties, db_session: Any
) -> None:
    other_farm = firm_at("7241", "Geitenhouderij Lochem")
    other_feed = need(other_farm, 500.0, material="organics.animal_feed", max_distance_km=40.0)
    db_session.commit()
    matching.decline(parties.farmer, parties.proposal)
    db_session.commit()
    run()
    proposed = [m for m in matches() if m.status == "proposed"]
    assert [(m.offer_id, m.need_id) for m in proposed] == [
        (parties.proposal.offer_id, other_feed.id)
    ]
    assert proposed[0].quantity_per_year == pytest.approx(500.0)


def test_closing_a_listing_on_its_page_supersedes_its_open_proposal(
    client: FlaskClient, parties: Parties
) -> None:
    login(client, parties.farmer)
    response = client.post(
        f"/listings/{parties.proposal.need_id}/status", data={"status": "closed"}
    )
    assert response.status_code == 302
    assert [m.status for m in matches()] == ["superseded"]


def test_a_pair_declined_longer_ago_than_the_memory_is_proposed_again(parties: Parties) -> None:
    matching.decline(parties.farmer, parties.proposal)
    parties.proposal.updated_at = datetime.now(UTC) - timedelta(
        days=matching.DECLINE_MEMORY_DAYS + 1
    )
    db.session.commit()
    engine_run = run()
    assert [m.status for m in matches()] == ["declined", "proposed"]
    assert (engine_run.counts["created"], engine_run.counts["skipped_declined"]) == (1, 0)


# Only current proposals can be accepted (M2) ---------------------------------------------------


@pytest.mark.parametrize("status", ["paused", "closed"])
def test_a_proposal_whose_listing_is_no_longer_active_cannot_be_accepted(
    client: FlaskClient, app: Flask, parties: Parties, status: str
) -> None:
    parties.proposal.need.status = status
    db.session.commit()
    for user in (parties.brewer, parties.farmer):
        other = app.test_client()
        login(other, user)
        response = other.post(f"/matches/{parties.proposal.id}/accept", follow_redirects=True)
        assert (
            f"This proposal can no longer be accepted: one of its listings is {status}."
            in response.get_data(as_text=True)
        )
    after = reload(parties.proposal)
    assert (after.status, after.offer_accepted_at, after.need_accepted_at) == (
        "proposed",
        None,
        None,
    )


def test_a_proposal_whose_listing_changed_waits_for_the_next_run(parties: Parties) -> None:
    parties.proposal.need.description = "Alleen in de winter"
    db.session.commit()
    # Outside a request the messages are Dutch, the default language.
    with pytest.raises(InvalidInput, match="gewijzigd nadat het werd voorgesteld"):
        matching.accept(parties.farmer, parties.proposal)
    db.session.rollback()
    run()
    accepted = matching.accept(parties.farmer, reload(parties.proposal))
    assert accepted.need_accepted_at is not None


def test_pausing_a_listing_supersedes_only_its_open_proposals(region: Region) -> None:
    region.grain.quantity = 800.0
    second_need = need(
        firm_at("7241", "Varkenshouderij Lochem"), 300.0, material="organics.animal_feed"
    )
    db.session.commit()
    run()
    by_need = {m.need_id: m for m in matches()}
    agree(by_need[region.feed.id])
    assert matching.supersede_open_proposals_for(region.grain) == 1
    db.session.commit()
    assert {m.need_id: m.status for m in matches()} == {
        region.feed.id: "agreed",
        second_need.id: "superseded",
    }
    assert matching.supersede_open_proposals_for(region.rubble) == 0


# Coordinators act for one named firm, and are audited (M3) --------------------------------------


def audit_entries() -> list[tuple[int | None, str, dict[str, Any]]]:
    rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    return [(e.organisation_id, e.action, e.details) for e in rows]


@pytest.fixture
def coordinator(parties: Parties) -> User:
    user = make_user(role="coordinator")
    db.session.commit()
    return user


def test_a_coordinator_cannot_accept_both_sides_in_one_click(
    client: FlaskClient, parties: Parties, coordinator: User
) -> None:
    login(client, coordinator)
    response = client.post(f"/matches/{parties.proposal.id}/accept", follow_redirects=True)
    assert "Choose the firm you act for: the offering or the needing firm." in response.get_data(
        as_text=True
    )
    after = reload(parties.proposal)
    assert (after.status, after.offer_accepted_at, after.need_accepted_at) == (
        "proposed",
        None,
        None,
    )
    assert audit_entries() == []


def test_a_coordinator_accepts_for_one_named_firm_at_a_time_and_is_audited(
    client: FlaskClient, region: Region, parties: Parties, coordinator: User
) -> None:
    url = f"/matches/{parties.proposal.id}"
    login(client, coordinator)
    assert client.post(f"{url}/accept", data={"side": "offer"}).status_code == 302
    half = reload(parties.proposal)
    assert (half.status, half.offer_accepted_at is not None, half.need_accepted_at) == (
        "proposed",
        True,
        None,
    )
    assert client.post(f"{url}/accept", data={"side": "need"}).status_code == 302
    assert reload(parties.proposal).status == "agreed"
    assert audit_entries() == [
        (region.brewery.id, "match.accept", {"side": "offer", "status": "proposed"}),
        (region.farm.id, "match.accept", {"side": "need", "status": "agreed"}),
    ]


def test_the_detail_page_gives_a_coordinator_one_button_per_firm(
    client: FlaskClient, app: Flask, parties: Parties, coordinator: User
) -> None:
    login(client, coordinator)
    html = client.get(f"/matches/{parties.proposal.id}").get_data(as_text=True)
    for button in ("accept-offer", "accept-need", "decline-offer", "decline-need"):
        assert f'id="{button}"' in html
    assert 'id="accept"' not in html
    member = app.test_client()
    login(member, parties.brewer)
    html = member.get(f"/matches/{parties.proposal.id}").get_data(as_text=True)
    assert 'id="accept"' in html
    assert 'id="accept-need"' not in html


def test_a_member_cannot_accept_for_the_other_firm(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.brewer)
    response = client.post(f"/matches/{parties.proposal.id}/accept", data={"side": "need"})
    assert response.status_code == 403
    assert reload(parties.proposal).need_accepted_at is None


def test_members_acting_for_their_own_firm_leave_no_audit_entries(parties: Parties) -> None:
    agree(parties.proposal)
    matching.record_delivery(
        parties.farmer,
        parties.proposal,
        delivered_on=date(2026, 3, 1),
        quantity=10.0,
        unit="t",
        note=None,
    )
    matching.complete(parties.brewer, parties.proposal)
    db.session.commit()
    assert audit_entries() == []


def test_a_coordinator_declining_completing_and_delivering_is_audited(
    client: FlaskClient, region: Region, parties: Parties, coordinator: User
) -> None:
    url = f"/matches/{parties.proposal.id}"
    login(client, coordinator)
    assert client.post(f"{url}/decline", data={"side": "need"}).status_code == 302
    assert reload(parties.proposal).status == "declined"
    assert audit_entries() == [(region.farm.id, "match.decline", {"side": "need"})]

    db.session.execute(sa.delete(AuditEntry))
    parties.proposal.status = "proposed"
    db.session.commit()
    agree(reload(parties.proposal))
    delivery = {"delivered_on": "2026-03-01", "quantity": "12.5", "unit": "t"}
    assert client.post(f"{url}/deliveries", data=delivery).status_code == 302
    assert client.post(f"{url}/complete").status_code == 302
    delivery_id = db.session.scalars(sa.select(Delivery.id)).one()
    details = {
        "delivery_id": delivery_id,
        "delivered_on": "2026-03-01",
        "quantity": 12.5,
        "unit": "t",
    }
    assert audit_entries() == [
        (region.brewery.id, "match.delivery", {"side": "offer", **details}),
        (region.farm.id, "match.delivery", {"side": "need", **details}),
        (region.brewery.id, "match.complete", {"side": "offer"}),
        (region.farm.id, "match.complete", {"side": "need"}),
    ]


# The list rounds like the detail page while the distance is hidden (M4) --------------------------


def test_the_list_rounds_net_co2e_to_tonnes_while_the_distance_is_hidden(
    client: FlaskClient, region: Region
) -> None:
    region.feed.visibility = "anonymous"
    db.session.commit()
    run()
    [proposal] = matches()
    login(client, make_user(organisation=region.brewery))
    html = client.get("/matches/").get_data(as_text=True)
    assert f"≈ {proposal.net_co2e_kg / 1000:,.0f} t" in html
    assert f"{proposal.net_co2e_kg:,.0f}" not in html
    detail = client.get(f"/matches/{proposal.id}").get_data(as_text=True)
    assert f"≈ {proposal.net_co2e_kg / 1000:,.0f} t" in detail


def test_the_list_shows_net_co2e_in_kilograms_once_the_distance_is_known(
    client: FlaskClient, parties: Parties
) -> None:
    login(client, parties.brewer)
    html = client.get("/matches/").get_data(as_text=True)
    assert f"{parties.proposal.net_co2e_kg:,.0f}" in html
