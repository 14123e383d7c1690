"""Bulk import and export of listings in the listing file format (``flows.listing_file``).

An import is planned first (every problem of every row collected, nothing written),
shown as a preview, then applied in one transaction: all rows or none. Re-importing a
row with the same ``ref`` for the same organisation updates that listing in place (and
keeps its status); a row with a new ``ref`` creates an *active*, published listing, as
the file format has no status column.
"""

from __future__ import annotations

import io
import json
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from flows.errors import Problem, ValidationError
from flows.listing_file import (
    parse_listings,
    read_listing_file,
    write_listing_file,
    write_template,
)
from flows.schema import DEFAULT_TRANSPORT_MODE
from geo.regions import assign_municipalities
from marketplace.accounts import organisations
from marketplace.accounts.models import Organisation, User
from marketplace.core.area import outside_message
from marketplace.core.audit import audit_on_behalf
from marketplace.core.disclosure import (
    export_identity,
    market_order_key,
    stepped_distance_limit_km,
)
from marketplace.core.permissions import can_manage_organisation, require_manage
from marketplace.core.public_ids import by_public_id, is_public_id
from marketplace.errors import InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings.limits import worded
from marketplace.listings.models import Listing, ListingAcceptedCode
from marketplace.listings.rules import accepted_code_warnings, distance_limit_notice

FileFormat = Literal["csv", "xlsx"]


class ImportRejected(Exception):
    """The file cannot be imported; ``problems`` lists every reason (row, column, message)."""

    def __init__(self, problems: list[Problem], *, filename: str | None = None) -> None:
        super().__init__(f"{len(problems)} problem(s) found")
        self.problems = problems
        #: The uploaded file's name, when the file came from a stored preview.
        self.filename = filename


@dataclass
class PlannedRow:
    row: int
    action: Literal["create", "update"]
    organisation: Organisation | None
    organisation_name: str
    values: dict[str, Any]
    accepted: tuple[str, ...]
    listing: Listing | None = None
    #: Non-blocking: accepted codes the law keeps from this need (see flows.legal).
    warnings: list[str] = field(default_factory=list)
    #: What the import changed on the way in (e.g. a distance limit rounded up).
    notices: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_organisations: list[str] = field(default_factory=list)

    @property
    def creates(self) -> int:
        return sum(r.action == "create" for r in self.rows)

    @property
    def updates(self) -> int:
        return sum(r.action == "update" for r in self.rows)

    @property
    def warnings(self) -> list[tuple[int, str]]:
        """(file row, warning) of every row, in file order."""
        return [(r.row, warning) for r in self.rows for warning in r.warnings]


def find_organisation(name_or_kvk: str) -> Organisation | None:
    """An organisation by KvK number (8 digits) or by exact name (case-insensitive); None
    when no organisation, or more than one, has that name."""
    try:
        return organisations.find_organisation(name_or_kvk)
    except (NotFound, InvalidInput):
        return None


#: The ref the export writes for a listing stored without one (``L`` and its id).
_ID_REF = re.compile(r"L([1-9][0-9]{0,17})", re.ASCII)


def _existing_listing(organisation: Organisation, ref: str) -> Listing | None:
    """The firm's listing that a row with ``ref`` updates, if any.

    Listings made before every listing got a ref have none; the export writes their
    public id (older exports ``L{id}``), which finds the listing again (of the same firm
    only).
    """
    found = db.session.scalar(
        sa.select(Listing).where(Listing.organisation_id == organisation.id, Listing.ref == ref)
    )
    if found is None and is_public_id(ref):
        found = db.session.scalar(
            sa.select(Listing).where(
                Listing.public_id == ref,
                Listing.organisation_id == organisation.id,
                Listing.ref.is_(None),
            )
        )
    match = _ID_REF.fullmatch(ref)
    if found is None and match is not None:
        found = db.session.scalar(
            sa.select(Listing).where(
                Listing.id == int(match[1]),
                Listing.organisation_id == organisation.id,
                Listing.ref.is_(None),
            )
        )
    return found


