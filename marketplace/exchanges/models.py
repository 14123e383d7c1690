"""Matches between an offer and a need, from proposal to agreement to realised deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import TimestampMixin, enum_check, utcnow
from marketplace.core.public_ids import PublicIdMixin
from marketplace.core.vocabulary import MATCH_STATUSES, TRANSPORT_MODES
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.listings.models import Listing
    from marketplace.runs.models import EngineRun


class Match(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "match"
    __table_args__ = (
        enum_check("status", MATCH_STATUSES),
        enum_check("transport_mode", TRANSPORT_MODES),
        sa.CheckConstraint("quantity_per_year > 0", name="quantity_positive"),
        sa.Index("ix_match_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("listing.id"), index=True)
    engine_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engine_run.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="proposed")
    quantity_per_year: Mapped[float]  # in the base unit of the need's family (t, m3, MWh, pcs)
    unit: Mapped[str] = mapped_column(sa.String(4))
    # The same quantity in the engine's matching unit (mass for volumes with a density).
    quantity_flow_unit: Mapped[float]
    flow_unit: Mapped[str] = mapped_column(sa.String(4))
    distance_km: Mapped[float]
    road_km: Mapped[float]
    # How the engine assumed the exchange travels (both listings' mode, else truck).
    transport_mode: Mapped[str] = mapped_column(
        sa.String(8), default="truck", server_default="truck"
    )
    mass_t_per_year: Mapped[float | None]
    tonne_km_saved: Mapped[float | None]
    avoided_production_co2e_kg: Mapped[float] = mapped_column(default=0.0)
    avoided_disposal_co2e_kg: Mapped[float] = mapped_column(default=0.0)
    transport_co2e_kg: Mapped[float] = mapped_column(default=0.0)
    avoided_transport_co2e_kg: Mapped[float] = mapped_column(default=0.0)
    net_co2e_kg: Mapped[float] = mapped_column(default=0.0)
    loop_id: Mapped[str | None] = mapped_column(sa.String(16))
    rule: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    reason_nl: Mapped[str | None] = mapped_column(sa.Text)
    breakdown: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Both firms accept before a proposal becomes an agreement.
    offer_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    need_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    agreed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    offer: Mapped[Listing] = relationship(foreign_keys=[offer_id])
    need: Mapped[Listing] = relationship(foreign_keys=[need_id])
    #: The run that proposed (or last updated) the match.
    engine_run: Mapped[EngineRun | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="Delivery.delivered_on"
    )


class Delivery(db.Model):
    """A realised delivery under an agreed match."""

    __tablename__ = "delivery"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id"), index=True)
    delivered_on: Mapped[date]
    quantity: Mapped[float]
    unit: Mapped[str] = mapped_column(sa.String(4))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    match: Mapped[Match] = relationship(back_populates="deliveries")
