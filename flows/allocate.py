"""Optimal allocation of offers to needs as a min-cost flow.

The candidate edges form a bipartite graph offers -> needs. Each offer ``i`` can send at
most its supply ``s_i`` and each need ``j`` take at most its demand ``d_j``; the
allocation need not fill either. Two objectives, both solved exactly on integer data:

``maximise_quantity=False`` (the engine's ``co2`` objective)
    Minimise ``sum cost_e * x_e`` with ``cost_e = -net CO2e avoided per unit``. Unfilled
    supply must be allowed at zero cost, and OR-tools' ``SimpleMinCostFlow`` wants
    balanced supplies, so every offer also gets a zero-cost arc to a dummy sink ``T``
    (and every need an arc to ``T`` with capacity ``d_j``); ``T`` absorbs all supply.
    An edge with ``cost_e >= 0`` (net CO2e avoided ``<= 0``) can never lower the
    objective, so it is dropped up front: the engine does not propose exchanges that
    do not avoid CO2e.
``maximise_quantity=True`` (the ``tonnes`` objective)
    Lexicographic: first the largest total quantity exchanged, then, among all flows of
    that value, the least ``sum cost_e * x_e`` (tonne-km). Solved as a maximum flow
    of minimum cost (OR-tools ``solve_max_flow_with_min_cost``; NetworkX
    ``max_flow_min_cost``), which is exact. A single "cost minus BIG" encoding would need
    ``BIG > (path length) * max cost`` and overflows int64 at national scale.

Integer data
------------
Min-cost-flow solvers work on integers. Quantities are floored to a resolution of
``1 / quantity_scale`` flow units (``quantity_scale = 1000``, i.e. 0.001 t, unless the
total supply is so large that even :data:`MIN_COST_RESOLUTION` would overflow int64;
then the largest power of ten that fits). Flooring, not rounding, so that no listing
is ever over-allocated. Costs are scaled so that the largest ``|cost|`` becomes
:data:`COST_RESOLUTION` (1e8), or the largest integer that keeps ``total flow x max
cost`` below 2**62, and rounded; kept CO2 edges are clamped to at most -1 so none
becomes free. With ``delta = 1 / cost_scale`` the per-unit cost error is ``<= delta``, so
the returned flow ``x`` is within ``2 * delta * F`` of the true-cost optimum over the same
integer capacities (``F = min(total supply, total demand)``)::

    c.x - c.x* = (c - c').x + c'.x - c'.x* + (c' - c).x*  <=  delta (|x| + |x*|)

since ``c'.x <= c'.x*``. This bound is reported as :attr:`Allocation.cost_error_bound`.
Flooring capacities costs at most ``(n_offers + n_needs) / quantity_scale * max|cost|``
against the continuous problem.

Decomposition
-------------
Independent connected components of the candidate graph are found with
:func:`scipy.sparse.csgraph.connected_components`. Single-edge components are solved in
closed form (``x = min(s, d)``); the others are packed into batches of at most
:data:`BATCH_EDGES` edges (a larger component alone) and each batch, a disjoint union,
is one OR-tools solve. ``solver="networkx"`` solves every component with NetworkX's
network simplex on the same integer data: the independent cross-check.

Examples
--------
>>> import numpy as np
>>> a = allocate(np.array([10.0]), np.array([4.0, 8.0]), np.array([0, 0]), np.array([0, 1]),
...              np.array([-2.0, -1.0]))
>>> a.flow.tolist()
[4.0, 6.0]
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from flows.errors import SolverError

__all__ = [
    "BATCH_EDGES",
    "COST_RESOLUTION",
    "MIN_COST_RESOLUTION",
    "QUANTITY_DECIMALS",
    "Allocation",
    "IntegerProblem",
    "Solver",
    "allocate",
    "integer_problem",
    "solve_ortools",
]

Solver = Literal["ortools", "networkx"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Quantities are floored to 10**-QUANTITY_DECIMALS flow units (0.001 t) when they fit.
QUANTITY_DECIMALS: Final = 3
#: The largest |cost| per unit becomes this integer (relative cost resolution 1e-8) ...
COST_RESOLUTION: Final = 100_000_000
#: ... or less when the total flow is so large that flow x cost would leave int64, but
#: never less than this (quantities are coarsened first).
MIN_COST_RESOLUTION: Final = 10_000
#: Keep every integer total (flow x cost) below this, far from int64 overflow.
_INT_BUDGET: Final = 2**62
#: Small components are batched into one solve of at most this many edges.
BATCH_EDGES: Final = 200_000


@dataclass(frozen=True)
class IntegerProblem:
    """The bipartite flow problem in integers, as every solver path receives it.

    Edge arrays only hold the edges that can carry flow (``keep``); ``edge_pos`` maps
    them back to positions in the caller's arrays.
    """

    supply: IntArray
    demand: IntArray
    offer_idx: IntArray
    need_idx: IntArray
    capacity: IntArray
    cost: IntArray
    edge_pos: IntArray
    quantity_scale: float
    cost_scale: float
    maximise_quantity: bool


@dataclass(frozen=True)
class Allocation:
    """The optimal flow on each candidate edge, in flow units per year.

    Attributes
    ----------
    flow
        Flow per input edge (0 for dropped edges), ``flow_int / quantity_scale``.
    flow_int
        The integer optimum the solver found.
    objective
        ``sum(cost * flow)`` with the caller's (unscaled) costs.
    cost_error_bound
        Upper bound on how far ``objective`` can be from the true-cost optimum over the
        same integer capacities (see the module docstring).
    """

    flow: FloatArray
    flow_int: IntArray
    quantity_scale: float
    cost_scale: float
    objective: float
    cost_error_bound: float
    n_components: int
    n_trivial_components: int


def integer_problem(
    supply: npt.ArrayLike,
    demand: npt.ArrayLike,
    offer_idx: npt.ArrayLike,
    need_idx: npt.ArrayLike,
    cost: npt.ArrayLike,
    *,
    maximise_quantity: bool = False,
) -> IntegerProblem:
    """Scale the problem to integers (see the module docstring for the error bound).

    Examples
    --------
    >>> p = integer_problem([1.5], [2.0], [0], [0], [-3.0])
    >>> int(p.supply[0]), int(p.cost[0]), p.quantity_scale
    (1500, -100000000, 1000.0)
    """
    supply_f = np.asarray(supply, dtype=np.float64)
    demand_f = np.asarray(demand, dtype=np.float64)
    o = np.asarray(offer_idx, dtype=np.int64)
    n = np.asarray(need_idx, dtype=np.int64)
    c = np.asarray(cost, dtype=np.float64)
    if not (o.shape == n.shape == c.shape):
        raise ValueError(
            f"offer_idx, need_idx and cost must have one value per edge; got shapes "
            f"{o.shape}, {n.shape}, {c.shape}"
        )
    if (supply_f < 0).any() or (demand_f < 0).any() or not np.isfinite(supply_f).all():
        raise ValueError("supply and demand must be finite numbers >= 0")
    if not np.isfinite(c).all():
        raise ValueError("cost must be finite for every edge")
    if o.size and (
        o.min() < 0 or o.max() >= supply_f.size or n.min() < 0 or n.max() >= demand_f.size
    ):
        raise ValueError("offer_idx and need_idx must index supply and demand")

    total = float(min(supply_f.sum(), demand_f.sum())) if supply_f.size and demand_f.size else 0.0
    # Quantity first: 0.001 flow units unless even the coarsest cost resolution would
    # overflow; then the cost resolution takes what the int64 budget leaves.
    decimals = QUANTITY_DECIMALS
    if total > 0:
        fits = math.floor(math.log10(_INT_BUDGET / (MIN_COST_RESOLUTION * total)))
        decimals = min(QUANTITY_DECIMALS, fits)
    quantity_scale = 10.0**decimals
    # Round away float noise (4.8 * 1000 = 4799.999...) before flooring.
    supply_i = np.floor(np.round(supply_f * quantity_scale, 6)).astype(np.int64)
    demand_i = np.floor(np.round(demand_f * quantity_scale, 6)).astype(np.int64)
    total_i = min(int(supply_i.sum()), int(demand_i.sum()))
    cost_resolution = COST_RESOLUTION
    if total_i > 0:
        cost_resolution = max(MIN_COST_RESOLUTION, min(COST_RESOLUTION, _INT_BUDGET // total_i))

    keep = (supply_i[o] > 0) & (demand_i[n] > 0) if o.size else np.zeros(0, dtype=bool)
    if not maximise_quantity:
        keep &= c < 0
    pos = np.flatnonzero(keep).astype(np.int64)
    o, n, c = o[pos], n[pos], c[pos]
    max_abs = float(np.abs(c).max()) if c.size else 0.0
    cost_scale = cost_resolution / max_abs if max_abs > 0 else 1.0
    cost_i = np.rint(c * cost_scale).astype(np.int64)
    if not maximise_quantity:
        cost_i = np.minimum(cost_i, -1)
    return IntegerProblem(
        supply=supply_i,
        demand=demand_i,
        offer_idx=o,
        need_idx=n,
        capacity=np.minimum(supply_i[o], demand_i[n]),
        cost=cost_i,
        edge_pos=pos,
        quantity_scale=quantity_scale,
        cost_scale=cost_scale,
        maximise_quantity=maximise_quantity,
    )


def allocate(
    supply: npt.ArrayLike,
    demand: npt.ArrayLike,
    offer_idx: npt.ArrayLike,
    need_idx: npt.ArrayLike,
    cost: npt.ArrayLike,
    *,
    maximise_quantity: bool = False,
    solver: Solver = "ortools",
    progress: bool = False,
) -> Allocation:
    """Return the optimal flow per edge.

    Parameters
    ----------
    supply, demand
        Quantity per offer and per need, in flow units (>= 0).
    offer_idx, need_idx
        Per edge, the offer and the need it joins.
    cost
        Cost per unit of flow on each edge. With ``maximise_quantity=False`` only
        negative costs are worth flow (others are dropped).
    maximise_quantity
        Maximise the total flow first, then minimise cost (exact lexicographic order).
    solver
        ``"ortools"`` (default) or ``"networkx"`` (same integer data; slower).
    progress
        Show a tqdm bar on stderr, one step per component.

    Raises
    ------
    SolverError
        If a solver reports anything but an optimal solution.
    """
    if solver not in ("ortools", "networkx"):
        raise ValueError(f"solver {solver!r} is not one of 'ortools', 'networkx'")
    cost_f = np.asarray(cost, dtype=np.float64)
    problem = integer_problem(
        supply, demand, offer_idx, need_idx, cost_f, maximise_quantity=maximise_quantity
    )
    flow_kept, n_components, n_trivial = _solve_by_component(
        problem, solver=solver, progress=progress
    )
    flow_int = np.zeros(cost_f.shape[0], dtype=np.int64)
    flow_int[problem.edge_pos] = flow_kept
    flow = flow_int / problem.quantity_scale
    total_bound = (
        min(float(problem.supply.sum()), float(problem.demand.sum())) / problem.quantity_scale
    )
    return Allocation(
        flow=flow,
        flow_int=flow_int,
        quantity_scale=problem.quantity_scale,
        cost_scale=problem.cost_scale,
        objective=float(np.dot(flow, cost_f)) if cost_f.size else 0.0,
        cost_error_bound=2.0 * total_bound / problem.cost_scale,
        n_components=n_components,
        n_trivial_components=n_trivial,
    )


def solve_ortools(problem: IntegerProblem) -> IntArray:
    """Solve the whole integer problem in one OR-tools call, without decomposition.

    This is the reference the benchmark compares the engine with; the engine itself uses
    the same construction per batch of components.
    """
    edges = np.arange(problem.offer_idx.shape[0])
    return _ortools_batch(problem, edges, _local(problem, edges))


# -- decomposition -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Local:
    """The offers and needs of one solve and its arcs, numbered 0..a-1 and a..a+b-1.

    ``offers`` and ``needs`` are in index order; ``tail`` / ``head`` give, per edge of
    the solve, the local number of its offer and of its need.
    """

    offers: IntArray
    needs: IntArray
    tail: IntArray
    head: IntArray


def _solve_by_component(
    problem: IntegerProblem, *, solver: Solver, progress: bool
) -> tuple[IntArray, int, int]:
    n_edges = problem.offer_idx.shape[0]
    flow = np.zeros(n_edges, dtype=np.int64)
    if n_edges == 0:
        return flow, 0, 0
    n_o = problem.supply.shape[0]
    n_nodes = n_o + problem.demand.shape[0]
    graph = coo_matrix(
        (np.ones(n_edges, dtype=np.int8), (problem.offer_idx, n_o + problem.need_idx)),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    # Number the components that have edges in label order, as np.unique would, but by
    # counting rather than sorting millions of edges.
    edges_per_label = np.bincount(labels[problem.offer_idx], minlength=n_nodes)
    has_edges = edges_per_label > 0
    comp_of_node = np.where(has_edges, np.cumsum(has_edges) - 1, -1)[labels]
    comp_of_edge = comp_of_node[problem.offer_idx]
    comp_size = edges_per_label[has_edges]
    n_components = int(comp_size.shape[0])

    trivial = np.zeros(n_edges, dtype=bool)
    if solver == "ortools":
        trivial = comp_size[comp_of_edge] == 1
        # One edge alone: send all it can when that pays (negative cost) or when flow
        # itself is the objective.
        worth = trivial & ((problem.cost < 0) | problem.maximise_quantity)
        flow[worth] = problem.capacity[worth]
    n_trivial = int(np.count_nonzero(trivial))

    # The other edges grouped by component, in edge order within each (a stable sort).
    rest = np.flatnonzero(~trivial)
    order = rest[np.argsort(comp_of_edge[rest], kind="stable")]
    if order.size == 0:
        return flow, n_components, n_trivial
    comp_sorted = comp_of_edge[order]
    starts = np.r_[0, np.flatnonzero(comp_sorted[1:] != comp_sorted[:-1]) + 1]
    ends = np.r_[starts[1:], order.size]
    if solver == "ortools":
        batches = list(_batches(starts, ends))
    else:
        batches = [(int(lo), int(hi), 1) for lo, hi in zip(starts, ends, strict=True)]
    # The batch each component, and so each offer and need, is solved in (-1: none). A
    # node without edges has component -1, which picks the extra last slot.
    batch_of_comp = np.full(n_components + 1, -1, dtype=np.int64)
    batch_of_comp[comp_sorted[starts]] = np.repeat(
        np.arange(len(batches)), [count for _, _, count in batches]
    )
    batch_of_node = batch_of_comp[comp_of_node]
    offers = _Numbering(batch_of_node[:n_o], len(batches))
    needs = _Numbering(batch_of_node[n_o:], len(batches))

    from tqdm import tqdm

    with tqdm(
        total=n_components,
        initial=n_trivial,
        disable=not progress,
        file=sys.stderr,
        desc="solve",
        unit="component",
        leave=False,
    ) as bar:
        for batch, (lo, hi, count) in enumerate(batches):
            edges = order[lo:hi]
            batch_offers = offers.members(batch)
            local = _Local(
                offers=batch_offers,
                needs=needs.members(batch),
                tail=offers.local[problem.offer_idx[edges]],
                head=needs.local[problem.need_idx[edges]] + batch_offers.size,
            )
            if solver == "ortools":
                flow[edges] = _ortools_batch(problem, edges, local)
            else:
                flow[edges] = _networkx_component(problem, edges, local)
            bar.update(count)
    return flow, n_components, n_trivial


class _Numbering:
    """Offers (or needs) grouped by the batch they are solved in, numbered within it.

    Within a batch the nodes keep their index order, so ``local`` is the rank of a node
    among the nodes of its batch: what ``np.unique(..., return_inverse=True)`` over the
    batch's edges gives (every node of a batch has an edge in it), for all batches at
    once.
    """

    def __init__(self, batch_of_node: IntArray, n_batches: int) -> None:
        by_batch = np.argsort(batch_of_node, kind="stable")
        self._nodes: IntArray = by_batch.astype(np.int64)
        self._bounds = np.searchsorted(batch_of_node[by_batch], np.arange(n_batches + 1))
        self.local: IntArray = np.empty(batch_of_node.shape[0], dtype=np.int64)
        self.local[by_batch] = np.arange(by_batch.shape[0])
        self.local -= self._bounds[np.maximum(batch_of_node, 0)]

    def members(self, batch: int) -> IntArray:
        """The nodes solved in ``batch``, in index order."""
        return self._nodes[self._bounds[batch] : self._bounds[batch + 1]]


def _batches(starts: IntArray, ends: IntArray) -> Iterator[tuple[int, int, int]]:
    """Group consecutive components into runs of at most BATCH_EDGES edges."""
    lo = int(starts[0])
    count = 0
    for start, end in zip(starts, ends, strict=True):
        if count and end - lo > BATCH_EDGES:
            yield lo, int(start), count
            lo, count = int(start), 0
        count += 1
    yield lo, int(ends[-1]), count


def _local(problem: IntegerProblem, edges: IntArray) -> _Local:
    """Renumber the offers and needs of a set of edges 0..a-1 and a..a+b-1."""
    offers, o_local = np.unique(problem.offer_idx[edges], return_inverse=True)
    needs, n_local = np.unique(problem.need_idx[edges], return_inverse=True)
    return _Local(
        offers=offers,
        needs=needs,
        tail=o_local.astype(np.int64),
        head=n_local.astype(np.int64) + offers.size,
    )


def _ortools_batch(problem: IntegerProblem, edges: IntArray, local: _Local) -> IntArray:
    from ortools.graph.python import min_cost_flow

    offers, needs, tail, head = local.offers, local.needs, local.tail, local.head
    a, b = offers.size, needs.size
    supply = problem.supply[offers]
    demand = problem.demand[needs]
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tail, head, problem.capacity[edges], problem.cost[edges]
    )
    if problem.maximise_quantity:
        smcf.set_nodes_supplies(np.arange(a + b, dtype=np.int64), np.concatenate([supply, -demand]))
        status = smcf.solve_max_flow_with_min_cost()
    else:
        sink = a + b
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.arange(a, a + b, dtype=np.int64), np.full(b, sink), demand, np.zeros(b, np.int64)
        )
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.arange(a, dtype=np.int64), np.full(a, sink), supply, np.zeros(a, np.int64)
        )
        smcf.set_nodes_supplies(
            np.arange(a + b + 1, dtype=np.int64),
            np.concatenate([supply, np.zeros(b, np.int64), [-int(supply.sum())]]),
        )
        status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise SolverError(
            f"OR-tools min-cost flow returned status {status!r} on a component of "
            f"{edges.size} edges ({a} offers, {b} needs)"
        )
    result: IntArray = np.asarray(smcf.flows(np.arange(edges.size, dtype=np.int64)), np.int64)
    return result


def _networkx_component(problem: IntegerProblem, edges: IntArray, local: _Local) -> IntArray:
    import networkx as nx

    offers, needs, tail, head = local.offers, local.needs, local.tail, local.head
    a, b = offers.size, needs.size
    supply = problem.supply[offers]
    demand = problem.demand[needs]
    graph = nx.DiGraph()
    for e in range(edges.size):
        graph.add_edge(
            int(tail[e]),
            int(head[e]),
            capacity=int(problem.capacity[edges[e]]),
            weight=int(problem.cost[edges[e]]),
        )
    source, sink = a + b, a + b + 1
    if problem.maximise_quantity:
        for i in range(a):
            graph.add_edge(source, i, capacity=int(supply[i]), weight=0)
        for j in range(b):
            graph.add_edge(a + j, sink, capacity=int(demand[j]), weight=0)
        flow_dict = nx.max_flow_min_cost(graph, source, sink)
    else:
        # networkx convention: negative demand = supply.
        for i in range(a):
            graph.nodes[i]["demand"] = -int(supply[i])
            graph.add_edge(i, sink, capacity=int(supply[i]), weight=0)
        for j in range(b):
            graph.add_edge(a + j, sink, capacity=int(demand[j]), weight=0)
        graph.add_node(sink, demand=int(supply.sum()))
        try:
            _, flow_dict = nx.network_simplex(graph)
        except nx.NetworkXException as error:  # pragma: no cover - always feasible by design
            raise SolverError(f"NetworkX min-cost flow failed: {error}") from error
    return np.array(
        [flow_dict[int(tail[e])][int(head[e])] for e in range(edges.size)], dtype=np.int64
    )
