"""The job queue in tests: this machine's Redis (its own db number) and a real RQ worker."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from marketplace.core import jobs

#: Redis for the queue tests: db 6 of this machine's Redis unless TEST_REDIS_URL says otherwise.
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


#: CI starts Redis and must run these tests; elsewhere they skip when Redis is not running.
needs_redis = pytest.mark.skipif(
    not _redis_up() and not os.environ.get("CI"), reason="no Redis on 127.0.0.1:6379"
)


@pytest.fixture
def redis_app(app: Flask, db_session: object) -> Iterator[Flask]:
    """The app with ``REDIS_URL`` set to the test Redis, emptied before and after."""
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
