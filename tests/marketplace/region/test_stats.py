"""Regional figures against a hand-made region with exact answers (no database)."""

from __future__ import annotations

import pytest

from marketplace.region import stats
from marketplace.region.stats import DeliveryFact, ExchangeFact, GasFactor, ListingFact

IN_A, IN_B, OUT = "GM0150", "GM0301", "GM0363"
NAMES = {IN_A: "Deventer", IN_B: "Zutphen", OUT: "Amsterdam"}
SECTOR = {1: "C", 2: "A", 3: None, 4: "C", 5: "C"}
GAS = (
    GasFactor("energy.heat", "MWh", 1.25, "test"),
    GasFactor("organics.biomass_fuel", "t", 4.0, "test"),
)


def listing(
    kind: str,
    material: str,
    quantity: float,
    unit: str,
    org: int,
    code: str,
    status: str = "active",
) -> ListingFact:
    return ListingFact(
        kind=kind,
        status=status,
        material=material,
        quantity_per_year=quantity,
        unit=unit,
        organisation_id=org,
        municipality_code=code,
        in_region=code in (IN_A, IN_B),
        sector=SECTOR[org],
    )


LISTINGS = [
    listing("offer", "organics.spent_grain", 100.0, "t", 1, IN_A),
    listing("need", "organics.animal_feed", 80.0, "t", 2, IN_B),
    listing("need", "minerals.aggregates", 50.0, "t", 3, OUT),
    listing("offer", "metals.ferrous", 10.0, "t", 4, IN_A, status="draft"),
    listing("offer", "energy.heat", 200.0, "MWh", 1, IN_A),
    listing("need", "energy.heat", 150.0, "MWh", 5, IN_B),
]


def exchange(
    status: str,
    material: str,
    quantity: float,
    unit: str,
    mass: float | None,
    road_km: float,
    tkm: float,
    co2_kg: float,
    offer: tuple[int, str],
    need: tuple[int, str],
    created: str,
    **kw: object,
) -> ExchangeFact:
    return ExchangeFact(
        status=status,
        material=material,
        quantity_per_year=quantity,
        unit=unit,
        mass_t_per_year=mass,
        road_km=road_km,
        tonne_km_saved=tkm,
        net_co2e_kg=co2_kg,
        offer_organisation_id=offer[0],
        need_organisation_id=need[0],
        offer_municipality_code=offer[1],
        need_municipality_code=need[1],
        offer_in_region=offer[1] != OUT,
        need_in_region=need[1] != OUT,
        created_month=created,
        offer_sector=SECTOR[offer[0]],
        need_sector=SECTOR[need[0]],
        **kw,  # type: ignore[arg-type]
    )


EXCHANGES = [
    # E1: open proposal inside the region.
    exchange(
        "proposed",
        "organics.spent_grain",
        40.0,
        "t",
        40.0,
        12.0,
        400.0,
        4000.0,
        (1, IN_A),
        (2, IN_B),
        "2026-05",
    ),
    # E2: agreed biomass fuel leaving the region, in a loop, one delivery of 10 t.
    exchange(
        "agreed",
        "organics.biomass_fuel",
        30.0,
        "t",
        30.0,
        30.0,
        900.0,
        6000.0,
        (1, IN_A),
        (3, OUT),
        "2026-05",
        agreed_month="2026-06",
        loop_id="L1",
        deliveries=(DeliveryFact("2026-07", 10.0, 10.0, 2000.0),),
    ),
    # E3: completed heat inside the region (no mass), one delivery of 50 MWh.
    exchange(
        "completed",
        "energy.heat",
        100.0,
        "MWh",
        None,
        3.0,
        0.0,
        20000.0,
        (1, IN_A),
        (5, IN_B),
        "2026-06",
        agreed_month="2026-06",
        deliveries=(DeliveryFact("2026-07", 50.0, None, 10000.0),),
    ),
    # E4: hidden by a coordinator: counts nowhere.
    exchange(
        "proposed",
        "organics.spent_grain",
        25.0,
        "t",
        25.0,
        60.0,
        10.0,
        1000.0,
        (1, IN_A),
        (2, IN_B),
        "2026-06",
        hidden=True,
    ),
    # E5: declined: counts nowhere.
    exchange(
        "declined",
        "organics.spent_grain",
        5.0,
        "t",
        5.0,
        8.0,
        10.0,
        100.0,
        (1, IN_A),
        (2, IN_B),
        "2026-06",
    ),
    # E6: accepted by one side, from outside the region, in the same loop.
    exchange(
        "accepted",
        "minerals.aggregates",
        20.0,
        "t",
        20.0,
        120.0,
        -100.0,
        500.0,
        (3, OUT),
        (2, IN_B),
        "2026-06",
        loop_id="L1",
    ),
]


def test_headline_figures_of_the_hand_made_region() -> None:
    h = stats.headline(LISTINGS, EXCHANGES, GAS)
    assert (h.active_firms, h.active_offers, h.active_needs) == (4, 2, 3)
    assert (h.offered_t_per_year, h.needed_t_per_year) == (100.0, 130.0)
    assert (h.proposed_exchanges, h.agreed_exchanges) == (2, 2)
    assert (h.proposed_t_per_year, h.agreed_t_per_year, h.realised_t) == (60.0, 30.0, 10.0)
    assert h.proposed_co2e_t_per_year == pytest.approx(4.5)
    assert h.agreed_co2e_t_per_year == pytest.approx(26.0)
    assert h.realised_co2e_t == pytest.approx(12.0)
    # 30 t biomass fuel x 4 + 100 MWh heat x 1.25; realised 10 t x 4 + 50 MWh x 1.25.
    assert h.agreed_gas_mwh_per_year == pytest.approx(245.0)
    assert h.realised_gas_mwh == pytest.approx(102.5)


