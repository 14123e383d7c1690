"""The exchange lifecycle: a proposal becomes an agreement when both firms accept it,
deliveries are recorded under it, and it is completed; or a firm declines it.

Consent is each firm's own: a coordinator acting on behalf of firms names the side.
A pair a firm declined is not proposed again for :data:`DECLINE_MEMORY_DAYS`.
Services flush; the caller (a view or a CLI command) commits once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from flows.normalise import normalise_listings
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import audit_on_behalf
from marketplace.core.disclosure import (
    ContactDisclosure,
    actor_name,
    counterpart_revealed,
    disclose_contact,
    disclose_listing,
    disclose_match,
    match_list_order,
)
from marketplace.core.permissions import can_manage_organisation
from marketplace.core.public_ids import by_public_id
from marketplace.core.vocabulary import (
    COMMITTED_STATUSES,
    DECLINE_REASONS,
    MATCH_SIDES,
    MATCH_STATUS_GROUPS,
    MATCH_TRANSITIONS,
    OPEN_STATUSES,
    PRICE_TERMS,
    REFUSED_STATUSES,
    label,
)
from marketplace.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from marketplace.exchanges.impact import CO2_TERMS, delivered_in_match_unit, realised
from marketplace.exchanges.locking import CHUNK, lock_exchange, lock_listings, lock_matches
from marketplace.exchanges.models import Delivery, Match, MatchEvent, Message, Notification
from marketplace.exchanges.notifications import notify, notify_many
from marketplace.exchanges.review import firm_visible_clause, visible_to_firms
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
    """(offer id, need id) of the pairs declined (or withdrawn) in the last
    :data:`DECLINE_MEMORY_DAYS`.

    A declined match is closed: nothing changes it after the decline, so its
    ``updated_at`` is the moment of the decline.
    """
    since = (now or datetime.now(UTC)) - timedelta(days=DECLINE_MEMORY_DAYS)
    rows = db.session.execute(
        sa.select(Match.offer_id, Match.need_id).where(
            Match.status.in_(REFUSED_STATUSES), Match.updated_at >= since
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
        match.pending_terms = None
        _record(None, match, "superseded", to_status="superseded", note=listing.title)
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
    if not sides_of(user, match):
        return False
    return bool(getattr(user, "is_coordinator", False)) or visible_to_firms(match)


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
            raise Conflict(
                _(
                    "This proposal can no longer be accepted: one of its listings is %(status)s.",
                    status=label(listing.status, "listing_status"),
                )
            )
    run = match.engine_run
    if run is not None and any(
        _aware(listing.updated_at) > _aware(run.started_at) for listing in (match.offer, match.need)
    ):
        raise Conflict(
            _(
                "A listing of this proposal changed after the engine proposed it; "
                "the next engine run brings the proposal up to date."
            )
        )


# --- the state machine ------------------------------------------------------------------------


class QuantityExceeded(Conflict):
    """An agreement would promise more of a listing than it has left.

    ``available`` is what is left, in the match's unit (0 when nothing is): the firms
    may agree on that instead (:func:`propose_terms`).
    """

    def __init__(self, message: str, *, available: float) -> None:
        super().__init__(message, {"quantity_per_year": [message]})
        self.available = available


def _record(
    user: Any,
    match: Match,
    action: str,
    *,
    to_status: str | None = None,
    side: str | None = None,
    note: str | None = None,
    by_id: bool = False,
    **details: Any,
) -> MatchEvent:
    """Record what happened (and move the status, checked against MATCH_TRANSITIONS).

    ``by_id`` links the event by the match's id instead of through ``match.events``, which
    would load that collection: the engine records events for thousands of matches at once.
    """
    from_status = match.status
    if to_status is not None and to_status != from_status:
        if to_status not in MATCH_TRANSITIONS[from_status]:
            raise Conflict(
                _(
                    "A match that is %(status)s cannot become %(target)s.",
                    status=label(from_status, "match_status"),
                    target=label(to_status, "match_status"),
                )
            )
        match.status = to_status
    link: dict[str, Any] = {"match_id": match.id} if by_id else {"match": match}
    event = MatchEvent(
        **link,
        user_id=getattr(user, "id", None),
        side=side,
        action=action,
        from_status=from_status,
        to_status=match.status,
        note=note or None,
        details=details,
    )
    db.session.add(event)
    return event


def _one_side(sides: set[str]) -> str | None:
    return next(iter(sides)) if len(sides) == 1 else None


def _members(organisation_id: int, *, but: Any = None) -> list[User]:
    users = db.session.scalars(
        sa.select(User)
        .where(User.organisation_id == organisation_id, User.active.is_(True))
        .order_by(User.id)
    )
    return [u for u in users if but is None or u.id != getattr(but, "id", None)]


def _notify_sides(user: Any, match: Match, sides: Iterable[str], kind: str) -> None:
    """Notify the members of the firms on ``sides`` (never the acting user)."""
    recipients: list[User] = []
    for side in SIDES:
        if side in sides:
            recipients += _members(_listing_of(match, side).organisation_id, but=user)
    notify(recipients, kind, match)


def _other(sides: set[str]) -> set[str]:
    return set(SIDES) - sides if sides != set(SIDES) else set()


def _require_open(match: Match, verb: str) -> None:
    if match.status not in OPEN_STATUSES:
        raise Conflict(
            _(
                "Only an open proposal can be %(verb)s; this one is %(status)s now.",
                verb=verb,
                status=label(match.status, "match_status"),
            )
        )


def _accepted_at(match: Match, side: str) -> datetime | None:
    return match.offer_accepted_at if side == "offer" else match.need_accepted_at


def _set_accepted(match: Match, side: str, moment: datetime | None) -> None:
    if side == "offer":
        match.offer_accepted_at = moment
    else:
        match.need_accepted_at = moment


def _open_status(match: Match) -> str:
    return "accepted" if (match.offer_accepted_at or match.need_accepted_at) else "proposed"


# --- quantities: what a listing has left ------------------------------------------------------


def capacity_per_year(listing: Listing) -> float:
    """The listing's yearly quantity in the engine's matching unit (the unit of
    :attr:`Match.quantity_flow_unit`)."""
    frame = pd.DataFrame(
        [
            {
                "quantity": listing.quantity,
                "unit": listing.unit,
                "frequency": listing.frequency,
                "material": listing.material,
            }
        ]
    )
    normalised = normalise_listings(frame)
    return float(normalised["quantity_per_year"].iloc[0]) if len(normalised) else 0.0


def committed_flow(listing_id: int, *, excluding: int | None = None) -> float:
    """How much of a listing agreed and active matches promise, in the matching unit."""
    stmt = sa.select(sa.func.coalesce(sa.func.sum(Match.quantity_flow_unit), 0.0)).where(
        Match.status.in_(COMMITTED_STATUSES),
        sa.or_(Match.offer_id == listing_id, Match.need_id == listing_id),
    )
    if excluding is not None:
        stmt = stmt.where(Match.id != excluding)
    return float(db.session.scalar(stmt) or 0.0)


def capacities_per_year(listings: Iterable[Listing]) -> dict[int, float]:
    """:func:`capacity_per_year` of many listings at once, by listing id."""
    listings = list(listings)
    if not listings:
        return {}
    frame = pd.DataFrame(
        [
            {
                "quantity": listing.quantity,
                "unit": listing.unit,
                "frequency": listing.frequency,
                "material": listing.material,
            }
            for listing in listings
        ]
    )
    normalised = normalise_listings(frame)
    capacities = dict.fromkeys((listing.id for listing in listings), 0.0)
    for position, quantity in zip(
        normalised["source_position"], normalised["quantity_per_year"], strict=True
    ):
        capacities[listings[int(position)].id] = float(quantity)
    return capacities


def committed_flows(listing_ids: Iterable[int]) -> dict[int, float]:
    """:func:`committed_flow` of many listings in one grouped query, by listing id.

    Every listing of ``listing_ids`` is in the answer (0.0 when nothing is committed).
    """
    ids = sorted({int(i) for i in listing_ids})
    flows = dict.fromkeys(ids, 0.0)
    if not ids:
        return flows
    committed = Match.status.in_(COMMITTED_STATUSES)
    sides = sa.union_all(
        sa.select(Match.offer_id.label("listing_id"), Match.quantity_flow_unit).where(committed),
        sa.select(Match.need_id.label("listing_id"), Match.quantity_flow_unit).where(committed),
    ).subquery()
    # Grouped over every committed match: there are far fewer of them than listings in a
    # run, and no ``IN`` list of 100,000 ids is needed.
    rows = db.session.execute(
        sa.select(sides.c.listing_id, sa.func.sum(sides.c.quantity_flow_unit)).group_by(
            sides.c.listing_id
        )
    )
    for listing_id, total in rows:
        if int(listing_id) in flows:
            flows[int(listing_id)] = float(total or 0.0)
    return flows


def available_quantity(match: Match) -> float:
    """What is left of both listings for ``match``, in the match's unit (never below 0)."""
    flow_per_unit = match.quantity_flow_unit / match.quantity_per_year
    left_flow = min(
        capacity_per_year(listing) - committed_flow(listing.id, excluding=match.id)
        for listing in (match.offer, match.need)
    )
    return max(0.0, left_flow / flow_per_unit)


