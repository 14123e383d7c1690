"""A small region for engine and exchange tests: three firms, spent grain, feed, rubble."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from geo.geocode import geocode_postcode
from marketplace.accounts.models import Organisation, User
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from marketplace.runs.models import EngineRun
from tests import factories
from tests.marketplace.helpers import make_user

MUNICIPALITY = {"7411": "GM0150", "7201": "GM0301", "7311": "GM0200", "7241": "GM0262"}


def firm_at(pc4: str, name: str) -> Organisation:
    lon, lat = geocode_postcode(pc4)
    return factories.organisation(
        name=name, postcode=f"{pc4} AA", lon=lon, lat=lat, municipality_code=MUNICIPALITY[pc4]
    )


def offer(org: Organisation, quantity_t: float, **kw: Any) -> Listing:
    return factories.listing(
        organisation=org, kind="offer", quantity=quantity_t, frequency="year", **kw
    )


def need(org: Organisation, quantity_t: float, **kw: Any) -> Listing:
    return factories.listing(
        organisation=org, kind="need", quantity=quantity_t, frequency="year", **kw
    )


@dataclass
class Region:
    brewery: Organisation  # Deventer
    farm: Organisation  # Zutphen
    builder: Organisation  # Apeldoorn
    grain: Listing
    feed: Listing
    rubble: Listing


@pytest.fixture
def region(db_session: Any) -> Region:
    """Spent grain in Deventer, animal feed wanted in Zutphen, rubble nobody can use."""
    brewery = firm_at("7411", "Brouwerij Davo")
    farm = firm_at("7201", "Melkveebedrijf Berends")
    builder = firm_at("7311", "Sloopbedrijf Apeldoorn")
    grain = offer(brewery, 500.0, material="organics.spent_grain", ewc_code="02 07 02")
    feed = need(farm, 500.0, material="organics.animal_feed", max_distance_km=30.0)
    rubble = offer(
        builder, 200.0, title="Betonpuin", material="minerals.concrete_rubble", ewc_code="17 01 01"
    )
    db_session.commit()
    return Region(brewery, farm, builder, grain, feed, rubble)


def matches() -> list[Match]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Match).order_by(Match.id)))


def run() -> EngineRun:
    engine_run = runs.run_engine()
    db.session.commit()
    assert engine_run.status == "succeeded", engine_run.error
    return engine_run


def agree(match: Match) -> None:
    offer_member = make_user(organisation=match.offer.organisation)
    need_member = make_user(organisation=match.need.organisation)
    matching.accept(offer_member, match)
    matching.accept(need_member, match)
    db.session.commit()
    assert match.status == "agreed"


@dataclass
class Parties:
    proposal: Match
    brewer: User
    farmer: User
    outsider: User


@pytest.fixture
def parties(region: Region) -> Parties:
    run()
    [proposal] = matches()
    brewer = make_user(organisation=region.brewery)
    farmer = make_user(organisation=region.farm)
    outsider = make_user(organisation=region.builder)
    db.session.commit()
    return Parties(proposal, brewer, farmer, outsider)


def reload(match: Match) -> Match:
    db.session.expire_all()
    found = db.session.get(Match, match.id)
    assert found is not None
    return found
