"""``flask demo``: load the fictional demo region and print its logins (``make run`` uses it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace.accounts.models import Organisation
from marketplace.demo.exchanges import load_demo_exchanges
from marketplace.demo.services import (
    SIZES,
    DemoDataExists,
    DemoError,
    DemoLogin,
    DemoReport,
    ProgressCallback,
    demo_logins,
    load_demo,
    refuse_in_production,
)
from marketplace.extensions import db

demo_cli = AppGroup(
    "demo", help="Fictional demo data: firms, listings and logins of a made-up region."
)

#: Beyond this many municipalities (``--size national``) only the busiest are listed.
_MUNICIPALITIES_SHOWN = 12


@demo_cli.command("load")
@click.option(
    "--size",
    type=click.Choice(SIZES),
    default="region",
    show_default=True,
    help="small: ~40 firms; region: the Cleantech Regio; national: firms across the Netherlands.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Same seed, same data."
)
@click.option(
    "--replace", is_flag=True, help="Remove earlier demo data first; real organisations stay."
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (and succeed) when organisations exist; print the demo logins.",
)
def demo_load(size: str, seed: int, replace: bool, if_empty: bool) -> None:
    """Load a fictional but realistic region into the database (never in production)."""
    try:
        refuse_in_production()
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    if if_empty and not replace:
        existing = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0
        if existing:
            click.echo(f"{existing} organisation(s) already in the database; demo data not loaded.")
            _echo_logins(demo_logins())
            return
    with _progress_bar() as progress:
        try:
            report = load_demo(size=size, seed=seed, replace=replace, progress=progress)
        except DemoDataExists as exc:
            db.session.rollback()
            raise click.ClickException(
                f"{exc}. Run with --replace to swap out earlier demo data, "
                "or with --if-empty to leave the database as it is."
            ) from None
        except DemoError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    db.session.commit()
    _echo_report(report)


@demo_cli.command("exchanges")
def demo_exchanges() -> None:
    """Take the demo firm's proposals through every state (after `flask flows run`)."""
    try:
        report = load_demo_exchanges()
    except DemoError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    if report.skipped:
        click.echo("The demo firm already has agreed exchanges; nothing changed.")
        return
    states = ", ".join(f"{n} {status}" for status, n in sorted(report.by_status.items()))
    click.echo(
        f"Demo exchanges: {states}; {report.deliveries} deliveries, {report.messages} messages."
    )


@contextmanager
def _progress_bar() -> Iterator[ProgressCallback]:
    """A progress callback that draws a bar on stderr, so stdout stays the report."""
    with ExitStack() as stack:
        bar: Any = None

        def update(stage: str, done: int, total: int) -> None:
            nonlocal bar
            if bar is None:  # the total is known once the economy is generated
                bar = stack.enter_context(
                    click.progressbar(length=total, label="Loading demo data", file=sys.stderr)
                )
            bar.update(done - bar.pos)

        yield update


def _echo_report(report: DemoReport) -> None:
    if report.removed_organisations:
        click.echo(f"Removed {report.removed_organisations} earlier demo organisation(s).")
    kinds = ", ".join(f"{n} {kind}s" for kind, n in report.listings_by_kind.items())
    click.echo(
        f"Loaded fictional demo data (size {report.size}, seed {report.seed}): "
        f"{report.organisations} organisations, {report.listings} listings ({kinds}), "
        f"{report.accepted_codes} accepted EWC codes on needs."
    )
    rows = sorted(
        report.listings_by_municipality.items(), key=lambda item: (-sum(item[1].values()), item[0])
    )
    shown = rows[:_MUNICIPALITIES_SHOWN]
    width = max((len(name) for name, _ in shown), default=0)
    busiest = f" (the {len(shown)} busiest)" if len(rows) > len(shown) else ""
    click.echo(f"Listings per municipality{busiest}:")
    for name, counts in sorted(shown):
        offers, needs = counts.get("offer", 0), counts.get("need", 0)
        click.echo(f"  {name:<{width}}  offers {offers:>6}  needs {needs:>6}")
    if len(rows) > len(shown):
        click.echo(f"  ... and {len(rows) - len(shown)} more municipalities")
    if report.unknown_sbi_codes:
        click.echo(
            "SBI codes not in the sbi_code table (stored empty): "
            + ", ".join(report.unknown_sbi_codes)
        )
    _echo_logins(report.logins)


def _echo_logins(logins: tuple[DemoLogin, ...]) -> None:
    if not logins:
        click.echo("No demo logins in the database.")
        return
    click.echo("Demo logins (fictional data; the password is for demo use only):")
    width = max(len(login.email) for login in logins)
    for login in logins:
        who = login.role + (f" of {login.organisation}" if login.organisation else "")
        click.echo(f"  {login.email:<{width}}  {login.password}  ({who})")
