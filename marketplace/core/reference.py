"""Reference tables loaded from data shipped in the project (see ``reststroom reference load``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class Municipality(db.Model):
    """A Dutch municipality (CBS 2022 boundaries); the eight of the Cleantech Regio are flagged."""

    __tablename__ = "municipality"

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)  # GM0200
    name: Mapped[str] = mapped_column(sa.String(80), index=True)
    province: Mapped[str | None] = mapped_column(sa.String(40))
    in_region: Mapped[bool] = mapped_column(default=False, index=True)
    area_km2: Mapped[float | None]
    # GeoJSON geometry in WGS84, only kept for the region's municipalities (for the map).
    boundary_geojson: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"


class Postcode4(db.Model):
    """A four-digit postcode area with its representative point (GeoNames)."""

    __tablename__ = "postcode4"

    pc4: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    lon: Mapped[float]
    lat: Mapped[float]
    municipality_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("municipality.code"), index=True
    )


class EWCCode(db.Model):
    """An entry of the European List of Waste (Euralcode), in English and Dutch."""

    __tablename__ = "ewc_code"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # "02 01 03"
    chapter: Mapped[str] = mapped_column(sa.String(2), index=True)
    subchapter: Mapped[str] = mapped_column(sa.String(5))
    description_en: Mapped[str] = mapped_column(sa.Text)
    description_nl: Mapped[str] = mapped_column(sa.Text)
    hazardous: Mapped[bool] = mapped_column(default=False, index=True)
    chapter_title_en: Mapped[str] = mapped_column(sa.Text)
    chapter_title_nl: Mapped[str] = mapped_column(sa.Text)
    subchapter_title_en: Mapped[str] = mapped_column(sa.Text)
    subchapter_title_nl: Mapped[str] = mapped_column(sa.Text)
    material: Mapped[str] = mapped_column(sa.String(60))  # taxonomy key

    @property
    def display(self) -> str:
        return self.code + ("*" if self.hazardous else "")

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_nl


class SBICode(db.Model):
    """A CBS SBI 2008 business activity code (Dutch titles)."""

    __tablename__ = "sbi_code"

    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # "10.71" style
    compact: Mapped[str] = mapped_column(sa.String(8), index=True)
    level: Mapped[str] = mapped_column(sa.String(10))
    section: Mapped[str] = mapped_column(sa.String(1))
    description_nl: Mapped[str] = mapped_column(sa.Text)
