"""The exchange lifecycle: accept, decline, deliveries, completion; who may act; audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.core.audit import AuditEntry
from marketplace.errors import InvalidInput
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Delivery
from marketplace.extensions import db
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.region_world import (
    Parties,
    Region,
    agree,
    firm_at,
    matches,
    need,
    reload,
    run,
)

# The match workflow ------------------------------------------------------------------------------


def test_both_sides_accepting_turns_a_proposal_into_an_agreement(
    client: FlaskClient, app: Flask, parties: Parties
) -> None:
    url = f"/matches/{parties.proposal.public_id}"
    login(client, parties.brewer)
    assert client.post(f"{url}/accept").status_code == 302
    half = reload(parties.proposal)
    assert (half.status, half.need_accepted_at, half.agreed_at) == ("accepted", None, None)
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
    url = f"/matches/{parties.proposal.public_id}"
    login(client, parties.farmer)
    assert client.post(f"{url}/decline", data={"reason": "quality"}).status_code == 302
    assert reload(parties.proposal).status == "declined"
    response = client.post(f"{url}/accept", follow_redirects=True)
    assert "Only an open proposal can be accepted; this one is declined now." in response.get_data(
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
    response = getattr(client, method)(f"/matches/{parties.proposal.public_id}{suffix}", data=data)
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
    assert f"/matches/{parties.proposal.public_id}" not in html
    assert "Bierbostel" not in html


def test_each_side_sees_the_match_in_its_list(
    client: FlaskClient, app: Flask, parties: Parties
) -> None:
    for user in (parties.brewer, parties.farmer):
        other = app.test_client()
        login(other, user)
        assert f"/matches/{parties.proposal.public_id}" in other.get("/matches/").get_data(
            as_text=True
        )


def test_deliveries_are_refused_before_agreement(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.brewer)
    response = client.post(
        f"/matches/{parties.proposal.public_id}/deliveries",
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
        f"/matches/{parties.proposal.public_id}/deliveries",
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
    response = client.post(f"/matches/{parties.proposal.public_id}/deliveries", data=data)
    assert response.status_code == 422
    assert count(Delivery) == 0
    assert reload(parties.proposal).status == "agreed"


def test_an_agreed_match_can_be_completed(client: FlaskClient, parties: Parties) -> None:
    agree(parties.proposal)
    login(client, parties.brewer)
    assert client.post(f"/matches/{parties.proposal.public_id}/complete").status_code == 302
    assert reload(parties.proposal).status == "completed"


# Declined pairs stay declined (H7) -------------------------------------------------------------


def test_a_declined_pair_is_not_proposed_again(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.farmer)
    assert (
        client.post(
            f"/matches/{parties.proposal.public_id}/decline", data={"reason": "too_far"}
        ).status_code
        == 302
    )
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
    matching.decline(parties.farmer, parties.proposal, reason="price")
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
        f"/listings/{parties.proposal.need.public_id}/status", data={"status": "closed"}
    )
    assert response.status_code == 302
    assert [m.status for m in matches()] == ["superseded"]


def test_a_pair_declined_longer_ago_than_the_memory_is_proposed_again(parties: Parties) -> None:
    matching.decline(parties.farmer, parties.proposal, reason="price")
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
        response = other.post(
            f"/matches/{parties.proposal.public_id}/accept", follow_redirects=True
        )
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
    response = client.post(f"/matches/{parties.proposal.public_id}/accept", follow_redirects=True)
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
    url = f"/matches/{parties.proposal.public_id}"
    login(client, coordinator)
    assert client.post(f"{url}/accept", data={"side": "offer"}).status_code == 302
    half = reload(parties.proposal)
    assert (half.status, half.offer_accepted_at is not None, half.need_accepted_at) == (
        "accepted",
        True,
        None,
    )
    assert client.post(f"{url}/accept", data={"side": "need"}).status_code == 302
    assert reload(parties.proposal).status == "agreed"
    assert audit_entries() == [
        (region.brewery.id, "match.accept", {"side": "offer", "status": "accepted"}),
        (region.farm.id, "match.accept", {"side": "need", "status": "agreed"}),
    ]


def test_the_detail_page_gives_a_coordinator_one_button_per_firm(
    client: FlaskClient, app: Flask, parties: Parties, coordinator: User
) -> None:
    login(client, coordinator)
    html = client.get(f"/matches/{parties.proposal.public_id}").get_data(as_text=True)
    for button in ("accept-offer", "accept-need", "decline-offer", "decline-need"):
        assert f'id="{button}"' in html
    assert 'id="accept"' not in html
    member = app.test_client()
    login(member, parties.brewer)
    html = member.get(f"/matches/{parties.proposal.public_id}").get_data(as_text=True)
    assert 'id="accept"' in html
    assert 'id="accept-need"' not in html


def test_a_member_cannot_accept_for_the_other_firm(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.brewer)
    response = client.post(f"/matches/{parties.proposal.public_id}/accept", data={"side": "need"})
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
    url = f"/matches/{parties.proposal.public_id}"
    login(client, coordinator)
    assert (
        client.post(f"{url}/decline", data={"side": "need", "reason": "timing"}).status_code == 302
    )
    assert reload(parties.proposal).status == "declined"
    assert audit_entries() == [
        (region.farm.id, "match.decline", {"side": "need", "reason": "timing"})
    ]

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
        "document_number": None,
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
    detail = client.get(f"/matches/{proposal.public_id}").get_data(as_text=True)
    assert f"≈ {proposal.net_co2e_kg / 1000:,.0f} t" in detail


def test_the_list_shows_net_co2e_in_kilograms_once_the_distance_is_known(
    client: FlaskClient, parties: Parties
) -> None:
    login(client, parties.brewer)
    html = client.get("/matches/").get_data(as_text=True)
    assert f"{parties.proposal.net_co2e_kg:,.0f}" in html
