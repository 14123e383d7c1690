"""Exact optima of the min-cost-flow allocation, against NetworkX and an independent LP."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from flows.allocate import allocate, integer_problem, solve_ortools

SOLVERS = ["ortools", "networkx"]


def greedy_by_best_edge(supply, demand, offer_idx, need_idx, gain):
    """The obvious heuristic: fill the most valuable edge first, then the next."""
    supply, demand = list(supply), list(demand)
    total = 0.0
    for e in np.argsort(-np.asarray(gain), kind="stable"):
        amount = min(supply[offer_idx[e]], demand[need_idx[e]])
        supply[offer_idx[e]] -= amount
        demand[need_idx[e]] -= amount
        total += amount * gain[e]
    return total


@pytest.mark.parametrize("solver", SOLVERS)
def test_three_firms_optimum_routes_around_the_best_single_edge(solver):
    # Firms A, B, C. Offers: X (A) 10 t, Y (B) 10 t. Needs: P (C) 10 t, Q (B) 10 t.
    # B cannot supply itself, so there is no edge Y -> Q. Net CO2e avoided per t:
    #   X -> P 10, X -> Q 9, Y -> P 8.
    # Any feasible flow with X -> P = x has X -> Q = 10 - x and Y -> P = 10 - x, worth
    #   10x + 9(10 - x) + 8(10 - x) = 170 - 7x,
    # so x = 0 is the unique optimum: X -> Q 10 t, Y -> P 10 t, 170 kg.
    # Greedy takes X -> P first (10 kg/t) and strands both Q and Y: 100 kg.
    supply, demand = [10.0, 10.0], [10.0, 10.0]
    offer_idx, need_idx = [0, 0, 1], [0, 1, 0]
    gain = [10.0, 9.0, 8.0]
    result = allocate(supply, demand, offer_idx, need_idx, -np.array(gain), solver=solver)
    assert result.flow.tolist() == [0.0, 10.0, 10.0]
    assert -result.objective == 170.0
    assert greedy_by_best_edge(supply, demand, offer_idx, need_idx, gain) == 100.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_five_firms_optimum_is_certified_by_dual_prices(solver):
    # Firms A..E. Offers a (A) 8 t, b (B) 5 t, c (C) 7 t; needs p (D) 6 t, q (E) 9 t,
    # r (A) 5 t (so no edge a -> r). Net CO2e avoided per t:
    #   a->p 12, a->q 11, b->p 10, b->r 3, c->q 5, c->r 4.
    # Claimed optimum: a->p 1, a->q 7, b->p 5, c->q 2, c->r 5, b->r 0:
    #   12 + 77 + 50 + 10 + 20 = 169 kg.
    # Certificate (LP duality): prices u_a=10, u_b=8, u_c=4, v_p=2, v_q=1, v_r=0 satisfy
    #   u_i + v_j >= gain_ij on every edge (ap 12, aq 11, bp 10, cq 5, cr 4 tight;
    #   br 8 > 3), and sum(u*supply) + sum(v*demand) = 80 + 40 + 28 + 12 + 9 + 0 = 169.
    # Unique: b->r is slack so carries 0; a, b, c, p, q have positive prices so are
    # full: bp = 5, ap = 6 - 5 = 1, aq = 8 - 1 = 7, cq = 9 - 7 = 2, cr = 7 - 2 = 5.
    # Greedy: a->p 6, a->q 2, c->q 7, b->r 5 = 72 + 22 + 35 + 15 = 144 kg.
    supply, demand = [8.0, 5.0, 7.0], [6.0, 9.0, 5.0]
    offer_idx = [0, 0, 1, 1, 2, 2]
    need_idx = [0, 1, 0, 2, 1, 2]
    gain = [12.0, 11.0, 10.0, 3.0, 5.0, 4.0]
    result = allocate(supply, demand, offer_idx, need_idx, -np.array(gain), solver=solver)
    assert result.flow.tolist() == [1.0, 7.0, 5.0, 0.0, 2.0, 5.0]
    assert -result.objective == 169.0
    assert greedy_by_best_edge(supply, demand, offer_idx, need_idx, gain) == 144.0


@pytest.mark.parametrize("solver", SOLVERS)
def test_quantity_objective_maximises_flow_before_minimising_tonne_km(solver):
    # Offers X 10 t, Y 10 t; needs P 10 t, Q 5 t. Tonne-km per t: X->P 2, X->Q 1, Y->P 5.
    # Q can only be served by X, so X->Q = 5; P takes x from X (x <= 5) and 10 - x from Y:
    #   total 15 t, tonne-km 5*1 + 2x + 5(10 - x) = 55 - 3x, least at x = 5: 40.
    # Minimising tonne-km alone would move nothing.
    result = allocate(
        [10.0, 10.0],
        [10.0, 5.0],
        [0, 0, 1],
        [0, 1, 0],
        [2.0, 1.0, 5.0],
        maximise_quantity=True,
        solver=solver,
    )
    assert result.flow.tolist() == [5.0, 5.0, 5.0]
    assert result.objective == 40.0


def test_edges_that_avoid_no_co2_carry_no_flow():
    result = allocate([5.0], [5.0, 5.0], [0, 0], [0, 1], [0.0, 3.0])
    assert result.flow.tolist() == [0.0, 0.0]


def test_fractional_quantities_are_floored_to_the_resolution_never_over_allocated():
    problem = integer_problem([1.23456], [10.0], [0], [0], [-1.0])
    assert problem.quantity_scale == 1000.0
    assert problem.supply.tolist() == [1234]
    result = allocate([1.23456], [10.0], [0], [0], [-1.0])
    assert result.flow.tolist() == [1.234]


def test_float_noise_does_not_lose_a_unit_of_resolution():
    # 0.1 * 3 * 1000 is 300.00000000000006 and 4.8 * 1000 is 4799.999999999999.
    problem = integer_problem([0.1 * 3, 4.8], [10.0], [0, 1], [0, 0], [-1.0, -1.0])
    assert problem.supply.tolist() == [300, 4800]


def test_bad_solver_name_is_refused():
    with pytest.raises(ValueError, match="solver 'cplex' is not one of"):
        allocate([1.0], [1.0], [0], [0], [-1.0], solver="cplex")  # type: ignore[arg-type]


def test_an_empty_edge_set_allocates_nothing():
    result = allocate([1.0], [1.0], [], [], [])
    assert result.flow.size == 0
    assert result.objective == 0.0


# -- properties ---------------------------------------------------------------------------


@st.composite
def instances(draw, *, non_negative_costs=False):
    n_offers = draw(st.integers(1, 5))
    n_needs = draw(st.integers(1, 5))
    supply = draw(st.lists(st.integers(0, 20), min_size=n_offers, max_size=n_offers))
    demand = draw(st.lists(st.integers(0, 20), min_size=n_needs, max_size=n_needs))
    pairs = [(i, j) for i in range(n_offers) for j in range(n_needs)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    low = 0 if non_negative_costs else -20
    costs = draw(st.lists(st.integers(low, 20), min_size=len(chosen), max_size=len(chosen)))
    return (
        np.array(supply, dtype=float),
        np.array(demand, dtype=float),
        np.array([p[0] for p in chosen], dtype=np.int64),
        np.array([p[1] for p in chosen], dtype=np.int64),
        np.array(costs, dtype=float),
    )


def lp_optimum(supply, demand, offer_idx, need_idx, cost, *, total_flow=None):
    """Min cost.x s.t. offer and need limits (and a fixed total), by HiGHS."""
    n_edges = cost.size
    if n_edges == 0:
        return 0.0
    rows_o = (np.arange(supply.size)[:, None] == offer_idx[None, :]).astype(float)
    rows_n = (np.arange(demand.size)[:, None] == need_idx[None, :]).astype(float)
    a_eq = b_eq = None
    if total_flow is not None:
        a_eq, b_eq = np.ones((1, n_edges)), [total_flow]
    result = linprog(
        cost,
        A_ub=np.vstack([rows_o, rows_n]),
        b_ub=np.concatenate([supply, demand]),
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
    )
    assert result.status == 0
    return float(result.fun)


def assert_within_limits(flow, supply, demand, offer_idx, need_idx):
    assert (flow >= 0).all()
    assert (np.bincount(offer_idx, flow, minlength=supply.size) <= supply + 1e-9).all()
    assert (np.bincount(need_idx, flow, minlength=demand.size) <= demand + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(instances())
def test_co2_optimum_equals_networkx_and_the_lp(instance):
    supply, demand, offer_idx, need_idx, cost = instance
    ortools = allocate(supply, demand, offer_idx, need_idx, cost, solver="ortools")
    networkx = allocate(supply, demand, offer_idx, need_idx, cost, solver="networkx")
    for result in (ortools, networkx):
        assert_within_limits(result.flow, supply, demand, offer_idx, need_idx)
        assert (result.flow[cost >= 0] == 0).all()
    # Integer costs up to 20 scale exactly, so the optimum is the LP optimum itself.
    assert ortools.objective == pytest.approx(networkx.objective, abs=1e-6)
    assert ortools.objective == pytest.approx(
        lp_optimum(supply, demand, offer_idx, need_idx, np.minimum(cost, 0.0)), abs=1e-6
    )


@settings(max_examples=60, deadline=None)
@given(instances(non_negative_costs=True))
def test_quantity_objective_reaches_the_maximum_flow_at_least_cost(instance):
    supply, demand, offer_idx, need_idx, cost = instance
    graph = nx.DiGraph()
    graph.add_nodes_from(["s", "t"])
    for i, s in enumerate(supply):
        graph.add_edge("s", ("o", i), capacity=s)
    for j, d in enumerate(demand):
        graph.add_edge(("n", j), "t", capacity=d)
    for i, j in zip(offer_idx, need_idx, strict=True):
        graph.add_edge(("o", int(i)), ("n", int(j)))  # no capacity: unbounded
    max_flow = nx.maximum_flow_value(graph, "s", "t")
    for solver in SOLVERS:
        result = allocate(
            supply, demand, offer_idx, need_idx, cost, maximise_quantity=True, solver=solver
        )
        assert_within_limits(result.flow, supply, demand, offer_idx, need_idx)
        assert result.flow.sum() == pytest.approx(max_flow)
        assert result.objective == pytest.approx(
            lp_optimum(supply, demand, offer_idx, need_idx, cost, total_flow=max_flow), abs=1e-6
        )


@settings(max_examples=30, deadline=None)
@given(instances())
def test_decomposed_solve_equals_one_raw_solve_of_the_whole_graph(instance):
    supply, demand, offer_idx, need_idx, cost = instance
    problem = integer_problem(supply, demand, offer_idx, need_idx, cost)
    raw = solve_ortools(problem)
    result = allocate(supply, demand, offer_idx, need_idx, cost)
    assert int(raw @ problem.cost) == int(result.flow_int[problem.edge_pos] @ problem.cost)


def test_cost_error_bound_covers_rounding_of_irrational_costs():
    rng = np.random.default_rng(7)
    supply = rng.integers(1, 50, 30).astype(float)
    demand = rng.integers(1, 50, 30).astype(float)
    offer_idx = rng.integers(0, 30, 200)
    need_idx = rng.integers(0, 30, 200)
    keep = np.unique(offer_idx * 30 + need_idx, return_index=True)[1]
    offer_idx, need_idx = offer_idx[keep], need_idx[keep]
    cost = -rng.random(offer_idx.size) * np.pi * 100
    result = allocate(supply, demand, offer_idx, need_idx, cost)
    best = lp_optimum(supply, demand, offer_idx, need_idx, cost)
    assert best - 1e-6 <= result.objective <= best + result.cost_error_bound + 1e-6


@st.composite
def scattered_instances(draw):
    """Up to 12 x 12 listings, edges in random order: many small components."""
    n_offers = draw(st.integers(1, 12))
    n_needs = draw(st.integers(1, 12))
    pairs = [(i, j) for i in range(n_offers) for j in range(n_needs)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1, max_size=30))
    return (
        np.array(draw(st.lists(st.integers(0, 9), min_size=n_offers, max_size=n_offers)), float),
        np.array(draw(st.lists(st.integers(0, 9), min_size=n_needs, max_size=n_needs)), float),
        np.array([p[0] for p in chosen], dtype=np.int64),
        np.array([p[1] for p in chosen], dtype=np.int64),
        -np.array(draw(st.lists(st.integers(1, 9), min_size=len(chosen), max_size=len(chosen)))),
    )


@settings(max_examples=80, deadline=None)
@given(scattered_instances(), st.integers(1, 8), st.sampled_from(SOLVERS))
def test_every_batch_numbers_its_offers_and_needs_as_np_unique_would(instance, batch_edges, solver):
    # The solvers break ties by node and arc order, so the numbering the decomposition
    # computes for all batches at once must be exactly the per-batch np.unique one.
    import flows.allocate as allocate_module

    supply, demand, offer_idx, need_idx, cost = instance
    seen = []

    def checked(original):
        def solve(problem, edges, local):
            want = allocate_module._local(problem, edges)
            for name in ("offers", "needs", "tail", "head"):
                np.testing.assert_array_equal(getattr(local, name), getattr(want, name))
            seen.append(edges.size)
            return original(problem, edges, local)

        return solve

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(allocate_module, "BATCH_EDGES", batch_edges)
        patch.setattr(allocate_module, "_ortools_batch", checked(allocate_module._ortools_batch))
        patch.setattr(
            allocate_module,
            "_networkx_component",
            checked(allocate_module._networkx_component),
        )
        result = allocate(supply, demand, offer_idx, need_idx, cost, solver=solver)
    problem = integer_problem(supply, demand, offer_idx, need_idx, cost)
    assert sum(seen) + result.n_trivial_components == problem.offer_idx.size
    raw = solve_ortools(problem)
    assert int(raw @ problem.cost) == int(result.flow_int[problem.edge_pos] @ problem.cost)
