"""Concurrent transitions: every one runs under the locks of its match and both listings.

On PostgreSQL the threads really race (``SELECT ... FOR UPDATE``); on SQLite the
database lets one writer at a time, and the same tests check that the re-read after the
lock decides (no lost update, no agreed-and-declined).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from flows import propose
from flows.listing_file import split_offers_needs
from marketplace.accounts.models import User
from marketplace.adapters import existing_exchanges_frame, listings_frame
from marketplace.core.vocabulary import COMMITTED_STATUSES, OPEN_STATUSES
from marketplace.errors import Conflict
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match, MatchEvent
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests.marketplace.exchanges.world import in_threads, reset_open
from tests.marketplace.helpers import make_user
from tests.marketplace.region_world import Parties, Region, agree, firm_at, matches, need, run

REPEATS = 20


def _accept(user_id: int, match_id: int) -> Any:
    return lambda: matching.accept(db.session.get(User, user_id), db.session.get(Match, match_id))


def _decline(user_id: int, match_id: int) -> Any:
    return lambda: matching.decline(
        db.session.get(User, user_id), db.session.get(Match, match_id), reason="price"
    )


def test_simultaneous_accepts_from_both_sides_end_agreed_every_time(
    app: Flask, parties: Parties
) -> None:
    match_id = parties.proposal.id
    for _ in range(REPEATS):
        reset_open(match_id)
        results = in_threads(
            app, _accept(parties.brewer.id, match_id), _accept(parties.farmer.id, match_id)
        )
        assert results == ["ok", "ok"]
        db.session.expire_all()
        match = db.session.get(Match, match_id)
        assert match is not None
        assert match.status == "agreed"
        assert match.offer_accepted_at is not None and match.need_accepted_at is not None
        actions = sorted(e.action for e in match.events)
        assert actions == ["accepted", "agreed"]


def test_accept_racing_decline_ends_in_exactly_one_of_the_two(app: Flask, parties: Parties) -> None:
    match_id = parties.proposal.id
    second_farmer = make_user(organisation=parties.farmer.organisation)
    db.session.commit()
    outcomes = set()
    for _ in range(REPEATS):
        reset_open(match_id)
        matching.accept(parties.brewer, db.session.get(Match, match_id))
        db.session.commit()
        results = in_threads(
            app, _accept(parties.farmer.id, match_id), _decline(second_farmer.id, match_id)
        )
        db.session.expire_all()
        match = db.session.get(Match, match_id)
        assert match is not None
        assert sorted(r == "ok" for r in results) == [False, True], results
        refused = next(r for r in results if r != "ok")
        assert isinstance(refused, Conflict), refused
        if results[0] == "ok":
            assert (match.status, match.decline_reason) == ("agreed", None)
        else:
            assert (match.status, match.agreed_at) == ("declined", None)
        outcomes.add(match.status)
        events = db.session.scalars(
            sa.select(MatchEvent.action)
            .where(MatchEvent.match_id == match_id)
            .order_by(MatchEvent.id)
        ).all()
        assert events[0] == "accepted" and len(events) == 2
    assert outcomes <= {"agreed", "declined"}


def _left_over(listing: Listing) -> float:
    """Capacity minus committed minus open proposed, in the matching unit (never < 0)."""
    capacity = matching.capacity_per_year(listing)
    rows = db.session.execute(
        sa.select(Match.status, Match.quantity_flow_unit).where(
            sa.or_(Match.offer_id == listing.id, Match.need_id == listing.id),
            Match.status.in_((*COMMITTED_STATUSES, *OPEN_STATUSES)),
        )
    ).all()
    return capacity - sum(q for _, q in rows)


def _engine_frame() -> Any:
    frame = listings_frame()
    offers, needs = split_offers_needs(frame)
    return propose(offers, needs, runs.engine_params(), existing=existing_exchanges_frame()).frame


def _agree_both(user_ids: list[int], match_id: int) -> Any:
    def call() -> None:
        for user_id in user_ids:
            matching.accept(db.session.get(User, user_id), db.session.get(Match, match_id))

    return call


def _store(run_id: int, frame: Any) -> Any:
    return lambda: runs.store_proposals(db.session.get(EngineRun, run_id), frame)


def test_an_engine_run_storing_while_firms_agree_never_overcommits_a_listing(
    app: Flask, region: Region
) -> None:
    # Spent grain (500 t) for two farms of 300 t each: the engine splits it 300 + 200.
    other_farm = firm_at("7201", "Varkenshouderij Zutphen")
    need(other_farm, 300.0, material="organics.animal_feed", max_distance_km=30.0)
    region.feed.quantity = 300.0
    db.session.commit()
    for _ in range(3):
        db.session.execute(sa.delete(MatchEvent))
        db.session.execute(sa.delete(Match))
        db.session.commit()
        run()
        frame = _engine_frame()  # computed before the agreement, stored after or during it
        proposal = next(m for m in matches() if m.need_id == region.feed.id)
        members = [
            make_user(organisation=proposal.offer.organisation),
            make_user(organisation=proposal.need.organisation),
        ]
        engine_run = runs.start_run(runs.engine_params())
        db.session.commit()
        results = in_threads(
            app,
            _agree_both([m.id for m in members], proposal.id),
            _store(engine_run.id, frame),
        )
        assert results == ["ok", "ok"], results
        db.session.expire_all()
        db.session.get(EngineRun, engine_run.id).status = "succeeded"
        db.session.commit()
        assert db.session.get(Match, proposal.id).status == "agreed"
        for listing in db.session.scalars(sa.select(Listing).where(Listing.status == "active")):
            assert _left_over(listing) >= -1e-6, listing
        committed_pairs = db.session.execute(
            sa.select(Match.offer_id, Match.need_id).where(Match.status.in_(COMMITTED_STATUSES))
        ).all()
        open_pairs = db.session.execute(
            sa.select(Match.offer_id, Match.need_id).where(Match.status.in_(OPEN_STATUSES))
        ).all()
        assert not set(committed_pairs) & set(open_pairs)


def test_the_lock_re_reads_a_state_that_changed_behind_the_sessions_back(
    parties: Parties,
) -> None:
    """The page showed "proposed"; another request declined meanwhile: accept refuses."""
    stale = parties.proposal
    assert stale.status == "proposed"
    db.session.execute(
        sa.update(Match).where(Match.id == stale.id).values(status="declined")
    )  # another transaction's write, not seen by the loaded object
    with pytest.raises(Conflict, match=r"declined|afgewezen"):
        matching.accept(parties.farmer, stale)
    assert stale.status == "declined"


def test_agreeing_twice_on_one_listing_is_refused_beyond_its_quantity(
    region: Region, parties: Parties
) -> None:
    """Committed + this match may not exceed the listing: the second is refused."""
    agree(parties.proposal)
    twin = Match(
        offer_id=parties.proposal.offer_id,
        need_id=parties.proposal.need_id,
        status="proposed",
        **{
            c: getattr(parties.proposal, c)
            for c in (
                "quantity_per_year",
                "unit",
                "quantity_flow_unit",
                "flow_unit",
                "distance_km",
                "road_km",
                "net_co2e_kg",
            )
        },
    )
    db.session.add(twin)
    db.session.commit()
    matching.accept(parties.brewer, twin)
    db.session.commit()
    with pytest.raises(matching.QuantityExceeded) as refused:
        matching.accept(parties.farmer, twin)
    assert refused.value.available == 0
    db.session.rollback()
    assert db.session.get(Match, twin.id).status == "accepted"
