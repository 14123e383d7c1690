"""Listings: a firm's residual streams on offer and its input needs."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flows.schema import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    KINDS,
    PRICE_TERMS,
    STATUSES,
    UNITS,
    VISIBILITIES,
)
from marketplace.core.models import TimestampMixin, enum_check
from marketplace.core.public_ids import PublicIdMixin
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import Organisation
    from marketplace.core.reference import EWCCode, Municipality


class Listing(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "listing"
    __table_args__ = (
        enum_check("kind", KINDS),
        enum_check("unit", UNITS),
        enum_check("frequency", FREQUENCIES),
        enum_check("visibility", VISIBILITIES),
        enum_check("status", STATUSES),
        enum_check("price_terms", PRICE_TERMS),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "current_route IS NULL OR current_route IN ("
            + ", ".join(f"'{v}'" for v in CURRENT_ROUTES)
            + ")",
            name="current_route_allowed",
        ),
        sa.CheckConstraint(
            "current_source IS NULL OR current_source IN ("
            + ", ".join(f"'{v}'" for v in CURRENT_SOURCES)
            + ")",
            name="current_source_allowed",
        ),
        sa.CheckConstraint(
            "max_distance_km IS NULL OR max_distance_km > 0", name="max_distance_positive"
        ),
        sa.CheckConstraint(
            "available_until IS NULL OR available_from IS NULL"
            " OR available_until >= available_from",
            name="window_ordered",
        ),
        # A firm's own id for the row, so that re-importing a spreadsheet updates in place.
        sa.UniqueConstraint("organisation_id", "ref", name="uq_listing_organisation_ref"),
        sa.Index("ix_listing_status_kind", "status", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    ref: Mapped[str | None] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(5))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    material: Mapped[str] = mapped_column(sa.String(60), index=True)  # taxonomy key
    ewc_code: Mapped[str | None] = mapped_column(sa.ForeignKey("ewc_code.code"), index=True)
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(sa.String(4))
    frequency: Mapped[str] = mapped_column(sa.String(5), default="year")
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]
    # Location in WGS84; the organisation's site unless the listing gives its own.
    lon: Mapped[float]
    lat: Mapped[float]
    postcode: Mapped[str | None] = mapped_column(sa.String(7))
    municipality_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("municipality.code"), index=True
    )
    max_distance_km: Mapped[float | None]  # needs only
    current_route: Mapped[str | None] = mapped_column(sa.String(16))  # offers only
    current_source: Mapped[str | None] = mapped_column(sa.String(10))  # needs only
    current_source_km: Mapped[float | None]  # needs only
    price_terms: Mapped[str] = mapped_column(sa.String(12), default="negotiable")
    price_eur_per_unit: Mapped[float | None]
    visibility: Mapped[str] = mapped_column(sa.String(9), default="public")
    status: Mapped[str] = mapped_column(sa.String(6), default="draft")

    organisation: Mapped[Organisation] = relationship(back_populates="listings")
    ewc: Mapped[EWCCode | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()
    accepted_codes: Mapped[list[ListingAcceptedCode]] = relationship(
        cascade="all, delete-orphan", order_by="ListingAcceptedCode.ewc_code"
    )

    @property
    def is_anonymous(self) -> bool:
        return self.visibility == "anonymous"

    @property
    def accepted_ewc_codes(self) -> tuple[str, ...]:
        return tuple(a.ewc_code for a in self.accepted_codes)

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.kind} {self.material} {self.status}>"


class ListingAcceptedCode(db.Model):
    """An EWC code a need accepts (a need may accept several)."""

    __tablename__ = "listing_accepted_code"

    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    ewc_code: Mapped[str] = mapped_column(sa.ForeignKey("ewc_code.code"), primary_key=True)