#: Relative slack for float sums of quantities.
_QUANTITY_TOLERANCE = 1e-9


def _require_quantity_left(match: Match) -> None:
    available = available_quantity(match)
    if match.quantity_per_year > available * (1 + _QUANTITY_TOLERANCE) + 1e-12:
        unit = match.unit
        if available <= 0:
            message = _(
                "This exchange cannot be agreed: agreed exchanges already take the whole "
                "yearly quantity of one of its listings."
            )
        else:
            message = _(
                "Only %(available)s %(unit)s per year of this listing is still free: "
                "agreed exchanges take the rest. Propose an agreement for %(available)s "
                "%(unit)s instead.",
                available=_fmt(available),
                unit=unit,
            )
        raise QuantityExceeded(message, available=available)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


#: Fields of a match (or of a proposal's values) proportional to its quantity.
QUANTITY_FIELDS = (
    "quantity_per_year",
    "quantity_flow_unit",
    "mass_t_per_year",
    "tonne_km_saved",
    "net_co2e_kg",
    *CO2_TERMS,
)
_BREAKDOWN_QUANTITY_KEYS = (
    *CO2_TERMS,
    "avoided_co2e_kg",
    "net_co2e_kg",
    "mass_t_per_year",
    "tonne_km",
    "tonne_km_saved",
)


