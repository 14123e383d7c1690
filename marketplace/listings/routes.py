"""Listings pages: browse and search, detail, create, edit, status changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from marketplace.accounts.forms import apply_service_errors
from marketplace.accounts.models import Organisation
from marketplace.core.permissions import require_manage
from marketplace.core.public_ids import by_public_id
from marketplace.core.urls import safe_next
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n import current_language
from marketplace.listings import search, views
from marketplace.listings import services as service
from marketplace.listings import transfer as importer
from marketplace.listings.access import get_managed_listing, get_visible_listing
from marketplace.listings.forms import (
    SEARCH_FIELDS,
    ConfirmImportForm,
    ImportForm,
    ListingForm,
    StatusForm,
    search_filters,
    search_form,
)
from marketplace.listings.kept import kept
from marketplace.listings.models import Listing
from marketplace.listings.rules import accepted_code_warnings

bp = Blueprint("listings", __name__, url_prefix="/listings")


@bp.get("/")
def browse() -> str:
    """Search the active listings of the region (the results kept per viewer scope)."""
    lang = current_language()
    key = ("browse", lang, tuple(sorted(request.args.items(multi=True))))
    content = kept(current_user, key, lambda: _browse_results(lang))
    # The output of an autoescaping template, not user text.
    return render_template("listings/browse.html", content=Markup(content))  # noqa: S704


def _browse_results(lang: str) -> str:
    form = search_form(request.args, lang)
    form.validate()
    result = search.search_listings(current_user, search_filters(form), lang)
    # Only the search fields go back into url_for: other names (endpoint, _external,
    # _scheme...) are url_for's own arguments, not query parameters.
    args = {name: request.args[name] for name in SEARCH_FIELDS if request.args.get(name)}
    return render_template("listings/_browse_results.html", form=form, result=result, args=args)


@bp.get("/<pid:public_id>")
def detail(public_id: str) -> str:
    """Show one listing; anonymous listings hide the firm and the exact location."""
    listing = get_visible_listing(current_user, public_id, *views.view_loads())
    view = views.view_of(listing, current_user, current_language())
    return render_template("listings/detail.html", item=view, status_form=StatusForm())


@bp.get("/mine")
@login_required
def mine() -> str:
    """List the current user's organisation's listings, drafts included."""
    org_id = _organisation_id_from_request()
    items = views.organisation_listings(current_user, org_id, current_language())
    organisation = db.session.get(Organisation, org_id)
    return render_template(
        "listings/mine.html", items=items, organisation=organisation, status_form=StatusForm()
    )


def _organisation_id_from_request() -> int:
    """The organisation the page acts for: the member's own, or ?organisation=PUBLIC_ID
    for coordinators."""
    requested = request.values.get("organisation")
    if requested is not None:
        organisation = by_public_id(Organisation, requested)
        if organisation is None:
            abort(404)
        require_manage(current_user, organisation.id)
        return organisation.id
    if current_user.organisation_id is None:
        abort(404)
    return int(current_user.organisation_id)


def _listing_form(**kwargs: Any) -> ListingForm:
    form = ListingForm(**kwargs)
    form.material.choices = views.material_choices(current_language())
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Response | tuple[str, int]:
    """Create a listing for the user's organisation."""
    org_id = _organisation_id_from_request()
    organisation = db.session.get(Organisation, org_id)
    assert organisation is not None
    form = _listing_form()
    if form.validate_on_submit():
        saved = _save(
            form,
            lambda: service.create_listing(
                current_user, organisation, form.data_for_service(), publish=form.publish.data
            ),
        )
        if saved is not None:
            return saved
    return _render_form(form, organisation, None)


@bp.route("/<pid:public_id>/edit", methods=["GET", "POST"])
@login_required
def edit(public_id: str) -> Response | tuple[str, int]:
    """Edit a listing of the user's organisation (coordinators: any, logged)."""
    listing = get_managed_listing(current_user, public_id)
    if request.method == "GET":
        form = _listing_form(obj=listing)
        form.accepted_ewc_codes.data = "; ".join(listing.accepted_ewc_codes)
        form.location_mode.data = (
            "site"
            if (listing.lon, listing.lat) == (listing.organisation.lon, listing.organisation.lat)
            else ("postcode" if listing.postcode else "map")
        )
    else:
        form = _listing_form()
    if form.validate_on_submit():

        def update() -> Listing:
            service.update_listing(current_user, listing, form.data_for_service())
            if form.publish.data and listing.status == "draft":
                service.set_status(current_user, listing, "active")
            return listing

        saved = _save(form, update)
        if saved is not None:
            return saved
    return _render_form(form, listing.organisation, listing)


def _save(form: ListingForm, action: Callable[[], Listing]) -> Response | None:
    """Run a service call, commit once and redirect; on invalid input show the errors."""
    try:
        listing = action()
    except InvalidInput as exc:
        db.session.rollback()
        apply_service_errors(form, exc)
        return None
    db.session.commit()
    flash(_("Listing saved."), "success")
    for warning in accepted_code_warnings(
        listing.kind, listing.accepted_ewc_codes, listing.material
    ):
        flash(warning, "warning")
    return redirect(url_for("listings.detail", public_id=listing.public_id))


