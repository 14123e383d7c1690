"""The schema comes from the Alembic migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import DATABASES, _database_url, reset_postgresql_schema


@pytest.fixture(params=DATABASES)
def empty_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    url = _database_url(request.param, tmp_path_factory)
    if request.param == "postgresql":
        # A separate schema would be nicer, but the session app fixture may hold this
        # database: use a throw-away database on the same server instead.
        url = _scratch_postgresql_database(url)
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url)


def _scratch_postgresql_database(url: str) -> str:
    base = sa.engine.make_url(url)
    scratch = base.set(database=f"{base.database}_migrations")
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch.database}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    reset_postgresql_schema(scratch.render_as_string(hide_password=False))
    return scratch.render_as_string(hide_password=False)


def test_migrations_build_the_schema_from_empty_and_match_the_models(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"organisation", "user_account", "listing", "match", "ewc_code"} <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()


def test_migrations_downgrade_to_empty_and_upgrade_again(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "listing" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
