"""Loops and chains of firms on small literal graphs with known cycles."""

from __future__ import annotations

import math

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.errors import ValidationError
from flows.loops import (
    assign_loop_ids,
    chain_summary,
    closes_loop,
    find_loops,
    firm_graph,
    loop_clusters,
)


def exchanges(*pairs: str, **columns: list[object]) -> pd.DataFrame:
    """Exchanges from 'A>B' strings, plus optional extra columns."""
    offer, need = zip(*(p.split(">") for p in pairs), strict=True)
    return pd.DataFrame(
        {"offer_organisation": list(offer), "need_organisation": list(need), **columns}
    )


def test_two_firms_sending_to_each_other_form_one_loop() -> None:
    ex = exchanges("A>B", "B>A")
    assert find_loops(firm_graph(ex)) == [("A", "B")]
    assert loop_clusters(firm_graph(ex)) == [frozenset({"A", "B"})]
    assert assign_loop_ids(ex).tolist() == ["L1", "L1"]
    assert closes_loop(ex).tolist() == [True, True]


def test_a_three_firm_cycle_is_listed_once_starting_at_its_smallest_firm() -> None:
    ex = exchanges("B>C", "C>A", "A>B")
    assert find_loops(firm_graph(ex)) == [("A", "B", "C")]
    assert assign_loop_ids(ex).tolist() == ["L1", "L1", "L1"]


def test_a_six_cycle_is_beyond_the_length_bound_but_still_one_cluster() -> None:
    ex = exchanges("F1>F2", "F2>F3", "F3>F4", "F4>F5", "F5>F6", "F6>F1")
    graph = firm_graph(ex)
    assert find_loops(graph, max_length=5) == []
    assert find_loops(graph, max_length=6) == [("F1", "F2", "F3", "F4", "F5", "F6")]
    assert loop_clusters(graph) == [frozenset({"F1", "F2", "F3", "F4", "F5", "F6"})]
    assert assign_loop_ids(ex).tolist() == ["L1"] * 6
    assert closes_loop(ex).all()


def test_two_disjoint_loops_get_distinct_ids_largest_first_then_by_name() -> None:
    ex = exchanges("X>Y", "Y>X", "P>Q", "Q>R", "R>P", "A>B", "B>A")
    ids = assign_loop_ids(ex).tolist()
    # The three-firm loop is the largest; the two two-firm loops order by firm names.
    assert ids == ["L3", "L3", "L1", "L1", "L1", "L2", "L2"]
    assert [sorted(c) for c in loop_clusters(firm_graph(ex))] == [
        ["P", "Q", "R"],
        ["A", "B"],
        ["X", "Y"],
    ]
    # Row order does not change the ids.
    shuffled = ex.iloc[::-1]
    assert assign_loop_ids(shuffled).tolist() == ids[::-1]


def test_a_chain_without_a_loop_gets_no_id() -> None:
    ex = exchanges("A>B", "B>C", "C>D")
    assert find_loops(firm_graph(ex)) == []
    assert loop_clusters(firm_graph(ex)) == []
    assert assign_loop_ids(ex).tolist() == [None, None, None]
    assert closes_loop(ex).tolist() == [False, False, False]


def test_an_exchange_leaving_a_loop_does_not_close_it() -> None:
    ex = exchanges("A>B", "B>A", "B>C")
    assert assign_loop_ids(ex).tolist() == ["L1", "L1", None]
    assert closes_loop(ex).tolist() == [True, True, False]


def test_a_chord_in_a_cluster_lies_on_a_cycle_and_both_cycles_are_listed() -> None:
    ex = exchanges("A>B", "B>C", "C>A", "C>B")
    assert find_loops(firm_graph(ex)) == [("B", "C"), ("A", "B", "C")]
    assert closes_loop(ex).all()


