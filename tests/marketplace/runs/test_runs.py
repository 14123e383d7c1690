"""Engine runs over the database: proposals kept, superseded, committed; failures; the CLI."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from geo.distance import straight_km
from marketplace.accounts.models import Organisation
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings import limits
from marketplace.listings import services as listing_service
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests import factories
from tests.marketplace.helpers import count, english, login, make_user
from tests.marketplace.region_world import (
    Region,
    agree,
    firm_at,
    matches,
    need,
    offer,
    run,
)

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
    assert after.status == "accepted"


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


# Transport modes --------------------------------------------------------------------------------

#: kg CO2e per tonne-km in flows/data/emission_factors.csv: transport.hgv_average_laden
#: (UK DESNZ 2024, HGV all diesel, average laden) and transport.inland_barge_nl
#: (KiM / CE Delft STREAM, Dutch inland waterways 2014, 38.6 g per tonne-km).
TRUCK_KG_PER_TKM = 0.09752
BARGE_KG_PER_TKM = 0.0386


def test_a_run_stores_the_truck_mode_when_the_listings_state_none(region: Region) -> None:
    run()
    [proposal] = matches()
    assert proposal.transport_mode == "truck"
    assert proposal.transport_co2e_kg == pytest.approx(
        500.0 * proposal.road_km * TRUCK_KG_PER_TKM,
        rel=1e-4,  # road_km kept to the metre
    )


def test_a_barge_pair_is_stored_as_barge_with_the_lower_barge_transport_co2(
    region: Region,
) -> None:
    run()
    [by_truck] = matches()
    # the second run updates the same row: keep the truck figures
    truck_co2e_kg, truck_net_kg, truck_road_km = (
        by_truck.transport_co2e_kg,
        by_truck.net_co2e_kg,
        by_truck.road_km,
    )
    region.grain.transport_mode = "barge"  # the ports of Deventer and Zutphen
    region.feed.transport_mode = "barge"
    db.session.commit()

    run()
    [by_barge] = matches()
    assert by_barge.transport_mode == "barge"
    assert by_barge.road_km == pytest.approx(truck_road_km)
    # 500 t over the same km at 0.0386 instead of 0.09752 kg per tonne-km
    assert by_barge.transport_co2e_kg == pytest.approx(
        500.0 * by_barge.road_km * BARGE_KG_PER_TKM,
        rel=1e-4,  # road_km kept to the metre
    )
    assert by_barge.transport_co2e_kg < truck_co2e_kg
    assert by_barge.net_co2e_kg - truck_net_kg == pytest.approx(
        truck_co2e_kg - by_barge.transport_co2e_kg
    )
    assert "barge" in (by_barge.reason or "")


def test_one_side_by_barge_only_is_an_exchange_by_truck(region: Region) -> None:
    region.grain.transport_mode = "barge"
    db.session.commit()
    run()
    [proposal] = matches()
    assert proposal.transport_mode == "truck"


def test_the_match_page_names_the_mode_even_while_the_distance_is_hidden(
    client: FlaskClient, region: Region
) -> None:
    region.grain.transport_mode = "barge"
    region.feed.transport_mode = "barge"
    region.feed.visibility = "anonymous"
    db.session.commit()
    run()
    [proposal] = matches()
    user = make_user(organisation=region.brewery)
    db.session.commit()
    login(client, user)
    html = client.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    assert 'id="match-transport-mode">inland barge<' in html
