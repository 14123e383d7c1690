"""Helpers of the exchanges tests: put a match in a state, act in threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from marketplace.errors import MarketplaceError
from marketplace.exchanges.models import Match, MatchEvent, Notification
from marketplace.extensions import db

#: The states a test can put a match in: (status, offer accepted, need accepted).
STATES: dict[str, tuple[str, bool, bool]] = {
    "proposed": ("proposed", False, False),
    "accepted_by_offer": ("accepted", True, False),
    "accepted_by_need": ("accepted", False, True),
    "agreed": ("agreed", True, True),
    "active": ("active", True, True),
    "completed": ("completed", True, True),
    "declined": ("declined", False, False),
    "withdrawn": ("withdrawn", False, False),
    "expired": ("expired", False, False),
    "superseded": ("superseded", False, False),
}


def put_in_state(match: Match, state: str) -> Match:
    """Set ``match`` to ``state`` directly (the lifecycle itself is what the tests test)."""
    status, offer, need = STATES[state]
    now = datetime.now(UTC)
    match.status = status
    match.offer_accepted_at = now if offer else None
    match.need_accepted_at = now if need else None
    match.agreed_at = now if status in ("agreed", "active", "completed") else None
    match.pending_terms = None
    db.session.commit()
    return match


def reset_open(match_id: int) -> None:
    """Back to a fresh proposal, without its events and notifications."""
    db.session.execute(
        sa.update(Match)
        .where(Match.id == match_id)
        .values(
            status="proposed",
            offer_accepted_at=None,
            need_accepted_at=None,
            agreed_at=None,
            pending_terms=None,
            decline_reason=None,
        )
    )
    db.session.execute(sa.delete(MatchEvent))
    db.session.execute(sa.delete(Notification))
    db.session.commit()
    db.session.expire_all()


def in_threads(app: Flask, *calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, app context and session, started together.

    Each call commits on success; the result is ``"ok"`` or the domain error it raised.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def work(i: int, call: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                call()
                db.session.commit()
                results[i] = "ok"
            except MarketplaceError as exc:
                db.session.rollback()
                results[i] = exc
            except Exception as exc:  # a test failure must show, not hang
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
