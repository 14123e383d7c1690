"""Object-level access to listings, checked on the server for every listing."""

from __future__ import annotations

from typing import Any

from marketplace.core.permissions import can_manage_organisation, require_manage
from marketplace.core.public_ids import by_public_id
from marketplace.errors import NotFound
from marketplace.listings.models import Listing


def can_see_listing(user: Any, listing: Listing) -> bool:
    """Active listings are public; drafts, paused and closed ones only for their firm."""
    return listing.status == "active" or can_manage_organisation(user, listing.organisation_id)


def get_visible_listing(user: Any, public_id: str, *options: Any) -> Listing:
    """The listing with ``public_id``, or NotFound when it does not exist or the user may
    not see it; ``options``: loader options (e.g. :func:`~marketplace.listings.views.
    view_loads` for a page that shows it)."""
    listing = by_public_id(Listing, public_id, *options)
    if listing is None or not can_see_listing(user, listing):
        # A draft of another firm looks exactly like a missing listing.
        raise NotFound()
    return listing


def get_managed_listing(user: Any, public_id: str) -> Listing:
    listing = get_visible_listing(user, public_id)
    require_manage(user, listing.organisation_id)
    return listing
