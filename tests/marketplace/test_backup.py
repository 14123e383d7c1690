"""``flask backup`` / ``flask restore``: every row, across SQLite and PostgreSQL; restore
refuses a non-empty database and a dump of another schema revision."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from tests.conftest import _database_url
from tests.marketplace.region_world import Parties, agree
from tests.marketplace.test_migrations import _scratch_postgresql_database

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _flask(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RESTSTROOM_CONFIG": "testing",
        "TEST_DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    return value


def _snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            keys = list(table.primary_key.columns)
            rows = conn.execute(sa.select(table).order_by(*keys)).all()
            out[table.name] = [tuple(_normalise(v) for v in row) for row in rows]
    return out


def _target_url(kind: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    return _scratch_postgresql_database(_database_url("postgresql", tmp_path_factory))


@pytest.mark.parametrize("target", TARGETS)
def test_a_backup_restores_every_row_into_an_empty_database_of_either_kind(
    app: Flask,
    parties: Parties,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    target: str,
) -> None:
    agree(parties.proposal)  # matches, timestamps, JSON breakdowns, audit rows
    dump = tmp_path / "dump.zip"
    result = app.test_cli_runner().invoke(args=["backup", str(dump)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(dump) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "reststroom-backup" and manifest["alembic_revision"]
    assert manifest["tables"]["listing"] == 3 and manifest["tables"]["match"] >= 1

    url = _target_url(target, tmp_path, tmp_path_factory)
    upgraded = _flask(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-2000:]
    restored = _flask(url, "restore", str(dump))
    assert restored.returncode == 0, restored.stderr[-2000:]
    assert "rows of" in restored.stdout

    source = _snapshot(db.engine)
    engine = sa.create_engine(url)
    try:
        assert _snapshot(engine) == source
        # A second restore into the now filled database is refused, naming the tables.
        again = _flask(url, "restore", str(dump))
        assert again.returncode != 0
        assert "restore needs an empty database" in again.stderr
        assert "listing" in again.stderr
        if target == "postgresql":
            # The id sequences continue after the restored ids.
            with engine.begin() as conn:
                top = conn.execute(sa.text("SELECT max(id) FROM organisation")).scalar()
                nxt = conn.execute(
                    sa.text("SELECT nextval(pg_get_serial_sequence('organisation', 'id'))")
                ).scalar()
            assert nxt == top + 1
    finally:
        engine.dispose()


def test_restore_refuses_a_dump_of_another_schema_revision(
    app: Flask, db_session: Any, tmp_path: Path
) -> None:
    dump = tmp_path / "dump.zip"
    assert app.test_cli_runner().invoke(args=["backup", str(dump)]).exit_code == 0
    edited = tmp_path / "other.zip"
    with zipfile.ZipFile(dump) as source, zipfile.ZipFile(edited, "w") as out:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "manifest.json":
                manifest = json.loads(body)
                manifest["alembic_revision"] = "0000deadbeef"
                body = json.dumps(manifest).encode()
            out.writestr(info, body)
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert _flask(url, "db", "upgrade").returncode == 0
    refused = _flask(url, "restore", str(edited))
    assert refused.returncode != 0
    assert "schema revision 0000deadbeef" in refused.stderr
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ewc_code")).scalar() == 0
    engine.dispose()


def test_a_damaged_backup_writes_nothing(app: Flask, parties: Parties, tmp_path: Path) -> None:
    dump = tmp_path / "dump.zip"
    assert app.test_cli_runner().invoke(args=["backup", str(dump)]).exit_code == 0
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(dump) as source, zipfile.ZipFile(damaged, "w") as out:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "tables/match.jsonl":
                body = body.replace(b'"status"', b'"no_such_column"', 1)
            out.writestr(info, body)
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert _flask(url, "db", "upgrade").returncode == 0
    refused = _flask(url, "restore", str(damaged))
    assert refused.returncode != 0
    assert "no_such_column" in refused.stderr
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        # Tables before ``match`` were inserted in the same transaction: rolled back too.
        assert conn.execute(sa.text("SELECT count(*) FROM listing")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM ewc_code")).scalar() == 0
    engine.dispose()
