"""The synthetic Cleantech Regio economy: deterministic, plausible, and work for the engine."""

from __future__ import annotations

import doctest
import io
from datetime import date
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows.synthetic
from flows.listing_file import (
    CANONICAL_COLUMNS,
    parse_listings,
    read_listing_file,
    split_offers_needs,
    write_listing_file,
)
from flows.schema import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    LISTING_COLUMNS,
    STATUSES,
    UNITS,
)
from flows.synthetic import (
    ANCHORS,
    ARCHETYPES,
    FIRM_COLUMNS,
    JITTER_M,
    KVK_RANGE,
    SIZES,
    SYNTHETIC_LISTING_COLUMNS,
    SyntheticEconomy,
    generate,
    to_listing_file_frame,
)
from flows.taxonomy import category_for_ewc, ewc_codes_for, is_category, match_rule, root
from flows.validate import validate_listings
from geo.distance import straight_km
from geo.geocode import is_valid_postcode, pc4_table
from geo.regions import assign_municipalities

REPO = Path(__file__).resolve().parents[2]
EWC_CSV = REPO / "flows" / "data" / "ewc_codes.csv"
SBI_CSV = REPO / "marketplace" / "data" / "sbi2008_codes_nl.csv"
MEMBERS_CSV = REPO / "geo" / "data" / "cleantech_regio_members.csv"
CODELESS_ROOTS = {"energy", "water"}
HEAT = {"energy.heat", "energy.steam", "energy.hot_water", "energy.heat_low_temperature"}


@pytest.fixture(scope="module")
def small() -> SyntheticEconomy:
    return generate(size="small", seed=11)


@pytest.fixture(scope="module")
def region() -> SyntheticEconomy:
    return generate(size="region", seed=3)


@pytest.fixture(scope="module")
def national() -> SyntheticEconomy:
    return generate(size="national", seed=0)


@pytest.fixture(scope="module")
def ewc_list() -> set[str]:
    return set(pd.read_csv(EWC_CSV, dtype=str)["code"])


@pytest.fixture(scope="module")
def region_municipalities() -> set[str]:
    return set(pd.read_csv(MEMBERS_CSV, dtype=str)["name"])


def _code_names_material(code: str, material: str) -> bool:
    """The code maps to the material, or the material is one the List of Waste cannot
    name (no code of its own, e.g. PE film) and the code names its branch."""
    mapped = category_for_ewc(code)
    if mapped == material:
        return True
    return not ewc_codes_for(material, include_descendants=True) and root(mapped) == root(material)


# -- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "region"])
def test_the_same_seed_gives_identical_frames(size: str) -> None:
    first, second = generate(size=size, seed=42), generate(size=size, seed=42)
    pd.testing.assert_frame_equal(first.firms, second.firms)
    pd.testing.assert_frame_equal(first.listings, second.listings)


@pytest.mark.slow
def test_the_national_economy_is_identical_on_a_second_run(national: SyntheticEconomy) -> None:
    again = generate(size="national", seed=0)
    pd.testing.assert_frame_equal(national.firms, again.firms)
    pd.testing.assert_frame_equal(national.listings, again.listings)


def test_different_seeds_give_different_economies() -> None:
    one, two = generate(size="small", seed=1), generate(size="small", seed=2)
    assert not one.firms["name"].equals(two.firms["name"])
    assert not one.listings["quantity"].equals(two.listings["quantity"])
    assert not one.firms["lon"].equals(two.firms["lon"])


# -- sizes and arguments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "firms", "listings"),
    [("small", 40, 200), ("region", 400, 2_000), ("national", None, 100_000)],
)
def test_presets_are_within_15_percent_of_their_targets(
    size: str, firms: int | None, listings: int, national: SyntheticEconomy
) -> None:
    economy = national if size == "national" else generate(size=size, seed=5)
    if firms is not None:
        assert abs(len(economy.firms) - firms) <= 0.15 * firms
    assert abs(len(economy.listings) - listings) <= 0.15 * listings
    assert (SIZES[size].n_firms, SIZES[size].n_listings) == (
        len(economy.firms),
        len(economy.listings),
    )


def test_explicit_counts_are_met_exactly() -> None:
    economy = generate(size="region", seed=9, n_firms=25, n_listings=120)
    assert (len(economy.firms), len(economy.listings)) == (25, 120)


