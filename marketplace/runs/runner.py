"""Where an engine run executes: inline (tests, ``ENGINE_RUN_INLINE``) or in a thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, current_app

from flows import Params
from marketplace.extensions import db
from marketplace.runs.models import EngineRun
from marketplace.runs.services import execute_run

logger = logging.getLogger(__name__)


def execute_in_background(run: EngineRun, params: Params) -> None:
    """Execute ``run`` (already committed as running) now or in a background thread.

    Inline, a failing run ends "failed" with its error (shown on its page), never as a 500.
    """
    if current_app.config.get("ENGINE_RUN_INLINE") or current_app.testing:
        execute_run(run, params)
        db.session.commit()
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_run_in_thread, args=(app, run.id, params), daemon=True).start()


def _run_in_thread(app: Flask, run_id: int, params: Any) -> None:
    with app.app_context():
        run = db.session.get(EngineRun, run_id)
        assert run is not None

        def progress(_phase: str, share: float) -> None:
            run.progress = share
            db.session.commit()

        try:
            execute_run(run, params, progress=progress)
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
