"""A run of the matching engine over the database's active listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import enum_check, utcnow
from marketplace.core.vocabulary import RUN_STATUSES
from marketplace.extensions import db


class EngineRun(db.Model):
    __tablename__ = "engine_run"
    __table_args__ = (enum_check("status", RUN_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1, shown in the UI
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    timings_s: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    totals: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