def _render_form(
    form: ListingForm, organisation: Organisation, listing: Listing | None
) -> tuple[str, int]:
    status = 422 if form.errors or form.form_errors else 200
    warnings = accepted_code_warnings(
        form.kind.data, form.accepted_ewc_codes.data, form.material.data
    )
    html = render_template(
        "listings/form.html",
        form=form,
        organisation=organisation,
        listing=listing,
        warnings=warnings,
    )
    return html, status


@bp.post("/<pid:public_id>/status")
@login_required
def change_status(public_id: str) -> Response:
    """Publish, pause, reopen or close a listing."""
    listing = get_managed_listing(current_user, public_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.set_status(current_user, listing, form.status.data)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Listing status changed."), "success")
    return redirect(_back_to_referrer(url_for("listings.detail", public_id=listing.public_id)))


def _back_to_referrer(default: str) -> str:
    """The page the form was sent from, as a path on this site; ``default`` otherwise."""
    if not request.referrer:
        return default
    parts = urlsplit(request.referrer)
    # The Referer header is the client's to write: keep only its path (and query).
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(target, default)


# --- bulk import and export ---------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_upload() -> str | Response | tuple[str, int]:
    """Upload a spreadsheet of listings and preview what the import will do."""
    if not (current_user.organisation_id or current_user.is_coordinator):
        abort(403)
    form = ImportForm()
    form.organisation.choices = importer.organisation_choices(current_user)
    if request.method == "GET" and request.args.get("organisation"):
        form.organisation.data = request.args["organisation"]
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("listings/import.html", form=form, help=_column_help()), status
    organisation = importer.import_organisation(current_user, form.organisation.data or None)
    upload = form.file.data
    filename = upload.filename or "upload.csv"
    try:
        plan, token = importer.preview_upload(
            upload.read(), filename=filename, actor=current_user, organisation=organisation
        )
    except importer.ImportRejected as exc:
        db.session.rollback()
        return _import_problems(form, exc, filename)
    confirm = ConfirmImportForm(token=token)
    return render_template(
        "listings/import_preview.html", plan=plan, confirm=confirm, filename=filename
    )


@bp.post("/import/confirm")
@login_required
def import_confirm() -> Response | tuple[str, int]:
    """Apply a previewed import, all rows or none."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        counts, organisation = importer.confirm_upload(form.token.data, actor=current_user)
    except importer.ImportRejected as exc:
        # The database changed since the preview: show what is wrong now, write nothing.
        db.session.rollback()
        upload_form = ImportForm()
        upload_form.organisation.choices = importer.organisation_choices(current_user)
        return _import_problems(upload_form, exc, exc.filename or "")
    db.session.commit()
    importer.discard_upload(form.token.data)
    flash(
        _(
            "Import done: %(created)d listings created, %(updated)d updated.",
            created=counts["created"],
            updated=counts["updated"],
        ),
        "success",
    )
    if organisation is not None:
        return redirect(url_for("listings.mine", organisation=organisation.public_id))
    return redirect(url_for("listings.browse"))


def _import_problems(
    form: ImportForm, exc: importer.ImportRejected, filename: str
) -> tuple[str, int]:
    """The upload page again, with every problem of the file (nothing was written)."""
    html = render_template(
        "listings/import.html",
        form=form,
        help=_column_help(),
        problems=exc.problems,
        filename=filename,
    )
    return html, 422


def _column_help() -> dict[str, str]:
    from flows.listing_file import column_help

    return column_help(current_language())


@bp.get("/export.<any(csv, xlsx):fmt>")
def export(fmt: str) -> Response:
    """Download listings: your organisation's (?organisation=PUBLIC_ID, round-trips) or the
    market's."""
    organisation_id = None
    requested = request.args.get("organisation")
    if requested is not None:
        if not current_user.is_authenticated:
            abort(401)
        organisation = by_public_id(Organisation, requested)
        if organisation is None:
            abort(404)
        require_manage(current_user, organisation.id)
        organisation_id = organisation.id
    frame = importer.export_frame(
        current_user if current_user.is_authenticated else _Anonymous(),
        organisation_id=organisation_id,
    )
    body = importer.export_bytes(frame, fmt)  # type: ignore[arg-type]
    name = importer.export_filename(
        "reststroom-listings" if requested is None else f"listings-{requested}",
        fmt,  # type: ignore[arg-type]
    )
    return _download(body, name, fmt)


@bp.get("/template.<any(csv, xlsx):fmt>")
def template(fmt: str) -> Response:
    """Download an import template with an example offer and need."""
    body = importer.template_bytes(fmt, current_language())  # type: ignore[arg-type]
    return _download(body, f"reststroom-template.{fmt}", fmt)


def _download(body: bytes, name: str, fmt: str) -> Response:
    mimetype = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


class _Anonymous:
    """A viewer who is not logged in (sees public data only)."""

    is_authenticated = False
    is_coordinator = False
    organisation_id = None
