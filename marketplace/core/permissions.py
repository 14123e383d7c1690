"""Permission primitives: who may manage an organisation, checked on the server every time."""

from __future__ import annotations

from typing import Any

from marketplace.errors import PermissionDenied


def can_manage_organisation(user: Any, organisation_id: int | None) -> bool:
    """Members manage their own organisation; coordinators and admins manage any."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_coordinator or user.organisation_id == organisation_id)


def require_manage(user: Any, organisation_id: int) -> None:
    if not can_manage_organisation(user, organisation_id):
        raise PermissionDenied()
