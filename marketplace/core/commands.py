"""``flask reference load``: the reference tables from the data shipped in the project."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.core.reference_data import load_reference_data, reference_counts
from marketplace.extensions import db

reference_cli = AppGroup(
    "reference", help="Reference data: waste codes, SBI, municipalities, postcodes."
)


@reference_cli.command("load")
def reference_load() -> None:
    """Load or update the reference tables from the data shipped in the project."""
    report = load_reference_data()
    db.session.commit()
    for table, (inserted, updated) in report.items():
        click.echo(f"{table}: {inserted} inserted, {updated} updated")
    counts = reference_counts()
    click.echo("in the database: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