def scale_quantities(values: dict[str, Any], factor: float) -> dict[str, Any]:
    """``values`` (a proposal's fields) for ``factor`` times the quantity: every field
    proportional to it (CO2 terms, mass, tonne-km) scales too, the distance does not."""
    scaled = dict(values)
    for name in QUANTITY_FIELDS:
        if scaled.get(name) is not None:
            scaled[name] = float(scaled[name]) * factor
    breakdown = dict(scaled.get("breakdown") or {})
    for key in _BREAKDOWN_QUANTITY_KEYS:
        if isinstance(breakdown.get(key), int | float):
            breakdown[key] = breakdown[key] * factor
    scaled["breakdown"] = breakdown
    return scaled


def scaled_values(match: Match, quantity_per_year: float) -> dict[str, Any]:
    """The quantity fields of ``match`` for another yearly quantity."""
    current = {name: getattr(match, name) for name in QUANTITY_FIELDS}
    current["breakdown"] = match.breakdown
    return scale_quantities(current, quantity_per_year / match.quantity_per_year)


def _apply_quantity(match: Match, quantity_per_year: float) -> None:
    if match.engine_quantity_per_year is None:
        match.engine_quantity_per_year = match.quantity_per_year
    if math.isclose(quantity_per_year, match.quantity_per_year, rel_tol=1e-12):
        return
    for name, value in scaled_values(match, quantity_per_year).items():
        setattr(match, name, value)


# --- transitions ------------------------------------------------------------------------------


def _agree(user: Any, match: Match, sides: set[str], now: datetime) -> None:
    _require_quantity_left(match)
    match.agreed_at = now
    match.agreed_net_co2e_kg = match.net_co2e_kg
    if match.engine_quantity_per_year is None:
        match.engine_quantity_per_year = match.quantity_per_year
    _record(user, match, "agreed", to_status="agreed", side=_one_side(sides))
    _notify_sides(user, match, SIDES, "agreed")


