"""Firms (and other organisations) taking part in the marketplace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import db
from marketplace.models._base import TimestampMixin

if TYPE_CHECKING:
    from marketplace.models.listing import Listing
    from marketplace.models.reference import Municipality
    from marketplace.models.user import User


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisation"
    __table_args__ = (sa.CheckConstraint("length(kvk) = 8", name="kvk_length"),)

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
