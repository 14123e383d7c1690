"""Serving: health endpoints, request ids and log lines, Gunicorn settings, a real Gunicorn."""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.marketplace.helpers import login, make_user

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements the app's engine runs inside the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


# --- health -------------------------------------------------------------------------------


def test_healthz_answers_without_touching_the_database_or_the_session(
    app: Flask, client: FlaskClient
) -> None:
    with statements(app) as seen:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert seen == []
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_checks_the_database_with_one_read_and_writes_nothing(
    app: Flask, client: FlaskClient
) -> None:
    with statements(app) as seen:
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert "redis" not in body["checks"]  # REDIS_URL is not set in tests
    assert [s.strip().upper() for s in seen] == ["SELECT 1"]
    assert "Set-Cookie" not in response.headers


def test_readyz_of_a_logged_in_user_sets_no_cookie(app: Flask, client: FlaskClient) -> None:
    login(client, make_user())
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    from marketplace import create_app

    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    broken = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


def test_readyz_is_503_when_redis_is_configured_but_does_not_answer(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1 on this machine: nothing listens there, the connection is refused at once.
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["redis"]["error"] == "ConnectionError"


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_readyz_pings_redis_when_configured(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_TEST_URL)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["ok"] is True


# --- request ids and log lines ------------------------------------------------------------


def test_every_response_gets_a_fresh_request_id(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-Id"]
    second = client.get("/listings/").headers["X-Request-Id"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_a_well_formed_request_id_from_the_proxy_is_kept(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": "proxy-42.a:b"})
    assert response.headers["X-Request-Id"] == "proxy-42.a:b"


@pytest.mark.parametrize("bad", ["with space", "x" * 129, 'quote"', "new\\nline"])
def test_a_malformed_request_id_is_replaced(client: FlaskClient, bad: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": bad})
    assert response.headers["X-Request-Id"] != bad
    assert len(response.headers["X-Request-Id"]) == 32


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "reststroom.request"]


def test_request_log_writes_one_json_line_per_request_with_the_user(
    app: Flask,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user()
    login(client, user)
    monkeypatch.setitem(app.config, "REQUEST_LOG", True)
    with caplog.at_level(logging.INFO, logger="reststroom.request"):
        mine = client.get("/listings/mine?secret=1", headers={"X-Request-Id": "abc-1"})
        client.get("/no-such-page")
    lines = _request_lines(caplog)
    assert len(lines) == 2
    first, second = lines
    assert mine.status_code == 200
    assert first["method"] == "GET"
    assert first["path"] == "/listings/mine"  # never the query string
    assert first["status"] == 200
    assert first["request_id"] == "abc-1"
    assert first["user_id"] == user.id
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert second["status"] == 404
    assert second["path"] == "/no-such-page"


def test_request_log_is_silent_unless_switched_on(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="reststroom.request"):
        client.get("/healthz")
    assert _request_lines(caplog) == []


def test_production_switches_the_request_log_on() -> None:
    from config import load_config

    settings = load_config(
        "production",
        {
            "SECRET_KEY": "0123456789abcdef0123456789abcdef",
            "DATABASE_URL": "postgresql://u@127.0.0.1/x",
            "RESTSTROOM_BASE_URL": "https://reststroom.example.nl",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
        },
    )
    assert settings["REQUEST_LOG"] is True
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/0"
    assert load_config("testing", {})["REQUEST_LOG"] is False


# --- Gunicorn -----------------------------------------------------------------------------


def _gunicorn_config(monkeypatch: pytest.MonkeyPatch, **env: str):  # type: ignore[no-untyped-def]
    for name in ("HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import marketplace.gunicorn_config as module

    return importlib.reload(module)


def test_gunicorn_defaults_to_two_workers_per_core_plus_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _gunicorn_config(monkeypatch)
    assert conf.default_workers(2) == 5
    assert conf.default_workers(8) == 17
    assert conf.workers == conf.default_workers()
    assert conf.bind == "127.0.0.1:8000"
    assert conf.worker_class == "sync"
    assert conf.preload_app is True


def test_gunicorn_reads_workers_threads_and_address_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = _gunicorn_config(
        monkeypatch,
        WEB_CONCURRENCY="3",
        HOST="0.0.0.0",  # noqa: S104 - a value read back, nothing binds
        PORT="8123",
        GUNICORN_THREADS="4",
    )
    assert conf.workers == 3
    assert conf.bind == "0.0.0.0:8123"
    assert (conf.threads, conf.worker_class) == (4, "gthread")


@pytest.mark.parametrize("value", ["many", "0", "-2"])
def test_gunicorn_refuses_a_bad_worker_count_and_names_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    with pytest.raises(SystemExit, match=rf"WEB_CONCURRENCY={value!r}"):
        _gunicorn_config(monkeypatch, WEB_CONCURRENCY=value)
    _gunicorn_config(monkeypatch)  # leave the module as the next test expects it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RESTSTROOM_CONFIG", "REDIS_URL")}
    env.update(
        RESTSTROOM_CONFIG="production",
        SECRET_KEY="0123456789abcdef0123456789abcdef",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        RESTSTROOM_BASE_URL="https://reststroom.example.nl",
        **extra,
    )
    return env


def test_gunicorn_serves_the_app_with_production_settings(tmp_path: Path) -> None:
    port = _free_port()
    env = _production_env(tmp_path, PORT=str(port), WEB_CONCURRENCY="1")
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "-c", "python:marketplace.gunicorn_config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline:
            try:
                status, headers, body = _get(f"http://127.0.0.1:{port}/readyz")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, "gunicorn did not answer in 60 s"
        assert json.loads(body)["checks"]["database"]["ok"] is True
        status, headers, _body = _get(f"http://127.0.0.1:{port}/listings/")
        assert status == 200
        assert headers["Server"].startswith("gunicorn")
        assert "Strict-Transport-Security" in headers  # production settings are on
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [(line["path"], line["status"]) for line in lines][-2:] == [
        ("/readyz", 200),
        ("/listings/", 200),
    ]


def test_make_serve_refuses_without_a_database_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        ["make", "-s", "serve", "VENV=" + str(Path(sys.executable).parent.parent)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "set DATABASE_URL" in result.stdout + result.stderr


def test_gunicorn_refuses_to_start_without_the_production_settings(tmp_path: Path) -> None:
    env = _production_env(tmp_path, PORT=str(_free_port()), WEB_CONCURRENCY="1")
    del env["SECRET_KEY"]
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "python:marketplace.gunicorn_config",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
