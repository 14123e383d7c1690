"""``/api/v1/listings``: search, create, read, change, close and import listings.

Views parse the request, call the listings slice's services (the same rules function as
the form: :func:`marketplace.listings.rules.clean_listing_data` through
``create_listing``/``update_listing``), commit once and answer JSON. What a caller sees
of a listing comes from :func:`marketplace.listings.views.view_of`, i.e. from
:mod:`marketplace.core.disclosure`; nothing here decides visibility.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import UnsupportedMediaType

from flows.schema import PER_YEAR
from marketplace.accounts.models import Organisation
from marketplace.accounts.organisations import find_organisation
from marketplace.api.v1 import bp
from marketplace.api.v1.auth import login_required
from marketplace.api.v1.common import int_arg, json_object, lang, page_args, page_of
from marketplace.api.v1.schemas import STRING
from marketplace.api.v1.spec import (
    AUTHENTICATED,
    PAGE_PARAMETERS,
    PUBLIC,
    json_body,
    json_response,
    operation,
    query,
    ref,
)
from marketplace.core.vocabulary import KINDS
from marketplace.errors import InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db
from marketplace.listings import services
from marketplace.listings import transfer as importer
from marketplace.listings.access import get_managed_listing, get_visible_listing
from marketplace.listings.models import Listing
from marketplace.listings.search import SearchFilters, search_listings
from marketplace.listings.views import ListingView, view_of

TAG = "listings"

#: The fields of a listing a client may send (the listing file's columns, and ``status``).
LISTING_FIELDS = (
    "ref",
    "kind",
    "title",
    "description",
    "material",
    "ewc_code",
    "accepted_ewc_codes",
    "quantity",
    "unit",
    "frequency",
    "available_from",
    "available_until",
    "postcode",
    "lon",
    "lat",
    "max_distance_km",
    "current_route",
    "current_source",
    "current_source_km",
    "price_terms",
    "price_eur_per_unit",
    "visibility",
    "status",
    "organisation",
)
_NUMBERS = (
    "quantity",
    "lon",
    "lat",
    "max_distance_km",
    "current_source_km",
    "price_eur_per_unit",
)
_DATES = ("available_from", "available_until")
_TEXTS = (
    "ref",
    "kind",
    "title",
    "description",
    "material",
    "ewc_code",
    "unit",
    "frequency",
    "postcode",
    "current_route",
    "current_source",
    "price_terms",
    "visibility",
    "status",
    "organisation",
)
#: The statuses a new listing may start in.
NEW_STATUSES = ("draft", "active")


def listing_json(view: ListingView) -> dict[str, Any]:
    """A listing as ``view`` (the caller's disclosure of it) allows; ``id`` is its public id."""
    per_year = PER_YEAR.get(view.frequency, 1.0)
    return {
        "id": view.id,
        "ref": view.ref,
        "kind": view.kind,
        "status": view.status,
        "visibility": view.visibility,
        "title": view.title,
        "description": view.description,
        "material": view.material,
        "material_name": view.material_name,
        "ewc_code": view.ewc_code,
        "hazardous": view.hazardous,
        "accepted_ewc_codes": list(view.accepted_ewc_codes),
        "quantity": view.quantity,
        "unit": view.unit,
        "frequency": view.frequency,
        "quantity_per_year": view.quantity * per_year,
        "organisation": view.organisation_name,
        "municipality": view.municipality,
        "postcode": view.postcode,
        "lon": view.map_lon,
        "lat": view.map_lat,
        "exact_location": view.exact_location,
        "distance_km": view.distance_km,
        "distance_text": view.distance_text,
        "available_from": view.available_from.isoformat() if view.available_from else None,
        "available_until": view.available_until.isoformat() if view.available_until else None,
        "max_distance_km": view.max_distance_km,
        "current_route": view.current_route,
        "current_source": view.current_source,
        "current_source_km": view.current_source_km,
        "price_terms": view.price_terms,
        "price_eur_per_unit": view.price_eur_per_unit,
        "created_at": view.created_at.isoformat(),
        "updated_at": view.updated_at.isoformat(),
        "can_manage": view.can_manage,
    }


def serialize(listing: Listing) -> dict[str, Any]:
    return listing_json(view_of(listing, current_user, lang()))


# --- parsing ----------------------------------------------------------------------------------


def typed_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The body's fields with JSON types checked and dates parsed; 422 naming every problem."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if value is None:
            out[name] = None
        elif name in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors[name] = [_("Give a number.")]
            else:
                out[name] = float(value)
        elif name in _DATES:
            try:
                out[name] = date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                out[name] = None
            if out[name] is None:
                errors[name] = [_("Give a date as YYYY-MM-DD.")]
        elif name == "accepted_ewc_codes":
            if isinstance(value, str) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                out[name] = value
            else:
                errors[name] = [_("Give a list of EWC codes.")]
        elif name in _TEXTS:
            if not isinstance(value, str):
                errors[name] = [_("Give a text.")]
            elif "\x00" in value:
                errors[name] = [_("The text contains a NUL character.")]
            else:
                out[name] = value
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), errors)
    return out


