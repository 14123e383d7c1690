"""Engine run pages (coordinators): start a run, follow its progress, read its figures."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts.decorators import role_required
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.runs import services as runs
from marketplace.runs.forms import RunForm
from marketplace.runs.models import EngineRun
from marketplace.runs.runner import execute_in_background

bp = Blueprint("runs", __name__, url_prefix="/matches/runs")

#: How many runs the match list shows coordinators.
RECENT_RUNS = 5


@bp.app_template_global()
def recent_engine_runs() -> list[EngineRun]:
    """The latest runs, newest first, for the engine panel on the match list."""
    stmt = sa.select(EngineRun).order_by(EngineRun.id.desc()).limit(RECENT_RUNS)
    return list(db.session.scalars(stmt))


@bp.app_template_global()
def engine_run_form() -> RunForm:
    """The form that starts a run, for the engine panel on the match list."""
    return RunForm()


@bp.post("")
@role_required("coordinator", "admin")
def start() -> Response:
    """Start an engine run over the active listings."""
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        params = runs.engine_params(objective=form.objective.data)
        # Commits: the check for a running run and the insert are one locked transaction.
        run = runs.start_run(params, started_by=current_user)
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("matches.index"))
    except runs.RunInProgress as exc:
        flash(_("An engine run is already in progress."), "warning")
        return redirect(url_for("runs.detail", run_id=exc.run.id))
    execute_in_background(run, params)
    return redirect(url_for("runs.detail", run_id=run.id))


def _current_state(run_id: int) -> EngineRun:
    """The run as stored, failed first if it is running but its job or worker is gone."""
    run = db.get_or_404(EngineRun, run_id)
    if run.status == "running" and runs.abandon_stale_runs():
        db.session.commit()
    return run


@bp.get("/<int:run_id>")
@role_required("coordinator", "admin")
def detail(run_id: int) -> str:
    """Show an engine run: its progress while it works, its figures when done."""
    run = _current_state(run_id)
    return render_template("runs/detail.html", run=run)


@bp.get("/<int:run_id>.json")
@role_required("coordinator", "admin")
def status(run_id: int) -> Response:
    """The state of an engine run, polled by the run page."""
    run = _current_state(run_id)
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
