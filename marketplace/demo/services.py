"""Load a fictional but realistic Cleantech Regio into the database, for demonstrations.

The firms and listings come from :func:`flows.synthetic.generate` and are deterministic for a
given ``size`` and ``seed``. Every demo organisation has ``is_demo`` set and says in its
description (and in each listing's) that it is fictional, so that demo rows can be told apart
from real ones and removed again without touching real data.

Three demo logins share the password :data:`DEMO_PASSWORD`, which is public by design: demo
data is refused outright under the production configuration.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Final

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from flows.schema import KINDS
from flows.synthetic import generate
from geo.errors import InvalidPostcode
from geo.geocode import normalise_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.core.audit import AuditEntry
from marketplace.core.models import utcnow
from marketplace.core.reference import EWCCode, Municipality, Postcode4, SBICode
from marketplace.core.reference_data import load_reference_data
from marketplace.errors import MarketplaceError
from marketplace.exchanges.models import (
    Delivery,
    Match,
    MatchEvent,
    Message,
    Notification,
    NotificationSetting,
)
from marketplace.extensions import db
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.runs.models import EngineRun

SIZES: Final = ("small", "region", "national")

#: Shared by every demo login. Public on purpose (README, ``make run``): demo use only.
DEMO_PASSWORD: Final = "reststroom-demo"  # noqa: S105 - demo data is refused in production
DEMO_EMAIL_DOMAIN: Final = "demo.reststroom.nl"
MEMBER_EMAIL: Final = f"firma@{DEMO_EMAIL_DOMAIN}"
COORDINATOR_EMAIL: Final = f"coordinator@{DEMO_EMAIL_DOMAIN}"
ADMIN_EMAIL: Final = f"admin@{DEMO_EMAIL_DOMAIN}"

#: The line that marks every demo organisation and listing as fictional (data, so Dutch).
FICTIONAL_MARK: Final = "Fictief demobedrijf"
_ORG_DESCRIPTION: Final = (
    FICTIONAL_MARK + ": gegenereerd voor de demonstratie van Reststroom. "
    "Naam, KvK-nummer en reststromen zijn verzonnen."
)

#: A firm whose residual stream is landfilled or incinerated pays a gate fee today, so it can
#: pay a taker less than that; composting, digestion and spreading cost little, so the stream
#: goes for free; a stream that is recycled today already fetches a price.
_OFFER_PRICE_TERMS: Final[Mapping[str, str]] = {
    "landfill": "paid_to_take",
    "incineration": "paid_to_take",
    "composting": "free",
    "digestion": "free",
    "land_spreading": "free",
    "recycling": "pay",
}
#: A need met with virgin material today is paid for today; a secondary supply is already a deal.
_NEED_PRICE_TERMS: Final[Mapping[str, str]] = {"virgin": "pay", "secondary": "negotiable"}

_CHUNK_ROWS: Final = 2_000
_MEMBER_MIN_LISTINGS: Final = 3

#: ``progress(stage, rows_done, rows_total)``, called after each chunk that is inserted.
ProgressCallback = Callable[[str, int, int], None]


class DemoError(MarketplaceError):
    """The demo data cannot be loaded (or removed) as asked; the message says why."""


class DemoDataExists(DemoError):
    """The database already holds organisations and ``replace`` was not given."""


@dataclass(frozen=True)
class DemoLogin:
    """A demo account: sign in with ``email`` and ``password``."""

    email: str
    password: str
    role: str
    organisation: str | None = None


@dataclass(frozen=True)
class DemoReport:
    """What :func:`load_demo` inserted (and, with ``replace``, removed)."""

    size: str
    seed: int
    organisations: int
    listings: int
    accepted_codes: int
    listings_by_kind: dict[str, int]
    #: ``{municipality name: {kind: count}}``, by the listing's municipality.
    listings_by_municipality: dict[str, dict[str, int]]
    logins: tuple[DemoLogin, ...]
    removed_organisations: int = 0
    #: Generated SBI codes that are not in the ``sbi_code`` table (stored as NULL).
    unknown_sbi_codes: tuple[str, ...] = field(default=())


def refuse_in_production() -> None:
    """Raise :class:`DemoError` when the app runs with the production configuration."""
    if current_app.config.get("NAME") == "production":
        raise DemoError(
            "demo data is refused under the production configuration "
            "(RESTSTROOM_CONFIG='production'): its logins share a public password; "
            "load it into a development database instead"
        )


def load_demo(
    *,
    size: str = "region",
    seed: int = 0,
    replace: bool = False,
    progress: ProgressCallback | None = None,
) -> DemoReport:
    """Insert the fictional region of ``size`` generated from ``seed``; flushes, never commits.

    Refuses when organisations already exist, unless ``replace`` is true: then the previous
    demo data (organisations with ``is_demo``, their listings, matches and users, and the demo
    logins) is removed first and real organisations are left as they are.
    """
    refuse_in_production()
    if size not in SIZES:
        raise DemoError(f"size {size!r} is not one of {', '.join(SIZES)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DemoError(f"seed {seed!r} is not a whole number >= 0")

    load_reference_data()
    removed = 0
    if replace:
        removed = remove_demo()
    else:
        existing = _count(sa.select(sa.func.count()).select_from(Organisation))
        if existing:
            raise DemoDataExists(
                f"the database already holds {existing} organisation(s); demo data is only "
                "loaded into an empty database, unless replace is asked for: that removes "
                "earlier demo data first and leaves real organisations alone"
            )
        leftover = _demo_user_emails()
        if leftover:
            raise DemoDataExists(
                f"demo login(s) {', '.join(leftover)} already exist; "
                "ask for replace to remove the earlier demo data first"
            )

    economy = generate(size=size, seed=seed)
    firms, listings = economy.firms, economy.listings
    total = len(firms) + len(listings)
    now = utcnow()

    org_rows, unknown_sbi = _organisation_rows(firms, now)
    org_ids = _insert_in_order(
        Organisation.__table__,
        org_rows,
        inserted=Organisation.is_demo.is_(True),
        stage="organisations",
        done=0,
        total=total,
        progress=progress,
    )
    org_id_by_ref = dict(zip((str(r) for r in firms["firm_ref"]), org_ids, strict=True))
    org_by_ref = dict(zip((str(r) for r in firms["firm_ref"]), org_rows, strict=True))

    listing_rows, accepted = _listing_rows(listings, org_by_ref, org_id_by_ref, now)
    listing_ids = _insert_in_order(
        Listing.__table__,
        listing_rows,
        inserted=Listing.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.is_demo.is_(True))
        ),
        stage="listings",
        done=len(org_rows),
        total=total,
        progress=progress,
    )
    accepted_rows = [
        {"listing_id": listing_id, "ewc_code": code}
        for listing_id, codes in zip(listing_ids, accepted, strict=True)
        for code in codes
    ]
    for start in range(0, len(accepted_rows), _CHUNK_ROWS):
        db.session.execute(
            sa.insert(ListingAcceptedCode.__table__), accepted_rows[start : start + _CHUNK_ROWS]
        )

    logins = _create_users(firms, listings, org_id_by_ref)
    db.session.flush()
    if progress is not None:
        progress("done", total, total)

    names = dict(db.session.execute(sa.select(Municipality.code, Municipality.name)).all())
    by_municipality: dict[str, Counter[str]] = {}
    for row in listing_rows:
        name = names.get(row["municipality_code"], "(no municipality)")
        by_municipality.setdefault(name, Counter())[row["kind"]] += 1
    return DemoReport(
        size=size,
        seed=seed,
        organisations=len(org_rows),
        listings=len(listing_rows),
        accepted_codes=len(accepted_rows),
        listings_by_kind=_in_kind_order(Counter(r["kind"] for r in listing_rows)),
        listings_by_municipality={
            name: _in_kind_order(counts) for name, counts in sorted(by_municipality.items())
        },
        logins=logins,
        removed_organisations=removed,
        unknown_sbi_codes=unknown_sbi,
    )


def _in_kind_order(counts: Mapping[str, int]) -> dict[str, int]:
    return {kind: counts[kind] for kind in KINDS if counts.get(kind)}


def remove_demo() -> int:
    """Delete the demo organisations with everything hanging off them; flushes. Returns the count.

    Matches that involve a demo listing go too (a match cannot outlive its listing), as do the
    demo logins. Real organisations, their listings and their users are never deleted; a real
    user that belongs to a demo organisation stops the removal with a :class:`DemoError`.
    """
    refuse_in_production()
    demo_orgs = sa.select(Organisation.id).where(Organisation.is_demo.is_(True)).scalar_subquery()
    demo_listings = sa.select(Listing.id).where(Listing.organisation_id.in_(demo_orgs))
    demo_users_where = sa.or_(
        User.email.like(f"%@{DEMO_EMAIL_DOMAIN}"), User.organisation_id.in_(demo_orgs)
    )
    strangers = db.session.scalars(
        sa.select(User.email)
        .where(User.organisation_id.in_(demo_orgs), ~User.email.like(f"%@{DEMO_EMAIL_DOMAIN}"))
        .order_by(User.email)
    ).all()
    if strangers:
        raise DemoError(
            f"user(s) {', '.join(strangers)} belong to a demo organisation but are not demo "
            "logins; move them to a real organisation before replacing the demo data"
        )

    count = _count(sa.select(sa.func.count()).where(Organisation.is_demo.is_(True)))
    demo_user_ids = sa.select(User.id).where(demo_users_where)
    demo_matches = sa.select(Match.id).where(
        sa.or_(Match.offer_id.in_(demo_listings), Match.need_id.in_(demo_listings))
    )
    statements: list[Any] = [
        *_exchange_statements(demo_matches, demo_user_ids),
        sa.delete(Delivery).where(Delivery.match_id.in_(demo_matches)),
        sa.delete(Match).where(Match.id.in_(demo_matches)),
        sa.delete(ListingAcceptedCode).where(ListingAcceptedCode.listing_id.in_(demo_listings)),
        sa.delete(Listing).where(Listing.organisation_id.in_(demo_orgs)),
        sa.delete(AuditEntry).where(AuditEntry.organisation_id.in_(demo_orgs)),
        # What a demo login did to real data stays on record, without the login.
        sa.update(AuditEntry).where(AuditEntry.user_id.in_(demo_user_ids)).values(user_id=None),
        sa.update(Delivery)
        .where(Delivery.created_by_id.in_(demo_user_ids))
        .values(created_by_id=None),
        sa.update(EngineRun)
        .where(EngineRun.started_by_id.in_(demo_user_ids))
        .values(started_by_id=None),
        sa.delete(User).where(demo_users_where),
        sa.delete(Organisation).where(Organisation.is_demo.is_(True)),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.flush()
    # Bulk statements bypass the identity map: forget any stale objects loaded earlier.
    db.session.expire_all()
    return count


def _exchange_statements(demo_matches: Any, demo_user_ids: Any) -> list[Any]:
    """The exchanges' rows of demo matches and demo logins: events, messages and
    notifications go; the demo logins' traces on real matches stay without the login."""
    return [
        sa.delete(MatchEvent).where(MatchEvent.match_id.in_(demo_matches)),
        sa.delete(Message).where(Message.match_id.in_(demo_matches)),
        sa.delete(Notification).where(
            sa.or_(Notification.match_id.in_(demo_matches), Notification.user_id.in_(demo_user_ids))
        ),
        sa.delete(NotificationSetting).where(NotificationSetting.user_id.in_(demo_user_ids)),
        sa.update(MatchEvent).where(MatchEvent.user_id.in_(demo_user_ids)).values(user_id=None),
        sa.update(Message).where(Message.user_id.in_(demo_user_ids)).values(user_id=None),
        sa.update(Delivery)
        .where(Delivery.updated_by_id.in_(demo_user_ids))
        .values(updated_by_id=None),
    ]


