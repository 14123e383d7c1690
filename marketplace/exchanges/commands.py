"""``flask matches`` (list, expire) and ``flask notifications digest``, for people and cron."""

from __future__ import annotations

import csv
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from marketplace.core.vocabulary import MATCH_STATUS_GROUPS, MATCH_STATUSES
from marketplace.exchanges.models import Match
from marketplace.exchanges.notifications import send_digests
from marketplace.exchanges.services import expire_proposals
from marketplace.extensions import db
from marketplace.listings.models import Listing

matches_cli = AppGroup("matches", help="Matches between offers and needs: list, expire.")
notifications_cli = AppGroup("notifications", help="Notifications: the daily e-mail digest.")

LIST_COLUMNS = (
    "id",
    "status",
    "offer_id",
    "offer_organisation",
    "need_id",
    "need_organisation",
    "quantity_per_year",
    "unit",
    "net_co2e_kg",
    "created_at",
)


@matches_cli.command("list")
@click.option(
    "--status",
    type=click.Choice((*MATCH_STATUSES, *MATCH_STATUS_GROUPS)),
    help="Only matches of this status (or group: open, agreed, closed).",
)
@click.option(
    "--format", "fmt", type=click.Choice(("table", "csv")), default="table", show_default=True
)
def list_matches(status: str | None, fmt: str) -> None:
    """List matches (for administrators: firms are named)."""
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    stmt = (
        sa.select(Match)
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .options(sa.orm.joinedload(Match.offer), sa.orm.joinedload(Match.need))
        .order_by(Match.id)
    )
    if status in MATCH_STATUS_GROUPS:
        stmt = stmt.where(Match.status.in_(MATCH_STATUS_GROUPS[status]))
    elif status:
        stmt = stmt.where(Match.status == status)
    rows = [
        {
            "id": m.id,
            "status": m.status,
            "offer_id": m.offer_id,
            "offer_organisation": m.offer.organisation.name,
            "need_id": m.need_id,
            "need_organisation": m.need.organisation.name,
            "quantity_per_year": f"{m.quantity_per_year:.6g}",
            "unit": m.unit,
            "net_co2e_kg": f"{m.net_co2e_kg:.1f}",
            "created_at": m.created_at.strftime("%Y-%m-%d"),
        }
        for m in db.session.scalars(stmt).unique()
    ]
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=LIST_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    widths = {c: max([len(c), *(len(str(r[c])) for r in rows)]) for c in LIST_COLUMNS}
    click.echo("  ".join(c.ljust(widths[c]) for c in LIST_COLUMNS))
    for row in rows:
        click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in LIST_COLUMNS))
    click.echo(f"{len(rows)} matches")


@matches_cli.command("expire")
@click.option(
    "--max-age-days",
    type=click.IntRange(min=1),
    default=None,
    help="Default: RESTSTROOM_PROPOSAL_MAX_AGE_DAYS (60).",
)
def expire(max_age_days: int | None) -> None:
    """Expire old open proposals and warn the firms of those about to expire (for cron)."""
    result = expire_proposals(max_age_days=max_age_days)
    db.session.commit()
    click.echo(f"{result['expired']} proposals expired, {result['warned']} about to expire")


@notifications_cli.command("digest")
def digest() -> None:
    """Send the daily digest e-mails (for cron, once a day)."""
    sent = send_digests()
    db.session.commit()
    click.echo(f"{sent} digest e-mails sent")