def test_one_count_implies_the_other_at_five_listings_per_firm() -> None:
    assert len(generate(size="small", seed=0, n_firms=30).listings) == 150
    assert len(generate(size="small", seed=0, n_listings=150).firms) == 30


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_firms=st.integers(1, 60))
def test_every_firm_lists_at_least_one_stream_under_a_unique_ref(seed: int, n_firms: int) -> None:
    economy = generate(size="small", seed=seed, n_firms=n_firms)
    assert len(economy.listings) == 5 * n_firms
    assert set(economy.listings["firm_ref"]) == set(economy.firms["firm_ref"])
    assert economy.listings["ref"].is_unique
    assert (economy.listings["ref"].str.split("-").str[0] == economy.listings["firm_ref"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": "huge"}, r"size 'huge' is not one of small, region, national"),
        ({"seed": -1}, r"seed -1 is not an integer >= 0"),
        ({"n_firms": 0}, r"n_firms 0 is not a positive integer"),
        ({"n_listings": 2.5}, r"n_listings 2.5 is not a positive integer"),
        ({"n_firms": 10, "n_listings": 5}, r"n_listings 5 is smaller than n_firms 10"),
        ({"n_firms": 2, "n_listings": 500}, r"n_listings 500 is more than the \d+ distinct"),
    ],
)
def test_invalid_arguments_raise_naming_the_argument_and_value(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)  # type: ignore[arg-type]


# -- materials and EWC codes ---------------------------------------------------------------


def test_the_archetype_tables_are_consistent() -> None:
    assert flows.synthetic._table_problems() == []


def test_every_material_is_a_taxonomy_category(region: SyntheticEconomy) -> None:
    materials = set(region.listings["material"]) | {
        t.material for a in ARCHETYPES for t in a.streams
    }
    assert [m for m in sorted(materials) if not is_category(m)] == []


def test_every_offer_code_is_on_the_list_and_names_its_material(
    region: SyntheticEconomy, ewc_list: set[str]
) -> None:
    offers = region.listings[region.listings["kind"] == "offer"]
    coded = offers[offers["ewc_code"].notna()]
    assert set(coded["ewc_code"]) <= ewc_list
    pairs = set(zip(coded["ewc_code"], coded["material"], strict=True))
    assert [p for p in sorted(pairs) if not _code_names_material(*p)] == []


def test_only_pe_film_relies_on_a_code_of_its_branch(region: SyntheticEconomy) -> None:
    offers = region.listings[region.listings["ewc_code"].notna()]
    declared = {
        m for c, m in zip(offers["ewc_code"], offers["material"], strict=True)
        if category_for_ewc(c) != m
    }  # fmt: skip
    assert declared == {"plastics.pe_film"}


def test_energy_and_water_offers_have_no_code_and_other_offers_one(
    region: SyntheticEconomy,
) -> None:
    offers = region.listings[region.listings["kind"] == "offer"]
    codeless = offers["material"].str.split(".").str[0].isin(CODELESS_ROOTS)
    assert offers.loc[codeless, "ewc_code"].isna().all()
    assert offers.loc[~codeless, "ewc_code"].notna().all()
    assert (offers["accepted_ewc_codes"] == ()).all()


def test_needs_accept_only_listed_codes_that_can_meet_their_material(
    region: SyntheticEconomy, ewc_list: set[str]
) -> None:
    needs = region.listings[region.listings["kind"] == "need"]
    assert needs["ewc_code"].isna().all()
    problems = [
        (code, material)
        for codes, material in zip(needs["accepted_ewc_codes"], needs["material"], strict=True)
        for code in codes
        if code not in ewc_list
        or not (
            match_rule(category_for_ewc(code), material) or _code_names_material(code, material)
        )
    ]
    assert problems == []


# -- firms ---------------------------------------------------------------------------------


def test_firm_and_listing_columns_are_the_documented_ones(small: SyntheticEconomy) -> None:
    assert tuple(small.firms.columns) == FIRM_COLUMNS
    assert tuple(small.listings.columns) == SYNTHETIC_LISTING_COLUMNS
    canonical = [c for c in CANONICAL_COLUMNS if c != "row"]
    assert set(canonical) <= set(SYNTHETIC_LISTING_COLUMNS)


