"""``/api/v1/matches`` and ``/api/v1/runs``: who sees and does what, and what they see."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from marketplace.exchanges.models import Delivery, Match
from marketplace.extensions import db
from marketplace.runs.models import EngineRun
from tests.marketplace.api.conftest import Callers
from tests.marketplace.api.test_api_framework import assert_error
from tests.marketplace.helpers import count
from tests.marketplace.region_world import matches, run


@pytest.fixture
def proposal(callers: Callers, region: Any) -> Match:
    """The engine's one proposal: the brewery's (A) spent grain to the farm's (B) feed need."""
    run()
    [match] = matches()
    return match


def test_a_firm_lists_its_own_matches_a_coordinator_all(
    client: FlaskClient, callers: Callers, proposal: Match, region: Any
) -> None:
    for caller in (callers.a, callers.b, callers.coordinator, callers.admin):
        body = client.get("/api/v1/matches", headers=caller.headers).get_json()
        assert [m["id"] for m in body["items"]] == [proposal.public_id]
        assert body["total"] == 1 and body["page"] == 1
    outsider = client.get("/api/v1/matches?status=proposed", headers=callers.b.headers).get_json()
    assert outsider["total"] == 1
    assert (
        client.get("/api/v1/matches?status=agreed", headers=callers.b.headers).get_json()["total"]
        == 0
    )
    by_listing = client.get(
        f"/api/v1/matches?listing={region.rubble.public_id}", headers=callers.coordinator.headers
    ).get_json()
    assert by_listing["total"] == 0
    assert_error(
        client.get("/api/v1/matches?status=maybe", headers=callers.a.headers), 422, "invalid_input"
    )
    assert_error(client.get("/api/v1/matches"), 401, "unauthorized")


def test_a_third_firm_neither_lists_nor_reads_nor_acts_on_a_match(
    client: FlaskClient, callers: Callers, proposal: Match, region: Any
) -> None:
    from tests.marketplace.api.conftest import with_token
    from tests.marketplace.helpers import make_user

    outsider = with_token(make_user(organisation=region.builder))
    db.session.commit()
    assert client.get("/api/v1/matches", headers=outsider.headers).get_json()["total"] == 0
    path = f"/api/v1/matches/{proposal.public_id}"
    assert_error(client.get(path, headers=outsider.headers), 404, "not_found")
    for action in ("accept", "decline", "complete"):
        response = client.post(f"{path}/{action}", json={}, headers=outsider.headers)
        assert_error(response, 404, "not_found")
    response = client.post(
        f"{path}/deliveries",
        json={"delivered_on": date.today().isoformat(), "quantity": 1, "unit": "t"},
        headers=outsider.headers,
    )
    assert_error(response, 404, "not_found")
    db.session.expire_all()
    assert proposal.status == "proposed" and count(Delivery) == 0


def test_an_anonymous_counterpart_stays_hidden_until_both_agree(
    client: FlaskClient, callers: Callers, region: Any
) -> None:
    region.grain.visibility = "anonymous"
    db.session.commit()
    run()
    [proposal] = matches()
    path = f"/api/v1/matches/{proposal.public_id}"
    seen_by_b = client.get(path, headers=callers.b.headers).get_json()
    assert seen_by_b["counterpart_organisation"] is None
    assert seen_by_b["offer_organisation"] is None
    assert seen_by_b["road_km"] is None and seen_by_b["road_band"].endswith("km")
    assert seen_by_b["your_sides"] == ["need"]
    assert seen_by_b["offer_id"] == region.grain.public_id
    seen_by_a = client.get(path, headers=callers.a.headers).get_json()
    assert seen_by_a["counterpart_organisation"] == region.farm.name

    first = client.post(f"{path}/accept", headers=callers.a.headers)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["status"] == "accepted"
    assert first.get_json()["offer_accepted"] and not first.get_json()["need_accepted"]
    assert (
        client.get(path, headers=callers.b.headers).get_json()["counterpart_organisation"] is None
    )
    agreed = client.post(f"{path}/accept", json={}, headers=callers.b.headers).get_json()
    assert agreed["status"] == "agreed"
    assert agreed["counterpart_organisation"] == region.brewery.name
    assert agreed["road_km"] == pytest.approx(proposal.road_km)


def test_deliveries_and_completion_after_agreement(
    client: FlaskClient, callers: Callers, proposal: Match
) -> None:
    path = f"/api/v1/matches/{proposal.public_id}"
    delivery = {"delivered_on": date.today().isoformat(), "quantity": 100, "unit": "t"}
    # Not yet agreed: refused with a message, nothing written.
    response = client.post(f"{path}/deliveries", json=delivery, headers=callers.a.headers)
    assert response.status_code in (409, 422)
    for caller in (callers.a, callers.b):
        assert client.post(f"{path}/accept", headers=caller.headers).status_code == 200
    response = client.post(
        f"{path}/deliveries", json={**delivery, "note": "eerste vracht"}, headers=callers.b.headers
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["quantity"] == 100 and response.get_json()["note"] == "eerste vracht"
    shown = client.get(path, headers=callers.a.headers).get_json()
    assert shown["status"] == "active" and shown["delivered_quantity"] == 100
    assert shown["realised_net_co2e_kg"] == pytest.approx(
        proposal.net_co2e_kg * 100 / proposal.quantity_per_year
    )
    assert client.post(f"{path}/complete", headers=callers.a.headers).get_json()["status"] == (
        "completed"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 1, "unit": "t"}, "delivered_on"),
        ({"delivered_on": "yesterday", "quantity": 1, "unit": "t"}, "delivered_on"),
        ({"delivered_on": "2026-01-01", "quantity": 0, "unit": "t"}, "quantity"),
        ({"delivered_on": "2026-01-01", "quantity": 1, "unit": "lbs"}, "unit"),
        ({"delivered_on": "2026-01-01", "quantity": 1, "unit": "t", "side": "both"}, "side"),
    ],
)
def test_a_bad_delivery_is_422_naming_the_field(
    client: FlaskClient, callers: Callers, proposal: Match, body: dict[str, Any], field: str
) -> None:
    error = assert_error(
        client.post(
            f"/api/v1/matches/{proposal.public_id}/deliveries", json=body, headers=callers.a.headers
        ),
        422,
        "invalid_input",
    )
    assert field in error["fields"]