def _location(fields: dict[str, Any]) -> dict[str, Any]:
    """The form's location choice from the file's columns: lat+lon, a postcode, or the site."""
    if fields.get("lat") is not None or fields.get("lon") is not None:
        return {"location_mode": "map", "lat": fields.get("lat"), "lon": fields.get("lon")}
    if fields.get("postcode"):
        return {"location_mode": "postcode", "postcode": fields["postcode"]}
    return {"location_mode": "site"}


def form_data(fields: dict[str, Any]) -> dict[str, Any]:
    """The typed values the form would hand to the listing rules."""
    data = {
        k: v
        for k, v in fields.items()
        if k not in ("lat", "lon", "postcode", "status", "organisation", "ref")
    }
    data.setdefault("frequency", "year")
    data.setdefault("price_terms", "negotiable")
    data.setdefault("visibility", "public")
    if isinstance(data.get("accepted_ewc_codes"), list):
        data["accepted_ewc_codes"] = "; ".join(data["accepted_ewc_codes"])
    data.update(_location(fields))
    return data


def current_data(listing: Listing) -> dict[str, Any]:
    """A stored listing as the file's columns (what a PATCH starts from)."""
    same_site = (listing.lon, listing.lat) == (listing.organisation.lon, listing.organisation.lat)
    fields: dict[str, Any] = {
        name: getattr(listing, name)
        for name in LISTING_FIELDS
        if name not in ("organisation", "accepted_ewc_codes", "lon", "lat", "postcode")
    }
    fields["accepted_ewc_codes"] = list(listing.accepted_ewc_codes)
    if not same_site:
        if listing.postcode:
            fields["postcode"] = listing.postcode
        else:
            fields.update(lon=listing.lon, lat=listing.lat)
    return fields


def _organisation_for(fields: dict[str, Any]) -> Organisation:
    """The firm a new listing is for: the member's own, or the one a coordinator names."""
    key = fields.get("organisation")
    if key:
        organisation = find_organisation(key)
        if not current_user.is_coordinator and organisation.id != current_user.organisation_id:
            raise PermissionDenied(_("You can only create listings for your own organisation."))
        return organisation
    if current_user.organisation is None:
        message = _("Name the organisation the listing is for.")
        raise InvalidInput(message, {"organisation": [message]})
    return current_user.organisation  # type: ignore[no-any-return]


def _status_errors(status: str | None, allowed: tuple[str, ...]) -> None:
    if status is not None and status not in allowed:
        message = _("status must be one of %(allowed)s.", allowed=", ".join(allowed))
        raise InvalidInput(message, {"status": [message]})


def find_listing(public_id: str) -> Listing:
    """The listing with this public id that the caller may see, else 404."""
    return get_visible_listing(current_user, public_id)


# --- endpoints --------------------------------------------------------------------------------

_SEARCH_PARAMETERS = [
    query("q", {"type": "string", "maxLength": 100}, "Text in title, description, EWC code"),
    query("kind", {"type": "string", "enum": list(KINDS)}, "offer or need"),
    query("material", STRING, "A material category (taxonomy key) and its subcategories"),
    query("municipality", STRING, "Municipality code, e.g. GM0150"),
    query(
        "hazardous", {"type": "string", "enum": ["yes", "no"]}, "Hazardous EWC codes only, or none"
    ),
    query(
        "within_km",
        {"type": "number", "exclusiveMinimum": 0, "maximum": 500},
        "Within this many km of the caller's site (as shown)",
    ),
    *PAGE_PARAMETERS,
]