@pytest.mark.parametrize("size", ["small", "region"])
def test_region_firms_lie_in_the_eight_region_municipalities(
    size: str, region_municipalities: set[str]
) -> None:
    firms = generate(size=size, seed=21).firms
    assert set(firms["municipality"]) <= region_municipalities
    found = assign_municipalities(firms["lon"].to_numpy(), firms["lat"].to_numpy())
    assert found["in_cleantech_regio"].all()
    assert (found["gemeente_code"].to_numpy() == firms["municipality_code"].to_numpy()).all()


def test_firms_sit_within_400_m_of_their_pc4_point_without_stacking(
    region: SyntheticEconomy,
) -> None:
    points = pc4_table().loc[region.firms["pc4"]]
    offset_km = straight_km(region.firms["lon"], region.firms["lat"], points["lon"], points["lat"])
    assert offset_km.max() <= JITTER_M / 1000 + 0.001
    assert not region.firms.duplicated(["lon", "lat"]).any()


def test_kvk_numbers_are_unique_eight_digits_in_the_fictional_range(
    national: SyntheticEconomy,
) -> None:
    kvk = national.firms["kvk"]
    assert kvk.is_unique
    assert kvk.str.fullmatch(r"[0-9]{8}").all()
    assert kvk.astype(int).between(KVK_RANGE[0], KVK_RANGE[1] - 1).all()
    assert kvk.str.startswith("99").all()


def test_names_are_unique_and_marked_fictional(national: SyntheticEconomy) -> None:
    names = national.firms["name"]
    assert names.is_unique
    assert names.str.endswith(" (demo)").all()
    assert (national.listings["organisation"].isin(set(names))).all()


def test_firm_refs_count_up_from_f0001() -> None:
    assert generate(size="small", seed=0).firms["firm_ref"].iloc[[0, -1]].tolist() == [
        "F0001",
        "F0040",
    ]


def test_every_sbi_code_exists_in_the_sbi_2008_list(region: SyntheticEconomy) -> None:
    known = set(pd.read_csv(SBI_CSV, dtype=str)["sbi_code"])
    used = {a.sbi_code for a in ARCHETYPES} | set(region.firms["sbi_code"])
    assert sorted(used - known) == []


def test_postcodes_are_valid_and_extend_the_firm_pc4(national: SyntheticEconomy) -> None:
    postcode = national.firms["postcode"]
    assert postcode.map(is_valid_postcode).all()
    assert (postcode.str[:4] == national.firms["pc4"]).all()
    assert not postcode.str[5:].isin({"SA", "SD", "SS"}).any()
    assert not postcode.str[5:].str.contains("[FIOQUY]").any()


def test_about_a_fifth_of_firms_list_anonymously(national: SyntheticEconomy) -> None:
    assert 0.17 < 1 - national.firms["public"].mean() < 0.23
    listings = national.listings.merge(national.firms[["firm_ref", "public"]], on="firm_ref")
    expected = np.where(listings["public"], "public", "anonymous")
    assert (listings["visibility"].to_numpy() == expected).all()


def test_the_national_economy_spans_the_country_weighted_to_the_region(
    national: SyntheticEconomy,
) -> None:
    points = pc4_table().loc[national.firms["pc4"]]
    provinces = set(points["province"].str.split("|").explode())
    assert len(provinces) == 12
    share_in_region = points["in_cleantech_regio"].mean()
    # 100 of 4,064 PC4s weighted 5x: 500 / 4,464 = 11.2 %.
    assert 0.09 < share_in_region < 0.14
    assert national.firms["pc4"].nunique() > 3_500


def test_anchor_firms_open_every_economy_at_their_pc4s(small: SyntheticEconomy) -> None:
    head = small.firms.head(len(ANCHORS))
    assert list(zip(head["archetype"], head["pc4"], strict=True)) == list(ANCHORS)


# -- listings ------------------------------------------------------------------------------


def test_listings_carry_their_firm_site_and_name(region: SyntheticEconomy) -> None:
    merged = region.listings.merge(region.firms, on="firm_ref", suffixes=("", "_firm"))
    assert len(merged) == len(region.listings)
    for column in ("postcode", "lat", "lon"):
        assert (merged[column] == merged[f"{column}_firm"]).all()
    assert (merged["organisation"] == merged["name"]).all()


