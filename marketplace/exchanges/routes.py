"""Match pages: proposals, agreements and deliveries."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.core.vocabulary import MATCH_FILTERS
from marketplace.errors import InvalidInput
from marketplace.exchanges import services as exchanges
from marketplace.exchanges.forms import ActionForm, DeliveryForm
from marketplace.exchanges.models import Match
from marketplace.extensions import db

bp = Blueprint("matches", __name__, url_prefix="/matches")


def _lang() -> str:
    return str(get_locale() or "nl")


@bp.get("/")
@login_required
def index() -> str:
    """List the matches of the user's organisation (coordinators: all)."""
    status = request.args.get("status", "open")
    if status not in MATCH_FILTERS:
        status = "open"
    page = db.paginate(
        exchanges.visible_matches_stmt(current_user, group=status),
        page=request.args.get("page", 1, type=int),
        per_page=25,
        error_out=False,
    )
    rows = [exchanges.match_row(m, current_user, _lang()) for m in page.items]
    return render_template(
        "exchanges/index.html", rows=rows, page=page, status=status, filters=MATCH_FILTERS
    )


@bp.get("/<pid:public_id>")
@login_required
def detail(public_id: str) -> str:
    """Show a match with its CO2 breakdown, reason and deliveries."""
    match = exchanges.get_visible_match(current_user, public_id)
    return _render_detail(match, DeliveryForm(unit=match.unit))


def _render_detail(match: Match, delivery_form: DeliveryForm) -> str:
    return render_template(
        "exchanges/detail.html",
        row=exchanges.match_row(match, current_user, _lang()),
        sides=exchanges.sides_of(current_user, match),
        member_sides=exchanges.member_sides(current_user, match),
        action_form=ActionForm(),
        delivery_form=delivery_form,
    )


def _act(public_id: str, action: str) -> Response:
    match = exchanges.get_visible_match(current_user, public_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        getattr(exchanges, action)(current_user, match, side=form.side.data or None)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        messages = {
            "accept": _("You accepted this proposal."),
            "decline": _("You declined this proposal."),
            "complete": _("The exchange is marked as completed."),
        }
        flash(messages[action], "success")
    return redirect(url_for("matches.detail", public_id=match.public_id))


@bp.post("/<pid:public_id>/accept")
@login_required
def accept(public_id: str) -> Response:
    """Accept a proposal for your side."""
    return _act(public_id, "accept")


@bp.post("/<pid:public_id>/decline")
@login_required
def decline(public_id: str) -> Response:
    """Decline a proposal."""
    return _act(public_id, "decline")


@bp.post("/<pid:public_id>/complete")
@login_required
def complete(public_id: str) -> Response:
    """Mark an agreed exchange as completed."""
    return _act(public_id, "complete")


@bp.post("/<pid:public_id>/deliveries")
@login_required
def add_delivery(public_id: str) -> Response | tuple[str, int]:
    """Record a realised delivery."""
    match = exchanges.get_visible_match(current_user, public_id)
    form = DeliveryForm()
    if form.validate_on_submit():
        try:
            exchanges.record_delivery(
                current_user,
                match,
                delivered_on=form.delivered_on.data,
                quantity=float(form.quantity.data),
                unit=form.unit.data,
                note=form.note.data,
                side=form.side.data or None,
            )
        except InvalidInput as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Delivery recorded."), "success")
            return redirect(url_for("matches.detail", public_id=match.public_id))
    return _render_detail(match, form), 422
