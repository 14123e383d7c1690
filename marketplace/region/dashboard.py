"""What the dashboard shows each role: only figures that exist, never placeholders.

A member sees their organisation, their listings counted by kind and status, and the
matches those listings take part in. A coordinator or administrator sees the region:
headline figures, organisations per municipality and the latest engine runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Organisation, User
from marketplace.core.reference import Municipality
from marketplace.core.vocabulary import KINDS, LISTING_STATUSES, MATCH_STATUSES
from marketplace.exchanges.models import Match
from marketplace.exchanges.review import firm_visible_clause
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.region.figures import RegionFigures, region_figures
from marketplace.runs.models import EngineRun

LATEST_RUNS = 5


@dataclass(frozen=True)
class MemberDashboard:
    organisation: Organisation
    #: ``listings[kind][status]``: number of the organisation's listings, zeros included.
    listings: dict[str, dict[str, int]]
    #: Matches involving the organisation's listings, by match status (zeros left out).
    matches: dict[str, int]
    kind: Literal["member"] = "member"

    @property
    def listing_total(self) -> int:
        return sum(sum(by_status.values()) for by_status in self.listings.values())

    @property
    def match_total(self) -> int:
        return sum(self.matches.values())


@dataclass(frozen=True)
class MunicipalityCount:
    code: str | None  # None: organisations without a known municipality
    name: str | None
    in_region: bool
    organisations: int


@dataclass(frozen=True)
class CoordinatorDashboard:
    figures: RegionFigures
    municipalities: list[MunicipalityCount]
    latest_runs: list[EngineRun] = field(default_factory=list)
    kind: Literal["coordinator"] = "coordinator"

    @property
    def organisations_outside_region(self) -> int:
        return sum(m.organisations for m in self.municipalities if not m.in_region)


Dashboard = MemberDashboard | CoordinatorDashboard


def dashboard_for(user: User) -> Dashboard:
    """Build the dashboard of ``user``'s role."""
    if user.is_coordinator or user.organisation is None:
        return coordinator_dashboard()
    return member_dashboard(user.organisation)


def member_dashboard(organisation: Organisation) -> MemberDashboard:
    listings = {kind: dict.fromkeys(LISTING_STATUSES, 0) for kind in KINDS}
    rows = db.session.execute(
        sa.select(Listing.kind, Listing.status, sa.func.count())
        .where(Listing.organisation_id == organisation.id)
        .group_by(Listing.kind, Listing.status)
    ).all()
    for kind, status, count in rows:
        listings.setdefault(kind, {})[status] = int(count)

    offer, need = aliased(Listing), aliased(Listing)
    match_rows = db.session.execute(
        sa.select(Match.status, sa.func.count())
        .join(offer, Match.offer_id == offer.id)
        .join(need, Match.need_id == need.id)
        .where(
            sa.or_(
                offer.organisation_id == organisation.id,
                need.organisation_id == organisation.id,
            ),
            firm_visible_clause(),
        )
        .group_by(Match.status)
    ).all()
    found = {status: int(count) for status, count in match_rows}
    matches = {status: found[status] for status in MATCH_STATUSES if found.get(status)}
    return MemberDashboard(organisation=organisation, listings=listings, matches=matches)


def organisations_per_municipality() -> list[MunicipalityCount]:
    """Organisations per municipality: every region municipality (zeros too), then others."""
    counts = dict(
        db.session.execute(
            sa.select(Organisation.municipality_code, sa.func.count()).group_by(
                Organisation.municipality_code
            )
        ).all()
    )
    municipalities = db.session.scalars(
        sa.select(Municipality).where(
            sa.or_(
                Municipality.in_region,
                Municipality.code.in_([c for c in counts if c is not None]),
            )
        )
    ).all()
    result = [
        MunicipalityCount(m.code, m.name, m.in_region, int(counts.get(m.code, 0)))
        for m in municipalities
    ]
    result.sort(key=lambda m: (not m.in_region, m.name or ""))
    if counts.get(None):
        result.append(MunicipalityCount(None, None, False, int(counts[None])))
    return result


def coordinator_dashboard() -> CoordinatorDashboard:
    runs = list(
        db.session.scalars(
            sa.select(EngineRun)
            .order_by(EngineRun.started_at.desc(), EngineRun.id.desc())
            .limit(LATEST_RUNS)
        )
    )
    return CoordinatorDashboard(
        figures=region_figures(),
        municipalities=organisations_per_municipality(),
        latest_runs=runs,
    )