def test_quantities_are_positive_with_valid_units_and_frequencies(
    national: SyntheticEconomy,
) -> None:
    listings = national.listings
    assert (listings["quantity"] > 0).all()
    assert listings["unit"].isin(UNITS).all()
    assert listings["frequency"].isin(FREQUENCIES).all()
    pieces = listings.loc[listings["unit"] == "pcs", "quantity"]
    assert (pieces == pieces.round()).all()


def test_spent_grain_comes_weekly_in_10_to_40_tonnes(region: SyntheticEconomy) -> None:
    grain = region.listings[region.listings["material"] == "organics.spent_grain"]
    assert len(grain) > 0
    assert (grain["unit"] == "t").all() and (grain["frequency"] == "week").all()
    assert grain["quantity"].between(10, 40).all()
    assert grain["title"].eq("Bierbostel, wekelijks").all()


def test_needs_have_a_positive_reach_and_heat_travels_at_most_8_km(
    national: SyntheticEconomy,
) -> None:
    listings = national.listings
    needs, offers = listings[listings["kind"] == "need"], listings[listings["kind"] == "offer"]
    assert (needs["max_distance_km"] > 0).all()
    assert needs["max_distance_km"].max() <= 75
    assert offers["max_distance_km"].isna().all()
    heat = needs[needs["material"].isin(HEAT)]
    assert heat["max_distance_km"].between(2, 8).all()


def test_routes_and_sources_belong_to_their_kind(national: SyntheticEconomy) -> None:
    listings = national.listings
    is_need = listings["kind"] == "need"
    assert listings.loc[~is_need, "current_route"].isin(CURRENT_ROUTES).all()
    assert listings.loc[is_need, "current_route"].isna().all()
    assert listings.loc[is_need, "current_source"].isin(CURRENT_SOURCES).all()
    assert listings.loc[~is_need, "current_source"].isna().all()
    known_km = listings.loc[is_need, "current_source_km"].dropna()
    assert (known_km > 0).all()
    assert 0 < listings.loc[is_need, "current_source_km"].isna().mean() < 1
    assert listings.loc[~is_need, "current_source_km"].isna().all()


def test_one_off_batches_have_a_window_and_recurring_streams_none(
    national: SyntheticEconomy,
) -> None:
    listings = national.listings
    once = listings["frequency"] == "once"
    assert once.any()
    start, end = listings.loc[once, "available_from"], listings.loc[once, "available_until"]
    assert all(isinstance(d, date) for d in start) and all(isinstance(d, date) for d in end)
    assert (start >= date(2025, 1, 6)).all() and (end > start).all()
    assert listings.loc[~once, "available_from"].isna().all()
    assert listings.loc[~once, "available_until"].isna().all()


def test_the_reference_date_moves_one_off_windows() -> None:
    listings = generate(size="small", seed=4, reference_date=date(2030, 3, 1)).listings
    assert (listings["available_from"].dropna() >= date(2030, 3, 1)).all()


def test_most_listings_are_active_and_a_few_draft_or_paused(national: SyntheticEconomy) -> None:
    status = national.listings["status"]
    assert set(status) <= set(STATUSES) - {"closed"}
    assert 0.87 < (status == "active").mean() < 0.93


def test_listings_pass_the_engine_validation(region: SyntheticEconomy) -> None:
    offers, needs = split_offers_needs(region.listings)
    validate_listings(offers, needs)


# -- work for the engine -------------------------------------------------------------------


def _compatible_pairs(listings: pd.DataFrame, *, circuity: float = 1.3) -> pd.DataFrame:
    """Every (offer, need) of different firms with a taxonomy rule, an accepted code and
    a road distance within the need's reach."""
    offers = listings[listings["kind"] == "offer"].reset_index(drop=True)
    needs = listings[listings["kind"] == "need"].reset_index(drop=True)
    offered, offer_material = np.unique(offers["material"].to_numpy(dtype=str), return_inverse=True)
    needed, need_material = np.unique(needs["material"].to_numpy(dtype=str), return_inverse=True)
    rule = np.array([[match_rule(o, n) is not None for n in needed] for o in offered])
    offer_idx, need_idx = np.nonzero(rule[offer_material][:, need_material])
    pairs = pd.concat(
        [
            offers.iloc[offer_idx].add_suffix("_o").reset_index(drop=True),
            needs.iloc[need_idx].add_suffix("_n").reset_index(drop=True),
        ],
        axis=1,
    )
    road_km = circuity * straight_km(pairs["lon_o"], pairs["lat_o"], pairs["lon_n"], pairs["lat_n"])
    pairs = pairs[(road_km <= pairs["max_distance_km_n"].to_numpy())
                  & (pairs["firm_ref_o"] != pairs["firm_ref_n"]).to_numpy()]  # fmt: skip
    accepted = [
        not codes or code in codes
        for code, codes in zip(pairs["ewc_code_o"], pairs["accepted_ewc_codes_n"], strict=True)
    ]
    return pairs[np.array(accepted, dtype=bool)]


