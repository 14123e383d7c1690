"""The exchange lifecycle: a proposal becomes an agreement when both firms accept it,
deliveries are recorded under it, and it is completed; or a firm declines it.

Consent is each firm's own: a coordinator acting on behalf of firms names the side.
A pair a firm declined is not proposed again for :data:`DECLINE_MEMORY_DAYS`.
Services flush; the caller (a view or a CLI command) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core.audit import audit_on_behalf
from marketplace.core.disclosure import disclose_listing, disclose_match, match_list_order
from marketplace.core.permissions import can_manage_organisation
from marketplace.core.public_ids import by_public_id
from marketplace.core.vocabulary import (
    COMMITTED_STATUSES,
    MATCH_SIDES,
    MATCH_STATUS_GROUPS,
    OPEN_STATUSES,
    label,
)
from marketplace.errors import InvalidInput, NotFound, PermissionDenied
from marketplace.exchanges.models import Delivery, Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.listings.services import listing_withdrawn
from marketplace.listings.views import ListingView, view_loads, view_of

#: How long a declined pair (offer, need) stays declined: the engine does not propose it
#: again within this many days of the decline. Listings change over half a year; a pair
#: refused then may fit later.
DECLINE_MEMORY_DAYS = 180


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def declined_pairs(*, now: datetime | None = None) -> set[tuple[int, int]]:
    """(offer id, need id) of the pairs declined in the last :data:`DECLINE_MEMORY_DAYS`.

    A declined match is closed: nothing changes it after the decline, so its
    ``updated_at`` is the moment of the decline.
    """
    since = (now or datetime.now(UTC)) - timedelta(days=DECLINE_MEMORY_DAYS)
    rows = db.session.execute(
        sa.select(Match.offer_id, Match.need_id).where(
            Match.status == "declined", Match.updated_at >= since
        )
    )
    return {(int(offer_id), int(need_id)) for offer_id, need_id in rows}


def supersede_open_proposals_for(listing: Listing) -> int:
    """Mark the open proposals of ``listing`` superseded; return how many there were.

    Called when a listing is paused or closed: a proposal for it can no longer become
    an agreement. Agreed, active and completed matches stay as they are.
    """
    proposals = list(
        db.session.scalars(
            sa.select(Match).where(
                Match.status.in_(OPEN_STATUSES),
                sa.or_(Match.offer_id == listing.id, Match.need_id == listing.id),
            )
        )
    )
    for match in proposals:
        match.status = "superseded"
    db.session.flush()
    return len(proposals)


@listing_withdrawn.connect
def _on_listing_withdrawn(listing: Listing, **_extra: Any) -> None:
    supersede_open_proposals_for(listing)


def supersede_all_open() -> int:
    """Mark every open proposal superseded (a run found no listings); return how many."""
    result = db.session.execute(
        sa.update(Match).where(Match.status.in_(OPEN_STATUSES)).values(status="superseded")
    )
    return int(result.rowcount or 0)


SIDES = MATCH_SIDES


def _listing_of(match: Match, side: str) -> Listing:
    return match.offer if side == "offer" else match.need


def sides_of(user: Any, match: Match) -> set[str]:
    """The sides ``user`` may act for: their own firm's, or both for a coordinator."""
    return {
        side
        for side in SIDES
        if can_manage_organisation(user, _listing_of(match, side).organisation_id)
    }


def member_sides(user: Any, match: Match) -> set[str]:
    """The sides of the firm ``user`` belongs to (acting for itself, not on behalf)."""
    organisation_id = getattr(user, "organisation_id", None)
    return {
        side
        for side in SIDES
        if organisation_id is not None
        and _listing_of(match, side).organisation_id == organisation_id
    }


def can_see_match(user: Any, match: Match) -> bool:
    return bool(sides_of(user, match))


def _acting_sides(user: Any, match: Match, side: str | None, *, joint: bool) -> set[str]:
    """The sides an action of ``user`` speaks for.

    A member speaks for their own firm. Someone acting on behalf of firms (a
    coordinator) names the ``side``: consent is each firm's own, and one click must not
    give both. A ``joint`` action (completing, recording a delivery) concerns the
    exchange as a whole; without a ``side`` a coordinator takes it for both firms.
    """
    allowed = sides_of(user, match)
    if not allowed:
        raise PermissionDenied()
    if side is not None:
        if side not in SIDES:
            raise InvalidInput(f"side {side!r} is not one of 'offer', 'need'")
        if side not in allowed:
            raise PermissionDenied()
        return {side}
    own = member_sides(user, match) & allowed
    if own:
        return own
    if joint:
        return allowed
    raise InvalidInput(_("Choose the firm you act for: the offering or the needing firm."))


def _audit(user: User, match: Match, sides: set[str], action: str, **details: Any) -> None:
    """An audit entry for every firm ``user`` acted for without belonging to it."""
    for side in SIDES:
        if side in sides:
            audit_on_behalf(
                user,
                _listing_of(match, side).organisation_id,
                f"match.{action}",
                match,
                side=side,
                **details,
            )


def _require_current(match: Match) -> None:
    """Refuse to agree to a proposal whose listings are no longer what the engine saw."""
    for listing in (match.offer, match.need):
        if listing.status != "active":
            raise InvalidInput(
                _(
                    "This proposal can no longer be accepted: one of its listings is %(status)s.",
                    status=label(listing.status, "listing_status"),
                )
            )
    run = match.engine_run
    if run is not None and any(
        _aware(listing.updated_at) > _aware(run.started_at) for listing in (match.offer, match.need)
    ):
        raise InvalidInput(
            _(
                "A listing of this proposal changed after the engine proposed it; "
                "the next engine run brings the proposal up to date."
            )
        )


