"""Moderated proposals: new proposals wait until a coordinator approves or hides them.

The review state (``Match.review``) is separate from the lifecycle status: ``None`` (not
moderated), ``pending``, ``approved`` or ``hidden``. Firms only ever see unmoderated and
approved proposals; every query that lists matches for a firm applies
:func:`firm_visible_clause`, every single-match check :func:`visible_to_firms`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.core.audit import AuditEntry
from marketplace.core.models import utcnow
from marketplace.core.vocabulary import FIRM_VISIBLE_REVIEW_STATES, OPEN_STATUSES
from marketplace.errors import Conflict, InvalidInput, PermissionDenied
from marketplace.exchanges.models import Match
from marketplace.extensions import db

REVIEW_NOTE_MAX = 2000
#: The review state that keeps a proposal from firms and from every figure.
HIDDEN = "hidden"


def firm_visible_clause() -> sa.ColumnElement[bool]:
    """The SQL condition a match must meet before any firm may see it."""
    return sa.or_(Match.review.is_(None), Match.review.in_(FIRM_VISIBLE_REVIEW_STATES))


def visible_to_firms(match: Match) -> bool:
    return match.review is None or match.review in FIRM_VISIBLE_REVIEW_STATES


def hidden_from_figures(match: Match) -> bool:
    """Hidden proposals count nowhere (pending ones count as proposals)."""
    return match.review == HIDDEN


def moderate_new_proposals(matches: Iterable[Match]) -> list[Match]:
    """In moderated mode (``RESTSTROOM_MODERATED_PROPOSALS``) put new proposals in the
    review queue; return the ones firms may be told about now."""
    matches = list(matches)
    if not current_app.config.get("RESTSTROOM_MODERATED_PROPOSALS"):
        return matches
    for match in matches:
        match.review = "pending"
    db.session.flush()
    return []


def review_queue_stmt() -> sa.Select[Any]:
    """Open proposals waiting for review, oldest first."""
    return (
        sa.select(Match)
        .where(Match.review == "pending", Match.status.in_(OPEN_STATUSES))
        .order_by(Match.created_at, Match.id)
    )


def review(user: Any, match: Match, *, decision: str, note: str = "") -> Match:
    """Approve (``decision="approved"``) or hide (``"hidden"``) a pending proposal.

    Only coordinators review; hiding needs a note saying why. Audited. Flushes, does
    not commit.
    """
    if not getattr(user, "is_coordinator", False):
        raise PermissionDenied()
    if decision not in ("approved", "hidden"):
        raise InvalidInput(
            _("Decision %(value)r is not one of approved, hidden.", value=decision),
            {"decision": [_("Choose approve or hide.")]},
        )
    note = (note or "").strip()
    if decision == "hidden" and not note:
        raise InvalidInput(
            _("Say why the proposal is hidden."), {"note": [_("A note is required to hide.")]}
        )
    if len(note) > REVIEW_NOTE_MAX:
        raise InvalidInput(
            _("The note is longer than %(max)d characters.", max=REVIEW_NOTE_MAX),
            {"note": [_("Shorten the note.")]},
        )
    if match.review != "pending":
        raise Conflict(_("This proposal is not waiting for review (any more)."))
    match.review = decision
    match.review_note = note or None
    match.reviewed_by_id = user.id
    match.reviewed_at = utcnow()
    db.session.add(
        AuditEntry(
            user_id=user.id,
            organisation_id=None,
            action=f"match.review.{decision}",
            object_type="match",
            object_id=match.id,
            details={"note": note},
        )
    )
    db.session.flush()
    return match