def test_firm_graph_aggregates_parallel_exchanges() -> None:
    ex = exchanges(
        "A>B",
        "A>B",
        "B>A",
        quantity_per_year=[10.0, 5.0, 1.0],
        mass_t_per_year=[10.0, math.nan, 1.0],
        material=["metals", "plastics.pp", "metals"],
    )
    graph = firm_graph(ex)
    assert sorted(graph.edges) == [("A", "B"), ("B", "A")]
    edge = graph.edges["A", "B"]
    assert edge == {
        "exchanges": 2,
        "quantity_per_year": 15.0,
        "mass_t_per_year": 10.0,
        "materials": ("metals", "plastics.pp"),
    }


def test_self_supply_and_missing_firms_make_no_edge() -> None:
    ex = pd.DataFrame(
        {"offer_organisation": ["A", "A", None], "need_organisation": ["A", "B", "B"]}
    )
    graph = firm_graph(ex)
    assert sorted(graph.edges) == [("A", "B")]
    assert assign_loop_ids(ex).tolist() == [None, None, None]


def test_the_ids_keep_the_frames_index() -> None:
    ex = exchanges("A>B", "B>A").set_axis([10, 20])
    assert assign_loop_ids(ex).index.tolist() == [10, 20]
    assert assign_loop_ids(ex).name == "loop_id"


def test_missing_columns_and_a_bad_bound_are_refused() -> None:
    with pytest.raises(ValidationError, match="'need_organisation'"):
        firm_graph(pd.DataFrame({"offer_organisation": ["A"]}))
    with pytest.raises(ValidationError, match="max_length 1"):
        find_loops(nx.DiGraph(), max_length=1)
    with pytest.raises(ValidationError, match="'source_km_used'"):
        chain_summary(pd.DataFrame({"mass_t_per_year": [1.0], "road_km": [1.0]}))


def test_chain_summary_compares_the_proposals_with_the_current_supply() -> None:
    ex = exchanges(
        "A>B",
        "B>A",
        "B>C",
        mass_t_per_year=[100.0, 10.0, 0.0],
        road_km=[12.0, 30.0, 5.0],
        source_km_used=[50.0, 100.0, 0.0],
    )
    summary = chain_summary(ex)
    assert summary == {
        "exchanges": 3,
        "firms": 3,
        "mass_t_per_year": 110.0,
        "tonne_km": 100 * 12 + 10 * 30,
        "tonne_km_current_supply": 100 * 50 + 10 * 100,
        "tonne_km_saved": 6000 - 1500,
        "tonne_km_saved_share": 4500 / 6000,
        "loop_clusters": 1,
        "exchanges_in_loops": 2,
    }


def test_chain_summary_of_nothing_is_zero() -> None:
    empty = pd.DataFrame(
        columns=[
            "offer_organisation",
            "need_organisation",
            "mass_t_per_year",
            "road_km",
            "source_km_used",
        ]
    )
    summary = chain_summary(empty)
    assert summary["tonne_km"] == summary["tonne_km_saved"] == summary["tonne_km_saved_share"] == 0
    assert summary["exchanges"] == summary["loop_clusters"] == 0


firms = st.sampled_from(list("ABCDEFG"))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(firms, firms), min_size=1, max_size=15))
def test_an_exchange_closes_a_loop_exactly_when_a_path_leads_back(
    pairs: list[tuple[str, str]],
) -> None:
    ex = exchanges(*(f"{a}>{b}" for a, b in pairs))
    graph = firm_graph(ex)
    got = closes_loop(ex).tolist()
    want = [a != b and nx.has_path(graph, b, a) for a, b in pairs]
    assert got == want
    for loop in find_loops(graph):
        assert loop[0] == min(loop)
        assert all(graph.has_edge(u, v) for u, v in zip(loop, loop[1:] + loop[:1], strict=True))


