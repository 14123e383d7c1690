"""Load the reference tables from the data shipped in the project (idempotent upsert).

Sources and licences: ``geo/data/README.md``, ``flows/data/README.md`` and
``marketplace/data/README.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from flows.ewc import ewc_table, search_ewc
from flows.taxonomy import ewc_mapping
from geo.geocode import pc4_table
from geo.regions import cleantech_regio, netherlands_municipalities
from marketplace.core.reference import EWCCode, Municipality, Postcode4, SBICode
from marketplace.extensions import db

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@cache
def sbi_table() -> pd.DataFrame:
    """The CBS SBI 2008 (version 2018) codes, as shipped."""
    return pd.read_csv(DATA_DIR / "sbi2008_codes_nl.csv", dtype=str, keep_default_na=False)


def _municipality_rows() -> list[dict[str, Any]]:
    national = netherlands_municipalities()
    region = cleantech_regio().set_index("gemeente_code")
    rows = []
    for rec in national.itertuples(index=False):
        code = str(rec.gemeente_code)
        in_region = code in region.index
        rows.append(
            {
                "code": code,
                "name": str(rec.name),
                "province": str(region.loc[code, "province"]) if in_region else None,
                "in_region": in_region,
                "area_km2": float(region.loc[code, "area_km2"]) if in_region else None,
                "boundary_geojson": (
                    json.dumps(region.loc[code, "geometry"].__geo_interface__)
                    if in_region
                    else None
                ),
            }
        )
    return rows


def _postcode_rows() -> list[dict[str, Any]]:
    table = pc4_table()
    return [
        {
            "pc4": str(pc4),
            "lon": float(row.lon),
            "lat": float(row.lat),
            "municipality_code": str(row.municipality_code) if row.municipality_code else None,
        }
        for pc4, row in table.iterrows()
    ]


def _ewc_rows() -> list[dict[str, Any]]:
    table = ewc_table()
    mapping = ewc_mapping()
    rows = []
    for code, row in table.iterrows():
        rows.append(
            {
                "code": str(code),
                "chapter": str(row["chapter"]),
                "subchapter": str(row["subchapter"]),
                "description_en": str(row["description_en"]),
                # Three codes added in 2014 have no Dutch text in the source; show English.
                "description_nl": str(row["description_nl"] or row["description_en"]),
                "hazardous": bool(row["hazardous"]),
                "chapter_title_en": str(row["chapter_title_en"]),
                "chapter_title_nl": str(row["chapter_title_nl"] or row["chapter_title_en"]),
                "subchapter_title_en": str(row["subchapter_title_en"]),
                "subchapter_title_nl": str(
                    row["subchapter_title_nl"] or row["subchapter_title_en"]
                ),
                "material": str(mapping[code]),
            }
        )
    return rows


def _sbi_rows() -> list[dict[str, Any]]:
    return [
        {
            "code": rec["sbi_code"],
            "compact": rec["sbi_code_compact"],
            "level": rec["level"],
            "section": rec["section"],
            "description_nl": rec["description_nl"],
        }
        for rec in sbi_table().to_dict("records")
    ]


def _upsert(model: type[Any], key: str, rows: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """Insert missing rows and update changed ones, by primary key. Returns (inserted, updated)."""
    columns = [c.key for c in model.__table__.columns]
    existing = {getattr(obj, key): obj for obj in db.session.scalars(sa.select(model))}
    to_insert = [r for r in rows if r[key] not in existing]
    to_update = [
        r
        for r in rows
        if r[key] in existing
        and any(getattr(existing[r[key]], c) != r[c] for c in columns if c in r)
    ]
    if to_insert:
        db.session.execute(sa.insert(model), to_insert)
    if to_update:
        db.session.execute(sa.update(model), to_update)
    return len(to_insert), len(to_update)


def load_reference_data() -> dict[str, tuple[int, int]]:
    """Bring the reference tables up to date with the shipped data; flushes, does not commit."""
    _CHOICES.clear()
    report = {
        "municipality": _upsert(Municipality, "code", _municipality_rows()),
        "sbi_code": _upsert(SBICode, "code", _sbi_rows()),
        "ewc_code": _upsert(EWCCode, "code", _ewc_rows()),
    }
    db.session.flush()
    report["postcode4"] = _upsert(Postcode4, "pc4", _postcode_rows())
    db.session.flush()
    return report


def reference_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        for model in (Municipality, Postcode4, EWCCode, SBICode)
    }


def sbi_choices(codes: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(code, "code – description") for the SBI classes and subclasses, for forms."""
    table = sbi_table()
    table = table[table["level"].isin(["class", "subclass"])]
    if codes is not None:
        table = table[table["sbi_code"].isin(set(codes))]
    return [(r.sbi_code, f"{r.sbi_code} – {r.description_nl}") for r in table.itertuples()]


def search_waste_codes(q: str, lang: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Codes of the European List of Waste matching ``q``, described in ``lang``."""
    if not q:
        return []
    table = search_ewc(q, lang=None, limit=limit)
    return [
        {
            "code": str(code),
            "display": str(row["code_display"]),
            "description": str(row["description_en"] if lang == "en" else row["description_nl"]),
            "hazardous": bool(row["hazardous"]),
        }
        for code, row in table.iterrows()
    ]


#: Choice lists read from the reference tables, per database and language. They change
#: only through :func:`load_reference_data` (which empties this) and every search form
#: needs them: one query per process instead of one per page.
_CHOICES: dict[tuple[str, str], list[tuple[str, str]]] = {}


def _cached_choices(name: str, read: Any) -> list[tuple[str, str]]:
    key = (str(db.engine.url), name)
    choices = _CHOICES.get(key)
    if choices is None:
        choices = _CHOICES[key] = read()
    return list(choices)


def chapter_choices(lang: str) -> list[tuple[str, str]]:
    def read() -> list[tuple[str, str]]:
        rows = db.session.execute(
            sa.select(EWCCode.chapter, EWCCode.chapter_title_en, EWCCode.chapter_title_nl)
            .distinct()
            .order_by(EWCCode.chapter)
        ).all()
        return [
            (ch, f"{ch} – {(en if lang == 'en' else nl).capitalize()[:70]}") for ch, en, nl in rows
        ]

    return _cached_choices(f"chapters.{lang}", read)


def municipality_choices() -> list[tuple[str, str]]:
    def read() -> list[tuple[str, str]]:
        rows = db.session.execute(
            sa.select(Municipality.code, Municipality.name)
            .where(Municipality.in_region)
            .order_by(Municipality.name)
        ).all()
        return [(code, name) for code, name in rows]

    return _cached_choices("municipalities", read)