def _search_filters() -> SearchFilters:
    """The browse page's filters from the query string; 422 naming every bad one."""
    args = request.args
    errors: dict[str, list[str]] = {}
    q = args.get("q", "")
    if len(q) > 100 or "\x00" in q:
        errors["q"] = [_("The search text is too long (at most 100 characters).")]
    kind = args.get("kind") or None
    if kind is not None and kind not in KINDS:
        errors["kind"] = [_("kind must be offer or need.")]
    hazardous = {"yes": True, "no": False, "": None, None: None}.get(args.get("hazardous"), "bad")
    if hazardous == "bad":
        errors["hazardous"] = [_("hazardous must be yes or no.")]
    within_km = None
    if args.get("within_km"):
        try:
            within_km = float(args["within_km"])
        except ValueError:
            within_km = -1.0
        if not 0 < within_km <= 500:
            errors["within_km"] = [_("within_km must be a number above 0 and at most 500.")]
    try:
        page, per_page = page_args()
    except InvalidInput as exc:
        errors.update(exc.errors)
        page, per_page = 1, 1
    if errors:
        raise InvalidInput(_("Invalid search."), errors)
    return SearchFilters(
        q=q,
        kind=kind,
        category=args.get("material") or None,
        municipality=args.get("municipality") or None,
        hazardous=hazardous,  # type: ignore[arg-type]
        within_km=within_km,
        page=page,
        per_page=per_page,
    )


@operation(
    bp,
    "/listings",
    "GET",
    summary="Search the active listings",
    access=PUBLIC,
    tag=TAG,
    parameters=_SEARCH_PARAMETERS,
    responses={200: json_response("A page of listings", ref("ListingPage"))},
    errors=(422,),
)
def list_listings() -> Any:
    """The market's active listings, with the browse page's filters, newest first."""
    filters = _search_filters()
    result = search_listings(current_user, filters, lang())
    # Search shows the last page for a page beyond it; the API answers an empty page.
    views = result.items if result.page == filters.page else []
    items = [listing_json(v) for v in views]
    return page_of(items, total=result.total, page=filters.page, per_page=filters.per_page)


@operation(
    bp,
    "/listings",
    "POST",
    summary="Create a listing",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(ref("ListingInput")),
    responses={201: json_response("The new listing", ref("Listing"))},
    errors=(415, 422),
)
@login_required
def create_listing() -> Any:
    """Create a listing for the caller's firm (coordinators: name ``organisation``)."""
    fields = typed_fields(json_object(allowed=LISTING_FIELDS))
    _status_errors(fields.get("status"), NEW_STATUSES)
    organisation = _organisation_for(fields)
    publish = (fields.get("status") or "active") == "active"
    listing = services.create_listing(
        current_user, organisation, form_data(fields), publish=publish
    )
    if fields.get("ref"):
        services.set_ref(current_user, listing, fields["ref"])
    db.session.commit()
    return serialize(listing), 201, {"Location": f"/api/v1/listings/{listing.public_id}"}


@operation(
    bp,
    "/listings/<pid:public_id>",
    "GET",
    summary="One listing",
    access=PUBLIC,
    tag=TAG,
    responses={200: json_response("The listing as the caller may see it", ref("Listing"))},
)
def get_listing(public_id: str) -> Any:
    """A listing: active ones for everyone, drafts, paused and closed ones for their firm."""
    return serialize(find_listing(public_id))


@operation(
    bp,
    "/listings/<pid:public_id>",
    "PATCH",
    summary="Change a listing",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(ref("ListingPatch")),
    responses={200: json_response("The changed listing", ref("Listing"))},
    errors=(415, 422),
)
@login_required
def update_listing(public_id: str) -> Any:
    """Change any of a listing's fields (and ``status``); the whole listing is checked again."""
    fields = typed_fields(
        json_object(allowed=tuple(f for f in LISTING_FIELDS if f != "organisation"))
    )
    listing = get_managed_listing(current_user, public_id)
    status = fields.pop("status", None)
    if any(name != "ref" for name in fields):
        location_given = {"lat", "lon", "postcode"} & set(fields)
        merged = current_data(listing)
        if location_given:
            for name in ("lat", "lon", "postcode"):
                merged.pop(name, None)
        merged.update(fields)
        services.update_listing(current_user, listing, form_data(merged))
    if fields.get("ref"):
        services.set_ref(current_user, listing, fields["ref"])
    if status is not None and status != listing.status:
        services.set_status(current_user, listing, status)
    db.session.commit()
    return serialize(listing)


