"""Jobs: in this process without Redis, through RQ and a real worker with Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import OutboxMessage
from marketplace.core import jobs
from marketplace.extensions import db
from tests.marketplace.job_queue import REDIS_TEST_URL, needs_redis, work_off_the_queue

ROOT = Path(__file__).resolve().parents[3]


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


def record_pid_and_sleep(path: str, seconds: float) -> None:
    """A task that says which process runs it, then works (sleeps) for a while."""
    import time
    from pathlib import Path

    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)


@needs_redis
def test_a_job_whose_worker_process_is_killed_is_lost_with_the_reason(
    redis_app: Flask, tmp_path: Path
) -> None:
    # A real `flask worker` in its own process: the job runs in a forked child, which we
    # kill as the kernel's OOM killer would. The worker must record the job as failed.
    pid_file = tmp_path / "pid"
    jobs.submit(
        "tests.marketplace.core.test_jobs:record_pid_and_sleep",
        str(pid_file),
        60.0,
        job_id="doomed-1",
    )
    env = {
        **os.environ,
        "RESTSTROOM_CONFIG": "testing",
        "REDIS_URL": REDIS_TEST_URL,
        "PYTHONPATH": str(ROOT),
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "the worker never started the job"
        assert jobs.lost_job_reason("doomed-1") is None  # running, worker alive
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        if worker.stdout is not None:  # closed also when an assertion above failed
            worker.stdout.close()
    reason = jobs.lost_job_reason("doomed-1")
    assert reason is not None and reason.startswith("its job doomed-1 failed"), output
