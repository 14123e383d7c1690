"""Audit trail: who did what on whose behalf (e.g. a coordinator editing a firm's listing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


def audit_on_behalf(user: Any, organisation: Any, action: str, obj: Any, **details: Any) -> None:
    """Log an action a coordinator takes on behalf of a firm (not a member acting for itself).

    ``organisation`` is an organisation or its id.
    """
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
