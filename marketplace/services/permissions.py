"""Object-level authorisation, checked on the server for every object."""

from __future__ import annotations

from typing import Any

from marketplace.errors import NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.models import AuditEntry, Listing, Organisation, User


def can_manage_organisation(user: Any, organisation_id: int) -> bool:
    """Members manage their own organisation; coordinators and admins manage any."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_coordinator or user.organisation_id == organisation_id)


def require_manage(user: Any, organisation_id: int) -> None:
    if not can_manage_organisation(user, organisation_id):
        raise PermissionDenied()


def can_see_listing(user: Any, listing: Listing) -> bool:
    """Active listings are public; drafts, paused and closed ones only for their firm."""
    return listing.status == "active" or can_manage_organisation(user, listing.organisation_id)


def get_visible_listing(user: Any, listing_id: int) -> Listing:
    """The listing, or NotFound when it does not exist or the user may not see it."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or not can_see_listing(user, listing):
        # A draft of another firm looks exactly like a missing listing.
        raise NotFound()
    return listing


def get_managed_listing(user: Any, listing_id: int) -> Listing:
    listing = get_visible_listing(user, listing_id)
    require_manage(user, listing.organisation_id)
    return listing


def audit_on_behalf(
    user: User, organisation: Organisation | int, action: str, obj: Any, **details: Any
) -> None:
    """Log an action a coordinator takes on behalf of a firm (not a member acting for itself)."""
    org_id = organisation if isinstance(organisation, int) else organisation.id
    if user.organisation_id == org_id:
        return
    db.session.add(
        AuditEntry(
            user_id=user.id,
            organisation_id=org_id,
            action=action,
            object_type=type(obj).__name__.lower(),
            object_id=getattr(obj, "id", None),
            details=details,
        )
    )
