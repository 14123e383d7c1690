"""Login, registration and password reset are rate-limited (Flask-Limiter).

After 10 failed logins for one account, or from one address, within 15 minutes the
answer is 429 with ``Retry-After``: an HTML page for the forms, JSON under ``/api/``.
The suite runs on the memory storage; one test runs the same against Redis (db 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import Config
from marketplace.extensions import limiter
from tests import factories
from tests.marketplace.helpers import PASSWORD

PRODUCTION_LIMITS = {
    name: getattr(Config, name)
    for name in (
        "LOGIN_FAILURE_LIMIT",
        "REGISTRATION_LIMIT",
        "PASSWORD_RESET_LIMIT",
        "API_TOKEN_LIMIT",
        "API_TOKEN_FAILURE_LIMIT",
    )
}
REDIS_URL = "redis://127.0.0.1:6379/3"


@pytest.fixture
def limited(app: Flask, client: FlaskClient) -> Iterator[FlaskClient]:
    """The client, with the production limits and an empty limiter storage."""
    saved = {name: app.config[name] for name in PRODUCTION_LIMITS}
    app.config.update(PRODUCTION_LIMITS)
    limiter.reset()
    try:
        yield client
    finally:
        app.config.update(saved)
        limiter.reset()


def _fail(client: FlaskClient, email: str, address: str = "192.0.2.1") -> Any:
    return client.post(
        "/login",
        data={"email": email, "password": "wrong password!"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_ten_failed_logins_for_one_account_lock_it_for_every_address(
    limited: FlaskClient, db_session: Any
) -> None:
    user = factories.user(email="anna@example.nl")
    db_session.commit()
    statuses = [_fail(limited, user.email, f"192.0.2.{n}").status_code for n in range(10)]
    assert statuses == [422] * 10
    locked = _fail(limited, user.email, "198.51.100.7")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "<html" in locked.get_data(as_text=True).lower()
    # Even the right password waits: the limit is checked before the password is.
    right = limited.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert right.status_code == 429


def test_ten_failed_logins_from_one_address_lock_that_address(
    limited: FlaskClient, db_session: Any
) -> None:
    for n in range(10):
        assert _fail(limited, f"probe{n}@example.nl").status_code == 422
    assert _fail(limited, "another@example.nl").status_code == 429
    assert _fail(limited, "another@example.nl", "198.51.100.9").status_code == 422


def test_successful_logins_do_not_count(limited: FlaskClient, db_session: Any) -> None:
    user = factories.user(email="bea@example.nl")
    db_session.commit()
    for _ in range(12):
        ok = limited.post("/login", data={"email": user.email, "password": PASSWORD})
        assert ok.status_code == 302
        limited.post("/logout")
    assert _fail(limited, user.email).status_code == 422


def test_the_account_key_ignores_case_and_spaces(limited: FlaskClient, db_session: Any) -> None:
    for n in range(10):
        email = "  CeeS@Example.nl " if n % 2 else "cees@example.nl"
        assert _fail(limited, email, f"192.0.2.{n}").status_code == 422
    assert _fail(limited, "cees@EXAMPLE.nl", "203.0.113.5").status_code == 429


def test_registration_and_reset_requests_are_limited_per_address(
    limited: FlaskClient, db_session: Any
) -> None:
    for _ in range(5):
        r = limited.post("/password/forgot", data={"email": "x@example.nl"})
        assert r.status_code == 302
    assert limited.post("/password/forgot", data={"email": "x@example.nl"}).status_code == 429
    for _ in range(10):
        assert limited.post("/register", data={"name": ""}).status_code == 422
    assert limited.post("/register", data={"name": ""}).status_code == 429
    # Looking at the forms is never limited.
    assert limited.get("/register").status_code == 200


API_SCRIPT = textwrap.dedent(
    """
    import json
    from flask import Blueprint, jsonify
    from marketplace import create_app
    from marketplace.accounts.throttle import api_token_limits

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://",
                     API_TOKEN_FAILURE_LIMIT="10 per 15 minutes")
    bp = Blueprint("throttle_probe", __name__, url_prefix="/api/throttle-probe")

    @bp.get("/")
    @api_token_limits
    def probe():
        return jsonify({"error": "no such token"}), 401

    app.register_blueprint(bp)
    client = app.test_client()
    headers = {"Authorization": "Bearer not-a-token"}
    codes = [client.get("/api/throttle-probe/", headers=headers).status_code for _ in range(11)]
    last = client.get("/api/throttle-probe/", headers=headers)
    print(json.dumps({"codes": codes, "json": last.get_json(),
                      "retry": last.headers.get("Retry-After")}))
    """
)


def _run(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_an_api_client_gets_json_with_retry_after() -> None:
    out = json.loads(_run(API_SCRIPT))
    assert out["codes"] == [401] * 10 + [429]
    assert out["json"]["error"]["code"] == "too_many_requests"
    assert int(out["retry"]) > 0


REDIS_SCRIPT = textwrap.dedent(
    """
    import sys
    from flask_migrate import upgrade
    from marketplace import create_app
    from marketplace.extensions import db, limiter

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=sys.argv[1],
                     RATELIMIT_STORAGE_URI=sys.argv[2], LOGIN_FAILURE_LIMIT="10 per 15 minutes")
    with app.app_context():
        upgrade()
        limiter.reset()
    client = app.test_client()
    codes = []
    for n in range(11):
        r = client.post("/login", data={"email": "redis@example.nl", "password": "x" * 12},
                        environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        codes.append(r.status_code)
    print(codes, r.headers.get("Retry-After"))
    with app.app_context():
        limiter.reset()
    """
)


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis server at 127.0.0.1:6379")
def test_the_limits_hold_on_redis_storage(tmp_path: Path) -> None:
    import redis

    database = f"sqlite:///{tmp_path / 'redis.sqlite3'}"
    out = _run(REDIS_SCRIPT, database, REDIS_URL)
    codes, retry_after = out.rsplit(" ", 1)
    assert codes == str([422] * 10 + [429])
    assert int(retry_after) > 0
    # The counters lived in Redis db 3 (and were removed again at the end).
    assert redis.Redis.from_url(REDIS_URL).dbsize() == 0
