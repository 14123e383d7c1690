"""Engine runs as jobs: on the Redis queue with a real worker, or in this process."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.core import jobs
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.runs import runner
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.job_queue import needs_redis, work_off_the_queue
from tests.marketplace.region_world import Region


def _start_as_coordinator(client: FlaskClient) -> EngineRun:
    login(client, make_user(role="coordinator"))
    db.session.commit()
    response = client.post("/matches/runs", data={"objective": "tonnes"})
    assert response.status_code == 302
    run = db.session.scalars(sa.select(EngineRun).order_by(EngineRun.id.desc())).first()
    assert run is not None
    assert response.headers["Location"].endswith(f"/matches/runs/{run.id}")
    return run


def _status(client: FlaskClient, run: EngineRun) -> dict[str, Any]:
    return client.get(f"/matches/runs/{run.id}.json").get_json()  # type: ignore[no-any-return]


@needs_redis
def test_with_redis_a_run_waits_for_a_worker_and_every_web_process_reports_it(
    redis_app: Flask, client: FlaskClient, region: Region
) -> None:
    run = _start_as_coordinator(client)
    run_id, pair = run.id, (region.grain.id, region.feed.id)
    # The web request only queued the run: nothing ran here.
    assert _status(client, run)["status"] == "running"
    assert _status(client, run)["progress"] == 0.0
    assert jobs.get_queue().job_ids == [runs.run_job_id(run.id)]
    assert count(Match) == 0

    work_off_the_queue()  # a real worker; it closes this thread's session when done

    run = db.session.get(EngineRun, run_id)
    status = _status(client, run)
    assert (status["status"], status["progress"], status["error"]) == ("succeeded", 1.0, None)
    assert status["counts"]["proposals"] == 1
    assert run.params["objective"] == "tonnes"  # as recorded
    [proposal] = db.session.scalars(sa.select(Match)).all()
    assert (proposal.offer_id, proposal.need_id) == pair
    assert proposal.engine_run_id == run_id


@needs_redis
def test_a_run_whose_worker_died_ends_failed_with_the_reason_and_the_next_run_starts(
    redis_app: Flask, client: FlaskClient, region: Region
) -> None:
    from rq.job import JobStatus

    run = _start_as_coordinator(client)
    # What a worker killed mid-run leaves behind: the job started by a worker whose
    # heartbeat has stopped, and the run still "running" in the database.
    job = jobs.get_queue().fetch_job(runs.run_job_id(run.id))
    job.worker_name = "worker-on-a-lost-machine"
    job.set_status(JobStatus.STARTED)
    job.save()

    status = _status(client, run)
    assert status["status"] == "failed"
    assert status["error"] == ("abandoned: the worker worker-on-a-lost-machine running it stopped")
    # Not blocked: the next start makes a new run, and a worker completes it.
    response = client.post("/matches/runs", data={"objective": "co2"})
    newer = db.session.scalars(sa.select(EngineRun).where(EngineRun.id != run.id)).one()
    newer_id = newer.id
    assert response.headers["Location"].endswith(f"/matches/runs/{newer_id}")
    work_off_the_queue()
    assert db.session.get(EngineRun, newer_id).status == "succeeded"


@needs_redis
def test_a_running_run_with_a_live_job_is_not_abandoned(
    redis_app: Flask, client: FlaskClient, region: Region
) -> None:
    run = _start_as_coordinator(client)  # queued, no worker yet: it may still run
    assert runs.abandon_stale_runs() == []
    response = client.post("/matches/runs", data={"objective": "co2"})
    assert response.headers["Location"].endswith(f"/matches/runs/{run.id}")
    assert count(EngineRun) == 1


@needs_redis
def test_a_run_started_without_the_queue_is_not_taken_for_lost(
    redis_app: Flask, region: Region
) -> None:
    # `flask flows run` executes in its own process and has no job: Redis knows nothing
    # of it, which must not fail it while it works.
    run = EngineRun(status="running")
    db.session.add(run)
    db.session.commit()
    assert runs.abandon_stale_runs() == []
    assert db.session.get(EngineRun, run.id).status == "running"


def test_without_redis_a_run_executes_in_a_thread_of_the_web_process(
    app: Flask, region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "testing", False)
    monkeypatch.setitem(app.config, "ENGINE_RUN_INLINE", False)
    params = runs.engine_params()
    run = runs.start_run(params)
    before = set(threading.enumerate())
    runner.execute_in_background(run, params)
    started = [t for t in threading.enumerate() if t not in before]
    assert len(started) == 1  # the request goes on; the run works beside it
    started[0].join(timeout=60)
    db.session.expire_all()
    done = db.session.get(EngineRun, run.id)
    assert (done.status, done.progress) == ("succeeded", 1.0)
    assert count(Match) == 1


def test_a_job_for_a_run_that_was_abandoned_meanwhile_does_nothing(region: Region) -> None:
    run = EngineRun(status="failed", error="abandoned: test")
    db.session.add(run)
    db.session.commit()
    assert runner.execute_run_job(run.id) == "failed"
    assert count(Match) == 0


def test_a_run_job_whose_parameters_fail_ends_the_run_failed(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = EngineRun(status="running", params={"objective": "nonsense"})
    db.session.add(run)
    db.session.commit()
    assert runner.execute_run_job(run.id) == "failed"
    db.session.expire_all()
    failed = db.session.get(EngineRun, run.id)
    assert failed.status == "failed"
    assert failed.error and "nonsense" in failed.error