def test_the_region_economy_has_thousands_of_compatible_pairs_in_reach(
    region: SyntheticEconomy,
) -> None:
    pairs = _compatible_pairs(region.listings)
    assert len(pairs) > 5_000
    # Work across the economy, not one material: at least 25 offered materials find a need.
    assert pairs["material_o"].nunique() >= 25
    assert (pairs["material_o"].isin(HEAT)).sum() > 50


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_economy_closes_the_brewery_farm_digester_loop(seed: int) -> None:
    economy = generate(size="small", seed=seed)
    pairs = _compatible_pairs(economy.listings)
    graph = nx.DiGraph()
    graph.add_edges_from(zip(pairs["firm_ref_o"], pairs["firm_ref_n"], strict=True))
    brewery, dairy_farm, digester = "F0001", "F0002", "F0003"
    for offer_firm, need_firm in [
        (brewery, dairy_farm),
        (dairy_farm, digester),
        (digester, brewery),
    ]:
        assert graph.has_edge(offer_firm, need_firm)
    short_cycles = list(nx.simple_cycles(graph.subgraph(economy.firms["firm_ref"].head(17)), 2))
    assert len(short_cycles) >= 3  # arable <-> digester, concrete plant <-> rubble recycler, ...


# -- the listing file ----------------------------------------------------------------------


def test_the_listing_file_frame_has_the_file_columns_as_text(small: SyntheticEconomy) -> None:
    frame = to_listing_file_frame(small)
    assert tuple(frame.columns) == LISTING_COLUMNS
    assert frame.map(lambda v: isinstance(v, str)).all().all()
    needs = frame[frame["kind"] == "need"]
    assert needs["ewc_code"].str.fullmatch(r"(\d\d \d\d \d\d(;\d\d \d\d \d\d)*)?").all()
    once = frame[small.listings["frequency"] == "once"]
    assert once["available_from"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


def test_the_listing_file_reads_back_to_the_same_listings(region: SyntheticEconomy) -> None:
    buffer = io.BytesIO()
    write_listing_file(to_listing_file_frame(region), buffer)
    parsed = parse_listings(read_listing_file(buffer.getvalue(), filename="demo.csv"))
    columns = [c for c in CANONICAL_COLUMNS if c != "row"]
    pd.testing.assert_frame_equal(
        parsed[columns].reset_index(drop=True), region.listings[columns].reset_index(drop=True)
    )


def test_every_organisation_in_the_listing_file_is_marked_demo(small: SyntheticEconomy) -> None:
    organisations = to_listing_file_frame(small)["organisation"]
    assert organisations.str.endswith(" (demo)").all()


# -- documentation -------------------------------------------------------------------------


def test_docstring_examples_of_the_module_pass() -> None:
    result = doctest.testmod(
        flows.synthetic, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0


def test_bulk_listings_at_the_ports_of_deventer_zutphen_and_lochem_go_by_barge(
    region: SyntheticEconomy,
) -> None:
    listings = region.listings
    barge = listings[listings["transport_mode"] == "barge"]
    ports = ("7418", "7421", "7202", "7203", "7241")
    assert len(barge) > 0
    assert barge["postcode"].str[:4].isin(ports).all()
    assert (barge["unit"] == "t").all()
    elsewhere = listings[~listings["postcode"].str[:4].isin(ports)]
    assert (elsewhere["transport_mode"] == "truck").all()
    # Offers and needs of one family both by barge: barge exchanges can be proposed.
    family = barge["material"].str.split(".").str[0]
    both = set(family[barge["kind"] == "offer"]) & set(family[barge["kind"] == "need"])
    assert "metals" in both
    needs = listings[listings["kind"] == "need"]
    assert needs["current_source_transport_mode"].isin(["truck", "barge"]).all()
    assert listings.loc[listings["kind"] == "offer", "current_source_transport_mode"].isna().all()
