"""Listings: create, edit and change the status of a firm's listings.

Services flush; the caller (a view or a CLI command) commits once. Validation is
:mod:`marketplace.listings.rules`; what a viewer sees is :mod:`marketplace.listings.views`;
search is :mod:`marketplace.listings.search`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from flask_babel import gettext as _

from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import audit_on_behalf
from marketplace.core.permissions import require_manage
from marketplace.core.vocabulary import (
    LISTING_STATUSES,
    LISTING_TRANSITIONS,
    WITHDRAWN_LISTING_STATUSES,
    label,
)
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.listings.rules import clean_listing_data

#: Sent with the listing when it is paused or closed (``listing_withdrawn.send(listing)``):
#: the exchanges slice supersedes its open proposals. Listings know nothing of matches.
_signals = Namespace()
listing_withdrawn = _signals.signal("listing-withdrawn")


def _apply(listing: Listing, values: dict[str, Any]) -> None:
    accepted = values.pop("accepted")
    for key, value in values.items():
        setattr(listing, key, value)
    listing.accepted_codes = [ListingAcceptedCode(ewc_code=c) for c in accepted]


def create_listing(
    actor: User, organisation: Organisation, data: dict[str, Any], *, publish: bool
) -> Listing:
    """Create a listing for ``organisation`` (draft, or active when ``publish``)."""
    require_manage(actor, organisation.id)
    values = clean_listing_data(data, organisation)
    listing = Listing(organisation=organisation, status="active" if publish else "draft")
    _apply(listing, values)
    db.session.add(listing)
    db.session.flush()
    if listing.ref is None:
        # The export writes this ref; with it stored, export -> import updates in place.
        # The public id, not the row id: the sequential id never leaves the server.
        listing.ref = _free_ref(organisation.id, listing.public_id)
        db.session.flush()
    audit_on_behalf(actor, organisation, "listing.create", listing, title=listing.title)
    return listing


def _free_ref(organisation_id: int, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``...: the first ref the firm does not use yet.

    An imported row may already have claimed the ref.
    """
    taken = set(
        db.session.scalars(
            sa.select(Listing.ref).where(
                Listing.organisation_id == organisation_id,
                sa.or_(Listing.ref == wanted, Listing.ref.like(f"{wanted}-%")),
            )
        )
    )
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


def update_listing(actor: User, listing: Listing, data: dict[str, Any]) -> Listing:
    require_manage(actor, listing.organisation_id)
    values = clean_listing_data(data, listing.organisation)
    _apply(listing, values)
    db.session.flush()
    audit_on_behalf(actor, listing.organisation_id, "listing.update", listing, title=listing.title)
    return listing


def set_status(actor: User, listing: Listing, status: str) -> Listing:
    """Pause, reopen, publish or close a listing."""
    require_manage(actor, listing.organisation_id)
    if status not in LISTING_STATUSES or status not in LISTING_TRANSITIONS.get(listing.status, ()):
        raise InvalidInput(
            _(
                "A %(current)s listing cannot become %(target)s.",
                current=label(listing.status, "listing_status"),
                target=label(status, "listing_status"),
            )
        )
    previous = listing.status
    listing.status = status
    if status in WITHDRAWN_LISTING_STATUSES:
        listing_withdrawn.send(listing)
    db.session.flush()
    audit_on_behalf(
        actor, listing.organisation_id, "listing.status", listing, previous=previous, status=status
    )
    return listing


#: The longest ``ref`` a listing may carry (the column's width).
REF_MAX_LENGTH = 100


def set_ref(actor: User, listing: Listing, ref: str) -> Listing:
    """Give ``listing`` the firm's own reference ``ref`` (unique within the firm).

    The listing file's ``ref`` column: re-importing a row with the same ``ref`` updates
    this listing in place.
    """
    require_manage(actor, listing.organisation_id)
    ref = (ref or "").strip()
    message = None
    if not ref or len(ref) > REF_MAX_LENGTH:
        message = _("Give a reference of 1 to %(n)d characters.", n=REF_MAX_LENGTH)
    elif db.session.scalar(
        sa.select(Listing.id).where(
            Listing.organisation_id == listing.organisation_id,
            Listing.ref == ref,
            Listing.id != listing.id,
        )
    ):
        message = _("Another listing of this organisation has the reference %(ref)s.", ref=ref)
    if message is not None:
        raise InvalidInput(message, {"ref": [message]})
    listing.ref = ref
    db.session.flush()
    return listing