def test_a_delivery_in_the_future_is_refused(
    client: FlaskClient, callers: Callers, proposal: Match
) -> None:
    body = {
        "delivered_on": (date.today() + timedelta(days=3)).isoformat(),
        "quantity": 1,
        "unit": "t",
    }
    error = assert_error(
        client.post(
            f"/api/v1/matches/{proposal.public_id}/deliveries", json=body, headers=callers.a.headers
        ),
        422,
        "invalid_input",
    )
    assert "delivered_on" in error["fields"]


def test_a_coordinator_names_the_side_it_acts_for(
    client: FlaskClient, callers: Callers, proposal: Match
) -> None:
    path = f"/api/v1/matches/{proposal.public_id}/accept"
    assert_error(client.post(path, headers=callers.coordinator.headers), 422, "invalid_input")
    response = client.post(path, json={"side": "offer"}, headers=callers.coordinator.headers)
    assert response.status_code == 200
    assert response.get_json()["offer_accepted"] and not response.get_json()["need_accepted"]
    # A member cannot speak for the other firm.
    assert_error(
        client.post(path, json={"side": "offer"}, headers=callers.b.headers), 403, "forbidden"
    )


def test_decline_with_a_reason(client: FlaskClient, callers: Callers, proposal: Match) -> None:
    from marketplace.exchanges.services import DECLINE_REASONS

    reason = next(iter(DECLINE_REASONS))
    path = f"/api/v1/matches/{proposal.public_id}/decline"
    response = client.post(
        path, json={"reason": reason, "note": "te ver"}, headers=callers.b.headers
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "declined"


# --- runs ---------------------------------------------------------------------------


def test_only_coordinators_start_and_read_runs(client: FlaskClient, callers: Callers) -> None:
    assert_error(client.post("/api/v1/runs"), 401, "unauthorized")
    assert_error(client.post("/api/v1/runs", headers=callers.a.headers), 403, "forbidden")
    response = client.post(
        "/api/v1/runs",
        json={"objective": "tonnes", "top_k": 3},
        headers=callers.coordinator.headers,
    )
    assert response.status_code == 202, response.get_json()
    started = response.get_json()
    assert set(started) == {"id", "status"} and started["status"] in ("queued", "running", "done")
    path = f"/api/v1/runs/{started['id']}"
    assert_error(client.get(path, headers=callers.b.headers), 403, "forbidden")
    shown = client.get(path, headers=callers.admin.headers).get_json()
    assert shown["status"] == "done" and shown["progress"] == 1.0
    assert shown["params"]["objective"] == "tonnes" and shown["params"]["top_k"] == 3
    assert shown["counts"]["proposals"] == 1 and shown["totals"]["net_co2e_kg"] > 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"objective": "profit"}, "objective"),
        ({"max_distance_km": 0}, "max_distance_km"),
        ({"top_k": 0}, "top_k"),
        ({"top_k": 2.5}, "top_k"),
        ({"speed": "fast"}, "speed"),
    ],
)
def test_bad_run_options_are_422(
    client: FlaskClient, callers: Callers, body: dict[str, Any], field: str
) -> None:
    error = assert_error(
        client.post("/api/v1/runs", json=body, headers=callers.coordinator.headers),
        422,
        "invalid_input",
    )
    assert field in error["fields"]
    assert count(EngineRun) == 0


def test_a_run_while_another_runs_is_409(client: FlaskClient, callers: Callers) -> None:
    running = EngineRun(status="running", params={})
    db.session.add(running)
    db.session.commit()
    assert_error(client.post("/api/v1/runs", headers=callers.coordinator.headers), 409, "conflict")
    shown = client.get(f"/api/v1/runs/{running.id}", headers=callers.coordinator.headers)
    assert shown.get_json()["status"] == "queued"  # recorded, no progress reported yet


def test_messages_between_the_firms_once_agreed(
    client: FlaskClient, callers: Callers, proposal: Match, region: Any
) -> None:
    path = f"/api/v1/matches/{proposal.public_id}/messages"
    assert_error(
        client.post(path, json={"body": "Hallo"}, headers=callers.a.headers), 409, "conflict"
    )
    for caller in (callers.a, callers.b):
        client.post(f"/api/v1/matches/{proposal.public_id}/accept", headers=caller.headers)
    response = client.post(
        path, json={"body": "Wanneer kunnen we laden?"}, headers=callers.a.headers
    )
    assert response.status_code == 201, response.get_json()
    assert_error(
        client.post(path, json={"body": ""}, headers=callers.b.headers), 422, "invalid_input"
    )
    listed = client.get(path, headers=callers.b.headers).get_json()["items"]
    assert [m["body"] for m in listed] == ["Wanneer kunnen we laden?"]
    assert listed[0]["side"] == "offer" and listed[0]["author"] == callers.a.user.name
    assert_error(client.get(path), 401, "unauthorized")
