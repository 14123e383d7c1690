"""Locks that serialise every change of a match and of what its listings have committed.

Every transition of a match, and the engine storing its proposals, runs in one
transaction that first takes these locks and only then reads the state it decides on:

- PostgreSQL: ``SELECT ... FOR UPDATE`` on the listings (always in id order, so that two
  transactions never wait for each other in a circle), then on the matches. A second
  transaction on the same match or on either listing waits until the first commits and
  then reads what the first wrote.
- SQLite lets one connection write at a time. A write that changes nothing (as
  :func:`marketplace.runs.services.lock_run_starts` does) starts the write transaction and
  holds the database's write lock until commit; everything read after it is current.

The re-read (``populate_existing``) happens after the lock in both cases, so a state read
before (the page the user looked at, an object in the session) never decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing

#: Ids per ``IN (...)`` list: PostgreSQL takes at most 65,535 parameters per statement
#: (a national run locks ~100,000 listings).
CHUNK = 10_000


def _locked(model: Any, ids: list[int]) -> list[Any]:
    """Rows of ``model`` with ``ids`` (sorted), locked on PostgreSQL, re-read, in id order."""
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        stmt = sa.select(model).where(model.id.in_(ids[start : start + CHUNK])).order_by(model.id)
        if db.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        rows.extend(db.session.scalars(stmt.execution_options(populate_existing=True)))
    return rows


def _serialise_sqlite() -> None:
    table = Match.__table__
    db.session.execute(sa.update(table).where(sa.false()).values(status=table.c.status))


def lock_listings(listing_ids: Iterable[int]) -> list[Listing]:
    """Lock the listings (id order) until the transaction ends; return them re-read."""
    ids = sorted({int(i) for i in listing_ids})
    if db.session.get_bind().dialect.name != "postgresql":
        _serialise_sqlite()
    return _locked(Listing, ids)


def lock_matches(match_ids: Iterable[int]) -> list[Match]:
    """Lock the matches (id order) until the transaction ends; return them re-read.

    Call :func:`lock_listings` first when their listings must be locked too.
    """
    ids = sorted({int(i) for i in match_ids})
    if not ids:
        return []
    if db.session.get_bind().dialect.name != "postgresql":
        _serialise_sqlite()
    return _locked(Match, ids)


def lock_exchange(match: Match) -> Match:
    """Lock ``match`` and both its listings; return the match as it is now.

    The listing ids of a match never change, so they can be read before the lock.
    """
    lock_listings((match.offer_id, match.need_id))
    [current] = lock_matches((match.id,))
    return current
