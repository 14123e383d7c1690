"""The web app's vocabulary: every status, kind, unit, frequency, route, source and role,
with its label as users read it (Dutch by default, English on request), the allowed
status changes and the status groups.

Defined once here (on top of the engine's vocabulary in :mod:`flows.schema`) and exposed
to Jinja by :func:`register`: templates write ``{{ status|label("listing_status") }}``
and hold no copies of these labels; services use the groups, never literal tuples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from flask import Flask
from flask_babel import lazy_gettext as _l

from flows.schema import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    KINDS,
    PRICE_TERMS,
    UNITS,
    VISIBILITIES,
    needs_ewc_code,
)
from flows.schema import STATUSES as LISTING_STATUSES

__all__ = [
    "AGREED_STATUSES",
    "CLOSED_STATUSES",
    "COMMITTED_STATUSES",
    "CURRENT_ROUTES",
    "CURRENT_SOURCES",
    "DECLINE_REASONS",
    "FREQUENCIES",
    "KINDS",
    "LISTING_STATUSES",
    "LISTING_TRANSITIONS",
    "LIVE_STATUSES",
    "LOCALES",
    "MARKET_LISTING_STATUSES",
    "MATCH_EVENTS",
    "MATCH_FILTERS",
    "MATCH_SIDES",
    "MATCH_STATUSES",
    "MATCH_STATUS_GROUPS",
    "MATCH_TRANSITIONS",
    "NOTIFICATION_KINDS",
    "OPEN_STATUSES",
    "PRICE_TERMS",
    "REFUSED_STATUSES",
    "ROLES",
    "RUN_STATUSES",
    "UNITS",
    "VISIBILITIES",
    "VOCABULARIES",
    "WITHDRAWN_LISTING_STATUSES",
    "label",
    "needs_ewc_code",
]

# --- listings ---------------------------------------------------------------------------------

#: Status changes a firm may make to its listing: from -> allowed targets.
LISTING_TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "draft": ("active", "closed"),
    "active": ("paused", "closed"),
    "paused": ("active", "closed"),
    "closed": ("active",),
}
#: Listings on the market: shown to every visitor, searched, seen by the engine.
MARKET_LISTING_STATUSES: Final = ("active",)
#: Listings taken off the market: their open proposals can no longer become agreements.
WITHDRAWN_LISTING_STATUSES: Final = ("paused", "closed")

LISTING_STATUS_LABELS: Final = {
    "draft": _l("draft"),
    "active": _l("active"),
    "paused": _l("paused"),
    "closed": _l("closed"),
}
KIND_LABELS: Final = {"offer": _l("offer"), "need": _l("need")}
#: The kinds as headings of counts ("Offers: 3").
KIND_PLURAL_LABELS: Final = {"offer": _l("Offers"), "need": _l("Needs")}
#: The kinds as the listing form offers them.
KIND_CHOICE_LABELS: Final = {"offer": _l("Offer (residual stream)"), "need": _l("Need (input)")}
#: Units are symbols, the same in every language.
UNIT_LABELS: Final = {unit: unit for unit in UNITS}
FREQUENCY_LABELS: Final = {
    "once": _l("once"),
    "week": _l("per week"),
    "month": _l("per month"),
    "year": _l("per year"),
}
ROUTE_LABELS: Final = {
    "landfill": _l("landfill"),
    "incineration": _l("incineration"),
    "recycling": _l("recycling"),
    "composting": _l("composting"),
    "digestion": _l("digestion"),
    "land_spreading": _l("land spreading"),
    "other": _l("other"),
}
SOURCE_LABELS: Final = {
    "virgin": _l("virgin (primary) material"),
    "secondary": _l("secondary material"),
}
PRICE_LABELS: Final = {
    "free": _l("free"),
    "pay": _l("buyer pays"),
    "paid_to_take": _l("supplier pays to have it taken"),
    "negotiable": _l("negotiable"),
}
VISIBILITY_LABELS: Final = {"public": _l("public"), "anonymous": _l("anonymous")}
#: The visibilities as the listing form offers them.
VISIBILITY_CHOICE_LABELS: Final = {
    "public": _l("Public: show our name and location"),
    "anonymous": _l("Anonymous: show only category, quantity and municipality"),
}


def status_action_label(current: str, target: str) -> str:
    """The button that moves a listing from ``current`` to ``target``."""
    if target == "active":
        return str(_l("Publish") if current == "draft" else _l("Reopen"))
    return str({"paused": _l("Pause"), "closed": _l("Close")}[target])


# --- matches ----------------------------------------------------------------------------------

#: ``proposed`` and ``accepted`` (by one side) are open: the engine may replace them, the firms
#: may change their terms; ``agreed``/``active`` are commitments the engine never touches,
#: ``completed`` is a commitment fulfilled; ``declined``, ``withdrawn``, ``expired`` and
#: ``superseded`` are closed.
MATCH_STATUSES: Final = (
    "proposed",
    "accepted",
    "agreed",
    "active",
    "completed",
    "declined",
    "withdrawn",
    "expired",
    "superseded",
)
OPEN_STATUSES: Final = ("proposed", "accepted")
COMMITTED_STATUSES: Final = ("agreed", "active")
#: Both firms agreed: the exchange is committed or done, and the firms know each other.
AGREED_STATUSES: Final = (*COMMITTED_STATUSES, "completed")
CLOSED_STATUSES: Final = ("declined", "withdrawn", "expired", "superseded")
#: Open or committed: the exchanges the region's figures and map count.
LIVE_STATUSES: Final = (*OPEN_STATUSES, *COMMITTED_STATUSES)
#: Pairs the engine does not propose again for a while (a firm or a coordinator said no).
REFUSED_STATUSES: Final = ("declined", "withdrawn")
#: The groups the match list filters by.
MATCH_STATUS_GROUPS: Final[Mapping[str, tuple[str, ...]]] = {
    "open": OPEN_STATUSES,
    "agreed": AGREED_STATUSES,
    "closed": CLOSED_STATUSES,
}
#: Status changes of a match: from -> allowed targets. The exchanges service checks every
#: change against this table (``accepted`` goes back to ``proposed`` when a firm proposes
#: new terms or the engine changes the quantity).
MATCH_TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = {
    "proposed": ("accepted", "agreed", "declined", "withdrawn", "expired", "superseded"),
    "accepted": ("proposed", "agreed", "declined", "withdrawn", "expired", "superseded"),
    "agreed": ("active", "completed", "withdrawn"),
    "active": ("completed",),
    "completed": (),
    "declined": (),
    "withdrawn": (),
    "expired": (),
    "superseded": (),
}
#: The filters of the match list: the groups, and everything.
MATCH_FILTERS: Final = (*MATCH_STATUS_GROUPS, "all")
MATCH_FILTER_LABELS: Final = {
    "open": _l("open proposals"),
    "agreed": _l("agreed"),
    "closed": _l("closed"),
    "all": _l("all"),
}
#: The two sides of a match, each a firm that consents for itself.
MATCH_SIDES: Final = ("offer", "need")
MATCH_SIDE_LABELS: Final = {"offer": _l("offering firm"), "need": _l("needing firm")}
MATCH_STATUS_LABELS: Final = {
    "proposed": _l("proposed"),
    "accepted": _l("accepted by one side"),
    "agreed": _l("agreed"),
    "active": _l("active"),
    "completed": _l("completed"),
    "declined": _l("declined"),
    "withdrawn": _l("withdrawn"),
    "expired": _l("expired"),
    "superseded": _l("superseded"),
}
#: Why a firm declines a proposal (a fixed list, plus free text).
DECLINE_REASONS: Final = (
    "too_far",
    "quality",
    "quantity",
    "price",
    "regulation",
    "timing",
    "other",
)
DECLINE_REASON_LABELS: Final = {
    "too_far": _l("too far"),
    "quality": _l("quality"),
    "quantity": _l("quantity"),
    "price": _l("price"),
    "regulation": _l("regulation or waste status"),
    "timing": _l("timing"),
    "other": _l("other"),
}
#: What happened to a match (its event log).
MATCH_EVENTS: Final = (
    "proposed",
    "accepted",
    "agreed",
    "declined",
    "withdrawn",
    "expired",
    "superseded",
    "terms_proposed",
    "terms_accepted",
    "terms_rejected",
    "delivery_added",
    "delivery_changed",
    "delivery_deleted",
    "completed",
    "note",
)
MATCH_EVENT_LABELS: Final = {
    "proposed": _l("proposed by the engine"),
    "accepted": _l("accepted"),
    "agreed": _l("agreed"),
    "declined": _l("declined"),
    "withdrawn": _l("withdrawn"),
    "expired": _l("expired"),
    "superseded": _l("superseded"),
    "terms_proposed": _l("proposed new terms"),
    "terms_accepted": _l("confirmed the new terms"),
    "terms_rejected": _l("rejected the new terms"),
    "delivery_added": _l("logged a delivery"),
    "delivery_changed": _l("changed a delivery"),
    "delivery_deleted": _l("deleted a delivery"),
    "completed": _l("completed"),
    "note": _l("facilitator note"),
}
#: What a firm is told about (in the app, and by e-mail unless switched off).
NOTIFICATION_KINDS: Final = (
    "proposal",
    "accepted",
    "terms",
    "agreed",
    "message",
    "delivery",
    "expiring",
)
NOTIFICATION_KIND_LABELS: Final = {
    "proposal": _l("a new proposal for one of my listings"),
    "accepted": _l("the other firm accepted a proposal"),
    "terms": _l("the other firm proposed new terms"),
    "agreed": _l("an exchange was agreed"),
    "message": _l("a new message"),
    "delivery": _l("the other firm logged a delivery"),
    "expiring": _l("a proposal is about to expire"),
}

# --- engine runs ------------------------------------------------------------------------------

RUN_STATUSES: Final = ("running", "succeeded", "failed")
RUN_STATUS_LABELS: Final = {
    "running": _l("running"),
    "succeeded": _l("succeeded"),
    "failed": _l("failed"),
}

# --- accounts ---------------------------------------------------------------------------------

ROLES: Final = ("member", "coordinator", "admin")
ROLE_LABELS: Final = {
    "member": _l("member"),
    "coordinator": _l("coordinator"),
    "admin": _l("administrator"),
}
LOCALES: Final = ("nl", "en")

#: Every vocabulary by name: (its values, their labels). ``label`` and the tests use this.
VOCABULARIES: Final[Mapping[str, tuple[tuple[str, ...], Mapping[str, Any]]]] = {
    "listing_status": (LISTING_STATUSES, LISTING_STATUS_LABELS),
    "kind": (KINDS, KIND_LABELS),
    "kind_plural": (KINDS, KIND_PLURAL_LABELS),
    "kind_choice": (KINDS, KIND_CHOICE_LABELS),
    "unit": (UNITS, UNIT_LABELS),
    "frequency": (FREQUENCIES, FREQUENCY_LABELS),
    "route": (CURRENT_ROUTES, ROUTE_LABELS),
    "source": (CURRENT_SOURCES, SOURCE_LABELS),
    "price_terms": (PRICE_TERMS, PRICE_LABELS),
    "visibility": (VISIBILITIES, VISIBILITY_LABELS),
    "visibility_choice": (VISIBILITIES, VISIBILITY_CHOICE_LABELS),
    "match_status": (MATCH_STATUSES, MATCH_STATUS_LABELS),
    "match_filter": (MATCH_FILTERS, MATCH_FILTER_LABELS),
    "match_side": (MATCH_SIDES, MATCH_SIDE_LABELS),
    "decline_reason": (DECLINE_REASONS, DECLINE_REASON_LABELS),
    "match_event": (MATCH_EVENTS, MATCH_EVENT_LABELS),
    "notification_kind": (NOTIFICATION_KINDS, NOTIFICATION_KIND_LABELS),
    "run_status": (RUN_STATUSES, RUN_STATUS_LABELS),
    "role": (ROLES, ROLE_LABELS),
}


def label(value: str | None, vocabulary: str) -> str:
    """``value`` as users read it, in the current language (the value itself if unknown)."""
    if value is None:
        return ""
    return str(VOCABULARIES[vocabulary][1].get(value, value))


def choices(vocabulary: str) -> list[tuple[str, Any]]:
    """(value, lazy label) pairs of a vocabulary, in its order, for select fields."""
    values, labels = VOCABULARIES[vocabulary]
    return [(value, labels[value]) for value in values]


def register(app: Flask) -> None:
    """Expose the vocabulary to Jinja: the ``label`` filter and the transition tables."""
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals.update(
        LISTING_TRANSITIONS=LISTING_TRANSITIONS,
        status_action_label=status_action_label,
        LISTING_STATUSES=LISTING_STATUSES,
    )