def accept(user: User, match: Match, *, side: str | None = None) -> Match:
    """Accept a proposal for the user's side; both sides accepted makes it an agreement.

    Runs under the locks of the match and both listings and decides on the state read
    after them. Only a proposal whose two listings are still active and unchanged since
    the engine proposed it can be accepted; an agreement is refused when the listings
    have too little left (:class:`QuantityExceeded`).
    """
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=False)
    _require_open(match, _("accepted"))
    _require_current(match)
    pending = match.pending_terms
    if pending and pending.get("side") not in sides:
        raise Conflict(_("The other firm proposed new terms: confirm or reject them first."))
    now = datetime.now(UTC)
    newly = {s for s in sides if _accepted_at(match, s) is None}
    if not newly:
        raise Conflict(_("Your firm already accepted this proposal."))
    both = all(_accepted_at(match, s) is not None or s in newly for s in SIDES)
    if both:
        _require_quantity_left(match)
    for s in newly:
        _set_accepted(match, s, now)
    if both:
        _agree(user, match, sides, now)
    else:
        _record(user, match, "accepted", to_status="accepted", side=_one_side(sides))
        _notify_sides(user, match, _other(sides), "accepted")
    db.session.flush()
    _audit(user, match, sides, "accept", status=match.status)
    return match


def decline(
    user: User, match: Match, *, side: str | None = None, reason: str, note: str = ""
) -> Match:
    """Decline a proposal for the user's side, with a reason from :data:`DECLINE_REASONS`;
    the engine does not propose the pair again for :data:`DECLINE_MEMORY_DAYS`."""
    if reason not in DECLINE_REASONS:
        message = _(
            "Choose why you decline: %(reasons)s.",
            reasons=", ".join(label(r, "decline_reason") for r in DECLINE_REASONS),
        )
        raise InvalidInput(message, {"reason": [message]})
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(
            _("The note is too long (at most 2000 characters)."),
            {"note": [_("At most 2000 characters.")]},
        )
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=False)
    _require_open(match, _("declined"))
    match.decline_reason = reason
    match.closing_note = note or None
    match.pending_terms = None
    _record(
        user,
        match,
        "declined",
        to_status="declined",
        side=_one_side(sides),
        note=note,
        reason=reason,
    )
    db.session.flush()
    _audit(user, match, sides, "decline", reason=reason)
    return match


def withdraw(user: User, match: Match, *, side: str | None = None, reason: str = "") -> Match:
    """Withdraw a match: a coordinator (with a reason) an open or agreed one; a firm its
    proposal as long as the other firm has not accepted it."""
    reason = (reason or "").strip()
    match = lock_exchange(match)
    if not sides_of(user, match):
        raise PermissionDenied()
    own = member_sides(user, match)
    if user.is_coordinator and not own:
        if not reason:
            message = _("Give the reason for withdrawing this match.")
            raise InvalidInput(message, {"reason": [message]})
        sides: set[str] = {side} if side in SIDES else set(SIDES)
    else:
        sides = _acting_sides(user, match, side, joint=False)
        _require_open(match, _("withdrawn"))
        if any(_accepted_at(match, s) is not None for s in _other(sides)):
            raise Conflict(_("The other firm already accepted this proposal; decline it instead."))
    if match.status not in OPEN_STATUSES and match.status != "agreed":
        raise Conflict(
            _(
                "A match that is %(status)s cannot be withdrawn.",
                status=label(match.status, "match_status"),
            )
        )
    match.closing_note = reason or None
    match.pending_terms = None
    _record(user, match, "withdrawn", to_status="withdrawn", side=_one_side(sides), note=reason)
    db.session.flush()
    _audit(user, match, sides, "withdraw", reason=reason)
    return match


