"""Choices for select boxes, from the reference tables."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.models import EWCCode, Municipality


def chapter_choices(lang: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(EWCCode.chapter, EWCCode.chapter_title_en, EWCCode.chapter_title_nl)
        .distinct()
        .order_by(EWCCode.chapter)
    ).all()
    return [(ch, f"{ch} – {(en if lang == 'en' else nl).capitalize()[:70]}") for ch, en, nl in rows]


def municipality_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(
        sa.select(Municipality.code, Municipality.name)
        .where(Municipality.in_region)
        .order_by(Municipality.name)
    ).all()
    return [(code, name) for code, name in rows]
