"""Gunicorn settings, read from the environment: ``gunicorn -c python:marketplace.gunicorn_config``.

``make serve`` uses this module. Settings:

``HOST`` / ``PORT``
    Where to listen (default ``127.0.0.1:8000``: behind a reverse proxy on the same host).
``WEB_CONCURRENCY``
    Worker processes (default ``2 x cores + 1``).
``GUNICORN_THREADS``
    Threads per worker (default 1: synchronous workers). More than one switches to the
    ``gthread`` worker, which lets a worker serve another request while one waits on
    the database.
``GUNICORN_TIMEOUT``
    Seconds before a silent worker is killed and replaced (default 30). Engine runs do
    not run in web workers (they go to the job queue, or a thread), so pages never need
    more.
``FORWARDED_ALLOW_IPS``
    Proxies whose ``X-Forwarded-*`` headers are trusted (default ``127.0.0.1``).

The app is loaded once in the master (``preload_app``) so that workers share its memory
(the engine's libraries are large); each worker then drops the database connections it
inherited and opens its own.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from None
    if value < 1:
        raise SystemExit(f"{name}={raw!r} must be at least 1")
    return value


def default_workers(cores: int | None = None) -> int:
    """``2 x cores + 1``, Gunicorn's rule of thumb for synchronous workers."""
    return 2 * (cores or multiprocessing.cpu_count()) + 1


bind = f"{os.environ.get('HOST', '127.0.0.1')}:{_positive_int('PORT', 8000)}"
workers = _positive_int("WEB_CONCURRENCY", default_workers())
threads = _positive_int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _positive_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = _positive_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500
preload_app = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app logs one JSON line per request itself (marketplace.request_log).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "reststroom"
# No runtime control socket in $HOME: several servers may run on one host.
control_socket_disable = True


def when_ready(server: Any) -> None:
    """Warm the search's caches in the master, before the workers fork from it."""
    import wsgi
    from marketplace.extensions import db
    from marketplace.listings.ranking import warm

    try:
        with wsgi.app.app_context():
            warm()
            db.engine.dispose()
    except Exception:  # a cold cache is slower, not wrong: serve anyway
        server.log.exception("could not warm the search caches")


def post_fork(server: Any, worker: Any) -> None:
    """Drop the connections a worker inherited from the master: they cannot be shared."""
    import wsgi
    from marketplace.extensions import db

    with wsgi.app.app_context():
        db.engine.dispose(close=False)
