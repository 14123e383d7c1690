"""Every transition of the lifecycle, allowed or refused, for each role (service level)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from marketplace.accounts.models import User
from marketplace.core.vocabulary import MATCH_TRANSITIONS
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match, MatchEvent
from marketplace.extensions import db
from tests.marketplace.exchanges.world import STATES, put_in_state
from tests.marketplace.helpers import make_user
from tests.marketplace.region_world import Parties, reload


def _accept(user: User, match: Match, side: str | None) -> Any:
    return matching.accept(user, match, side=side)


def _decline(user: User, match: Match, side: str | None) -> Any:
    return matching.decline(user, match, side=side, reason="quality", note="te nat")


def _withdraw(user: User, match: Match, side: str | None) -> Any:
    return matching.withdraw(user, match, side=side, reason="dubbel ingevoerd")


def _terms(user: User, match: Match, side: str | None) -> Any:
    return matching.propose_terms(user, match, side=side, quantity_per_year=100.0)


def _deliver(user: User, match: Match, side: str | None) -> Any:
    return matching.record_delivery(
        user, match, side=side, delivered_on=date(2026, 3, 1), quantity=10.0, unit="t"
    )


def _complete(user: User, match: Match, side: str | None) -> Any:
    return matching.complete(user, match, side=side)


def _message(user: User, match: Match, side: str | None) -> Any:
    return matching.post_message(user, match, body="Hallo")


ACTIONS = {
    "accept": _accept,
    "decline": _decline,
    "withdraw": _withdraw,
    "terms": _terms,
    "deliver": _deliver,
    "complete": _complete,
    "message": _message,
}

#: What the offering firm's member may do in each state: the status it leads to.
ALLOWED_FOR_OFFER_MEMBER: dict[tuple[str, str], str] = {
    ("accept", "proposed"): "accepted",
    ("accept", "accepted_by_need"): "agreed",
    ("decline", "proposed"): "declined",
    ("decline", "accepted_by_offer"): "declined",
    ("decline", "accepted_by_need"): "declined",
    ("withdraw", "proposed"): "withdrawn",
    ("withdraw", "accepted_by_offer"): "withdrawn",
    ("terms", "proposed"): "accepted",
    ("terms", "accepted_by_offer"): "accepted",
    ("terms", "accepted_by_need"): "accepted",
    ("deliver", "agreed"): "active",
    ("deliver", "active"): "active",
    ("complete", "agreed"): "completed",
    ("complete", "active"): "completed",
    ("message", "agreed"): "agreed",
    ("message", "active"): "active",
    ("message", "completed"): "completed",
}

MATRIX = [(action, state) for action in ACTIONS for state in STATES]


@pytest.mark.parametrize(("action", "state"), MATRIX)
def test_the_offering_firm_may_do_exactly_what_the_state_allows(
    parties: Parties, action: str, state: str
) -> None:
    match = put_in_state(parties.proposal, state)
    before = match.status
    expected = ALLOWED_FOR_OFFER_MEMBER.get((action, state))
    if expected is None:
        with pytest.raises(Conflict):
            ACTIONS[action](parties.brewer, match, None)
        db.session.rollback()
        assert reload(match).status == before
        return
    ACTIONS[action](parties.brewer, match, None)
    db.session.commit()
    after = reload(match)
    assert after.status == expected
    if expected != before:
        assert expected in MATCH_TRANSITIONS[before]
        [event] = [e for e in after.events if e.to_status == expected and e.from_status == before]
        assert event.user_id == parties.brewer.id


@pytest.mark.parametrize(("action", "state"), MATRIX)
def test_a_firm_that_is_no_party_can_do_nothing(parties: Parties, action: str, state: str) -> None:
    match = put_in_state(parties.proposal, state)
    with pytest.raises(PermissionDenied):
        ACTIONS[action](parties.outsider, match, None)
    db.session.rollback()
    assert reload(match).status == STATES[state][0]


@pytest.mark.parametrize("action", ["accept", "decline", "terms", "withdraw"])
def test_a_firm_cannot_act_for_the_other_side(parties: Parties, action: str) -> None:
    match = put_in_state(parties.proposal, "proposed")
    with pytest.raises(PermissionDenied):
        ACTIONS[action](parties.brewer, match, "need")
    db.session.rollback()
    after = reload(match)
    assert (after.status, after.need_accepted_at) == ("proposed", None)


@pytest.mark.parametrize("action", ["accept", "decline", "terms"])
@pytest.mark.usefixtures("english_messages")
def test_a_coordinator_must_name_the_side_for_consent(parties: Parties, action: str) -> None:
    coordinator = make_user(role="coordinator", organisation=None)
    match = put_in_state(parties.proposal, "proposed")
    with pytest.raises(InvalidInput, match="Choose the firm you act for"):
        ACTIONS[action](coordinator, match, None)


@pytest.mark.usefixtures("english_messages")
def test_a_coordinator_withdraws_an_agreed_match_with_a_reason_only(parties: Parties) -> None:
    coordinator = make_user(role="coordinator", organisation=None)
    match = put_in_state(parties.proposal, "agreed")
    with pytest.raises(InvalidInput, match="Give the reason"):
        matching.withdraw(coordinator, match, reason="  ")
    db.session.rollback()
    matching.withdraw(coordinator, match, reason="Bedrijf failliet")
    db.session.commit()
    after = reload(match)
    assert (after.status, after.closing_note) == ("withdrawn", "Bedrijf failliet")
    assert after.events[-1].note == "Bedrijf failliet"


@pytest.mark.usefixtures("english_messages")
def test_a_firm_cannot_withdraw_once_the_other_side_accepted(parties: Parties) -> None:
    match = put_in_state(parties.proposal, "accepted_by_need")
    with pytest.raises(Conflict, match="already accepted"):
        matching.withdraw(parties.brewer, match, reason="")


def test_decline_needs_a_reason_from_the_list(parties: Parties) -> None:
    with pytest.raises(InvalidInput) as refused:
        matching.decline(parties.farmer, parties.proposal, reason="boring")
    assert "reason" in refused.value.errors
    db.session.rollback()
    matching.decline(parties.farmer, parties.proposal, reason="regulation", note="geen EoW")
    db.session.commit()
    after = reload(parties.proposal)
    assert (after.status, after.decline_reason, after.closing_note) == (
        "declined",
        "regulation",
        "geen EoW",
    )


@pytest.mark.usefixtures("english_messages")
def test_changed_terms_are_confirmed_by_the_other_side_and_make_the_agreement(
    parties: Parties,
) -> None:
    engine_quantity = parties.proposal.quantity_per_year
    engine_co2 = parties.proposal.net_co2e_kg
    matching.propose_terms(
        parties.brewer,
        parties.proposal,
        quantity_per_year=engine_quantity / 2,
        start_on=date(2027, 1, 1),
        price_terms="free",
    )
    db.session.commit()
    with pytest.raises(Conflict, match="confirm or reject"):
        matching.accept(parties.farmer, reload(parties.proposal))
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        matching.respond_to_terms(parties.brewer, reload(parties.proposal), accept=True)
    db.session.rollback()
    matching.respond_to_terms(parties.farmer, reload(parties.proposal), accept=True)
    db.session.commit()
    after = reload(parties.proposal)
    assert after.status == "agreed"
    assert after.quantity_per_year == pytest.approx(engine_quantity / 2)
    assert after.engine_quantity_per_year == pytest.approx(engine_quantity)
    assert after.net_co2e_kg == pytest.approx(engine_co2 / 2)
    assert after.agreed_net_co2e_kg == pytest.approx(engine_co2 / 2)
    assert (after.start_on, after.price_terms) == (date(2027, 1, 1), "free")
    actions = [e.action for e in after.events]
    assert actions == ["proposed", "terms_proposed", "terms_accepted", "agreed"]


def test_rejected_terms_leave_the_proposal_open_without_the_proposers_consent(
    parties: Parties,
) -> None:
    quantity = parties.proposal.quantity_per_year
    matching.propose_terms(parties.farmer, parties.proposal, quantity_per_year=quantity / 4)
    db.session.commit()
    matching.respond_to_terms(parties.brewer, reload(parties.proposal), accept=False)
    db.session.commit()
    after = reload(parties.proposal)
    assert (after.status, after.pending_terms, after.need_accepted_at) == ("proposed", None, None)
    assert after.quantity_per_year == quantity


def test_every_transition_is_recorded_with_who_when_from_and_to(parties: Parties) -> None:
    matching.accept(parties.brewer, parties.proposal)
    matching.accept(parties.farmer, parties.proposal)
    _deliver(parties.farmer, parties.proposal, None)
    matching.complete(parties.brewer, parties.proposal)
    db.session.commit()
    events = db.session.query(MatchEvent).order_by(MatchEvent.id).all()
    assert [(e.action, e.from_status, e.to_status, e.user_id) for e in events] == [
        ("proposed", None, "proposed", None),  # by the engine
        ("accepted", "proposed", "accepted", parties.brewer.id),
        ("agreed", "accepted", "agreed", parties.farmer.id),
        ("delivery_added", "agreed", "active", parties.farmer.id),
        ("completed", "active", "completed", parties.brewer.id),
    ]
    assert all(e.created_at is not None for e in events)


def test_a_coordinator_adds_facilitator_notes_and_firms_cannot(parties: Parties) -> None:
    coordinator = make_user(role="coordinator", organisation=None)
    matching.add_note(coordinator, parties.proposal, note="Gebeld met beide partijen")
    db.session.commit()
    assert reload(parties.proposal).events[-1].note == "Gebeld met beide partijen"
    with pytest.raises(PermissionDenied):
        matching.add_note(parties.brewer, parties.proposal, note="mag niet")
