"""``flask listings import|export``: the same services as the import and export pages."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.listings import transfer as importer

listings_cli = AppGroup("listings", help="Import and export listings (CSV or XLSX).")


def _organisation(name_or_kvk: str | None):  # type: ignore[no-untyped-def]
    if not name_or_kvk:
        return None
    org = importer.find_organisation(name_or_kvk)
    if org is None:
        raise click.ClickException(f"organisation {name_or_kvk!r} not found (name or 8-digit KvK)")
    return org


@listings_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", help="Import every row for this organisation (name or KvK).")
@click.option("--dry-run", is_flag=True, help="Check and show what would change; write nothing.")
@click.option(
    "--create-organisations", is_flag=True, help="Create organisations the file names but we lack."
)
def import_command(
    file: Path, organisation: str | None, dry_run: bool, create_organisations: bool
) -> None:
    """Import listings from FILE, all rows or none."""
    org = _organisation(organisation)
    try:
        plan = importer.plan_import(
            file.read_bytes(),
            filename=file.name,
            actor=None,
            organisation=org,
            create_organisations=create_organisations,
        )
    except importer.ImportRejected as exc:
        click.echo(f"{file}: {len(exc.problems)} problem(s); nothing was imported:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
    click.echo(
        f"{file}: {plan.creates} to create, {plan.updates} to update"
        + (
            f", new organisations: {', '.join(plan.new_organisations)}"
            if plan.new_organisations
            else ""
        )
    )
    if dry_run:
        db.session.rollback()
        click.echo("dry run: nothing written")
        return
    counts = importer.apply_import(plan, actor=None)
    db.session.commit()
    click.echo(f"imported: {counts['created']} created, {counts['updated']} updated")


@listings_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--organisation", help="Only this organisation's listings, drafts included.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None)
def export_command(file: Path, organisation: str | None, fmt: str | None) -> None:
    """Export listings to FILE (the import format; the format follows the extension)."""
    org = _organisation(organisation)
    chosen = fmt or ("xlsx" if file.suffix.lower() == ".xlsx" else "csv")
    frame = importer.export_frame(None, organisation_id=org.id if org else None)
    file.write_bytes(importer.export_bytes(frame, chosen))  # type: ignore[arg-type]
    click.echo(f"{len(frame)} listings written to {file}")


@listings_cli.command("expire-previews")
def expire_previews_command() -> None:
    """Delete the uploads of import previews older than an hour (run it from cron)."""
    removed = importer.expire_previews()
    click.echo(f"{removed} expired import preview(s) deleted")
