"""Match pages: proposals, terms, agreements, messages, deliveries and a firm's impact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from marketplace.core.vocabulary import MATCH_FILTERS, NOTIFICATION_KINDS
from marketplace.errors import InvalidInput, PermissionDenied
from marketplace.exchanges import impact as impacts
from marketplace.exchanges import notifications
from marketplace.exchanges import services as exchanges
from marketplace.exchanges.forms import (
    ActionForm,
    DeclineForm,
    DeliveryForm,
    MessageForm,
    NoteForm,
    NotificationSettingsForm,
    RespondForm,
    TermsForm,
    WithdrawForm,
)
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.i18n import current_language

bp = Blueprint("matches", __name__, url_prefix="/matches")


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    def unread_counts() -> dict[str, int]:
        if not current_user.is_authenticated:
            return {"messages": 0, "all": 0}
        return notifications.unread_counts(current_user)

    return {"unread_counts": unread_counts}


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
    rows = [exchanges.match_row(m, current_user, current_language()) for m in page.items]
    return render_template(
        "exchanges/index.html", rows=rows, page=page, status=status, filters=MATCH_FILTERS
    )


@bp.get("/<pid:public_id>")
@login_required
def detail(public_id: str) -> str:
    """Show a match: terms, CO2, history, messages and deliveries; mark its news read."""
    match = exchanges.get_visible_match(current_user, public_id)
    if notifications.mark_read(current_user, match=match):
        db.session.commit()
    return _render_detail(match)


def _render_detail(match: Match, **forms: FlaskForm) -> str:
    proposed = request.args.get("propose_quantity", type=float)
    context = exchanges.match_page(match, current_user, current_language())
    return render_template(
        "exchanges/detail.html",
        **context,
        form_errors=[e for form in forms.values() for e in form.form_errors],
        action_form=ActionForm(),
        decline_form=forms.get("decline_form") or DeclineForm(),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
        terms_form=forms.get("terms_form")
        or TermsForm(quantity_per_year=proposed, price_terms=match.price_terms or ""),
        respond_form=RespondForm(),
        delivery_form=forms.get("delivery_form") or DeliveryForm(unit=match.unit),
        note_form=forms.get("note_form") or NoteForm(),
        message_form=forms.get("message_form") or MessageForm(),
    )


def _act(public_id: str, form: FlaskForm, call: Callable[[Match], Any], done: str) -> Any:
    """Validate ``form``, call the service, commit once; flash what happened or why not."""
    match = exchanges.get_visible_match(current_user, public_id)
    if not form.validate_on_submit():
        if isinstance(form, ActionForm) and set(form.errors) <= {"csrf_token", "side"}:
            abort(400)
        return _render_detail(match, **{_form_name(form): form}), 422
    try:
        call(match)
    except InvalidInput as exc:
        db.session.rollback()
        available = getattr(exc, "available", None)
        if type(form) not in (ActionForm, RespondForm) and not available:
            # A form with fields: show it again with the service's messages.
            form.form_errors.append(str(exc))
            for name, messages in exc.errors.items():
                if name in form:
                    form[name].errors = [*form[name].errors, *messages]
            return _render_detail(match, **{_form_name(form): form}), 422
        flash(str(exc), "error")
        if available:
            return redirect(
                url_for("matches.detail", public_id=public_id, propose_quantity=f"{available:.6g}")
                + "#terms"
            )
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("matches.detail", public_id=public_id))


def _form_name(form: FlaskForm) -> str:
    name = type(form).__name__.removesuffix("Form").lower()
    return {
        "delivery": "delivery_form",
        "message": "message_form",
        "note": "note_form",
        "decline": "decline_form",
        "withdraw": "withdraw_form",
        "terms": "terms_form",
    }.get(name, "action_form")


def _side(form: FlaskForm) -> str | None:
    return form.side.data or None


@bp.post("/<pid:public_id>/accept")
@login_required
def accept(public_id: str) -> Any:
    """Accept a proposal for your side."""
    form = ActionForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.accept(current_user, m, side=_side(form)),
        _("You accepted this proposal."),
    )


@bp.post("/<pid:public_id>/decline")
@login_required
def decline(public_id: str) -> Any:
    """Decline a proposal, with a reason."""
    form = DeclineForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.decline(
            current_user, m, side=_side(form), reason=form.reason.data, note=form.note.data or ""
        ),
        _("You declined this proposal."),
    )


@bp.post("/<pid:public_id>/withdraw")
@login_required
def withdraw(public_id: str) -> Any:
    """Withdraw a match (coordinators, with a reason; a firm before the other accepted)."""
    form = WithdrawForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.withdraw(
            current_user, m, side=_side(form), reason=form.reason.data or ""
        ),
        _("The match is withdrawn."),
    )


@bp.post("/<pid:public_id>/terms")
@login_required
def propose_terms(public_id: str) -> Any:
    """Propose changed terms (quantity, start date, price terms)."""
    form = TermsForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.propose_terms(
            current_user,
            m,
            side=_side(form),
            quantity_per_year=float(form.quantity_per_year.data)
            if form.quantity_per_year.data is not None
            else None,
            start_on=form.start_on.data,
            price_terms=form.price_terms.data or None,
        ),
        _("Your new terms are sent to the other firm."),
    )


@bp.post("/<pid:public_id>/terms/answer")
@login_required
def respond_to_terms(public_id: str) -> Any:
    """Confirm or reject the other firm's new terms."""
    form = RespondForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.respond_to_terms(
            current_user, m, side=_side(form), accept=form.answer.data == "confirm"
        ),
        _("Your answer to the new terms is recorded."),
    )


@bp.post("/<pid:public_id>/complete")
@login_required
def complete(public_id: str) -> Any:
    """Mark an agreed exchange as completed."""
    form = ActionForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.complete(current_user, m, side=_side(form)),
        _("The exchange is marked as completed."),
    )


@bp.post("/<pid:public_id>/deliveries")
@login_required
def add_delivery(public_id: str) -> Any:
    """Record a realised delivery."""
    form = DeliveryForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.record_delivery(
            current_user, m, side=_side(form), **_delivery_fields(form)
        ),
        _("Delivery recorded."),
    )


def _delivery_fields(form: DeliveryForm) -> dict[str, Any]:
    return {
        "delivered_on": form.delivered_on.data,
        "quantity": float(form.quantity.data),
        "unit": form.unit.data,
        "note": form.note.data,
        "document_number": form.document_number.data,
    }


@bp.post("/<pid:public_id>/deliveries/<int:delivery_id>")
@login_required
def update_delivery(public_id: str, delivery_id: int) -> Any:
    """Correct a delivery (the history keeps what it said)."""
    form = DeliveryForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.update_delivery(
            current_user,
            exchanges.get_delivery(current_user, m, delivery_id),
            side=_side(form),
            **_delivery_fields(form),
        ),
        _("Delivery changed."),
    )


@bp.post("/<pid:public_id>/deliveries/<int:delivery_id>/delete")
@login_required
def delete_delivery(public_id: str, delivery_id: int) -> Any:
    """Delete a delivery logged by mistake (the history keeps what it said)."""
    form = ActionForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.delete_delivery(
            current_user, exchanges.get_delivery(current_user, m, delivery_id), side=_side(form)
        ),
        _("Delivery deleted."),
    )


@bp.post("/<pid:public_id>/notes")
@login_required
def add_note(public_id: str) -> Any:
    """Add a coordinator's facilitator note."""
    if not current_user.is_coordinator:
        raise PermissionDenied()
    form = NoteForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.add_note(current_user, m, note=form.note.data),
        _("Note added."),
    )


@bp.post("/<pid:public_id>/messages")
@login_required
def post_message(public_id: str) -> Any:
    """Send a message to the other firm."""
    form = MessageForm()
    return _act(
        public_id,
        form,
        lambda m: exchanges.post_message(current_user, m, body=form.body.data),
        _("Message sent."),
    )


# --- a firm's impact ---------------------------------------------------------------------------


def _impact_organisation() -> int:
    organisation_id = request.args.get("organisation", type=int)
    if organisation_id is not None and current_user.is_coordinator:
        return organisation_id
    if current_user.organisation_id is None:
        abort(404)
    return int(current_user.organisation_id)


@bp.get("/impact")
@login_required
def impact() -> str:
    """Show the firm's realised impact: tonnes, CO2e, tonne-km, partners, per month."""
    organisation_id = _impact_organisation()
    return render_template(
        "exchanges/impact.html",
        impact=impacts.firm_impact(organisation_id),
        organisation=exchanges.organisation_named(organisation_id),
    )


@bp.get("/impact.csv")
@login_required
def impact_csv() -> Response:
    """Download the deliveries behind the firm's impact as CSV."""
    data = impacts.impact_csv(impacts.firm_impact(_impact_organisation()))
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=reststroom-impact.csv"},
    )


# --- notifications -----------------------------------------------------------------------------


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications_page() -> Any:
    """Show my notifications and choose which ones come by e-mail."""
    setting = notifications.setting_for(current_user)
    form = NotificationSettingsForm()
    if form.validate_on_submit():
        notifications.update_settings(
            current_user,
            email_off=[k for k in NOTIFICATION_KINDS if k not in (form.email_on.data or [])],
            daily_digest=form.daily_digest.data,
        )
        db.session.commit()
        flash(_("Your e-mail settings are saved."), "success")
        return redirect(url_for("matches.notifications_page"))
    if request.method == "GET":
        form.email_on.data = [k for k in NOTIFICATION_KINDS if k not in setting.email_off]
        form.daily_digest.data = setting.daily_digest
    items = notifications.recent_notifications(current_user)
    notifications.mark_read(current_user)
    db.session.commit()
    return render_template(
        "exchanges/notifications.html", form=form, items=items, describe=notifications.describe
    )