def _duplicate_refs(planned: list[PlannedRow]) -> list[Problem]:
    """Rows that give one organisation the same ref twice, once names are resolved.

    The file check compares the organisation column as text; a name on one row and the
    KvK number on another are the same firm, and the database allows one ref per firm.
    """
    problems: list[Problem] = []
    first_row: dict[tuple[object, str], int] = {}
    for item in planned:
        owner = item.organisation.id if item.organisation is not None else item.organisation_name
        key = (owner, item.values["ref"])
        if key in first_row:
            problems.append(
                Problem(
                    f"ref {item.values['ref']!r} is already used on row {first_row[key]} for "
                    f"organisation {item.organisation_name!r}; a ref must be unique per "
                    "organisation",
                    row=item.row,
                    column="ref",
                )
            )
        else:
            first_row[key] = item.row
    return problems


def _none_if_nan(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def plan_import(
    data: bytes,
    *,
    filename: str,
    actor: User | None,
    organisation: Organisation | None = None,
    create_organisations: bool = False,
) -> ImportPlan:
    """Check a listing file against the database; raise :class:`ImportRejected` with every problem.

    ``actor`` None means the command line (an operator, allowed everything). A member
    imports for their own organisation only; a coordinator names the organisation per
    row (or passes ``organisation`` for the whole file).
    """
    config = current_app.config
    coordinator_import = actor is None or actor.is_coordinator
    if organisation is None and not coordinator_import:
        organisation = actor.organisation if actor is not None else None
    if (
        organisation is not None
        and actor is not None
        and not can_manage_organisation(actor, organisation.id)
    ):
        raise PermissionDenied()
    try:
        raw = read_listing_file(
            data,
            filename=filename,
            max_bytes=config["IMPORT_MAX_BYTES"],
            max_rows=config["IMPORT_MAX_ROWS"],
        )
        frame = parse_listings(
            raw,
            require_organisation=organisation is None,
            allow_missing_location=True,
            default_max_distance_km=None,
            limits=True,
        )
    except ValidationError as exc:
        raise ImportRejected([worded(problem) for problem in exc.problems]) from None

    problems: list[Problem] = []
    resolved: dict[str, Organisation | None] = {}
    new_organisations: list[str] = []
    planned: list[PlannedRow] = []
    for rec in frame.to_dict("records"):
        row = int(rec["row"])
        org = organisation
        org_name = organisation.name if organisation is not None else ""
        given = rec.get("organisation")
        if organisation is not None and given:
            if given.strip().lower() not in (organisation.name.lower(), organisation.kvk or ""):
                problems.append(
                    Problem(
                        f"organisation {given!r} is not {organisation.name!r}: this import is for "
                        f"{organisation.name!r} only; leave the column empty or use that name",
                        row=row,
                        column="organisation",
                    )
                )
                continue
        elif organisation is None:
            key = str(given).strip()
            if key not in resolved:
                resolved[key] = find_organisation(key)
            org = resolved[key]
            org_name = org.name if org is not None else key
            if org is None:
                if not create_organisations:
                    problems.append(
                        Problem(
                            f"organisation {key!r} is unknown (give its exact name or 8-digit KvK "
                            "number, or import with --create-organisations)",
                            row=row,
                            column="organisation",
                        )
                    )
                    continue
                if key not in new_organisations:
                    new_organisations.append(key)
            elif actor is not None and not can_manage_organisation(actor, org.id):
                problems.append(
                    Problem(
                        f"you cannot import listings for {key!r}", row=row, column="organisation"
                    )
                )
                continue
        lon, lat = _none_if_nan(rec["lon"]), _none_if_nan(rec["lat"])
        if lon is None or lat is None:
            if org is None or org.lon is None or org.lat is None:
                problems.append(
                    Problem(
                        "no location: give a postcode or lat+lon (the organisation has no site "
                        "location to fall back on)",
                        row=row,
                        column="postcode",
                    )
                )
                continue
            lon, lat, postcode = org.lon, org.lat, org.postcode
        else:
            postcode = rec["postcode"]
            outside = outside_message(float(lon), float(lat))
            if outside is not None:
                problems.append(Problem(outside, row=row, column="postcode" if postcode else "lat"))
                continue
        values = {
            "ref": rec["ref"],
            "kind": rec["kind"],
            "title": rec["title"],
            "description": rec["description"] or None,
            "material": rec["material"],
            "ewc_code": rec["ewc_code"],
            "quantity": float(rec["quantity"]),
            "unit": rec["unit"],
            "frequency": rec["frequency"],
            "available_from": rec["available_from"],
            "available_until": rec["available_until"],
            "lon": float(lon),
            "lat": float(lat),
            "postcode": postcode,
            "max_distance_km": stepped_distance_limit_km(_none_if_nan(rec["max_distance_km"])),
            "current_route": rec["current_route"],
            "current_source": rec["current_source"],
            "current_source_km": _none_if_nan(rec["current_source_km"]),
            "transport_mode": rec.get("transport_mode") or DEFAULT_TRANSPORT_MODE,
            "current_source_transport_mode": (
                (rec.get("current_source_transport_mode") or DEFAULT_TRANSPORT_MODE)
                if rec["kind"] == "need"
                else None
            ),
            "visibility": rec["visibility"],
        }
        existing = _existing_listing(org, rec["ref"]) if org is not None else None
        planned.append(
            PlannedRow(
                row=row,
                action="update" if existing is not None else "create",
                organisation=org,
                organisation_name=org_name,
                values=values,
                accepted=tuple(rec["accepted_ewc_codes"]),
                listing=existing,
                warnings=accepted_code_warnings(
                    rec["kind"], rec["accepted_ewc_codes"], rec["material"]
                ),
                notices=[
                    n
                    for n in (
                        distance_limit_notice(
                            _none_if_nan(rec["max_distance_km"]), values["max_distance_km"]
                        ),
                    )
                    if n
                ],
            )
        )
    problems.extend(_duplicate_refs(planned))
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    if planned:
        municipalities = assign_municipalities(
            [r.values["lon"] for r in planned], [r.values["lat"] for r in planned]
        )
        for plan_row, code in zip(planned, municipalities["gemeente_code"], strict=True):
            plan_row.values["municipality_code"] = None if pd.isna(code) else str(code)
    return ImportPlan(rows=planned, new_organisations=new_organisations)


def apply_import(plan: ImportPlan, *, actor: User | None) -> dict[str, int]:
    """Write a planned import; the caller commits (or rolls back) once."""
    created_orgs: dict[str, Organisation] = {}
    for name in plan.new_organisations:
        org = Organisation(name=name)
        db.session.add(org)
        created_orgs[name] = org
    db.session.flush()
    for item in plan.rows:
        org = item.organisation or created_orgs[item.organisation_name]
        listing = item.listing
        if listing is None:
            listing = Listing(organisation=org, status="active")
            db.session.add(listing)
        for key, value in item.values.items():
            setattr(listing, key, value)
        listing.accepted_codes = [ListingAcceptedCode(ewc_code=c) for c in item.accepted]
        db.session.flush()
        if actor is not None:
            audit_on_behalf(actor, org, f"listing.import.{item.action}", listing, row=item.row)
    return {
        "created": plan.creates,
        "updated": plan.updates,
        "organisations_created": len(plan.new_organisations),
    }


# --- previews between the upload and the confirmation ---------------------------------------

PREVIEW_MAX_AGE_S = 3600


def _preview_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(data: bytes, *, filename: str, user_id: int, organisation_id: int | None) -> str:
    """Keep an uploaded file until the user confirms the preview; returns an opaque token."""
    directory = _preview_dir()
    expire_previews()
    token = secrets.token_urlsafe(24)
    (directory / f"{token}.bin").write_bytes(data)
    meta = {"filename": filename, "user_id": user_id, "organisation_id": organisation_id}
    (directory / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


#: What :func:`store_upload` hands out (``secrets.token_urlsafe``), with room to spare.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def expire_previews(*, now: float | None = None) -> int:
    """Delete the stored uploads of previews older than an hour; return how many.

    Runs on every new upload and from ``flask listings expire-previews`` (cron), so that
    an abandoned preview does not keep a firm's file on the server.
    """
    directory = _preview_dir()
    now = time.time() if now is None else now
    removed = 0
    for path in list(directory.glob("*.json")) + list(directory.glob("*.bin")):
        try:
            age_s = now - path.stat().st_mtime
        except FileNotFoundError:
            continue
        if age_s > PREVIEW_MAX_AGE_S:
            path.unlink(missing_ok=True)
            removed += path.suffix == ".json"
    return removed


def load_upload(token: str, *, user_id: int) -> tuple[bytes, str, int | None]:
    """The stored upload of ``token``, only for the user who uploaded it.

    Anything but 1 to 64 ASCII letters, digits, ``-`` and ``_`` is refused before it
    reaches the file system (no paths, no over-long or non-ASCII file names).
    """
    if not isinstance(token, str) or _TOKEN.fullmatch(token) is None:
        raise PermissionDenied()
    directory = _preview_dir()
    meta_path = directory / f"{token}.json"
    if not meta_path.exists():
        raise PermissionDenied()
    if time.time() - meta_path.stat().st_mtime > PREVIEW_MAX_AGE_S:
        discard_upload(token)
        raise NotFound(_("This import preview has expired (after an hour); upload the file again."))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta["user_id"] != user_id:
        raise PermissionDenied()
    return (directory / f"{token}.bin").read_bytes(), meta["filename"], meta["organisation_id"]


def discard_upload(token: str) -> None:
    if _TOKEN.fullmatch(token) is None:
        return
    directory = _preview_dir()
    (directory / f"{token}.json").unlink(missing_ok=True)
    (directory / f"{token}.bin").unlink(missing_ok=True)


# --- the upload pages ---------------------------------------------------------------------------


def organisation_choices(actor: User) -> list[tuple[str, str]]:
    """Whom an upload may be for: any firm (or per row) for coordinators, else one's own."""
    if actor.is_coordinator:
        rows = db.session.execute(
            sa.select(Organisation.public_id, Organisation.name).order_by(Organisation.name)
        ).all()
        return [("", _("per row (column 'organisation')")), *((str(i), n) for i, n in rows)]
    org = actor.organisation
    return [(org.public_id, org.name)] if org else []


def import_organisation(actor: User, public_id: str | None) -> Organisation | None:
    """The firm an upload is for: the chosen one by public id (which ``actor`` must manage),
    the member's own, or None (a coordinator importing rows of several firms)."""
    if public_id:
        organisation = by_public_id(Organisation, public_id)
        if organisation is None:
            raise NotFound()
        require_manage(actor, organisation.id)
        return organisation
    return None if actor.is_coordinator else actor.organisation


def preview_upload(
    data: bytes, *, filename: str, actor: User, organisation: Organisation | None
) -> tuple[ImportPlan, str]:
    """Plan the import of an upload (writing nothing) and keep the file for the confirmation.

    Returns the plan and the token of the stored file. Raises :class:`ImportRejected`.
    """
    plan = plan_import(data, filename=filename, actor=actor, organisation=organisation)
    token = store_upload(
        data,
        filename=filename,
        user_id=actor.id,
        organisation_id=organisation.id if organisation else None,
    )
    return plan, token


def confirm_upload(token: str, *, actor: User) -> tuple[dict[str, int], Organisation | None]:
    """Apply the previewed upload of ``token``, all rows or none; flushes, the caller commits.

    Plans again first (the database may have changed since the preview). Returns the
    counts and the organisation the upload was for.
    """
    data, filename, organisation_id = load_upload(token, user_id=actor.id)
    organisation = db.session.get(Organisation, organisation_id) if organisation_id else None
    try:
        plan = plan_import(data, filename=filename, actor=actor, organisation=organisation)
        counts = apply_import(plan, actor=actor)
    except ImportRejected as exc:
        exc.filename = filename
        raise
    return counts, organisation


# --- export -----------------------------------------------------------------------------------


def export_frame(viewer: User | None, *, organisation_id: int | None) -> pd.DataFrame:
    """The listings ``viewer`` may see, as a canonical frame.

    With ``organisation_id`` (which the viewer must manage): all of that firm's listings,
    drafts included, in the import format so that export -> import round-trips.
    Without: every active listing of the market; anonymous listings of other firms are
    exported without organisation, reference, postcode or coordinates. The market is
    sorted by kind, material and title, ties by :func:`~marketplace.core.disclosure.order_key`:
    nothing about the firm, so an anonymous row does not sit among its firm's rows.
    """
    stmt = sa.select(Listing).options(sa.orm.selectinload(Listing.organisation))
    if organisation_id is not None:
        if viewer is not None and not can_manage_organisation(viewer, organisation_id):
            raise PermissionDenied()
        stmt = stmt.where(Listing.organisation_id == organisation_id)
        items = list(db.session.scalars(stmt.order_by(Listing.kind, Listing.id)))
    else:
        items = sorted(
            db.session.scalars(stmt.where(Listing.status == "active")),
            key=market_order_key,
        )
    records = []
    for item in items:
        identity = export_identity(item, viewer)
        records.append(
            {
                "ref": identity["ref"],
                "organisation": identity["organisation"],
                "kind": item.kind,
                "title": item.title,
                "material": item.material,
                "ewc_code": item.ewc_code if item.kind == "offer" else None,
                "accepted_ewc_codes": item.accepted_ewc_codes if item.kind == "need" else (),
                "quantity": item.quantity,
                "unit": item.unit,
                "frequency": item.frequency,
                "postcode": identity["postcode"],
                "lat": math.nan if identity["lat"] is None else identity["lat"],
                "lon": math.nan if identity["lon"] is None else identity["lon"],
                "max_distance_km": item.max_distance_km
                if item.max_distance_km is not None
                else math.nan,
                "available_from": item.available_from,
                "available_until": item.available_until,
                "current_route": item.current_route,
                "current_source": item.current_source,
                "current_source_km": item.current_source_km
                if item.current_source_km is not None
                else math.nan,
                "transport_mode": item.transport_mode,
                "current_source_transport_mode": item.current_source_transport_mode
                if item.kind == "need"
                else None,
                "visibility": item.visibility,
                "description": item.description or "",
            }
        )
    return pd.DataFrame.from_records(records) if records else _empty_frame()


def _empty_frame() -> pd.DataFrame:
    from flows.schema import LISTING_COLUMNS

    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in LISTING_COLUMNS})
    frame["accepted_ewc_codes"] = pd.Series(dtype=object)
    return frame


def export_bytes(frame: pd.DataFrame, fmt: FileFormat) -> bytes:
    buffer = io.BytesIO()
    write_listing_file(frame, buffer, fmt=fmt)
    return buffer.getvalue()


def template_bytes(fmt: FileFormat, lang: str) -> bytes:
    buffer = io.BytesIO()
    write_template(buffer, fmt=fmt, lang=lang)
    return buffer.getvalue()


def export_filename(prefix: str, fmt: FileFormat) -> str:
    return f"{prefix}-{date.today().isoformat()}.{fmt}"
