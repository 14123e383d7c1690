"""Fixtures shared by every test package.

Tests that touch the database run once per configured database: always SQLite,
and PostgreSQL as well when ``TEST_DATABASE_URL`` is set (``.ci/run`` sets it).
The schema is built by the Alembic migrations, exactly as in production.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])

#: Tables that hold shipped reference data: loaded once per session, never cleaned.
REFERENCE_TABLES = {"municipality", "postcode4", "ewc_code", "sbi_code", "alembic_version"}


def _database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    url = os.environ["TEST_DATABASE_URL"]
    host = sa.engine.make_url(url).host
    if host not in ("127.0.0.1", "localhost", "::1", None):
        raise pytest.UsageError(f"TEST_DATABASE_URL must point at this machine, not {host!r}")
    return url


def reset_postgresql_schema(url: str) -> None:
    """Drop everything in the test database so that migrations start from empty."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """The app on a database migrated to head with the reference data loaded."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.core.reference_data import load_reference_data
    from marketplace.extensions import db

    url = _database_url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        reset_postgresql_schema(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, SERVER_NAME="reststroom.test")
    with app.app_context():
        upgrade()
        load_reference_data()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.scoped_session]:  # type: ignore[type-arg]
    """An app context whose non-reference rows are deleted after the test."""
    from marketplace.extensions import db
    from marketplace.listings import kept

    with app.app_context():
        yield db.session
        db.session.rollback()
        kept.forget()  # rows deleted below may come back with the same ids and stamps
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
        with db.engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
        db.session.remove()


@pytest.fixture
def client(app: Flask, db_session: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def csrf_app(app: Flask) -> Iterator[Flask]:
    """The same app with CSRF protection switched on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield app
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
