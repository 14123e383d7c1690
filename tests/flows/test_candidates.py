"""Candidate edges: compatibility, distance limits, firms, EWC codes, windows, top-k."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.candidates import attach_co2, find_candidates, top_k_mask
from flows.normalise import normalise
from flows.taxonomy import compatibility_table


def edges_of(offers, needs, **options):
    normal = normalise(offers, needs)
    edges = find_candidates(normal.offers, normal.needs, **options)
    return {
        (normal.offers["ref"][o], normal.needs["ref"][n])
        for o, n in zip(edges.offer_idx, edges.need_idx, strict=True)
    }


def test_a_pair_is_a_candidate_exactly_within_the_needs_road_distance(offers_frame, needs_frame):
    # Need limit 13 road km at circuity 1.3 = 10 straight km. Offers at 9.9 and 10.1 km.
    offers = offers_frame(
        dict(ref="near", material="metals.ferrous", at=(9.9, 0)),
        dict(ref="far", material="metals.ferrous", at=(0, 10.1)),
    )
    needs = needs_frame(dict(ref="n", material="metals", max_distance_km=13.0))
    assert edges_of(offers, needs) == {("near", "n")}


def test_road_km_is_straight_km_times_circuity(offers_frame, needs_frame):
    offers = offers_frame(dict(material="metals.ferrous", at=(3, 4)))
    needs = needs_frame(dict(material="metals"))
    normal = normalise(offers, needs)
    edges = find_candidates(normal.offers, normal.needs, circuity=1.25)
    assert edges.distance_km.tolist() == pytest.approx([5.0], abs=1e-5)
    assert edges.road_km.tolist() == pytest.approx([6.25], abs=1e-5)
    assert edges.rules["kind"][edges.rule[0]] == "parent_child"


def test_missing_max_distance_takes_the_default(offers_frame, needs_frame):
    offers = offers_frame(dict(material="metals.ferrous", at=(30, 0)))
    needs = needs_frame(dict(material="metals"))  # 30 km straight = 39 road km
    assert edges_of(offers, needs, default_max_distance_km=40.0) == {("o1", "n1")}
    assert edges_of(offers, needs, default_max_distance_km=38.0) == set()


def test_a_firm_never_exchanges_with_itself(offers_frame, needs_frame):
    offers = offers_frame(
        dict(ref="own", organisation="A", material="metals"),
        dict(ref="other", organisation="B", material="metals"),
    )
    needs = needs_frame(dict(ref="n", organisation="A", material="metals"))
    assert edges_of(offers, needs) == {("other", "n")}


def test_only_compatible_materials_pair_up(offers_frame, needs_frame):
    offers = offers_frame(
        dict(ref="fgd", material="minerals.gypsum_fgd"),  # substitution rule
        dict(ref="mixed", material="metals.mixed"),  # general does not meet specific
    )
    needs = needs_frame(
        dict(ref="gypsum", material="minerals.gypsum"), dict(ref="copper", material="metals.copper")
    )
    assert edges_of(offers, needs) == {("fgd", "gypsum")}


def test_accepted_ewc_codes_restrict_the_offers_a_need_takes(offers_frame, needs_frame):
    offers = offers_frame(
        dict(ref="steel", material="metals.ferrous", ewc_code="17 04 05"),
        dict(ref="filings", material="metals.ferrous", ewc_code="12 01 01"),
        dict(ref="uncoded", material="metals.ferrous", ewc_code=None),
    )
    needs = needs_frame(
        dict(ref="picky", material="metals", accepted_ewc_codes=("170405",)),
        dict(ref="open", material="metals"),
    )
    assert edges_of(offers, needs) == {
        ("steel", "picky"),
        ("steel", "open"),
        ("filings", "open"),
        ("uncoded", "open"),
    }


def test_volume_meets_mass_only_through_a_density_hint(offers_frame, needs_frame):
    offers = offers_frame(
        dict(ref="sand_m3", material="minerals.sand", unit="m3"),  # 1.42 t/m3
        dict(ref="gypsum_m3", material="minerals.gypsum", unit="m3"),  # no density
    )
    needs = needs_frame(
        dict(ref="sand_t", material="minerals.sand", unit="t"),
        dict(ref="gypsum_t", material="minerals.gypsum", unit="t"),
        dict(ref="gypsum_m3_need", material="minerals.gypsum", unit="m3"),
    )
    assert edges_of(offers, needs) == {("sand_m3", "sand_t"), ("gypsum_m3", "gypsum_m3_need")}


def test_one_off_batches_only_meet_needs_whose_window_overlaps(offers_frame, needs_frame):
    batch = dict(
        frequency="once",
        material="metals",
        available_from=dt.date(2025, 3, 1),
        available_until=dt.date(2025, 3, 31),
    )
    offers = offers_frame(dict(ref="batch", **batch))
    needs = needs_frame(
        dict(ref="before", material="metals", available_until=dt.date(2025, 2, 28)),
        dict(ref="during", material="metals", available_from=dt.date(2025, 3, 31)),
        dict(ref="after", material="metals", available_from=dt.date(2025, 4, 1)),
        dict(ref="open", material="metals"),
    )
    assert edges_of(offers, needs) == {("batch", "during"), ("batch", "open")}


def test_co2_per_unit_is_attached_to_every_edge(offers_frame, needs_frame):
    offers = offers_frame(dict(material="metals.ferrous", at=(0, 0)))
    needs = needs_frame(dict(material="metals", at=(0, 10)))
    normal = normalise(offers, needs)
    edges = attach_co2(find_candidates(normal.offers, normal.needs), normal.offers, normal.needs)
    assert edges.co2 is not None
    assert edges.co2["mass_t_per_unit"].tolist() == [1.0]
    net = edges.co2["net_co2e_kg_per_unit"].iloc[0]
    terms = edges.co2.iloc[0]
    assert net == pytest.approx(
        terms["avoided_production_co2e_kg_per_unit"]
        + terms["avoided_disposal_co2e_kg_per_unit"]
        + terms["avoided_transport_co2e_kg_per_unit"]
        - terms["transport_co2e_kg_per_unit"]
    )


def test_no_listings_give_no_edges(offers_frame, needs_frame):
    offers = offers_frame(dict(material="metals"))
    normal = normalise(offers, needs_frame(dict(material="metals")).iloc[:0])
    assert len(find_candidates(normal.offers, normal.needs)) == 0


def test_top_k_keeps_the_k_cheapest_edges_of_each_offer_and_each_need():
    # Offer 0 has edges to needs 0, 1, 2 with costs 3, 1, 2; offer 1 to need 2 costs 5.
    # k=1: offer 0 keeps (0,1); offer 1 keeps (1,2); need 0 keeps (0,0); need 2 keeps (0,2).
    offer_idx = np.array([0, 0, 0, 1], dtype=np.int32)
    need_idx = np.array([0, 1, 2, 2], dtype=np.int32)
    cost = np.array([3.0, 1.0, 2.0, 5.0])
    assert top_k_mask(offer_idx, need_idx, cost, k=1).tolist() == [True, True, True, True]
    assert top_k_mask(offer_idx[:3], need_idx[:3], cost[:3], k=1).tolist() == [True, True, True]
    offer_idx = np.zeros(4, dtype=np.int32)
    need_idx = np.zeros(4, dtype=np.int32)
    assert top_k_mask(offer_idx, need_idx, cost, k=2).tolist() == [False, True, True, False]


def test_top_k_must_be_positive():
    with pytest.raises(ValueError, match="top_k 0 must be a positive integer"):
        top_k_mask(np.zeros(1, np.int32), np.zeros(1, np.int32), np.zeros(1), k=0)


# -- the spatial index finds exactly the pairs a brute-force scan finds -------------------

MATERIALS = ["metals", "metals.ferrous", "metals.copper", "minerals.gypsum", "minerals.gypsum_fgd"]
RADII_KM = [5.5, 10.5, 20.5]  # squared radii never equal a squared integer distance


@st.composite
def spread_listings(draw):
    def listing(kind):
        return dict(
            organisation=draw(st.sampled_from("ABCDE")),
            material=draw(st.sampled_from(MATERIALS)),
            at=(draw(st.integers(-25, 25)), draw(st.integers(-25, 25))),
            max_distance_km=draw(st.sampled_from(RADII_KM)) * 1.3 if kind == "need" else math.nan,
        )

    offers = draw(st.lists(st.builds(lambda: None), min_size=1, max_size=12))
    needs = draw(st.lists(st.builds(lambda: None), min_size=1, max_size=12))
    return [listing("offer") for _ in offers], [listing("need") for _ in needs]


@settings(max_examples=60, deadline=None)
@given(spread_listings())
def test_spatial_index_finds_exactly_the_brute_force_pairs(offers_frame, needs_frame, listings):
    offer_rows, need_rows = listings
    offers = offers_frame(*offer_rows)
    needs = needs_frame(*need_rows)
    compatible = set(
        zip(compatibility_table()["offered"], compatibility_table()["needed"], strict=True)
    )
    expected = set()
    for i, o in enumerate(offer_rows):
        for j, n in enumerate(need_rows):
            dx, dy = o["at"][0] - n["at"][0], o["at"][1] - n["at"][1]
            radius_km = n["max_distance_km"] / 1.3
            if (
                (o["material"], n["material"]) in compatible
                and o["organisation"] != n["organisation"]
                and dx * dx + dy * dy <= radius_km * radius_km
            ):
                expected.add((f"o{i + 1}", f"n{j + 1}"))
    assert edges_of(offers, needs) == expected


def test_frames_keep_their_own_order_in_edge_indices(offers_frame, needs_frame):
    offers = offers_frame(dict(material="metals"), dict(material="metals", at=(1, 0)))
    needs = needs_frame(dict(material="metals", at=(0, 1)))
    normal = normalise(offers, needs)
    edges = find_candidates(normal.offers, normal.needs)
    assert edges.offer_idx.dtype == np.int32
    assert pd.Series(edges.offer_idx).is_monotonic_increasing
