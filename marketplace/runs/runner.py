"""Where an engine run executes: a job on the Redis queue, inline, or a thread.

With ``REDIS_URL`` a run is a job (:func:`execute_run_job`) that any ``flask worker``
picks up; without it the run executes inline (tests, ``ENGINE_RUN_INLINE``) or in a
thread of the web process, as before the queue existed. Either way the run's progress
and outcome live in its database row, so every web server reports the same state.
"""

from __future__ import annotations

import logging

from flask import current_app

from flows import Params
from marketplace.core import jobs
from marketplace.extensions import db
from marketplace.runs.models import EngineRun
from marketplace.runs.services import RUN_TIMEOUT, engine_params, execute_run, run_job_id

logger = logging.getLogger(__name__)


def execute_in_background(run: EngineRun, params: Params) -> None:
    """Execute ``run`` (already committed as running) on the queue, now, or in a thread.

    Inline, a failing run ends "failed" with its error (shown on its page), never as a 500.
    """
    if jobs.redis_url():
        jobs.submit(
            "marketplace.runs.runner:execute_run_job",
            run.id,
            job_id=run_job_id(run.id),
            timeout_s=int(RUN_TIMEOUT.total_seconds()),
            description=f"engine run {run.id}",
        )
        return
    if current_app.config.get("ENGINE_RUN_INLINE") or current_app.testing:
        execute_run(run, params)
        db.session.commit()
        return
    jobs.submit("marketplace.runs.runner:execute_run_job", run.id, in_process="thread")


def params_of(run: EngineRun) -> Params:
    """The engine parameters ``run`` recorded when it started."""
    recorded = run.params or {}
    return engine_params(
        **{
            k: recorded.get(k)
            for k in ("objective", "solver", "default_max_distance_km", "circuity", "top_k")
        }
    )


def execute_run_job(run_id: int) -> str:
    """Execute engine run ``run_id``, committing its progress as it goes (the job's body).

    Returns the run's final status. A run no longer ``running`` (abandoned before a
    worker got to it) is left alone.
    """
    run = db.session.get(EngineRun, run_id)
    if run is None:
        raise LookupError(f"engine run {run_id} does not exist")
    if run.status != "running":
        logger.warning("engine run %s is %s; its job does nothing", run_id, run.status)
        return run.status

    def progress(_phase: str, share: float) -> None:
        run.progress = share
        db.session.commit()

    try:
        execute_run(run, params_of(run), progress=progress)
        db.session.commit()
    except Exception as exc:
        # execute_run fails its run itself; this is for parameters or a database that failed.
        logger.exception("engine run %s: could not record its end", run_id)
        db.session.rollback()
        failed = db.session.get(EngineRun, run_id)
        if failed is not None:
            failed.status, failed.error, failed.progress = "failed", str(exc), 1.0
            db.session.commit()
        return "failed"
    return run.status
