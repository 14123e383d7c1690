"""Small factories for ORM rows: sensible defaults, every field overridable."""

from __future__ import annotations

import itertools
from typing import Any

from marketplace.accounts.models import Organisation, User
from marketplace.extensions import db
from marketplace.listings.models import Listing

_seq = itertools.count(1)

#: A Deventer site (PC4 7411) in WGS84.
DEVENTER_LONLAT = (6.1597, 52.2550)
PASSWORD = "correct horse battery staple"


def organisation(**kw: Any) -> Organisation:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Testbedrijf {n} BV",
        "kvk": f"{90000000 + n:08d}",
        "postcode": "7411 AB",
        "city": "Deventer",
        "lon": DEVENTER_LONLAT[0],
        "lat": DEVENTER_LONLAT[1],
        "municipality_code": "GM0150",
    }
    values.update(kw)
    org = Organisation(**values)
    db.session.add(org)
    db.session.flush()
    return org


def user(*, password: str = PASSWORD, **kw: Any) -> User:
    n = next(_seq)
    role = kw.pop("role", "member")
    org = kw.pop("organisation", None)
    if role == "member" and org is None:
        org = organisation()
    values: dict[str, Any] = {
        "email": f"user{n}@example.nl",
        "name": f"Gebruiker {n}",
        "role": role,
        "organisation": org,
        "locale": "nl",
    }
    values.update(kw)
    u = User(**values)
    u.set_password(password)
    db.session.add(u)
    db.session.flush()
    return u


def listing(**kw: Any) -> Listing:
    org = kw.pop("organisation", None) or organisation()
    kind = kw.get("kind", "offer")
    values: dict[str, Any] = {
        "organisation": org,
        "kind": kind,
        "title": "Bierbostel" if kind == "offer" else "Veevoer",
        "material": "organics.spent_grain" if kind == "offer" else "organics.animal_feed",
        "ewc_code": "02 07 02" if kind == "offer" else None,
        "quantity": 20.0,
        "unit": "t",
        "frequency": "week",
        "lon": org.lon,
        "lat": org.lat,
        "municipality_code": org.municipality_code,
        "status": "active",
        "visibility": "public",
        "max_distance_km": 30.0 if kind == "need" else None,
    }
    values.update(kw)
    item = Listing(**values)
    db.session.add(item)
    db.session.flush()
    return item
