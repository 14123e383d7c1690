"""``flask backup FILE`` / ``flask restore FILE``: every table, consistent and versioned.

A backup is a zip archive: ``manifest.json`` (format, format version, the Alembic
revision of the schema, row counts) and ``tables/<table>.jsonl``, one JSON object per
row. All tables are read in one transaction (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite), so the dump is one moment of the database. Values are written as
JSON by column type (dates and times in ISO 8601), so a dump of SQLite restores into
PostgreSQL and back.

``restore`` writes into an *empty* database migrated to the *same* revision, in one
transaction (all rows or none), and refuses anything else with a message that says why.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from marketplace.extensions import db

FORMAT = "reststroom-backup"
FORMAT_VERSION = 1
BATCH_ROWS = 1000


class BackupError(click.ClickException):
    """A backup or restore that cannot go ahead; the message says why."""


def _tables() -> list[sa.Table]:
    """Every table of the models (and Alembic's), parents before children."""
    return list(db.metadata.sorted_tables)


def _revision(conn: sa.Connection) -> str | None:
    try:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DBAPIError:
        return None


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no NaN or infinity
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, sa.Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, sa.Float):
        return lambda v: float(v) if isinstance(v, str) else v
    return lambda v: v


def _ordered(table: sa.Table) -> sa.Select[Any]:
    keys = list(table.primary_key.columns) or list(table.columns)
    return sa.select(table).order_by(*keys)


def write_backup(path: Path) -> dict[str, int]:
    """Dump every table to ``path``; return the row count per table."""
    counts: dict[str, int] = {}
    engine = db.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as conn, conn.begin():
        revision = _revision(conn)
        if revision is None:
            raise BackupError("the database has no schema yet (run `flask --app wsgi db upgrade`)")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in _tables():
                n = 0
                with archive.open(f"tables/{table.name}.jsonl", "w") as out:
                    for row in conn.execute(_ordered(table)).mappings():
                        line = {k: _encode(v) for k, v in row.items()}
                        out.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
                        n += 1
                counts[table.name] = n
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "alembic_revision": revision,
                "dialect": engine.dialect.name,
                "created_at": datetime.now(UTC).isoformat(),
                "tables": counts,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts


def _rows(archive: zipfile.ZipFile, table: sa.Table) -> Iterator[dict[str, Any]]:
    decoders = {c.name: _decoder(c) for c in table.columns}
    with archive.open(f"tables/{table.name}.jsonl") as stream:
        for line in stream:
            raw = json.loads(line)
            unknown = set(raw) - decoders.keys()
            if unknown:
                raise BackupError(
                    f"table {table.name}: columns {sorted(unknown)} are not in this schema"
                )
            yield {k: decoders[k](v) for k, v in raw.items()}


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except KeyError:
        raise BackupError("this is not a Reststroom backup (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError("this is not a Reststroom backup (unknown format)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')!r} cannot be read by this "
            f"version of Reststroom (it reads version {FORMAT_VERSION})"
        )
    return manifest


def restore_backup(path: Path) -> dict[str, int]:
    """Load the backup at ``path`` into this empty database; all rows or none."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, FileNotFoundError) as error:
        raise BackupError(f"{path} is not a readable backup ({error})") from None
    with archive:
        manifest = read_manifest(archive)
        engine = db.engine
        with engine.begin() as conn:
            revision = _revision(conn)
            if revision is None:
                raise BackupError(
                    "the database has no schema; run `flask --app wsgi db upgrade` first"
                )
            if revision != manifest["alembic_revision"]:
                raise BackupError(
                    f"the backup is of schema revision {manifest['alembic_revision']}, this "
                    f"database is at {revision}; migrate an empty database to "
                    f"{manifest['alembic_revision']} (`flask --app wsgi db upgrade "
                    f"{manifest['alembic_revision']}`), restore, then upgrade"
                )
            tables = [t for t in _tables() if t.name != "alembic_version"]
            filled = [
                t.name
                for t in tables
                if conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            ]
            if filled:
                raise BackupError(
                    "restore needs an empty database, but these tables hold rows: "
                    + ", ".join(filled)
                )
            counts: dict[str, int] = {}
            for table in tables:
                if table.name not in manifest["tables"]:
                    raise BackupError(f"the backup has no table {table.name}")
                n, batch = 0, []
                for row in _rows(archive, table):
                    batch.append(row)
                    if len(batch) == BATCH_ROWS:
                        conn.execute(table.insert(), batch)
                        n, batch = n + len(batch), []
                if batch:
                    conn.execute(table.insert(), batch)
                    n += len(batch)
                if n != manifest["tables"][table.name]:
                    raise BackupError(
                        f"table {table.name}: {n} rows in the file, the manifest says "
                        f"{manifest['tables'][table.name]}; the backup is damaged"
                    )
                counts[table.name] = n
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
    return counts


def _reset_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Let PostgreSQL's id sequences continue after the restored ids."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": f'"{table.name}"', "column": keys[0].name},
        ).scalar()
        if sequence:
            conn.execute(
                sa.text(
                    f'SELECT setval(:seq, COALESCE((SELECT MAX("{keys[0].name}") '  # noqa: S608
                    f'FROM "{table.name}"), 0) + 1, false)'
                ),
                {"seq": sequence},
            )


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write every table to FILE (a zip of JSON lines with the schema revision)."""
    counts = write_backup(file)
    click.echo(f"{sum(counts.values())} rows of {len(counts)} tables written to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Load FILE (from `flask backup`) into an empty database at the same schema revision."""
    counts = restore_backup(file)
    click.echo(f"{sum(counts.values())} rows of {len(counts)} tables restored from {file}")