def propose_terms(
    user: User,
    match: Match,
    *,
    side: str | None = None,
    quantity_per_year: float | None = None,
    start_on: date | None = None,
    price_terms: str | None = None,
) -> Match:
    """Propose changed terms before agreement; proposing them is accepting under them.

    The other firm confirms (:func:`respond_to_terms`) or rejects them. The quantity may
    not exceed what both listings have left.
    """
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=False)
    _require_open(match, _("changed"))
    _require_current(match)
    errors: dict[str, list[str]] = {}
    if quantity_per_year is not None:
        if not math.isfinite(quantity_per_year) or quantity_per_year <= 0:
            errors["quantity_per_year"] = [_("The quantity must be greater than 0.")]
        else:
            available = available_quantity(match)
            if quantity_per_year > available * (1 + _QUANTITY_TOLERANCE) + 1e-12:
                errors["quantity_per_year"] = [
                    _(
                        "At most %(available)s %(unit)s per year is still free.",
                        available=_fmt(available),
                        unit=match.unit,
                    )
                ]
    if price_terms is not None and price_terms not in PRICE_TERMS:
        errors["price_terms"] = [
            f"price terms {price_terms!r} are not one of {', '.join(PRICE_TERMS)}"
        ]
    changed = (
        (
            quantity_per_year is not None
            and not math.isclose(quantity_per_year, match.quantity_per_year, rel_tol=1e-9)
        )
        or (start_on is not None and start_on != match.start_on)
        or (price_terms is not None and price_terms != match.price_terms)
    )
    if not errors and not changed:
        errors["quantity_per_year"] = [_("Change at least one of the terms.")]
    if errors:
        raise InvalidInput(_("The new terms were not proposed."), errors)
    acting = _one_side(sides)
    if acting is None:
        raise InvalidInput(_("Choose the firm you act for: the offering or the needing firm."))
    now = datetime.now(UTC)
    match.pending_terms = {
        "side": acting,
        "quantity_per_year": quantity_per_year,
        "start_on": start_on.isoformat() if start_on else None,
        "price_terms": price_terms,
        "user_id": user.id,
        "at": now.isoformat(),
    }
    _set_accepted(match, acting, now)
    for other in _other(sides):
        _set_accepted(match, other, None)
    _record(
        user,
        match,
        "terms_proposed",
        to_status="accepted",
        side=acting,
        **{
            k: v
            for k, v in match.pending_terms.items()
            if k in ("quantity_per_year", "start_on", "price_terms")
        },
    )
    _notify_sides(user, match, _other(sides), "terms")
    db.session.flush()
    _audit(
        user,
        match,
        sides,
        "propose_terms",
        **{k: v for k, v in match.pending_terms.items() if k not in ("side", "user_id")},
    )
    return match


def respond_to_terms(user: User, match: Match, *, side: str | None = None, accept: bool) -> Match:
    """Confirm (the match is agreed under the new terms) or reject the other firm's terms."""
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=False)
    _require_open(match, _("changed"))
    pending = match.pending_terms
    if not pending:
        raise Conflict(_("There are no new terms to answer (anymore)."))
    if pending["side"] in sides:
        raise PermissionDenied(_("The other firm answers the terms your firm proposed."))
    acting = _one_side(sides)
    if not accept:
        match.pending_terms = None
        _set_accepted(match, pending["side"], None)
        _record(user, match, "terms_rejected", to_status=_open_status(match), side=acting)
        _notify_sides(user, match, {pending["side"]}, "terms")
    else:
        _require_current(match)
        if pending.get("quantity_per_year") is not None:
            _apply_quantity(match, float(pending["quantity_per_year"]))
        if pending.get("start_on"):
            match.start_on = date.fromisoformat(pending["start_on"])
        if pending.get("price_terms"):
            match.price_terms = pending["price_terms"]
        match.pending_terms = None
        _record(user, match, "terms_accepted", side=acting)
        now = datetime.now(UTC)
        for s in sides:
            _set_accepted(match, s, now)
        _agree(user, match, sides, now)
    db.session.flush()
    _audit(user, match, sides, "respond_to_terms", accepted=accept)
    return match


