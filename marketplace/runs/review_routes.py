"""Coordinators: the run history, a comparison of two runs and the proposals review queue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.decorators import role_required
from marketplace.core.public_ids import by_public_id
from marketplace.errors import InvalidInput
from marketplace.exchanges.models import Match
from marketplace.exchanges.review import review, review_queue_stmt
from marketplace.exchanges.services import notify_new_proposals
from marketplace.extensions import db
from marketplace.runs.history import compare_proposals, proposals_of, run_history
from marketplace.runs.models import EngineRun
from marketplace.runs.review_forms import ReviewForm

bp = Blueprint("review", __name__, url_prefix="/matches")


@bp.get("/runs/history")
@role_required("coordinator", "admin")
def history() -> str:
    """List the engine runs: parameters, duration, counts, totals, who started them."""
    return render_template("runs/history.html", rows=run_history())


@bp.get("/runs/compare")
@role_required("coordinator", "admin")
def compare() -> str:
    """Compare the proposals of two runs (``?a=<run id>&b=<run id>``)."""
    a = db.get_or_404(EngineRun, request.args.get("a", type=int) or 0)
    b = db.get_or_404(EngineRun, request.args.get("b", type=int) or 0)
    before, after = proposals_of(a), proposals_of(b)
    diff = None if before is None or after is None else compare_proposals(before, after)
    return render_template("runs/compare.html", a=a, b=b, diff=diff)


@bp.get("/review")
@role_required("coordinator", "admin")
def queue() -> str:
    """List the proposals waiting for review."""
    matches = db.paginate(review_queue_stmt(), per_page=50, error_out=False)
    return render_template("runs/review_queue.html", matches=matches, form=ReviewForm())


@bp.post("/review/<pid:public_id>")
@role_required("coordinator", "admin")
def decide(public_id: str) -> Response:
    """Approve or hide one pending proposal, with a note."""
    form = ReviewForm()
    match = by_public_id(Match, public_id)
    if match is None:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        review(current_user, match, decision=form.decision.data, note=form.note.data or "")
        if match.review == "approved":
            notify_new_proposals([match])  # the firms hear of it only now
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("review.queue"))
    db.session.commit()
    flash(_("Proposal approved.") if match.review == "approved" else _("Proposal hidden."))
    return redirect(url_for("review.queue"))