def demo_logins() -> tuple[DemoLogin, ...]:
    """The demo logins present in the database, in the order :func:`load_demo` creates them."""
    rows = db.session.execute(
        sa.select(User.email, User.role, Organisation.name)
        .outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(User.email.in_((MEMBER_EMAIL, COORDINATOR_EMAIL, ADMIN_EMAIL)))
    ).all()
    order = {MEMBER_EMAIL: 0, COORDINATOR_EMAIL: 1, ADMIN_EMAIL: 2}
    return tuple(
        DemoLogin(email=email, password=DEMO_PASSWORD, role=role, organisation=org)
        for email, role, org in sorted(rows, key=lambda r: order[r[0]])
    )


def _count(statement: sa.Select[Any]) -> int:
    return int(db.session.scalar(statement) or 0)


def _demo_user_emails() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.email.like(f"%@{DEMO_EMAIL_DOMAIN}"))
            .order_by(User.email)
        )
    )


def _insert_in_order(
    table: sa.Table,
    rows: Sequence[dict[str, Any]],
    *,
    inserted: sa.ColumnElement[bool],
    stage: str,
    done: int,
    total: int,
    progress: ProgressCallback | None,
) -> list[int]:
    """Bulk-insert ``rows`` in chunks and return their new ids in the order of ``rows``.

    ``inserted`` selects exactly the rows of this load; it is used on SQLite only.
    """
    # RETURNING in parameter order is the portable way, but it is slow for tens of
    # thousands of rows on both databases we run on: SQLite promises no RETURNING order,
    # so SQLAlchemy falls back to one statement per row, and psycopg re-parses every huge
    # multi-row VALUES statement. So PostgreSQL reserves the ids from the table's sequence
    # and SQLite reads them back in id order, which is insertion order because SQLite gives
    # each new row max(rowid) + 1 (and this transaction holds the write lock throughout).
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        rows = [
            {**row, "id": id_}
            for row, id_ in zip(rows, _reserve_ids(table, len(rows)), strict=True)
        ]
    returning = dialect not in ("postgresql", "sqlite")
    statement = (
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        if returning
        else sa.insert(table)
    )
    ids: list[int] = []
    for start in range(0, len(rows), _CHUNK_ROWS):
        chunk = rows[start : start + _CHUNK_ROWS]
        result = db.session.execute(statement, chunk)
        if returning:
            ids.extend(result.scalars().all())
        if progress is not None:
            progress(stage, done + start + len(chunk), total)
    if dialect == "postgresql":
        ids = [row["id"] for row in rows]
    elif dialect == "sqlite":
        ids = list(db.session.scalars(sa.select(table.c.id).where(inserted).order_by(table.c.id)))
    if len(ids) != len(rows):
        raise DemoError(f"inserted {len(rows)} {table.name} rows but found {len(ids)} of them")
    return ids


