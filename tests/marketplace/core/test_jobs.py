"""Jobs: in this process without Redis, through RQ and a real worker with Redis."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.core import jobs
from marketplace.extensions import db
from marketplace.models import OutboxMessage

REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


# CI starts Redis; elsewhere the queue tests skip when it is not running.
needs_redis = pytest.mark.skipif(
    not _redis_up() and not os.environ.get("CI"), reason="no Redis on 127.0.0.1:6379"
)


def write_note(subject: str, *, body: str = "from a job") -> int:
    """A task: write one outbox row and commit (as a real job does)."""
    message = OutboxMessage(recipient="job@example.nl", subject=subject, body=body)
    db.session.add(message)
    db.session.commit()
    return message.id


def fail_loudly(subject: str) -> None:
    raise RuntimeError(f"the job {subject} broke")


def _subjects() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.subject).order_by(OutboxMessage.id)))


@pytest.fixture
def redis_app(app: Flask, db_session: object) -> Iterator[Flask]:
    """The app with REDIS_URL set to this machine's Redis (its own db number), emptied."""
    import redis

    connection = redis.Redis.from_url(REDIS_TEST_URL)
    connection.flushdb()
    app.config["REDIS_URL"] = REDIS_TEST_URL
    try:
        yield app
    finally:
        app.config["REDIS_URL"] = None
        connection.flushdb()
        connection.close()


def work_off_the_queue() -> None:
    """Run every queued job with a real RQ worker in this process, then stop."""
    from rq import SimpleWorker

    connection = jobs.redis_connection()
    SimpleWorker([jobs.get_queue(connection)], connection=connection).work(burst=True)


# --- without Redis ------------------------------------------------------------------------


def test_without_redis_a_job_runs_at_once_in_this_process(db_session: object) -> None:
    assert jobs.get_queue() is None
    assert jobs.submit("tests.marketplace.core.test_jobs:write_note", "inline") is None
    assert _subjects() == ["inline"]


def test_without_redis_a_thread_job_runs_beside_the_request(app: Flask, db_session: object) -> None:
    import threading

    before = threading.active_count()
    jobs.submit("tests.marketplace.core.test_jobs:write_note", "threaded", in_process="thread")
    for thread in threading.enumerate()[before - 1 :]:
        if thread is not threading.current_thread():
            thread.join(timeout=10)
    db.session.rollback()  # see what the thread committed
    assert "threaded" in _subjects()


def test_a_task_name_must_say_module_and_function() -> None:
    with pytest.raises(ValueError, match=r"'write_note' is not of the form"):
        jobs.resolve("write_note")


def test_the_worker_command_refuses_without_redis(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


# --- with Redis ---------------------------------------------------------------------------


@needs_redis
def test_with_redis_a_job_waits_in_the_queue_until_a_worker_runs_it(redis_app: Flask) -> None:
    job_id = jobs.submit("tests.marketplace.core.test_jobs:write_note", "queued", job_id="note-1")
    assert job_id == "note-1"
    assert _subjects() == []  # nothing ran in this process
    assert jobs.get_queue().job_ids == ["note-1"]
    work_off_the_queue()
    db.session.rollback()
    assert _subjects() == ["queued"]
    assert jobs.lost_job_reason("note-1") is None  # finished: not lost


@needs_redis
def test_a_job_submitted_after_commit_is_queued_only_when_the_transaction_commits(
    redis_app: Flask,
) -> None:
    queue = jobs.get_queue()
    jobs.submit_after_commit("tests.marketplace.core.test_jobs:write_note", "kept")
    assert queue.count == 0
    db.session.commit()
    assert queue.count == 1
    jobs.submit_after_commit("tests.marketplace.core.test_jobs:write_note", "dropped")
    db.session.rollback()
    db.session.commit()
    assert queue.count == 1
    work_off_the_queue()
    db.session.rollback()
    assert _subjects() == ["kept"]


@needs_redis
def test_a_failed_job_is_lost_with_its_error(redis_app: Flask) -> None:
    jobs.submit("tests.marketplace.core.test_jobs:fail_loudly", "x", job_id="broken-1")
    work_off_the_queue()
    reason = jobs.lost_job_reason("broken-1")
    assert reason is not None
    assert reason.startswith("its job broken-1 failed")
    assert "RuntimeError: the job x broke" in reason


@needs_redis
def test_a_job_missing_from_redis_is_lost(redis_app: Flask) -> None:
    assert jobs.lost_job_reason("never-queued") == "its job never-queued is no longer in the queue"


@needs_redis
def test_a_started_job_whose_worker_stopped_sending_heartbeats_is_lost(redis_app: Flask) -> None:
    from rq.job import JobStatus

    jobs.submit("tests.marketplace.core.test_jobs:write_note", "orphan", job_id="orphan-1")
    queue = jobs.get_queue()
    job = queue.fetch_job("orphan-1")
    # What a worker leaves behind when it is killed mid-job: the job marked started by a
    # worker whose heartbeat key has expired.
    job.worker_name = "gone-worker"
    job.set_status(JobStatus.STARTED)
    job.save()
    assert jobs.lost_job_reason("orphan-1") == "the worker gone-worker running it stopped"
    assert jobs.lost_job_reason("orphan-1", connection=jobs.redis_connection()) is not None


@needs_redis
def test_the_worker_command_works_off_the_queue_and_stops_in_burst_mode(redis_app: Flask) -> None:
    jobs.submit("tests.marketplace.core.test_jobs:write_note", "by the command")
    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst", "--simple"])
    assert result.exit_code == 0, result.output
    assert "worker" in result.output and "burst" in result.output
    db.session.rollback()
    assert _subjects() == ["by the command"]
