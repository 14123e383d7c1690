"""Flask CLI commands. Each calls the same services as the views and commits once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db
from marketplace.services.reference import load_reference_data, reference_counts

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


def _commands() -> list[click.Command]:
    from marketplace.auth.commands import users_cli
    from marketplace.demo_commands import demo_cli
    from marketplace.i18n_commands import i18n_cli
    from marketplace.listings.commands import listings_cli
    from marketplace.matches.commands import flows_cli

    return [reference_cli, users_cli, demo_cli, listings_cli, flows_cli, i18n_cli]


COMMANDS = _commands()
