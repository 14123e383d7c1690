"""The demo's exchanges: the demo firm's proposals taken through every state of the lifecycle.

``make run`` loads the demo region, runs the engine and then calls
:func:`load_demo_exchanges` (``flask demo exchanges``): of the engine's proposals for the
demo firm, some stay proposed, one is accepted by one side, one is agreed, two are active
with deliveries over the past months, one is completed and one declined with a reason,
with messages and notifications. Every step goes through the exchanges service (the same
locks, checks, events and notifications as a click on the page), acted by the demo firm's
login and by one fictional contact person per partner firm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core.vocabulary import AGREED_STATUSES, OPEN_STATUSES
from marketplace.demo.services import (
    DEMO_EMAIL_DOMAIN,
    DEMO_PASSWORD,
    MEMBER_EMAIL,
    DemoError,
    refuse_in_production,
)
from marketplace.exchanges import services as exchanges
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing

#: The states the demo firm's proposals are taken to, best proposal first.
PLAN = ("active", "agreed", "active", "completed", "declined", "accepted", "proposed", "proposed")
#: At least this many proposals are needed to show every state once.
MINIMUM_PROPOSALS = 6


@dataclass(frozen=True)
class DemoExchanges:
    by_status: dict[str, int]
    deliveries: int
    messages: int
    skipped: bool = False


def _partner_contact(organisation_id: int, name: str, password_hash: str) -> User:
    email = f"contact-{organisation_id}@{DEMO_EMAIL_DOMAIN}"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            name=f"Contactpersoon {name} (fictief)",
            role="member",
            organisation_id=organisation_id,
            locale="nl",
        )
        user.password_hash, user.session_version = password_hash, 1
        db.session.add(user)
        db.session.flush()
    return user


def _side_users(match: Match, firm: User, password_hash: str) -> tuple[User, User]:
    """(the demo firm's login, the partner's contact), in the order (demo, partner)."""
    own_side = "offer" if match.offer.organisation_id == firm.organisation_id else "need"
    partner_listing = match.need if own_side == "offer" else match.offer
    partner = _partner_contact(
        partner_listing.organisation_id, partner_listing.organisation.name, password_hash
    )
    return firm, partner


def _deliver(match: Match, user: User, *, months: int, today: date) -> int:
    """Monthly deliveries over the past ``months`` months, each a twelfth of the year."""
    quantity = round(match.quantity_per_year / 12, 3) or match.quantity_per_year
    for n in range(months, 0, -1):
        exchanges.record_delivery(
            user,
            match,
            delivered_on=today - timedelta(days=30 * n),
            quantity=quantity,
            unit=match.unit,
            note=None,
            document_number=f"VB-{match.id:05d}-{months - n + 1:02d}",
        )
    return months


def load_demo_exchanges(*, today: date | None = None) -> DemoExchanges:
    """Take the demo firm's open proposals through the lifecycle; flushes, caller commits.

    Does nothing when the demo firm already has agreed exchanges (``make run`` twice).
    """
    refuse_in_production()
    today = today or date.today()
    firm = db.session.scalar(sa.select(User).where(User.email == MEMBER_EMAIL))
    if firm is None or firm.organisation_id is None:
        raise DemoError("the demo firm's login is missing: run `flask demo load` first")
    own = sa.select(Listing.id).where(Listing.organisation_id == firm.organisation_id)
    mine = sa.or_(Match.offer_id.in_(own), Match.need_id.in_(own))
    agreed = db.session.scalar(
        sa.select(sa.func.count()).where(Match.status.in_(AGREED_STATUSES), mine)
    )
    if agreed:
        return DemoExchanges(by_status={}, deliveries=0, messages=0, skipped=True)
    proposals = list(
        db.session.scalars(
            sa.select(Match)
            .where(Match.status.in_(OPEN_STATUSES), mine)
            .order_by(Match.net_co2e_kg.desc(), Match.id)
        )
    )
    if len(proposals) < MINIMUM_PROPOSALS:
        raise DemoError(
            f"the demo firm has {len(proposals)} open proposals, at least "
            f"{MINIMUM_PROPOSALS} are needed: run `flask flows run` first"
        )
    probe = User(email="", name="", role="member")
    probe.set_password(DEMO_PASSWORD)
    by_status: dict[str, int] = {}
    deliveries = messages = 0
    for match, target in zip(proposals, PLAN, strict=False):
        demo, partner = _side_users(match, firm, probe.password_hash)
        counts = _take_to(match, target, demo=demo, partner=partner, today=today)
        deliveries += counts["deliveries"]
        messages += counts["messages"]
        by_status[match.status] = by_status.get(match.status, 0) + 1
    db.session.flush()
    return DemoExchanges(by_status=by_status, deliveries=deliveries, messages=messages)


def _take_to(
    match: Match, target: str, *, demo: User, partner: User, today: date
) -> dict[str, int]:
    counts = {"deliveries": 0, "messages": 0}
    if target == "proposed":
        return counts
    if target == "declined":
        exchanges.decline(
            partner,
            match,
            reason="too_far",
            note="De afstand is voor ons te groot voor wekelijkse ritten.",
        )
        return counts
    exchanges.accept(partner, match)
    if target == "accepted":
        return counts
    exchanges.accept(demo, match)
    exchanges.post_message(
        partner, match, body="Goed dat het doorgaat! Zullen we de eerste levering inplannen?"
    )
    exchanges.post_message(demo, match, body="Graag. Ik bel u deze week over de planning.")
    counts["messages"] = 2
    if target in ("active", "completed"):
        counts["deliveries"] = _deliver(
            match,
            partner if match.offer.organisation_id == partner.organisation_id else demo,
            months=5 if target == "active" else 3,
            today=today,
        )
    if target == "completed":
        exchanges.complete(demo, match)
    return counts
