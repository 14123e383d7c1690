"""Request ids and one structured log line per request.

Every response carries ``X-Request-Id``: the caller's (a reverse proxy's) when it sent a
well-formed one, a fresh random one otherwise. With ``REQUEST_LOG`` on (production) each
request also writes one JSON line to the ``reststroom.request`` logger: method, path,
status, duration, request id and the id of the logged-in user. The query string is left
out (search terms and tokens are the user's business).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from werkzeug.wrappers import Response

logger = logging.getLogger("reststroom.request")

#: A request id we accept from upstream: short, and nothing that could forge a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}", re.ASCII)


def request_id() -> str:
    """The id of the current request: the caller's ``X-Request-Id`` if well-formed, else a
    fresh random one, chosen once per request.

    The same id goes into the request's log line, the log line of a failure and the
    ``X-Request-Id`` header of the answer, so that a user's report can be found in the log.
    """
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return str(g.request_id)


def _user_id() -> int | None:
    # Only a user the request already loaded: looking one up here would cost a query on
    # requests that never needed it (static files, health checks).
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        return int(user.id)
    return None


def _ensure_handler() -> None:
    if logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def register(app: Flask) -> None:
    """Give every request an id and, with ``REQUEST_LOG``, log it as one JSON line."""
    if app.config.get("REQUEST_LOG"):
        _ensure_handler()

    @app.before_request
    def _start() -> None:
        request_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        # Also when an earlier before-request step (a rate limit's 429) answered first.
        rid = request_id()
        response.headers["X-Request-Id"] = rid
        if app.config.get("REQUEST_LOG") and "request_started" in g:
            duration_ms = (time.perf_counter() - g.request_started) * 1000
            record = {
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(duration_ms, 1),
                "request_id": rid,
                "user_id": _user_id(),
                "remote_addr": request.remote_addr,
            }
            logger.info(json.dumps(record, separators=(",", ":")))
        return response