def _check_delivery(
    match: Match,
    *,
    delivered_on: Any,
    quantity: Any,
    unit: str,
    note: str | None,
    document_number: str | None,
) -> float:
    errors: dict[str, list[str]] = {}
    if quantity is None or not math.isfinite(float(quantity)) or float(quantity) <= 0:
        errors["quantity"] = [_("The delivered quantity must be greater than 0.")]
    if not isinstance(delivered_on, date):
        errors["delivered_on"] = [_("Give the date of the delivery.")]
    elif delivered_on > datetime.now(UTC).date() + timedelta(days=1):
        errors["delivered_on"] = [_("A delivery cannot be dated in the future.")]
    if note and len(note) > 500:
        errors["note"] = [_("At most 500 characters.")]
    if document_number and len(document_number) > 60:
        errors["document_number"] = [_("At most 60 characters.")]
    if errors:
        raise InvalidInput(next(iter(errors.values()))[0], errors)
    return delivered_in_match_unit(match, float(quantity), unit)


def record_delivery(
    user: User,
    match: Match,
    *,
    delivered_on: Any,
    quantity: float,
    unit: str,
    note: str | None = None,
    document_number: str | None = None,
    side: str | None = None,
) -> Delivery:
    """Log a delivery under an agreed or active match; the first makes it active."""
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in COMMITTED_STATUSES:
        raise Conflict(_("Deliveries can be recorded for agreed or active matches only."))
    _check_delivery(
        match,
        delivered_on=delivered_on,
        quantity=quantity,
        unit=unit,
        note=note,
        document_number=document_number,
    )
    delivery = Delivery(
        match=match,
        delivered_on=delivered_on,
        quantity=float(quantity),
        unit=unit,
        note=(note or "").strip() or None,
        document_number=(document_number or "").strip() or None,
        created_by_id=user.id,
    )
    db.session.add(delivery)
    db.session.flush()
    details = {
        "delivery_id": delivery.id,
        "delivered_on": str(delivered_on),
        "quantity": float(quantity),
        "unit": unit,
        "document_number": delivery.document_number,
    }
    _record(user, match, "delivery_added", to_status="active", side=_one_side(sides), **details)
    _notify_sides(user, match, _other(sides) or set(SIDES), "delivery")
    db.session.flush()
    _audit(user, match, sides, "delivery", **details)
    return delivery


def _delivery_state(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivered_on": str(delivery.delivered_on),
        "quantity": delivery.quantity,
        "unit": delivery.unit,
        "note": delivery.note,
        "document_number": delivery.document_number,
    }


def update_delivery(
    user: User,
    delivery: Delivery,
    *,
    delivered_on: Any,
    quantity: float,
    unit: str,
    note: str | None = None,
    document_number: str | None = None,
    side: str | None = None,
) -> Delivery:
    """Correct a logged delivery; the event log keeps what it said before."""
    match = lock_exchange(delivery.match)
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in (*COMMITTED_STATUSES, "completed"):
        raise Conflict(_("Deliveries of this match can no longer be changed."))
    _check_delivery(
        match,
        delivered_on=delivered_on,
        quantity=quantity,
        unit=unit,
        note=note,
        document_number=document_number,
    )
    before = _delivery_state(delivery)
    delivery.delivered_on = delivered_on
    delivery.quantity = float(quantity)
    delivery.unit = unit
    delivery.note = (note or "").strip() or None
    delivery.document_number = (document_number or "").strip() or None
    delivery.updated_at = datetime.now(UTC)
    delivery.updated_by_id = user.id
    details = {"delivery_id": delivery.id, "before": before, "after": _delivery_state(delivery)}
    _record(user, match, "delivery_changed", side=_one_side(sides), **details)
    db.session.flush()
    _audit(user, match, sides, "delivery_changed", **details)
    return delivery


def delete_delivery(user: User, delivery: Delivery, *, side: str | None = None) -> Match:
    """Delete a delivery logged by mistake; the event log keeps what it said."""
    match = lock_exchange(delivery.match)
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in (*COMMITTED_STATUSES, "completed"):
        raise Conflict(_("Deliveries of this match can no longer be changed."))
    details = {"delivery_id": delivery.id, "before": _delivery_state(delivery)}
    match.deliveries.remove(delivery)
    db.session.delete(delivery)
    _record(user, match, "delivery_deleted", side=_one_side(sides), **details)
    db.session.flush()
    _audit(user, match, sides, "delivery_deleted", **details)
    return match