def _reference_loop_ids(ex: pd.DataFrame) -> list[object]:
    """Loop ids the slow, obvious way: NetworkX clusters of firm names, looked up per row."""
    loop_of = {
        firm: f"L{i}"
        for i, cluster in enumerate(loop_clusters(firm_graph(ex)), 1)
        for firm in cluster
    }
    ids: list[object] = []
    for offerer, needer in zip(ex["offer_organisation"], ex["need_organisation"], strict=True):
        if pd.isna(offerer) or pd.isna(needer) or str(offerer) == str(needer):
            ids.append(None)
            continue
        mine, theirs = loop_of.get(str(offerer)), loop_of.get(str(needer))
        ids.append(mine if mine is not None and mine == theirs else None)
    return ids


def test_self_supply_inside_a_loop_gets_no_id_but_the_loop_does() -> None:
    ex = exchanges("A>B", "B>A", "A>A", "B>B")
    assert assign_loop_ids(ex).tolist() == ["L1", "L1", None, None]


def test_many_parallel_exchanges_count_as_one_edge() -> None:
    # 300 copies of one pair: more than a byte can count, which must not matter.
    ex = exchanges(*["A>B"] * 300, "B>A", "B>C")
    assert assign_loop_ids(ex).tolist() == ["L1"] * 301 + [None]
    assert chain_summary(
        ex.assign(mass_t_per_year=1.0, road_km=1.0, source_km_used=1.0)
    ) == pytest.approx(
        {
            "exchanges": 302,
            "firms": 3,
            "mass_t_per_year": 302.0,
            "tonne_km": 302.0,
            "tonne_km_current_supply": 302.0,
            "tonne_km_saved": 0.0,
            "tonne_km_saved_share": 0.0,
            "loop_clusters": 1,
            "exchanges_in_loops": 301,
        }
    )


def test_missing_firms_break_no_loop_and_get_no_id() -> None:
    ex = pd.DataFrame(
        {
            "offer_organisation": ["A", "B", None, "B", math.nan],
            "need_organisation": ["B", "A", "A", None, math.nan],
        }
    )
    assert assign_loop_ids(ex).tolist() == ["L1", "L1", None, None, None]


def test_firms_are_told_apart_by_their_names_as_text() -> None:
    # The number 1 and the text "1" are one firm, as in firm_graph.
    ex = pd.DataFrame({"offer_organisation": [1, "2", "1"], "need_organisation": ["2", 1, 3]})
    assert assign_loop_ids(ex).tolist() == ["L1", "L1", None]
    assert sorted(firm_graph(ex).edges) == [("1", "2"), ("1", "3"), ("2", "1")]


def test_equal_sized_loops_are_numbered_by_their_sorted_firm_names() -> None:
    # Sorted names: ["B", "Z"] < ["C", "D"], although "Z" > "D".
    ex = exchanges("C>D", "D>C", "Z>B", "B>Z")
    assert assign_loop_ids(ex).tolist() == ["L2", "L2", "L1", "L1"]


def test_firm_graph_gives_an_edge_without_known_materials_an_empty_tuple() -> None:
    ex = exchanges("A>B", "A>B", "B>A", material=[None, math.nan, "metals"])
    graph = firm_graph(ex)
    assert graph.edges["A", "B"]["materials"] == ()
    assert graph.edges["B", "A"]["materials"] == ("metals",)


maybe_firms = st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D", "E", 1, "1"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(maybe_firms, maybe_firms), min_size=1, max_size=25))
def test_loop_ids_equal_the_networkx_clusters_looked_up_per_row(
    pairs: list[tuple[object, object]],
) -> None:
    ex = pd.DataFrame(pairs, columns=["offer_organisation", "need_organisation"], dtype=object)
    assert assign_loop_ids(ex).tolist() == _reference_loop_ids(ex)
    summary = chain_summary(ex.assign(mass_t_per_year=0.0, road_km=0.0, source_km_used=0.0))
    assert summary["loop_clusters"] == len(loop_clusters(firm_graph(ex)))
    assert summary["exchanges_in_loops"] == sum(i is not None for i in _reference_loop_ids(ex))
