"""The demo shows the whole exchange cycle, and an engine run afterwards keeps it."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.demo.exchanges import load_demo_exchanges
from marketplace.demo.services import MEMBER_EMAIL, DemoError, load_demo, remove_demo
from marketplace.exchanges.impact import exchange_totals, firm_impact
from marketplace.exchanges.models import Match, Message, Notification
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs.services import run_engine


def demo_firm_statuses() -> dict[str, int]:
    firm = db.session.scalar(sa.select(User).where(User.email == MEMBER_EMAIL))
    assert firm is not None
    own = sa.select(Listing.id).where(Listing.organisation_id == firm.organisation_id)
    rows = db.session.execute(
        sa.select(Match.status, sa.func.count())
        .where(sa.or_(Match.offer_id.in_(own), Match.need_id.in_(own)))
        .group_by(Match.status)
    ).all()
    return {status: int(n) for status, n in rows}


def test_the_demo_firm_has_matches_in_every_state_that_survive_a_run(db_session: Any) -> None:
    with pytest.raises(DemoError, match="flask demo load"):
        load_demo_exchanges()
    load_demo(size="region", seed=0)
    db.session.commit()
    run_engine()
    db.session.commit()
    report = load_demo_exchanges()
    db.session.commit()
    assert not report.skipped
    statuses = demo_firm_statuses()
    for status in ("proposed", "accepted", "agreed", "active", "completed", "declined"):
        assert statuses.get(status, 0) >= 1, statuses
    assert report.deliveries > 0 and report.messages > 0
    assert (db.session.scalar(sa.select(sa.func.count()).select_from(Message)) or 0) > 0
    firm = db.session.scalar(sa.select(User).where(User.email == MEMBER_EMAIL))
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == firm.id)) or 0
    ) > 0
    assert firm_impact(firm.organisation_id).realised_net_co2e_kg > 0
    assert exchange_totals().realised_net_co2e_t > 0

    # make run again: the engine never touches what was agreed, and proposals stay visible.
    run_engine()
    db.session.commit()
    after = demo_firm_statuses()
    for status in ("agreed", "active", "completed", "declined"):
        assert after.get(status) == statuses.get(status), (status, after)
    assert after.get("proposed", 0) + after.get("accepted", 0) >= 1
    assert load_demo_exchanges().skipped

    # Removing the demo takes the exchanges' rows along.
    remove_demo()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
