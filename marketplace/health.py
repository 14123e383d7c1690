"""Health endpoints for load balancers and orchestrators.

``/healthz`` answers as long as the process serves requests; ``/readyz`` also checks that
the database answers and, when ``REDIS_URL`` is set, that Redis does. Neither reads the
session, loads the user, writes a cookie or writes to the database, so a probe every
second costs one ``SELECT 1`` at most.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from werkzeug.wrappers import Response

from marketplace.extensions import db

bp = Blueprint("health", __name__)

#: Seconds a readiness check waits for Redis before it counts as unreachable.
REDIS_TIMEOUT_S = 2.0


def _no_store(response: Response) -> Response:
    response.cache_control.no_store = True
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Say that the process is alive (no database access)."""
    return _no_store(jsonify({"status": "ok"}))


def check_database() -> dict[str, Any]:
    """Run ``SELECT 1`` on the app's database: ``{"ok": bool, "ms": float, "error"?: str}``."""
    started = time.perf_counter()
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any driver error means "not ready"
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def check_redis(url: str) -> dict[str, Any]:
    """PING the Redis at ``url``: ``{"ok": bool, "ms": float, "error"?: str}``."""
    import redis

    started = time.perf_counter()
    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        client.close()
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Say whether the database and, when configured, Redis answer (503 when one does not)."""
    checks = {"database": check_database()}
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        checks["redis"] = check_redis(redis_url)
    ready = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _no_store(jsonify(body)), 200 if ready else 503
