"""Accounts: users (members of a firm, coordinators, administrators), organisations, outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.core.models import TimestampMixin, enum_check, utcnow
from marketplace.core.public_ids import PublicIdMixin
from marketplace.core.vocabulary import LOCALES, ROLES
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.core.reference import Municipality
    from marketplace.listings.models import Listing


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        enum_check("role", ROLES),
        enum_check("locale", LOCALES),
        # A member belongs to exactly one organisation; coordinators and admins to none or one.
        sa.CheckConstraint(
            "role <> 'member' OR organisation_id IS NOT NULL", name="member_has_organisation"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index makes e-mail addresses case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(120))
    locale: Mapped[str] = mapped_column(sa.String(2), default="nl")
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(sa.String(12), default="member", index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # Bumped on password change: invalidates reset tokens and remember-me cookies.
    session_version: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # The session version in the id logs out every session when the password changes.
        return f"{self.id}:{self.session_version}"

    @property
    def is_coordinator(self) -> bool:
        return self.role in ("coordinator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class Organisation(PublicIdMixin, TimestampMixin, db.Model):
    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint("length(kvk) = 8", name="kvk_length"),
        # Kept search output (marketplace.listings.kept) asks for max(updated_at).
        sa.Index("ix_organisation_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    kvk: Mapped[str | None] = mapped_column(sa.String(8), unique=True)
    sbi_code: Mapped[str | None] = mapped_column(sa.ForeignKey("sbi_code.code"))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    postcode: Mapped[str | None] = mapped_column(sa.String(7))  # normalised "1234 AB"
    city: Mapped[str | None] = mapped_column(sa.String(80))
    lon: Mapped[float | None]
    lat: Mapped[float | None]
    municipality_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("municipality.code"), index=True
    )
    website: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_demo: Mapped[bool] = mapped_column(default=False)

    municipality: Mapped[Municipality | None] = relationship()
    members: Mapped[list[User]] = relationship(back_populates="organisation")
    listings: Mapped[list[Listing]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class OutboxMessage(db.Model):
    """Outgoing e-mail, kept in the database (and the log) unless SMTP is configured."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ApiToken(db.Model):
    """A personal API token: acts with its user's role and organisation until revoked.

    Only a SHA-256 hash of the token is stored (the token is shown once, when created);
    ``prefix`` (the token's first characters, no secret) finds the row without a scan
    and tells the user which token is which.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix} user={self.user_id}>"
