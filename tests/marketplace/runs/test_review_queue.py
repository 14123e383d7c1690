"""Moderated mode: new proposals wait for a coordinator; firms never see pending or hidden ones."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.core.audit import AuditEntry
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.exchanges.models import Match, Notification
from marketplace.exchanges.review import review
from marketplace.extensions import db
from marketplace.region.dashboard import member_dashboard
from marketplace.region.stats_data import region_report
from marketplace.runs.history import proposals_of
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.region_world import Region, matches, run


@pytest.fixture
def moderated(app: Flask) -> Any:
    app.config["RESTSTROOM_MODERATED_PROPOSALS"] = True
    yield
    app.config["RESTSTROOM_MODERATED_PROPOSALS"] = False


@pytest.fixture
def pending(moderated: Any, region: Region) -> Match:
    run()
    [proposal] = matches()
    return proposal


def _firm_sees(client: FlaskClient, match: Match) -> dict[str, bool]:
    return {
        "list": match.public_id in client.get("/matches/?status=all").get_data(as_text=True),
        "page": client.get(f"/matches/{match.public_id}").status_code == 200,
        "api": match.public_id in client.get("/api/v1/matches").get_data(as_text=True),
    }


def test_without_moderation_proposals_are_visible_at_once(
    client: FlaskClient, region: Region
) -> None:
    run()
    [proposal] = matches()
    assert proposal.review is None
    login(client, make_user(organisation=region.brewery))
    assert _firm_sees(client, proposal) == {"list": True, "page": True, "api": True}


def test_pending_proposals_are_invisible_to_firms_and_not_announced(
    client: FlaskClient, pending: Match, region: Region
) -> None:
    assert pending.review == "pending"
    assert count(Notification) == 0
    login(client, make_user(organisation=region.brewery))
    assert _firm_sees(client, pending) == {"list": False, "page": False, "api": False}
    assert member_dashboard(region.brewery).matches == {}


def test_coordinators_see_the_queue_and_approve_with_a_note(
    client: FlaskClient, pending: Match, region: Region
) -> None:
    brewer = make_user(organisation=region.brewery)
    coordinator = make_user(role="coordinator")
    db.session.commit()
    login(client, coordinator)
    html = client.get("/matches/review").get_data(as_text=True)
    assert pending.public_id in html
    response = client.post(
        f"/matches/review/{pending.public_id}", data={"decision": "approved", "note": "fine"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    match = db.session.get(Match, pending.id)
    assert (match.review, match.review_note, match.reviewed_by_id) == (
        "approved",
        "fine",
        coordinator.id,
    )
    assert match.reviewed_at is not None
    assert count(AuditEntry, AuditEntry.action == "match.review.approved") == 1
    # The firms hear of the proposal only now.
    assert count(Notification, Notification.user_id == brewer.id) == 1
    assert pending.public_id not in client.get("/matches/review").get_data(as_text=True)
    client.post("/logout")
    login(client, make_user(organisation=region.farm))
    assert _firm_sees(client, match) == {"list": True, "page": True, "api": True}


def test_hiding_needs_a_note_and_keeps_the_proposal_from_firms_and_figures(
    client: FlaskClient, pending: Match, region: Region
) -> None:
    login(client, make_user(role="coordinator"))
    client.post(f"/matches/review/{pending.public_id}", data={"decision": "hidden", "note": ""})
    db.session.expire_all()
    assert db.session.get(Match, pending.id).review == "pending"
    client.post(
        f"/matches/review/{pending.public_id}",
        data={"decision": "hidden", "note": "same firm group"},
    )
    db.session.expire_all()
    match = db.session.get(Match, pending.id)
    assert (match.review, match.review_note) == ("hidden", "same firm group")
    assert count(Notification) == 0
    assert region_report().headline.proposed_exchanges == 0
    client.post("/logout")
    login(client, make_user(organisation=region.brewery))
    assert _firm_sees(client, match) == {"list": False, "page": False, "api": False}


def test_members_may_not_review(client: FlaskClient, pending: Match, region: Region) -> None:
    login(client, make_user(organisation=region.brewery))
    response = client.post(
        f"/matches/review/{pending.public_id}", data={"decision": "approved", "note": ""}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Match, pending.id).review == "pending"


def test_the_review_service_refuses_bad_decisions_and_second_reviews(
    pending: Match, region: Region
) -> None:
    coordinator = make_user(role="coordinator")
    member = make_user(organisation=region.brewery)
    with pytest.raises(PermissionDenied):
        review(member, pending, decision="approved")
    with pytest.raises(InvalidInput, match=r"maybe.*approved, hidden"):
        review(coordinator, pending, decision="maybe")
    review(coordinator, pending, decision="approved")
    with pytest.raises(Conflict):
        review(coordinator, pending, decision="hidden", note="too late")


def test_an_unchanged_proposal_keeps_its_review_in_the_next_run(
    pending: Match, region: Region
) -> None:
    review(make_user(role="coordinator"), pending, decision="approved")
    db.session.commit()
    run()
    [again] = matches()
    assert (again.id, again.review) == (pending.id, "approved")


# --- run history and comparison pages ---------------------------------------------------------


def test_each_run_keeps_a_snapshot_and_the_history_names_who_started_it(
    client: FlaskClient, region: Region
) -> None:
    from marketplace.runs import services as runs

    coordinator = make_user(role="coordinator", name="Coco Ordinator")
    db.session.commit()
    first = runs.run_engine(started_by=coordinator)
    db.session.commit()
    region.feed.quantity = 300.0
    db.session.commit()
    second = runs.run_engine()
    db.session.commit()
    [before], [after] = proposals_of(first), proposals_of(second)
    assert (before.offer, before.need) == (region.grain.public_id, region.feed.public_id)
    assert (before.quantity_per_year, after.quantity_per_year) == (500.0, 300.0)
    login(client, coordinator)
    html = client.get("/matches/runs/history").get_data(as_text=True)
    assert "Coco Ordinator" in html
    assert f">{first.id}</a>" in html and f">{second.id}</a>" in html
    html = client.get(f"/matches/runs/compare?a={first.id}&b={second.id}").get_data(as_text=True)
    assert "0 added, 0 dropped, 1 changed, 0 unchanged" in html


def test_comparing_an_unknown_run_is_404(client: FlaskClient, db_session: Any) -> None:
    login(client, make_user(role="coordinator"))
    assert client.get("/matches/runs/compare?a=999&b=1000").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 0


def test_the_public_landing_figures_leave_out_proposals_waiting_for_review(
    pending: Match,
) -> None:
    from marketplace.region.figures import region_figures

    assert region_figures().proposed_matches == 0
    review(make_user(role="coordinator"), pending, decision="approved")
    assert region_figures().proposed_matches == 1
