"""Background jobs: on a Redis queue (RQ) when ``REDIS_URL`` is set, in this process otherwise.

Why RQ rather than Celery: the jobs are few and coarse (an engine run, an e-mail), they
need no routing, chords or beat schedule, and RQ needs nothing but Redis and one command,
``flask --app wsgi worker``. Several web servers and several workers can share one
PostgreSQL and one Redis.

A job names its task as ``"package.module:function"`` with plain arguments (ids, not ORM
objects); the worker imports the function and calls it inside an app context, with a
fresh database session. Without ``REDIS_URL`` (the embedded default) :func:`submit` runs
the task in this process: at once (``inline``) or in a daemon thread (``thread``),
exactly as the app did before it had a queue.

:func:`submit_after_commit` waits for the surrounding transaction: a worker must find
the rows the job is about, so the job is only queued once they are committed, and never
when the transaction rolls back.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, Literal

import click
from flask import Flask, current_app, has_app_context
from flask.cli import with_appcontext

logger = logging.getLogger(__name__)

#: The queue every job of the app goes to.
QUEUE_NAME = "reststroom"
#: Seconds a finished job's result stays in Redis (enough to report on it).
RESULT_TTL_S = 24 * 3600
#: Seconds a failed job stays in Redis (to read why it failed).
FAILURE_TTL_S = 7 * 24 * 3600
#: Seconds without a heartbeat after which a worker counts as gone.
WORKER_TTL_S = 90

InProcess = Literal["inline", "thread"]

_pool_pid: int | None = None


def redis_url() -> str | None:
    """The configured Redis, or None: jobs then run in this process."""
    return current_app.config.get("REDIS_URL") or None


def redis_connection(url: str | None = None) -> Any:
    """A Redis client for ``url`` (default: the app's ``REDIS_URL``)."""
    import redis

    url = url or redis_url()
    if not url:
        raise RuntimeError("REDIS_URL is not set; jobs run in this process")
    return redis.Redis.from_url(url)


def get_queue(connection: Any | None = None) -> Any | None:
    """The app's RQ queue, or None without ``REDIS_URL``."""
    if connection is None:
        if not redis_url():
            return None
        connection = redis_connection()
    from rq import Queue

    return Queue(QUEUE_NAME, connection=connection)


def resolve(task: str) -> Callable[..., Any]:
    """The function ``"package.module:function"`` names."""
    module_name, _, name = task.partition(":")
    if not module_name or not name:
        raise ValueError(f"task {task!r} is not of the form 'package.module:function'")
    return getattr(importlib.import_module(module_name), name)  # type: ignore[no-any-return]


def run_task(task: str, *args: Any, **kwargs: Any) -> Any:
    """Run ``task`` in an app context with a fresh session (what a worker executes)."""
    if has_app_context():
        return _run_in_context(task, args, kwargs)
    from wsgi import app

    with app.app_context():
        return _run_in_context(task, args, kwargs)


def _run_in_context(task: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    from marketplace.extensions import db

    global _pool_pid
    if _pool_pid != os.getpid():
        # A forked work horse must not use the connections of the process it came from.
        db.engine.dispose(close=False)
        _pool_pid = os.getpid()
    try:
        return resolve(task)(*args, **kwargs)
    finally:
        db.session.remove()


def _in_thread(app: Flask, task: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with app.app_context():
        try:
            _run_in_context(task, args, kwargs)
        except Exception:
            logger.exception("job %s failed in its thread", task)


def submit(
    task: str,
    *args: Any,
    in_process: InProcess = "inline",
    job_id: str | None = None,
    timeout_s: int = 600,
    description: str | None = None,
    **kwargs: Any,
) -> str | None:
    """Queue ``task`` on Redis, or run it in this process without ``REDIS_URL``.

    Returns the job id when queued, None when it ran (``inline``) or started (``thread``)
    here. ``job_id`` names the job (an engine run's id, say), so that anyone can find it.
    """
    queue = get_queue()
    if queue is None:
        if in_process == "inline":
            resolve(task)(*args, **kwargs)
        else:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            threading.Thread(target=_in_thread, args=(app, task, args, kwargs), daemon=True).start()
        return None
    job = queue.enqueue(
        run_task,
        args=(task, *args),
        kwargs=kwargs or None,
        job_id=job_id,
        job_timeout=timeout_s,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        description=description or task,
    )
    return str(job.id)


_PENDING = "reststroom.jobs.pending"


def submit_after_commit(task: str, *args: Any, **options: Any) -> None:
    """Like :func:`submit`, once the current transaction commits (never if it rolls back).

    Without ``REDIS_URL`` an ``inline`` task runs at once, inside the transaction, as it
    always did: its writes commit with the caller's.
    """
    if get_queue() is None and options.get("in_process", "inline") == "inline":
        submit(task, *args, **options)
        return
    from marketplace.extensions import db

    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any query still drops the job
    session.info.setdefault(_PENDING, []).append((task, args, options))


def _after_commit(session: Any) -> None:
    pending = session.info.pop(_PENDING, [])
    for task, args, options in pending:
        try:
            submit(task, *args, **options)
        except Exception:
            # The commit stands; the job is lost, which the log must say loudly.
            logger.exception("could not queue job %s after commit", task)


def _after_rollback(session: Any, previous_transaction: Any) -> None:
    if previous_transaction.nested:
        return  # a savepoint: the outer transaction may still commit
    session.info.pop(_PENDING, None)


def register(app: Flask) -> None:
    """Queue the jobs of a transaction when it commits (``flask worker`` is in ``commands()``)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    if not sa.event.contains(Session, "after_commit", _after_commit):
        sa.event.listen(Session, "after_commit", _after_commit)
        sa.event.listen(Session, "after_soft_rollback", _after_rollback)


# --- what became of a job ----------------------------------------------------------------


def lost_job_reason(
    job_id: str, *, connection: Any | None = None, missing_is_lost: bool = True
) -> str | None:
    """Why the job ``job_id`` will never finish, or None while it still may.

    A job is lost when it failed, was stopped or cancelled, was started by a worker that
    no longer sends heartbeats (killed, or its machine went away), or (unless
    ``missing_is_lost`` is false: the caller cannot tell whether it was ever queued) is
    not in Redis. Without ``REDIS_URL`` nothing is known: None.
    """
    if connection is None:
        if not redis_url():
            return None
        connection = redis_connection()
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.worker import Worker

    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return f"its job {job_id} is no longer in the queue" if missing_is_lost else None
    status = job.get_status(refresh=True)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        detail = ""
        result = job.latest_result()
        if result is not None and result.exc_string:
            detail = ": " + result.exc_string.strip().splitlines()[-1]
        return f"its job {job_id} {status.value}{detail}"
    if status == JobStatus.STARTED and job.worker_name:
        key = Worker.redis_worker_namespace_prefix + job.worker_name
        if not connection.exists(key):
            return f"the worker {job.worker_name} running it stopped"
    return None


# --- the worker --------------------------------------------------------------------------


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work until the queue is empty, then stop.")
@click.option(
    "--simple",
    is_flag=True,
    help="Run jobs in the worker process itself instead of a forked child per job.",
)
@click.option("--name", help="Worker name (default: host and process id).")
@with_appcontext
def worker_command(burst: bool, simple: bool, name: str | None) -> None:
    """Run a job worker on the Redis queue (needs REDIS_URL)."""
    if not redis_url():
        raise click.ClickException(
            "REDIS_URL is not set: without Redis, jobs run inside the web process "
            "and no worker is needed"
        )
    from rq import SimpleWorker, Worker

    connection = redis_connection()
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class(
        [get_queue(connection)],
        connection=connection,
        name=name,
        worker_ttl=WORKER_TTL_S,
        job_monitoring_interval=15,
    )
    click.echo(f"worker {worker.name} on {QUEUE_NAME!r} ({'burst' if burst else 'waiting'})")
    worker.work(burst=burst, with_scheduler=False)