def test_regional_shares_loops_and_tonne_km() -> None:
    h = stats.headline(LISTINGS, EXCHANGES, GAS)
    # Needs in the region: 80 t (the 50 t need is outside, heat has no mass).
    assert h.regional_need_t_per_year == 80.0
    # Inside both ways: E1 (40 t) and E3 (no mass); agreed inside: E3 only.
    assert h.regional_share_proposed == pytest.approx(0.5)
    assert h.regional_share_agreed == 0.0
    # From regional suppliers: E1 40 + E2 30 + E3 0 = 70 t, of which 40 t stay.
    assert h.kept_in_region_share == pytest.approx(40.0 / 70.0)
    assert (h.closed_loops, h.loop_t_per_year) == (1, 50.0)
    assert (h.proposed_tonne_km_saved, h.agreed_tonne_km_saved) == (300.0, 900.0)


def test_shares_are_none_without_a_denominator() -> None:
    h = stats.headline([], [], GAS)
    assert h.regional_share_proposed is None
    assert h.kept_in_region_share is None
    assert h.active_firms == 0


def test_per_family_keeps_units_apart() -> None:
    rows = {(r.family, r.unit): r for r in stats.per_family(LISTINGS, EXCHANGES)}
    assert list(rows) == [("energy", "MWh"), ("minerals", "t"), ("organics", "t")]
    energy, minerals, organics = rows.values()
    assert (energy.offers, energy.offered_per_year, energy.needs, energy.needed_per_year) == (
        1,
        200.0,
        1,
        150.0,
    )
    assert (energy.proposed_per_year, energy.agreed_per_year, energy.realised) == (0.0, 100.0, 50.0)
    assert (minerals.needs, minerals.needed_per_year, minerals.proposed_per_year) == (1, 50.0, 20.0)
    assert (organics.offered_per_year, organics.needed_per_year) == (100.0, 80.0)
    assert (organics.proposed_per_year, organics.agreed_per_year, organics.realised) == (
        40.0,
        30.0,
        10.0,
    )


def test_distance_histogram_bins_road_km() -> None:
    bins = stats.distance_histogram(EXCHANGES)
    assert [b.exchanges for b in bins] == [1, 0, 1, 1, 0, 1, 0]
    assert [b.t_per_year for b in bins] == [0.0, 0.0, 40.0, 30.0, 0.0, 20.0, 0.0]
    assert (bins[0].low_km, bins[0].high_km, bins[-1].low_km, bins[-1].high_km) == (
        0.0,
        5.0,
        250.0,
        None,
    )


def test_a_distance_on_an_edge_falls_in_the_upper_bin() -> None:
    on_edge = exchange(
        "proposed", "organics.x", 1.0, "t", 1.0, 10.0, 0.0, 0.0, (1, IN_A), (2, IN_B), "2026-01"
    )
    counts = [b.exchanges for b in stats.distance_histogram([on_edge], (5.0, 10.0))]
    assert counts == [0, 0, 1]


def test_per_month_counts_proposals_agreements_and_deliveries() -> None:
    months = {m.month: m for m in stats.per_month(EXCHANGES)}
    assert list(months) == ["2026-05", "2026-06", "2026-07"]
    may, june, july = months.values()
    assert (may.proposals, may.proposed_t, may.agreements) == (2, 70.0, 0)
    assert (june.proposals, june.proposed_t) == (2, 20.0)
    assert (june.agreements, june.agreed_t_per_year) == (2, 30.0)
    assert (july.realised_t, july.realised_co2e_t) == (10.0, pytest.approx(12.0))


def test_per_municipality_lists_the_region_first_and_adds_up() -> None:
    rows = stats.per_municipality(LISTINGS, EXCHANGES, names=NAMES, region_codes=[IN_A, IN_B])
    assert [r.name for r in rows] == ["Deventer", "Zutphen", "Amsterdam"]
    deventer, zutphen, amsterdam = rows
    assert (deventer.firms, deventer.offers, deventer.offered_t_per_year) == (1, 2, 100.0)
    assert (deventer.supplied_t_per_year, deventer.co2e_t_per_year) == (30.0, pytest.approx(26.0))
    assert (zutphen.firms, zutphen.needs, zutphen.needed_t_per_year) == (2, 2, 80.0)
    assert (amsterdam.in_region, amsterdam.received_t_per_year) == (False, 30.0)
    assert sum(r.co2e_t_per_year for r in rows) == pytest.approx(26.0)


def test_per_sector_groups_by_sbi_section() -> None:
    rows = stats.per_sector(LISTINGS, EXCHANGES, names={"A": "Landbouw", "C": "Industrie"})
    assert [r.key for r in rows] == ["A", "C", None]
    a, c, unknown = rows
    assert (a.firms, a.needs, a.needed_t_per_year) == (1, 1, 80.0)
    assert (c.firms, c.offers, c.offered_t_per_year, c.supplied_t_per_year) == (2, 2, 100.0, 30.0)
    assert (unknown.firms, unknown.received_t_per_year) == (1, 30.0)


def test_gas_factor_of_a_material_falls_back_to_its_ancestor() -> None:
    factors = (GasFactor("energy.heat", "MWh", 1.25, "x"),)
    assert stats.gas_mwh_per_unit("energy.heat.waste", factors) == factors[0]
    assert stats.gas_mwh_per_unit("energy.steam", factors) is None