def get_delivery(user: Any, match: Match, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.match_id != match.id or not can_see_match(user, match):
        raise NotFound()
    return delivery


def complete(user: User, match: Match, *, side: str | None = None) -> Match:
    """Mark an agreed or active exchange completed."""
    match = lock_exchange(match)
    sides = _acting_sides(user, match, side, joint=True)
    if match.status not in COMMITTED_STATUSES:
        raise Conflict(_("Only an agreed or active match can be completed."))
    _record(user, match, "completed", to_status="completed", side=_one_side(sides))
    db.session.flush()
    _audit(user, match, sides, "complete")
    return match


def add_note(user: User, match: Match, *, note: str) -> MatchEvent:
    """A coordinator's facilitator note on a match (shown in its history)."""
    if not user.is_coordinator:
        raise PermissionDenied()
    note = (note or "").strip()
    if not note or len(note) > 2000:
        message = _("Write a note of at most 2000 characters.")
        raise InvalidInput(message, {"note": [message]})
    event = _record(user, match, "note", note=note)
    db.session.flush()
    return event


# --- messages ---------------------------------------------------------------------------------

MESSAGE_MAX_CHARS = 5000


def can_message(user: Any, match: Match) -> bool:
    """Firms talk on the match page once they agreed (coordinators may join in)."""
    return can_see_match(user, match) and counterpart_revealed(match.status)


def post_message(user: User, match: Match, *, body: str) -> Message:
    """Post a plain-text message to the other firm of an agreed match."""
    if not can_see_match(user, match):
        raise PermissionDenied()
    if not counterpart_revealed(match.status):
        raise Conflict(_("Messages can be exchanged once both firms agreed."))
    body = (body or "").strip()
    if not body or len(body) > MESSAGE_MAX_CHARS:
        message = _("Write a message of at most %(n)d characters.", n=MESSAGE_MAX_CHARS)
        raise InvalidInput(message, {"body": [message]})
    own = member_sides(user, match)
    posted = Message(match=match, user_id=user.id, side=_one_side(own), body=body)
    db.session.add(posted)
    _notify_sides(user, match, _other(own) or set(SIDES), "message")
    db.session.flush()
    return posted


def list_messages(user: Any, match: Match) -> list[Message]:
    """The messages of a match, oldest first (newest last)."""
    if not can_see_match(user, match):
        raise PermissionDenied()
    return list(
        db.session.scalars(
            sa.select(Message).where(Message.match_id == match.id).order_by(Message.id)
        )
    )


def contact_for(user: Any, match: Match, side: str) -> ContactDisclosure | None:
    """Who to contact at the firm on ``side`` (shown once agreed; see disclose_contact)."""
    listing = _listing_of(match, side)
    contact = _contact_person(match, side)
    return disclose_contact(match, organisation=listing.organisation, contact=contact, viewer=user)


def _contact_person(match: Match, side: str) -> User | None:
    organisation_id = _listing_of(match, side).organisation_id
    for event in match.events:
        if (
            event.action in ("accepted", "agreed", "terms_proposed", "terms_accepted")
            and event.user is not None
            and event.user.organisation_id == organisation_id
        ):
            return event.user
    members = _members(organisation_id)
    return members[0] if members else None


# --- expiry -----------------------------------------------------------------------------------


def expire_proposals(
    *, now: datetime | None = None, max_age_days: int | None = None
) -> dict[str, int]:
    """Expire open proposals older than ``max_age_days`` (config ``PROPOSAL_MAX_AGE_DAYS``)
    and warn the firms of those that expire within ``PROPOSAL_EXPIRY_WARNING_DAYS``."""
    now = now or datetime.now(UTC)
    config = current_app.config
    max_age = timedelta(days=max_age_days or int(config["PROPOSAL_MAX_AGE_DAYS"]))
    warning = timedelta(days=int(config.get("PROPOSAL_EXPIRY_WARNING_DAYS", 7)))
    old = list(
        db.session.scalars(
            sa.select(Match).where(
                Match.status.in_(OPEN_STATUSES), Match.created_at < now - max_age
            )
        )
    )
    expired = 0
    if old:
        lock_listings({i for m in old for i in (m.offer_id, m.need_id)})
        for match in lock_matches(m.id for m in old):
            if match.status in OPEN_STATUSES and _aware(match.created_at) < now - max_age:
                match.pending_terms = None
                _record(None, match, "expired", to_status="expired")
                expired += 1
    soon = db.session.scalars(
        sa.select(Match).where(
            Match.status.in_(OPEN_STATUSES),
            Match.created_at < now - max_age + warning,
            Match.created_at >= now - max_age,
            ~sa.exists().where(Notification.match_id == Match.id, Notification.kind == "expiring"),
        )
    )
    warned = 0
    for match in list(soon):
        _notify_sides(None, match, SIDES, "expiring")
        warned += 1
    db.session.flush()
    return {"expired": expired, "warned": warned}


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
        stmt = stmt.where(firm_visible_clause())
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


def visible_matches(
    user: Any, *, status: str | None = None, listing: Listing | None = None
) -> sa.Select[Any]:
    """The matches ``user`` may see (a firm: its own; coordinators: all), newest first,
    optionally of one status (or status group) or one listing."""
    stmt = visible_matches_stmt(user, group="all")
    if status in MATCH_STATUS_GROUPS:
        stmt = stmt.where(Match.status.in_(MATCH_STATUS_GROUPS[status]))
    elif status is not None:
        stmt = stmt.where(Match.status == status)
    if listing is not None:
        stmt = stmt.where(sa.or_(Match.offer_id == listing.id, Match.need_id == listing.id))
    return stmt.order_by(None).order_by(Match.id.desc())


def notify_new_proposals(matches: Iterable[Match]) -> None:
    """Record and tell the firms of new proposals (the engine just stored them).

    In bulk (:func:`~marketplace.exchanges.notifications.notify_many`): the active members
    of every firm concerned are loaded in one query per 10,000 firms, and each member
    gets one e-mail listing all of its firm's new proposals.
    """
    matches = list(matches)
    # One multi-row insert: ORM objects (or ``match.events``) would cost a statement each.
    if matches:
        db.session.execute(
            sa.insert(MatchEvent),
            [
                {"match_id": m.id, "action": "proposed", "to_status": "proposed", "details": {}}
                for m in matches
            ],
        )
    organisation_ids = sorted(
        {_listing_of(m, side).organisation_id for m in matches for side in SIDES}
    )
    members: dict[int, list[User]] = {}
    for start in range(0, len(organisation_ids), CHUNK):
        users = db.session.scalars(
            sa.select(User)
            .where(
                User.organisation_id.in_(organisation_ids[start : start + CHUNK]),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
        for user in users:
            members.setdefault(int(user.organisation_id), []).append(user)
    notify_many(
        (
            (
                m,
                [
                    u
                    for side in SIDES
                    for u in members.get(_listing_of(m, side).organisation_id, [])
                ],
            )
            for m in matches
        ),
        "proposal",
    )


def supersede(match: Match) -> None:
    """The engine's newer optimum no longer holds this open proposal (recorded)."""
    match.pending_terms = None
    _record(None, match, "superseded", to_status="superseded", by_id=True)


def match_page(match: Match, viewer: Any, lang: str) -> dict[str, Any]:
    """Everything a match page shows ``viewer``, each part through the disclosure rules."""
    talk = can_message(viewer, match)
    own = member_sides(viewer, match)
    return {
        "row": match_row(match, viewer, lang),
        "sides": sides_of(viewer, match),
        "member_sides": own,
        "contacts": {side: contact_for(viewer, match, side) for side in SIDES},
        "events": [
            (event, actor_name(event.user, match=match, viewer=viewer)) for event in match.events
        ],
        "messages": list_messages(viewer, match) if talk else [],
        "can_message": talk,
        "realised": realised(match) if match.deliveries else None,
        "pending_terms": match.pending_terms,
        "terms_by_me": bool(match.pending_terms and match.pending_terms.get("side") in own),
    }


def organisation_named(organisation_id: int) -> Any:
    """The organisation (for a page heading), or NotFound."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation
