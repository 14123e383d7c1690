"""Matches: proposals, agreements and deliveries; engine runs for coordinators."""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.auth.decorators import role_required
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.matches.forms import ActionForm, DeliveryForm, RunForm
from marketplace.models import EngineRun, Listing, Match
from marketplace.services import matching
from marketplace.services.listings import distance_band, view_of
from marketplace.templating import fmt_number

bp = Blueprint("matches", __name__, url_prefix="/matches")
logger = logging.getLogger(__name__)

STATUS_FILTERS = ("open", "agreed", "closed", "all")
STATUS_GROUPS = {
    "open": ("proposed",),
    "agreed": ("agreed", "active", "completed"),
    "closed": ("declined", "superseded"),
}


def _lang() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "nl")


def _visible_matches_stmt() -> sa.Select[Any]:
    stmt = sa.select(Match).options(
        sa.orm.selectinload(Match.offer).selectinload(Listing.organisation),
        sa.orm.selectinload(Match.need).selectinload(Listing.organisation),
    )
    if not current_user.is_coordinator:
        own = sa.select(Listing.id).where(Listing.organisation_id == current_user.organisation_id)
        stmt = stmt.where(sa.or_(Match.offer_id.in_(own), Match.need_id.in_(own)))
    return stmt


def _get_match(match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None or not matching.can_see_match(current_user, match):
        abort(404)
    return match


def _row(match: Match) -> dict[str, Any]:
    """A match as its viewer may see it: the other firm stays anonymous until agreed."""
    lang = _lang()
    agreed = match.status in ("agreed", "active", "completed")
    offer = view_of(match.offer, current_user, lang)
    need = view_of(match.need, current_user, lang)
    if agreed:
        offer.organisation_name = match.offer.organisation.name
        need.organisation_name = match.need.organisation.name
    # Until both agree, exact distances to an anonymous firm would let a firm with several
    # sites triangulate it: show a band instead, and no explanation that quotes the km.
    hidden = not agreed and not (offer.exact_location and need.exact_location)
    return {
        "match": match,
        "offer": offer,
        "need": need,
        "distance_hidden": hidden,
        "road_text": distance_band(match.road_km)
        if hidden
        else f"{fmt_number(match.road_km, 1)} km",
    }


@bp.get("/")
@login_required
def index() -> str:
    """List the matches of the user's organisation (coordinators: all)."""
    status = request.args.get("status", "open")
    if status not in STATUS_FILTERS:
        status = "open"
    stmt = _visible_matches_stmt()
    if status != "all":
        stmt = stmt.where(Match.status.in_(STATUS_GROUPS[status]))
    page = db.paginate(
        stmt.order_by(Match.net_co2e_kg.desc(), Match.id),
        page=request.args.get("page", 1, type=int),
        per_page=25,
        error_out=False,
    )
    runs = []
    if current_user.is_coordinator:
        runs = db.session.scalars(sa.select(EngineRun).order_by(EngineRun.id.desc()).limit(5)).all()
    return render_template(
        "matches/index.html",
        rows=[_row(m) for m in page.items],
        page=page,
        status=status,
        filters=STATUS_FILTERS,
        runs=runs,
        run_form=RunForm(),
    )


@bp.get("/<int:match_id>")
@login_required
def detail(match_id: int) -> str:
    """Show a match with its CO2 breakdown, reason and deliveries."""
    match = _get_match(match_id)
    delivery_form = DeliveryForm(unit=match.unit)
    return _render_detail(match, delivery_form)


def _render_detail(match: Match, delivery_form: DeliveryForm) -> str:
    return render_template(
        "matches/detail.html",
        row=_row(match),
        sides=matching._sides(current_user, match),
        member_sides=matching.member_sides(current_user, match),
        action_form=ActionForm(),
        delivery_form=delivery_form,
    )


def _act(match_id: int, action: str) -> Response:
    match = _get_match(match_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        getattr(matching, action)(current_user, match, side=form.side.data or None)
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
    return redirect(url_for("matches.detail", match_id=match.id))


@bp.post("/<int:match_id>/accept")
@login_required
def accept(match_id: int) -> Response:
    """Accept a proposal for your side."""
    return _act(match_id, "accept")


@bp.post("/<int:match_id>/decline")
@login_required
def decline(match_id: int) -> Response:
    """Decline a proposal."""
    return _act(match_id, "decline")


@bp.post("/<int:match_id>/complete")
@login_required
def complete(match_id: int) -> Response:
    """Mark an agreed exchange as completed."""
    return _act(match_id, "complete")


@bp.post("/<int:match_id>/deliveries")
@login_required
def add_delivery(match_id: int) -> Response | tuple[str, int]:
    """Record a realised delivery."""
    match = _get_match(match_id)
    form = DeliveryForm()
    if form.validate_on_submit():
        try:
            matching.record_delivery(
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
            return redirect(url_for("matches.detail", match_id=match.id))
    return _render_detail(match, form), 422


# --- engine runs (coordinators) -------------------------------------------------------------


def _run_in_background(app: Any, run_id: int, params: Any) -> None:
    with app.app_context():
        run = db.session.get(EngineRun, run_id)
        assert run is not None

        def progress(_phase: str, share: float) -> None:
            run.progress = share
            db.session.commit()

        try:
            matching.execute_run(run, params, progress=progress)
            db.session.commit()
        except Exception as exc:
            # execute_run fails its run itself; this is for a database that failed too.
            logger.exception("engine run %s: could not record its end", run_id)
            db.session.rollback()
            run = db.session.get(EngineRun, run_id)
            if run is not None:
                run.status, run.error, run.progress = "failed", str(exc), 1.0
                db.session.commit()
        finally:
            db.session.remove()


@bp.post("/runs")
@role_required("coordinator", "admin")
def start_run() -> Response:
    """Start an engine run over the active listings."""
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        params = matching.engine_params(objective=form.objective.data)
        # Commits: the check for a running run and the insert are one locked transaction.
        run = matching.start_run(params, started_by=current_user)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("matches.index"))
    except matching.RunInProgress as exc:
        flash(_("An engine run is already in progress."), "warning")
        return redirect(url_for("matches.run_detail", run_id=exc.run.id))
    if current_app.config.get("ENGINE_RUN_INLINE") or current_app.testing:
        # A failing run ends "failed" with its error (shown on its page), never as a 500.
        matching.execute_run(run, params)
        db.session.commit()
    else:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(target=_run_in_background, args=(app, run.id, params), daemon=True).start()
    return redirect(url_for("matches.run_detail", run_id=run.id))


@bp.get("/runs/<int:run_id>")
@role_required("coordinator", "admin")
def run_detail(run_id: int) -> str:
    """Show an engine run: its progress while it works, its figures when done."""
    run = db.get_or_404(EngineRun, run_id)
    return render_template("matches/run.html", run=run)


@bp.get("/runs/<int:run_id>.json")
@role_required("coordinator", "admin")
def run_status(run_id: int) -> Response:
    """The state of an engine run, polled by the run page."""
    run = db.get_or_404(EngineRun, run_id)
    return jsonify(
        {
            "id": run.id,
            "status": run.status,
            "progress": run.progress,
            "counts": run.counts,
            "totals": run.totals,
            "error": run.error,
        }
    )
