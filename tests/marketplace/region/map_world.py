"""A hand-made world for the circularity map: three firms, five exchanges, one closed loop.

- Firm A (Deventer, GM0150): a public offer of spent grain, an *anonymous* offer of wood
  residues whose site lies 3 km from Deventer's shown point, a need for heat.
- Firm B (Zutphen, GM0301): a need for animal feed, an offer of scrap steel.
- Firm C (Apeldoorn, GM0200): a need for wood, an offer of heat, a need for steel.

Exchanges (quantities per year): grain A->B proposed 100 t; wood A->C agreed 50 t (loop
L1); heat C->A active 200 MWh (loop L1); steel B->C completed 30 t, created on
2025-01-15; grain A->B (a second grain offer) accepted by one side, 20 t.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from marketplace.accounts.models import Organisation, User
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories

#: Sites (lon, lat).
DEVENTER = (6.1597, 52.2550)
DEVENTER_HIDDEN_SITE = (6.2050, 52.2400)  # A's anonymous wood: an industrial estate
ZUTPHEN = (6.1950, 52.1400)
APELDOORN = (5.9690, 52.2110)


@dataclass
class MapWorld:
    a: Organisation
    b: Organisation
    c: Organisation
    member_a: User
    member_b: User
    member_c: User
    coordinator: User
    grain: Listing
    wood: Listing
    heat: Listing
    matches: dict[str, Match]


def exchange(offer: Listing, need: Listing, status: str, quantity: float, **kw: Any) -> Match:
    unit = kw.pop("unit", "t")
    values: dict[str, Any] = {
        "offer": offer,
        "need": need,
        "status": status,
        "quantity_per_year": quantity,
        "unit": unit,
        "quantity_flow_unit": quantity,
        "flow_unit": unit,
        "distance_km": 12.0,
        "road_km": 15.6,
        "mass_t_per_year": quantity if unit == "t" else None,
        "net_co2e_kg": quantity * 10.0,
    }
    values.update(kw)
    match = Match(**values)
    db.session.add(match)
    db.session.flush()
    return match


def _firm(name: str, site: tuple[float, float], code: str) -> Organisation:
    return factories.organisation(name=name, lon=site[0], lat=site[1], municipality_code=code)


@pytest.fixture
def world(db_session: Any) -> MapWorld:
    return build_world(db_session)


def build_world(db_session: Any) -> MapWorld:
    """Create and commit the world (the browser tests' server thread must see it)."""
    a = _firm("Brouwerij Aaltink", DEVENTER, "GM0150")
    b = _firm("Boerderij Bessel", ZUTPHEN, "GM0301")
    c = _firm("Centrale Cortenoever", APELDOORN, "GM0200")
    grain = factories.listing(organisation=a, kind="offer", quantity=100.0, frequency="year")
    grain2 = factories.listing(
        organisation=a, kind="offer", quantity=20.0, frequency="year", title="Bostel II"
    )
    wood = factories.listing(
        organisation=a,
        kind="offer",
        title="Houtkrullen Aaltink",
        material="organics.wood.residues",
        ewc_code="03 01 05",
        quantity=50.0,
        frequency="year",
        visibility="anonymous",
        lon=DEVENTER_HIDDEN_SITE[0],
        lat=DEVENTER_HIDDEN_SITE[1],
    )
    heat_need = factories.listing(
        organisation=a,
        kind="need",
        title="Warmte",
        material="energy.heat",
        unit="MWh",
        quantity=200.0,
        frequency="year",
    )
    feed = factories.listing(organisation=b, kind="need", quantity=120.0, frequency="year")
    steel = factories.listing(
        organisation=b,
        kind="offer",
        title="Schroot",
        material="metals.ferrous",
        ewc_code="17 04 05",
        quantity=30.0,
        frequency="year",
    )
    wood_need = factories.listing(
        organisation=c,
        kind="need",
        title="Hout",
        material="organics.wood.residues",
        quantity=50.0,
        frequency="year",
    )
    heat = factories.listing(
        organisation=c,
        kind="offer",
        title="Restwarmte",
        material="energy.heat",
        unit="MWh",
        ewc_code=None,
        quantity=200.0,
        frequency="year",
    )
    steel_need = factories.listing(
        organisation=c,
        kind="need",
        title="Staal",
        material="metals.ferrous",
        quantity=30.0,
        frequency="year",
    )
    matches = {
        "grain": exchange(grain, feed, "proposed", 100.0),
        "wood": exchange(wood, wood_need, "agreed", 50.0, loop_id="L1"),
        "heat": exchange(heat, heat_need, "active", 200.0, unit="MWh", loop_id="L1"),
        "steel": exchange(
            steel, steel_need, "completed", 30.0, created_at=datetime(2025, 1, 15, tzinfo=UTC)
        ),
        "grain2": exchange(grain2, feed, "accepted", 20.0),
    }
    member_a = factories.user(organisation=a)
    member_b = factories.user(organisation=b)
    member_c = factories.user(organisation=c)
    coordinator = factories.user(role="coordinator", organisation=None)
    db_session.commit()
    return MapWorld(a, b, c, member_a, member_b, member_c, coordinator, grain, wood, heat, matches)
