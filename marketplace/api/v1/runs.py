"""``/api/v1/runs``: coordinators start an engine run and follow it."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from marketplace.api.v1 import bp
from marketplace.api.v1.auth import coordinator_required
from marketplace.api.v1.common import json_object
from marketplace.api.v1.schemas import API_RUN_STATUSES, enum
from marketplace.api.v1.spec import COORDINATORS, json_body, json_response, operation, ref
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.listings.limits import MAX_DISTANCE_KM
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from marketplace.runs.runner import execute_in_background

TAG = "runs"
OBJECTIVES = ("co2", "tonnes")
#: The most proposals per listing a client may ask the engine for.
MAX_TOP_K = 50


def api_status(run: EngineRun) -> str:
    """The run's status as the API names it.

    ``queued``: recorded, but its worker has not reported any progress yet (the first
    report comes as soon as it starts loading); ``done`` is the stored ``succeeded``.
    """
    if run.status == "running":
        return "queued" if not run.progress else "running"
    return {"succeeded": "done"}.get(run.status, run.status)


def run_json(run: EngineRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": api_status(run),
        "progress": run.progress,
        "params": run.params or {},
        "counts": run.counts or {},
        "totals": run.totals or {},
        "error": run.error,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def _params(data: dict[str, Any]) -> dict[str, Any]:
    """The engine options of the body, each checked; 422 naming every bad one."""
    errors: dict[str, list[str]] = {}
    options: dict[str, Any] = {}
    objective = data.get("objective")
    if objective is not None:
        if objective not in OBJECTIVES:
            errors["objective"] = [_("objective must be co2 or tonnes.")]
        options["objective"] = objective
    distance = data.get("max_distance_km")
    if distance is not None:
        if (
            isinstance(distance, bool)
            or not isinstance(distance, int | float)
            or not 0 < distance <= MAX_DISTANCE_KM
        ):
            errors["max_distance_km"] = [
                _("max_distance_km must be a number above 0 and at most %(n)d.", n=MAX_DISTANCE_KM)
            ]
        options["default_max_distance_km"] = distance
    top_k = data.get("top_k")
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            errors["top_k"] = [_("top_k must be a whole number from 1 to %(n)d.", n=MAX_TOP_K)]
        options["top_k"] = top_k
    if errors:
        raise InvalidInput(_("Invalid engine options."), errors)
    return options


RUN_OPTIONS = {
    "type": "object",
    "properties": {
        "objective": enum(OBJECTIVES),
        "max_distance_km": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DISTANCE_KM},
        "top_k": {"type": "integer", "minimum": 1, "maximum": MAX_TOP_K},
    },
    "additionalProperties": False,
}
RUN_STARTED = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "status": enum(API_RUN_STATUSES)},
    "required": ["id", "status"],
}


@operation(
    bp,
    "/runs",
    "POST",
    summary="Start an engine run",
    access=COORDINATORS,
    tag=TAG,
    body=json_body(RUN_OPTIONS, required=False),
    responses={202: json_response("The run is recorded and starts", RUN_STARTED)},
    errors=(409, 415, 422),
)
@coordinator_required
def start_run() -> Any:
    """Start an engine run over the active listings (409 while another run works)."""
    data = json_object(allowed=("objective", "max_distance_km", "top_k")) if _has_body() else {}
    params = runs.engine_params(**_params(data))
    try:
        # Commits: the check for a running run and the insert are one locked transaction.
        run = runs.start_run(params, started_by=current_user)
    except runs.RunInProgress as exc:
        raise Conflict(_("Engine run %(id)d is still running.", id=exc.run.id)) from None
    execute_in_background(run, params)
    db.session.refresh(run)
    return (
        {"id": run.id, "status": api_status(run)},
        202,
        {"Location": f"/api/v1/runs/{run.id}"},
    )


def _has_body() -> bool:
    from flask import request

    return bool(request.content_length) or request.is_json


@operation(
    bp,
    "/runs/<int:run_id>",
    "GET",
    summary="An engine run's status, progress, parameters, counts and totals",
    access=COORDINATORS,
    tag=TAG,
    responses={200: json_response("The run", ref("Run"))},
)
@coordinator_required
def get_run(run_id: int) -> Any:
    """The state of an engine run."""
    run = db.session.get(EngineRun, run_id) if run_id < 2**31 else None
    if run is None:
        raise NotFound()
    return run_json(run)
