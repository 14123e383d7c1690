"""The whole pipeline: hand-checked proposals and properties of random instances."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from flows.candidates import attach_co2, find_candidates
from flows.normalise import normalise
from flows.propose import PHASES, Params, Proposals, propose, propose_from_listings
from flows.schema import PROPOSAL_COLUMNS
from flows.taxonomy import compatibility_table


@pytest.fixture(scope="module")
def three_firms(request):
    # Firm A offers X (10 t steel at 0 km), firm B offers Y (10 t steel at 20 km east) and
    # needs Q (10 t metals at 1 km east), firm C needs P (10 t metals at 5 km east).
    # B cannot supply itself, so Y can only go to P, and Q can only be fed by X.
    offers_frame = request.getfixturevalue("offers_frame")
    needs_frame = request.getfixturevalue("needs_frame")
    offers = offers_frame(
        dict(ref="X", organisation="A", material="metals.ferrous", at=(0, 0)),
        dict(ref="Y", organisation="B", material="metals.ferrous", at=(20, 0)),
    )
    needs = needs_frame(
        dict(ref="Q", organisation="B", material="metals", at=(1, 0)),
        dict(ref="P", organisation="C", material="metals", at=(5, 0)),
    )
    return offers, needs


def pairs(result: Proposals) -> dict[tuple[str, str], float]:
    frame = result.frame
    return {
        (o, n): q
        for o, n, q in zip(
            frame["offer_ref"], frame["need_ref"], frame["quantity_per_year"], strict=True
        )
    }


@pytest.mark.parametrize("objective", ["co2", "tonnes"])
@pytest.mark.parametrize("solver", ["ortools", "networkx"])
def test_three_firms_get_the_allocation_that_serves_both_needs(three_firms, objective, solver):
    # Every edge avoids CO2 and moving all 20 t is possible only as X -> Q and Y -> P
    # (X -> P would strand Q). A greedy "nearest offer first" for P would take X (5 km)
    # and leave Q unserved: 10 t instead of 20 t.
    offers, needs = three_firms
    result = propose(offers, needs, Params(objective=objective, solver=solver))
    assert pairs(result) == {("X", "Q"): 10.0, ("Y", "P"): 10.0}
    row = result.frame.set_index("need_ref").loc["P"]
    assert row["distance_km"] == pytest.approx(15.0, abs=1e-3)
    assert row["road_km"] == pytest.approx(19.5, abs=1e-3)
    assert row["mass_t_per_year"] == 10.0
    assert row["tonne_km"] == pytest.approx(195.0, abs=1e-2)
    assert row["rule"] == "parent_child"
    assert row["avoided_co2e_kg"] == pytest.approx(
        row["avoided_production_co2e_kg"]
        + row["avoided_disposal_co2e_kg"]
        + row["avoided_transport_co2e_kg"]
    )
    assert row["net_co2e_kg"] == pytest.approx(row["avoided_co2e_kg"] - row["transport_co2e_kg"])
    assert result.summary["exchanged_per_unit"] == {"t": 20.0}
    assert result.summary["net_co2e_kg"] == pytest.approx(result.frame["net_co2e_kg"].sum())
    assert result.summary["proposals"] == 2
    assert set(result.timings_s) == set(PHASES)


def test_proposals_have_the_schema_columns_and_readable_reasons(three_firms):
    offers, needs = three_firms
    frame = propose(offers, needs).frame
    assert list(frame.columns[: len(PROPOSAL_COLUMNS)]) == list(PROPOSAL_COLUMNS)
    reason = frame.set_index("need_ref").loc["P", "reason"]
    assert reason.startswith("B offers Ferrous metals")
    assert "(rule: parent_child)" in reason
    assert "15.0 km straight, about 19.5 km by road" in reason
    assert "kg CO2e avoided a year" in reason
    assert "15,0 km hemelsbreed" in frame.set_index("need_ref").loc["P", "reason_nl"]


def test_committed_quantity_is_subtracted_before_allocating(offers_frame, needs_frame):
    offers = offers_frame(dict(organisation="A", quantity=10.0, committed_quantity=6.0))
    needs = needs_frame(dict(organisation="B", quantity=10.0, committed_quantity=1.0))
    assert pairs(propose(offers, needs)) == {("o1", "n1"): 4.0}


def test_quantities_are_reported_in_the_needs_unit(offers_frame, needs_frame):
    # 14.2 t of sand a year for a need of 5 m3 a month = 60 m3 = 85.2 t a year (1.42 t/m3).
    offers = offers_frame(dict(material="minerals.sand", quantity=14.2, unit="t"))
    needs = needs_frame(dict(material="minerals.sand", quantity=5, unit="m3", frequency="month"))
    frame = propose(offers, needs).frame
    assert frame["unit"].tolist() == ["m3"]
    assert frame["quantity_per_year"].tolist() == pytest.approx([10.0])
    assert frame["mass_t_per_year"].tolist() == pytest.approx([14.2])


def test_existing_agreed_exchanges_close_loops(offers_frame, needs_frame):
    offers = offers_frame(dict(organisation="A"))
    needs = needs_frame(dict(organisation="B"))
    existing = pd.DataFrame({"offer_organisation": ["B"], "need_organisation": ["A"]})
    alone = propose(offers, needs)
    together = propose(offers, needs, existing=existing)
    assert alone.frame["closes_loop"].tolist() == [False]
    assert together.frame["closes_loop"].tolist() == [True]
    assert together.frame["loop_id"].tolist() == ["L1"]
    assert together.summary["loops"] == 1
    assert "It closes a loop" in together.frame["reason"].iloc[0]


def test_propose_from_listings_splits_offers_and_needs(three_firms):
    offers, needs = three_firms
    listings = pd.concat([offers, needs.assign(row=needs["row"] + 10)], ignore_index=True)
    assert pairs(propose_from_listings(listings)) == {("X", "Q"): 10.0, ("Y", "P"): 10.0}


def test_frames_with_only_the_required_columns_are_enough():
    columns = ["ref", "organisation", "material", "quantity", "unit", "frequency", "lat", "lon"]
    offers = pd.DataFrame([["o1", "A", "metals", 10.0, "t", "year", 52.25, 6.16]], columns=columns)
    needs = pd.DataFrame([["n1", "B", "metals", 4.0, "t", "year", 52.21, 5.96]], columns=columns)
    assert pairs(propose(offers, needs)) == {("o1", "n1"): 4.0}


def test_nothing_to_match_gives_an_empty_frame_with_all_columns(offers_frame, needs_frame):
    result = propose(offers_frame(dict(material="glass")), needs_frame(dict(material="metals")))
    assert result.frame.empty
    assert list(result.frame.columns[: len(PROPOSAL_COLUMNS)]) == list(PROPOSAL_COLUMNS)
    assert result.summary["exchanged_per_unit"] == {}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(objective="money"), "objective 'money' is not one of"),
        (dict(solver="cplex"), "solver 'cplex' is not one of"),
        (dict(circuity=0.9), "circuity 0.9 must be a number >= 1"),
        (dict(top_k=0), "top_k 0 must be a positive integer or None"),
        (dict(default_max_distance_km=-5), "default_max_distance_km -5 must be a positive"),
    ],
)
def test_params_refuse_bad_values(options, message):
    with pytest.raises(ValueError, match=message):
        Params(**options)


# -- properties of random instances --------------------------------------------------------

WINDOWS = [
    (None, None),
    ("2025-01-01", "2025-06-30"),
    ("2025-07-01", None),
    (None, "2025-06-30"),
    ("2025-07-01", "2025-12-31"),
]
MATERIALS = ["metals", "metals.ferrous", "minerals.sand", "minerals.gypsum_fgd", "minerals.gypsum"]


@st.composite
def economies(draw):
    def listing(kind):
        quantity = draw(st.integers(1, 30))
        available_from, available_until = draw(st.sampled_from(WINDOWS))
        return dict(
            organisation=draw(st.sampled_from("ABCD")),
            material=draw(st.sampled_from(MATERIALS)),
            unit=draw(st.sampled_from(["t", "t", "m3"])),
            frequency=draw(st.sampled_from(["year", "month", "once"])),
            quantity=float(quantity),
            committed_quantity=float(draw(st.integers(0, quantity))),
            at=(draw(st.integers(-20, 20)), draw(st.integers(-20, 20))),
            max_distance_km=draw(st.sampled_from([math.nan, 15.0, 30.0])),
            available_from=available_from,
            available_until=available_until,
        )

    n_offers = draw(st.integers(1, 6))
    n_needs = draw(st.integers(1, 6))
    return [listing("offer") for _ in range(n_offers)], [listing("need") for _ in range(n_needs)]


def candidate_problem(offers, needs):
    normal = normalise(offers, needs)
    edges = attach_co2(find_candidates(normal.offers, normal.needs), normal.offers, normal.needs)
    return normal, edges


def lp_best(supply, demand, offer_idx, need_idx, cost):
    if cost.size == 0:
        return 0.0
    a_ub = np.vstack(
        [
            (np.arange(supply.size)[:, None] == offer_idx[None, :]).astype(float),
            (np.arange(demand.size)[:, None] == need_idx[None, :]).astype(float),
        ]
    )
    result = linprog(
        cost, A_ub=a_ub, b_ub=np.concatenate([supply, demand]), bounds=(0, None), method="highs"
    )
    assert result.status == 0
    return float(result.fun)


@settings(max_examples=60, deadline=None)
@given(economies())
def test_random_economies_get_feasible_optimal_proposals(offers_frame, needs_frame, economy):
    offers, needs = offers_frame(*economy[0]), needs_frame(*economy[1])
    normal, edges = candidate_problem(offers, needs)
    result = propose(offers, needs)
    frame = result.frame

    # Never over-allocated, in flow units (after committed quantities are subtracted).
    used_by_offer = frame.groupby("offer_ref")["quantity_flow_unit"].sum()
    left = normal.offers.set_index("ref")["quantity_per_year"]
    assert (used_by_offer <= left.reindex(used_by_offer.index) + 1e-9).all()
    need_flow = normal.needs.set_index("ref")["quantity_per_year"]
    used_by_need = frame.groupby("need_ref")["quantity_flow_unit"].sum()
    assert (used_by_need <= need_flow.reindex(used_by_need.index) + 1e-9).all()

    # Within the need's limit, between different firms, compatible materials, worth it.
    limit = needs.set_index("ref")["max_distance_km"].fillna(50.0)
    assert (frame["road_km"] <= limit.reindex(frame["need_ref"]).to_numpy() + 1e-3).all()
    assert (frame["offer_organisation"] != frame["need_organisation"]).all()
    compatible = set(
        zip(compatibility_table()["offered"], compatibility_table()["needed"], strict=True)
    )
    assert all(
        pair in compatible for pair in zip(frame["material"], frame["need_material"], strict=True)
    )
    assert (frame["net_co2e_kg"] > 0).all()

    # Availability windows overlap (missing dates are open-ended).
    windows = {
        **{
            f"o{i + 1}": (o["available_from"], o["available_until"])
            for i, o in enumerate(economy[0])
        },
        **{
            f"n{j + 1}": (n["available_from"], n["available_until"])
            for j, n in enumerate(economy[1])
        },
    }
    for offer_ref, need_ref in zip(frame["offer_ref"], frame["need_ref"], strict=True):
        (o_from, o_until), (n_from, n_until) = windows[offer_ref], windows[need_ref]
        assert (o_from or "0000") <= (n_until or "9999")
        assert (n_from or "0000") <= (o_until or "9999")

    # Optimal: equal to NetworkX's answer and to the LP over the same candidate edges.
    networkx = propose(offers, needs, Params(solver="networkx"))
    bound = result.summary["cost_error_bound"] + 1e-6
    assert result.summary["net_co2e_kg"] == pytest.approx(
        networkx.summary["net_co2e_kg"], abs=bound
    )
    net = edges.co2["net_co2e_kg_per_unit"].to_numpy()
    supply = np.floor(np.round(normal.offers["quantity_per_year"].to_numpy() * 1000, 6)) / 1000
    demand = np.floor(np.round(normal.needs["quantity_per_year"].to_numpy() * 1000, 6)) / 1000
    best = -lp_best(supply, demand, edges.offer_idx, edges.need_idx, -np.maximum(net, 0.0))
    assert result.summary["net_co2e_kg"] == pytest.approx(best, abs=bound)

    # top_k pruning stays feasible and can only lose objective.
    pruned = propose(offers, needs, Params(top_k=1))
    used = pruned.frame.groupby("offer_ref")["quantity_flow_unit"].sum()
    assert (used <= left.reindex(used.index) + 1e-9).all()
    used = pruned.frame.groupby("need_ref")["quantity_flow_unit"].sum()
    assert (used <= need_flow.reindex(used.index) + 1e-9).all()
    assert pruned.summary["net_co2e_kg"] <= result.summary["net_co2e_kg"] + bound


@settings(max_examples=40, deadline=None)
@given(economies())
def test_the_tonnes_objective_moves_the_maximum_flow(offers_frame, needs_frame, economy):
    offers, needs = offers_frame(*economy[0]), needs_frame(*economy[1])
    normal, edges = candidate_problem(offers, needs)
    graph = nx.DiGraph()
    graph.add_nodes_from(["s", "t"])
    for i, q in enumerate(normal.offers["quantity_per_year"]):
        graph.add_edge("s", ("o", i), capacity=round(q * 1000))
    for j, q in enumerate(normal.needs["quantity_per_year"]):
        graph.add_edge(("n", j), "t", capacity=round(q * 1000))
    for i, j in zip(edges.offer_idx, edges.need_idx, strict=True):
        graph.add_edge(("o", int(i)), ("n", int(j)))
    max_flow = nx.maximum_flow_value(graph, "s", "t") / 1000
    result = propose(offers, needs, Params(objective="tonnes"))
    assert result.frame["quantity_flow_unit"].sum() == pytest.approx(max_flow, abs=1e-6)


def test_reasons_read_in_full_with_thousands_separators_and_the_loop(offers_frame, needs_frame):
    # Acme and Bolt supply each other: one loop. The figures come from the factor table.
    offers = offers_frame(
        dict(ref="o1", organisation="Acme", material="metals.ferrous", quantity=1234.5),
        dict(
            ref="o2",
            organisation="Bolt",
            material="plastics.pp",
            quantity=2.25,
            at=(3, 4),
            current_route="incineration",
        ),
    )
    needs = needs_frame(
        dict(ref="n1", organisation="Bolt", material="metals", quantity=5000.0, at=(3, 4)),
        dict(ref="n2", organisation="Acme", material="plastics.pp", quantity=2.25),
    )
    frame = propose(offers, needs).frame.set_index("offer_ref")
    assert frame.loc["o1", "reason"] == (
        "Acme offers Ferrous metals (iron and steel) and Bolt needs Metals. Ferrous metals "
        "(iron and steel) is a kind of Metals (rule: parent_child). 1,234.5 t a year over "
        "5.0 km straight, about 6.5 km by road. It avoids 2,276,774 kg CO2e of production, "
        "10,967 kg CO2e of disposal and 18,058 kg CO2e of today's supply transport, and costs "
        "783 kg CO2e of transport: net 2,305,017 kg CO2e avoided a year. It closes a loop of "
        "exchanges between firms (L1)."
    )
    assert frame.loc["o1", "reason_nl"] == (
        "Acme biedt IJzer en staal aan en Bolt zoekt Metalen. IJzer en staal valt onder "
        "Metalen (regel: parent_child). 1.234,5 t per jaar over 5,0 km hemelsbreed, ongeveer "
        "6,5 km over de weg. Dit voorkomt 2.276.774 kg CO2e aan productie, 10.967 kg CO2e aan "
        "afvalverwerking en 18.058 kg CO2e aan huidig aanvoertransport, en kost 783 kg CO2e "
        "aan transport: netto 2.305.017 kg CO2e per jaar vermeden. Dit sluit een kringloop "
        "tussen bedrijven (L1)."
    )
    # Trailing zeros of a quantity go; its decimals stay.
    assert "2.25 t a year" in frame.loc["o2", "reason"]
    assert "2,25 t per jaar" in frame.loc["o2", "reason_nl"]


def test_an_exchange_outside_any_loop_says_nothing_about_loops(three_firms):
    offers, needs = three_firms
    frame = propose(offers, needs).frame
    assert not frame["closes_loop"].any()
    assert frame["reason"].str.endswith("kg CO2e avoided a year.").all()
    assert frame["reason_nl"].str.endswith("kg CO2e per jaar vermeden.").all()


def test_excluded_pairs_are_never_proposed_and_their_quantity_goes_elsewhere():
    import pandas as pd

    from flows.propose import propose_from_listings

    rows = pd.DataFrame(
        {
            "ref": ["o1", "n1", "n2"],
            "organisation": ["A", "B", "C"],
            "kind": ["offer", "need", "need"],
            "material": ["metals.ferrous", "metals.ferrous", "metals.ferrous"],
            "ewc_code": ["17 04 05", None, None],
            "quantity": [10.0, 10.0, 10.0],
            "unit": ["t", "t", "t"],
            "frequency": ["year", "year", "year"],
            # n1 is nearer than n2, so without exclusion o1 goes to n1.
            "lat": [52.25, 52.26, 52.30],
            "lon": [6.16, 6.16, 6.16],
            "current_route": ["landfill", None, None],
        }
    )
    before = propose_from_listings(rows).frame
    assert list(before["need_ref"]) == ["n1"]
    excluded = pd.DataFrame(
        {
            "offer_organisation": ["A"],
            "offer_ref": ["o1"],
            "need_organisation": ["B"],
            "need_ref": ["n1"],
        }
    )
    after = propose_from_listings(rows, excluded=excluded).frame
    assert list(after["need_ref"]) == ["n2"]
    assert after["quantity_per_year"].sum() == pytest.approx(10.0)


# --------------------------------------------------------------------------- transport modes


def test_an_exchange_goes_by_barge_when_both_listings_state_barge(offers_frame, needs_frame):
    # Scrap 20 km straight (26 km with circuity) from a quay to a quay; a second need that
    # has no quay gets its scrap by truck.
    offers = offers_frame(
        dict(ref="S", organisation="Zutphen", material="metals.ferrous", transport_mode="barge"),
    )
    needs = needs_frame(
        dict(ref="L", organisation="Lochem", at=(20, 0), transport_mode="barge", quantity=4.0),
        dict(ref="T", organisation="Inland", at=(0, 20), quantity=6.0),
    )
    frame = propose(offers, needs).frame.set_index("need_ref")
    assert frame.loc["L", "transport_mode"] == "barge"
    assert frame.loc["T", "transport_mode"] == "truck"
    road_km = 20 * 1.3
    assert frame.loc["L", "transport_co2e_kg"] == pytest.approx(road_km * 4 * 0.0386, rel=1e-4)
    assert frame.loc["T", "transport_co2e_kg"] == pytest.approx(road_km * 6 * 0.09752, rel=1e-4)
    assert "by inland barge" in frame.loc["L", "reason"]
    assert "per binnenvaartschip" in frame.loc["L", "reason_nl"]
    assert "by road" in frame.loc["T", "reason"]


def test_listings_without_transport_columns_go_by_truck(three_firms):
    offers, needs = three_firms
    frame = propose(offers, needs).frame
    assert "transport_mode" not in offers.columns
    assert (frame["transport_mode"] == "truck").all()


def test_heat_proposals_say_they_go_by_pipeline(offers_frame, needs_frame):
    offers = offers_frame(dict(material="energy.steam", unit="MWh", current_route="other"))
    needs = needs_frame(dict(material="energy.heat", unit="MWh", at=(2, 0)))
    frame = propose(offers, needs).frame
    assert frame["transport_mode"].tolist() == ["pipeline"]
    assert "by pipeline" in frame["reason"].iloc[0]


def test_switching_the_symbiosis_credits_off_gives_the_generic_production_term(
    offers_frame, needs_frame
):
    offers = offers_frame(dict(material="minerals.fly_ash", current_route="landfill"))
    needs = needs_frame(dict(material="minerals.cement", at=(30, 0)))
    on = propose(offers, needs).frame
    off = propose(offers, needs, Params(objective="tonnes", symbiosis_credits=False)).frame
    assert on["avoided_production_co2e_kg"].iloc[0] == pytest.approx(10 * 942.0)
    assert off["avoided_production_co2e_kg"].iloc[0] == pytest.approx(10 * (7.75127 - 3.19485))
