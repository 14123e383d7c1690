"""Headline figures of the region, for the landing page and the dashboards."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.core.reference import Municipality
from marketplace.core.vocabulary import AGREED_STATUSES
from marketplace.exchanges.impact import ExchangeTotals, exchange_totals
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing


@dataclass(frozen=True)
class RegionFigures:
    organisations: int
    municipalities: int
    active_offers: int
    active_needs: int
    proposed_matches: int
    agreed_matches: int
    agreed_net_co2e_t_per_year: float
    proposed_net_co2e_t_per_year: float


def region_figures() -> RegionFigures:
    """Count what exists now: firms, active listings, matches and their avoided CO2e."""
    listing_counts = dict(
        db.session.execute(
            sa.select(Listing.kind, sa.func.count())
            .where(Listing.status == "active")
            .group_by(Listing.kind)
        ).all()
    )
    match_rows = db.session.execute(
        sa.select(
            Match.status, sa.func.count(), sa.func.coalesce(sa.func.sum(Match.net_co2e_kg), 0.0)
        ).group_by(Match.status)
    ).all()
    by_status = {status: (count, co2) for status, count, co2 in match_rows}
    agreed = [by_status.get(s, (0, 0.0)) for s in AGREED_STATUSES]
    proposed = by_status.get("proposed", (0, 0.0))
    return RegionFigures(
        organisations=db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) or 0,
        municipalities=db.session.scalar(
            sa.select(sa.func.count()).select_from(Municipality).where(Municipality.in_region)
        )
        or 0,
        active_offers=listing_counts.get("offer", 0),
        active_needs=listing_counts.get("need", 0),
        proposed_matches=proposed[0],
        agreed_matches=sum(c for c, _ in agreed),
        agreed_net_co2e_t_per_year=sum(float(v) for _, v in agreed) / 1000.0,
        proposed_net_co2e_t_per_year=float(proposed[1]) / 1000.0,
    )


def exchange_figures() -> ExchangeTotals:
    """The region's agreed exchanges (estimated) and what their deliveries realised.

    The exchanges slice counts them with the same method as a firm's impact page.
    """
    return exchange_totals()
