"""Matches between an offer and a need, from proposal to agreement to realised deliveries."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import TimestampMixin, enum_check, utcnow
from marketplace.core.public_ids import PublicIdMixin
from marketplace.core.vocabulary import (
    DECLINE_REASONS,
    MATCH_EVENTS,
    MATCH_SIDES,
    MATCH_STATUSES,
    NOTIFICATION_KINDS,
)
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.listings.models import Listing
    from marketplace.runs.models import EngineRun


class Match(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "match"
    __table_args__ = (
        enum_check("status", MATCH_STATUSES),
        sa.CheckConstraint("quantity_per_year > 0", name="quantity_positive"),
        sa.Index("ix_match_status", "status"),
        sa.CheckConstraint(
            "decline_reason IS NULL OR decline_reason IN ("
            + ", ".join(f"'{v}'" for v in DECLINE_REASONS)
            + ")",
            name="decline_reason_allowed",
        ),
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
    #: The quantity the engine proposed, kept when the firms agree on another one.
    engine_quantity_per_year: Mapped[float | None]
    #: Terms the firms agreed on besides the quantity (before agreement: the proposal's).
    start_on: Mapped[date | None]
    price_terms: Mapped[str | None] = mapped_column(sa.String(12))
    #: Changed terms one side proposed and the other has not answered yet:
    #: ``{"side", "quantity_per_year", "start_on", "price_terms", "user_id", "at"}``.
    pending_terms: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: Net avoided CO2e per year as estimated at agreement (frozen; realised comes from
    #: the deliveries).
    agreed_net_co2e_kg: Mapped[float | None]
    decline_reason: Mapped[str | None] = mapped_column(sa.String(12))
    #: Why it was declined or withdrawn, in the firm's or coordinator's words.
    closing_note: Mapped[str | None] = mapped_column(sa.Text)

    offer: Mapped[Listing] = relationship(foreign_keys=[offer_id])
    need: Mapped[Listing] = relationship(foreign_keys=[need_id])
    #: The run that proposed (or last updated) the match.
    engine_run: Mapped[EngineRun | None] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="match",
        cascade="all, delete-orphan",
        order_by="(Delivery.delivered_on, Delivery.id)",
    )
    events: Mapped[list[MatchEvent]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="MatchEvent.id"
    )
    messages: Mapped[list[Message]] = relationship(
        back_populates="match", cascade="all, delete-orphan", order_by="Message.id"
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
    #: E.g. the number of the waste transport form (begeleidingsbrief).
    document_number: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    match: Mapped[Match] = relationship(back_populates="deliveries")


class MatchEvent(db.Model):
    """One thing that happened to a match: who, when, from which status to which, and why."""

    __tablename__ = "match_event"
    __table_args__ = (
        enum_check("action", MATCH_EVENTS),
        sa.CheckConstraint(
            "side IS NULL OR side IN (" + ", ".join(f"'{v}'" for v in MATCH_SIDES) + ")",
            name="side_allowed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    #: None: the engine or a scheduled job.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    #: The firm the user acted for (None: the engine, or both firms).
    side: Mapped[str | None] = mapped_column(sa.String(5))
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str | None] = mapped_column(sa.String(10))
    to_status: Mapped[str | None] = mapped_column(sa.String(10))
    note: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    match: Mapped[Match] = relationship(back_populates="events")
    user: Mapped[User | None] = relationship()


class Message(db.Model):
    """A plain-text message between the two firms of an agreed match (or their coordinator)."""

    __tablename__ = "match_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_id: Mapped[int] = mapped_column(sa.ForeignKey("match.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    side: Mapped[str | None] = mapped_column(sa.String(5))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    match: Mapped[Match] = relationship(back_populates="messages")
    user: Mapped[User | None] = relationship()


class Notification(db.Model):
    """Something a user is told about: shown in the app, e-mailed unless switched off."""

    __tablename__ = "notification"
    __table_args__ = (
        enum_check("kind", NOTIFICATION_KINDS),
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    match_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("match.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    #: When it went out by e-mail (alone or in a digest); None: not (yet) e-mailed.
    emailed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    match: Mapped[Match | None] = relationship()


class NotificationSetting(db.Model):
    """A user's e-mail choices: kinds switched off, and one daily digest instead of one
    e-mail per event."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email_off: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    daily_digest: Mapped[bool] = mapped_column(default=False)
    last_digest_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
