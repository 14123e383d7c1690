"""Storing a run's proposals takes a fixed number of SQL statements, however many there are."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa

from flows import propose
from flows.listing_file import split_offers_needs
from marketplace.accounts.models import OutboxMessage
from marketplace.adapters import existing_exchanges_frame, listings_frame
from marketplace.exchanges.models import Match, Notification
from marketplace.extensions import db
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests.marketplace.helpers import count, make_user
from tests.marketplace.region_world import firm_at, need, offer

PAIRS = 200


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def engine_proposals() -> pd.DataFrame:
    frame = listings_frame()
    offers, needs = split_offers_needs(frame)
    return propose(
        offers,
        needs,
        runs.engine_params(),
        existing=existing_exchanges_frame(),
        excluded=runs.declined_pairs_frame(frame),
    ).frame


def test_storing_ten_times_the_proposals_takes_no_more_statements(db_session: Any) -> None:
    brewery = firm_at("7411", "Brouwerij Davo")
    farm = firm_at("7201", "Melkveebedrijf Berends")
    for _ in range(PAIRS):
        offer(brewery, 10.0, material="organics.spent_grain", ewc_code="02 07 02")
        need(farm, 10.0, material="organics.animal_feed", max_distance_km=30.0)
    brewer = make_user(organisation=brewery)
    make_user(organisation=farm)
    engine_run = EngineRun(status="running", params={}, progress=0.0)
    db.session.add(engine_run)
    db.session.commit()
    frame = engine_proposals().sort_values("net_co2e_kg", ascending=False, kind="stable")
    assert len(frame) >= PAIRS

    statements = {}
    for n in (PAIRS // 10, len(frame)):
        with counted() as seen:
            stored = runs.store_proposals(engine_run, frame.head(n))
            db.session.flush()
        assert stored["created"] == n
        assert count(Match) == n
        assert count(Notification) == 2 * n  # one for each firm's member
        # one e-mail per member, listing every new proposal of the member's firm
        [mail] = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient == brewer.email)
        )
        assert mail.body.count("/matches/") == n
        statements[n] = len(seen)
        db.session.rollback()

    small, large = statements[PAIRS // 10], statements[len(frame)]
    assert large == small, statements
    assert small < 25, statements