def _reserve_ids(table: sa.Table, n: int) -> list[int]:
    """Draw ``n`` ids from the PostgreSQL sequence behind ``table.id``, in one round trip."""
    if n == 0:
        return []
    sequence = sa.func.pg_get_serial_sequence(table.name, "id")
    return sorted(
        db.session.scalars(
            sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, n))
        )
    )


def _organisation_rows(
    firms: pd.DataFrame, now: datetime
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    sbi_by_code, sbi_by_compact = _sbi_lookup()
    municipalities = set(db.session.scalars(sa.select(Municipality.code)))
    taken_kvk = set(
        db.session.scalars(sa.select(Organisation.kvk).where(Organisation.kvk.is_not(None)))
    )
    unknown_sbi: set[str] = set()
    rows = []
    for rec in _records(firms):
        raw_sbi = _text(rec.get("sbi_code"))
        sbi = None
        if raw_sbi is not None:
            sbi = sbi_by_code.get(raw_sbi) or sbi_by_compact.get(raw_sbi.replace(".", ""))
            if sbi is None:
                unknown_sbi.add(raw_sbi)
        kvk = _kvk(rec.get("kvk"))
        if kvk in taken_kvk:
            # A fictional number that happens to be a real member's stays off the demo firm.
            kvk = None
        elif kvk is not None:
            taken_kvk.add(kvk)
        municipality_code = _text(rec.get("municipality_code"))
        rows.append(
            {
                "name": str(rec["name"]),
                "kvk": kvk,
                "sbi_code": sbi,
                "address": None,
                "postcode": _postcode(rec.get("postcode")),
                "city": _text(rec.get("municipality")),
                "lon": _float(rec.get("lon")),
                "lat": _float(rec.get("lat")),
                "municipality_code": municipality_code
                if municipality_code in municipalities
                else None,
                "website": None,
                "description": _ORG_DESCRIPTION,
                "is_demo": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows, tuple(sorted(unknown_sbi))


def _sbi_lookup() -> tuple[dict[str, str], dict[str, str]]:
    pairs = db.session.execute(sa.select(SBICode.code, SBICode.compact)).all()
    return {code: code for code, _ in pairs}, {compact: code for code, compact in pairs}


def _listing_rows(
    listings: pd.DataFrame,
    org_by_ref: Mapping[str, Mapping[str, Any]],
    org_id_by_ref: Mapping[str, int],
    now: datetime,
) -> tuple[list[dict[str, Any]], list[tuple[str, ...]]]:
    """Listing rows for the insert, and each row's accepted EWC codes; ``org_by_ref`` maps
    a ``firm_ref`` to its organisation row."""
    known_ewc = set(db.session.scalars(sa.select(EWCCode.code)))
    municipality_by_pc4 = dict(
        db.session.execute(sa.select(Postcode4.pc4, Postcode4.municipality_code)).all()
    )
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    accepted: list[tuple[str, ...]] = []
    for n, rec in enumerate(_records(listings)):
        firm_ref = str(rec["firm_ref"])
        firm = org_by_ref.get(firm_ref)
        if firm is None:
            problems.append(f"listing row {n}: firm_ref {firm_ref!r} is not one of the firms")
            continue
        kind = str(rec["kind"])
        ewc_code = _text(rec.get("ewc_code"))
        if ewc_code is not None and ewc_code not in known_ewc:
            problems.append(f"listing row {n}: ewc_code {ewc_code!r} is not in the ewc_code table")
        codes = tuple(dict.fromkeys(_codes(rec.get("accepted_ewc_codes"))))
        problems.extend(
            f"listing row {n}: accepted EWC code {code!r} is not in the ewc_code table"
            for code in codes
            if code not in known_ewc
        )
        postcode = _postcode(rec.get("postcode"))
        lon, lat = _float(rec.get("lon")), _float(rec.get("lat"))
        if lon is None or lat is None:
            lon, lat = _float(firm.get("lon")), _float(firm.get("lat"))
        rows.append(
            {
                "organisation_id": org_id_by_ref[firm_ref],
                "ref": _text(rec.get("ref")),
                "kind": kind,
                "title": str(rec["title"]),
                "description": _listing_description(rec.get("description")),
                "material": str(rec["material"]),
                "ewc_code": ewc_code,
                "quantity": float(rec["quantity"]),
                "unit": str(rec["unit"]),
                "frequency": _text(rec.get("frequency")) or "year",
                "available_from": _date(rec.get("available_from")),
                "available_until": _date(rec.get("available_until")),
                "lon": lon,
                "lat": lat,
                "postcode": postcode,
                "municipality_code": _listing_municipality(postcode, firm, municipality_by_pc4),
                "max_distance_km": _float(rec.get("max_distance_km")),
                "current_route": _text(rec.get("current_route")),
                "current_source": _text(rec.get("current_source")),
                "current_source_km": _float(rec.get("current_source_km")),
                "price_terms": _price_terms(
                    kind, _text(rec.get("current_route")), _text(rec.get("current_source"))
                ),
                "price_eur_per_unit": None,
                "visibility": _text(rec.get("visibility")) or "public",
                "status": _text(rec.get("status")) or "active",
                "created_at": now,
                "updated_at": now,
            }
        )
        accepted.append(codes)
    if problems:
        shown = problems[:20]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        raise DemoError(
            "the generated listings do not fit the database: " + "; ".join(shown) + more
        )
    return rows, accepted


def _listing_municipality(
    postcode: str | None, org: Mapping[str, Any], municipality_by_pc4: Mapping[str, str | None]
) -> str | None:
    # At the firm's own site, agree with the organisation even where the PC4 point lies across
    # a municipal border; elsewhere the postcode decides.
    org_code: str | None = org["municipality_code"]
    org_postcode: str | None = org["postcode"]
    if postcode is None or (org_postcode is not None and postcode[:4] == org_postcode[:4]):
        return org_code
    return municipality_by_pc4.get(postcode[:4]) or org_code


def _price_terms(kind: str, route: str | None, source: str | None) -> str:
    if kind == "offer":
        return _OFFER_PRICE_TERMS.get(route or "", "negotiable")
    return _NEED_PRICE_TERMS.get(source or "", "negotiable")


def _listing_description(text: Any) -> str:
    body = _text(text)
    if body is None:
        return FICTIONAL_MARK + "."
    if FICTIONAL_MARK.lower() in body.lower():
        return body
    return f"{body}\n\n{FICTIONAL_MARK}."


def _create_users(
    firms: pd.DataFrame, listings: pd.DataFrame, org_id_by_ref: Mapping[str, int]
) -> tuple[DemoLogin, ...]:
    firm_ref = _member_firm(firms, listings)
    accounts: list[tuple[str, str, str, int | None, str | None]] = []
    if firm_ref is not None:
        firm_name = str(firms.loc[firms["firm_ref"].astype(str) == firm_ref, "name"].iloc[0])
        accounts.append(
            (
                MEMBER_EMAIL,
                "Demo-medewerker (fictief)",
                "member",
                org_id_by_ref[firm_ref],
                firm_name,
            )
        )
    accounts.append((COORDINATOR_EMAIL, "Demo-coördinator (fictief)", "coordinator", None, None))
    accounts.append((ADMIN_EMAIL, "Demo-beheerder (fictief)", "admin", None, None))
    logins = []
    password_hash: str | None = None
    for email, name, role, org_id, org_name in accounts:
        user = User(email=email, name=name, role=role, organisation_id=org_id, locale="nl")
        if password_hash is None:
            user.set_password(DEMO_PASSWORD)
            password_hash = user.password_hash
        else:
            # The password is public anyway; hashing it once keeps scrypt's cost to one call.
            user.password_hash, user.session_version = password_hash, 1
        db.session.add(user)
        logins.append(
            DemoLogin(email=email, password=DEMO_PASSWORD, role=role, organisation=org_name)
        )
    return tuple(logins)


def _member_firm(firms: pd.DataFrame, listings: pd.DataFrame) -> str | None:
    """The first firm with several listings of both kinds, so the member sees offers and needs."""
    if firms.empty:
        return None
    per_firm = listings.groupby(listings["firm_ref"].astype(str))["kind"].agg(["size", "nunique"])
    refs = firms["firm_ref"].astype(str)
    size = per_firm["size"].reindex(refs, fill_value=0).to_numpy()
    kinds = per_firm["nunique"].reindex(refs, fill_value=0).to_numpy()
    busy = np.flatnonzero((size >= _MEMBER_MIN_LISTINGS) & (kinds == 2))
    # Otherwise the firm with the most listings (the first of equals).
    return str(refs.iloc[int(busy[0]) if busy.size else int(np.argmax(size))])


def _is_missing(value: Any) -> bool:
    # Called millions of times for a national load: the common types first.
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return value is pd.NaT


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as dicts of plain Python values (much faster than ``to_dict("records")``)."""
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def _text(value: Any) -> str | None:
    return None if _is_missing(value) else str(value).strip()


def _float(value: Any) -> float | None:
    return None if _is_missing(value) else float(value)


def _kvk(value: Any) -> str | None:
    if _is_missing(value):
        return None
    text = f"{value:08d}" if isinstance(value, int) else str(value).strip()
    return text if len(text) == 8 and text.isdigit() else None


def _postcode(value: Any) -> str | None:
    return None if _is_missing(value) else _normalised_postcode(str(value))


@lru_cache(maxsize=65_536)
def _normalised_postcode(text: str) -> str | None:
    # Firms and their listings share a handful of postcodes; normalise each once.
    try:
        return normalise_postcode(text)
    except InvalidPostcode:
        return None


def _date(value: Any) -> date | None:
    if _is_missing(value):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64):
        day: date = pd.Timestamp(value).date()
        return day
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _codes(value: Any) -> Iterable[str]:
    if value is None or isinstance(value, float):
        return ()
    if isinstance(value, str):
        return tuple(c.strip() for c in value.split(";") if c.strip())
    return tuple(str(c).strip() for c in value if not _is_missing(c))