@operation(
    bp,
    "/listings/<pid:public_id>",
    "DELETE",
    summary="Close a listing",
    access=AUTHENTICATED,
    tag=TAG,
    responses={204: {"description": "Closed (or already closed)"}},
)
@login_required
def delete_listing(public_id: str) -> Any:
    """Take a listing off the market for good: its status becomes ``closed``.

    The row stays (matches and deliveries keep referring to it); its open proposals are
    superseded. A closed listing can be reopened with ``PATCH {"status": "active"}``.
    """
    listing = get_managed_listing(current_user, public_id)
    if listing.status != "closed":
        services.set_status(current_user, listing, "closed")
        db.session.commit()
    return "", 204


_FILE_TYPES = {
    "text/csv": "upload.csv",
    "application/csv": "upload.csv",
    "text/plain": "upload.csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "upload.xlsx",
}


def _uploaded_file() -> tuple[bytes, str]:
    """The file of an import: the raw body (CSV or XLSX by Content-Type) or a form upload."""
    upload = request.files.get("file")
    if upload is not None:
        return upload.read(), upload.filename or "upload.csv"
    filename = _FILE_TYPES.get(request.mimetype)
    if filename is None:
        raise UnsupportedMediaType(
            _("Send the file as text/csv or as an XLSX spreadsheet (its Content-Type).")
        )
    return request.get_data(cache=False), filename


def _problems(exc: importer.ImportRejected) -> InvalidInput:
    fields: dict[str, list[str]] = {}
    for problem in exc.problems:
        where = f"row {problem.row}" if problem.row is not None else "file"
        key = f"{where}.{problem.column}" if problem.column else where
        fields.setdefault(key, []).append(problem.message)
    return InvalidInput(
        _("The file was not imported: %(n)d problem(s), nothing written.", n=len(exc.problems)),
        fields,
    )


IMPORT_RESULT = {
    "type": "object",
    "properties": {
        "created": {"type": "integer"},
        "updated": {"type": "integer"},
        "dry_run": {"type": "boolean"},
    },
    "required": ["created", "updated", "dry_run"],
}


@operation(
    bp,
    "/listings/import",
    "POST",
    summary="Import a listing file (CSV or XLSX), all rows or none",
    access=AUTHENTICATED,
    tag=TAG,
    parameters=[
        query("organisation", STRING, "Coordinators: the firm (name or KvK) of every row"),
        query("dry_run", {"type": "string", "enum": ["0", "1"]}, "1: check only, write nothing"),
    ],
    body={
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
            },
        },
    },
    responses={200: json_response("Rows created and updated", IMPORT_RESULT)},
    errors=(413, 415, 422),
)
@login_required
def import_listings() -> Any:
    """Import listings in the listing file format; 422 lists every problem with row and column.

    Rows with a known ``ref`` update that listing, others create active listings.
    """
    if not (current_user.organisation_id or current_user.is_coordinator):
        raise PermissionDenied()
    dry_run = int_arg("dry_run", default=0, minimum=0, maximum=1) == 1
    key = request.args.get("organisation")
    organisation = find_organisation(key) if key else None
    data, filename = _uploaded_file()
    try:
        plan = importer.plan_import(
            data, filename=filename, actor=current_user, organisation=organisation
        )
    except importer.ImportRejected as exc:
        raise _problems(exc) from None
    if dry_run:
        return {"created": plan.creates, "updated": plan.updates, "dry_run": True}
    counts = importer.apply_import(plan, actor=current_user)
    db.session.commit()
    return {"created": counts["created"], "updated": counts["updated"], "dry_run": False}


__all__ = ["NotFound", "listing_json"]