def accept(user: User, match: Match, *, side: str | None = None) -> Match:
    """Accept a proposal for the user's side; both sides accepted makes it an agreement.

    Only a proposal whose two listings are still active and unchanged since the engine
    proposed it can be accepted.
    """
    sides = _acting_sides(user, match, side, joint=False)
    if match.status != "proposed":
        raise InvalidInput(
            _(
                "Only a proposed match can be accepted; this one is %(status)s.",
                status=label(match.status, "match_status"),
            )
        )
    _require_current(match)
    now = datetime.now(UTC)
    if "offer" in sides and match.offer_accepted_at is None:
        match.offer_accepted_at = now
    if "need" in sides and match.need_accepted_at is None:
        match.need_accepted_at = now
    if match.offer_accepted_at and match.need_accepted_at:
        match.status = "agreed"
        match.agreed_at = now
    db.session.flush()
    _audit(user, match, sides, "accept", status=match.status)
    return match


def decline(user: User, match: Match, *, side: str | None = None) -> Match:
    """Decline a proposal for the user's side; the engine does not propose the pair again."""
    sides = _acting_sides(user, match, side, joint=False)
    if match.status != "proposed":
        raise InvalidInput(
            _(
                "Only a proposed match can be declined; this one is %(status)s.",
                status=label(match.status, "match_status"),
            )
        )
    match.status = "declined"
    db.session.flush()
    _audit(user, match, sides, "decline")
    return match


def record_delivery(
    user: User,
    match: Match,
    *,
    delivered_on: Any,
    quantity: float,
    unit: str,
    note: str | None,
    side: str | None = None,
) -> Delivery:
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in COMMITTED_STATUSES:
        raise InvalidInput(_("Deliveries can be recorded for agreed or active matches only."))
    if not quantity or quantity <= 0:
        raise InvalidInput(
            _("The delivered quantity must be greater than 0."),
            {"quantity": [_("The delivered quantity must be greater than 0.")]},
        )
    delivery = Delivery(
        match=match,
        delivered_on=delivered_on,
        quantity=float(quantity),
        unit=unit,
        note=note or None,
        created_by_id=user.id,
    )
    db.session.add(delivery)
    match.status = "active"
    db.session.flush()
    _audit(
        user,
        match,
        sides,
        "delivery",
        delivery_id=delivery.id,
        delivered_on=str(delivered_on),
        quantity=float(quantity),
        unit=unit,
    )
    return delivery


def complete(user: User, match: Match, *, side: str | None = None) -> Match:
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in COMMITTED_STATUSES:
        raise InvalidInput(_("Only an agreed or active match can be completed."))
    match.status = "completed"
    db.session.flush()
    _audit(user, match, sides, "complete")
    return match


# --- what the match pages show ----------------------------------------------------------------


def visible_matches_stmt(user: Any, *, group: str = "all") -> sa.Select[Any]:
    """The matches of ``user``'s organisation (coordinators: all), in a status ``group``."""
    stmt = sa.select(Match).options(
        sa.orm.selectinload(Match.offer).options(*view_loads()),
        sa.orm.selectinload(Match.need).options(*view_loads()),
    )
    if not user.is_coordinator:
        own = sa.select(Listing.id).where(Listing.organisation_id == user.organisation_id)
        # A union of two index look-ups; "offer_id IN own OR need_id IN own" made
        # PostgreSQL scan every match (40 ms with the national demo, 0.2 ms like this).
        mine = sa.union(
            sa.select(Match.id).where(Match.offer_id.in_(own)),
            sa.select(Match.id).where(Match.need_id.in_(own)),
        )
        stmt = stmt.where(Match.id.in_(mine))
    if group in MATCH_STATUS_GROUPS:
        stmt = stmt.where(Match.status.in_(MATCH_STATUS_GROUPS[group]))
    # Sorted on the figure as shown (whole tonnes), never on the hidden exact one.
    return stmt.order_by(*match_list_order(Match.net_co2e_kg, Match.public_id))


def get_visible_match(user: Any, public_id: str) -> Match:
    """The match with ``public_id``, or NotFound when it does not exist or is none of
    ``user``'s business."""
    match = by_public_id(Match, public_id)
    if match is None or not can_see_match(user, match):
        raise NotFound()
    return match


@dataclass
class MatchRow:
    """A match as its viewer may see it: the other firm stays anonymous until agreed."""

    match: Match
    offer: ListingView
    need: ListingView
    distance_hidden: bool
    road_text: str
    #: The loop the match closes, None while the counterpart is hidden.
    loop_id: str | None = None


def match_row(match: Match, viewer: Any, lang: str) -> MatchRow:
    """What ``viewer`` sees of ``match`` (the rules: :func:`disclose_match`)."""
    shown = disclose_match(
        match,
        offer=disclose_listing(match.offer, viewer),
        need=disclose_listing(match.need, viewer),
        lang=lang,
    )
    agreed = shown.counterpart_revealed
    offer = view_of(match.offer, viewer, lang, agreed=agreed)
    need = view_of(match.need, viewer, lang, agreed=agreed)
    return MatchRow(
        match=match,
        offer=offer,
        need=need,
        distance_hidden=shown.distance_hidden,
        road_text=shown.road_text,
        loop_id=shown.loop_id,
    )
