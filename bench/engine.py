"""Benchmark of the matching engine on seeded synthetic economies.

Run from the repository root::

    python bench/engine.py --size both --seed 0 --networkx-timeout-s 300

For each size it prints, from one process:

* time per phase of :func:`flows.propose.propose` and the number of candidate edges;
* peak memory: ``tracemalloc`` (Python and numpy allocations, measured in a second,
  traced run so the timed run is not slowed) and ``ru_maxrss`` of the process;
* the ratio of engine time to one raw OR-tools ``SimpleMinCostFlow`` solve of the
  same candidate graph (same integer arrays, no decomposition);
* the ratio to the NetworkX solver path, run in a child process with a timeout;
* net CO2e of the optimum against a greedy baseline in which each need in turn takes
  the nearest compatible offer with supply left;
* the objective kept by ``top_k`` pruning (k = 5, 10, 20) against the full optimum;
* the symbiosis credits (issue 8, part 3): avoided and net CO2e with the credits against
  the same run with them switched off (``Params(symbiosis_credits=False)``), and the share
  of proposals (of either run) whose net CO2e per unit changes sign between the two
  factor sets; plus the proposals that go by barge.
* tonnes matched when needs list one to three accepted EWC codes
  (:func:`with_accepted_code_lists`), read as written (issue 8) against the reading
  before (the list intersected with the taxonomy's rules).

No test depends on these numbers; ``bench/README.md`` records a run.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import resource
import sys
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.allocate import integer_problem, solve_ortools
from flows.candidates import attach_co2, find_candidates
from flows.co2 import co2_per_unit
from flows.listing_file import split_offers_needs
from flows.normalise import normalise
from flows.propose import Params, edge_transport_modes, propose
from flows.synthetic import generate

SIZES = {"region": 2_000, "national": 100_000}


def listings_of(size: str, seed: int) -> pd.DataFrame:
    economy = generate(size=size, seed=seed, n_listings=SIZES[size])
    return economy.listings


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def greedy_nearest(
    supply: np.ndarray,
    demand: np.ndarray,
    offer_idx: np.ndarray,
    need_idx: np.ndarray,
    distance_km: np.ndarray,
) -> np.ndarray:
    """Each need in turn takes the nearest compatible offers with supply left."""
    left = supply.copy()
    flow = np.zeros(offer_idx.size)
    order = np.lexsort((distance_km, need_idx))
    current_need, wanted = -1, 0.0
    for e in order.tolist():
        j = int(need_idx[e])
        if j != current_need:
            current_need, wanted = j, float(demand[j])
        if wanted <= 0:
            continue
        i = int(offer_idx[e])
        amount = min(wanted, float(left[i]))
        if amount > 0:
            flow[e] = amount
            left[i] -= amount
            wanted -= amount
    return flow


def _networkx_child(listings: pd.DataFrame, queue: Any) -> None:
    offers, needs = split_offers_needs(listings)
    started = time.perf_counter()
    result = propose(offers, needs, Params(solver="networkx"))
    queue.put(
        (
            time.perf_counter() - started,
            result.timings_s["solve"],
            result.summary["net_co2e_kg"],
        )
    )


def run_networkx(listings: pd.DataFrame, timeout_s: float) -> tuple[float, float, float] | None:
    context = mp.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_networkx_child, args=(listings, queue))
    child.start()
    child.join(timeout_s)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    return queue.get() if not queue.empty() else None


def with_accepted_code_lists(
    offers: pd.DataFrame, needs: pd.DataFrame, *, seed: int
) -> pd.DataFrame:
    """Return ``needs`` where every need with EWC codes in reach lists one to three codes.

    The first code is the need's own first accepted code, else a code offered in the
    instance whose category the taxonomy lets meet the need; the others (up to three in
    all, uniformly 1-3) are drawn from the codes offered in the instance. Needs no offered
    code can meet (energy, water) keep no list.
    """
    from flows.taxonomy import compatibility_table

    rng = np.random.default_rng(seed)
    offered = offers.dropna(subset=["ewc_code"])
    codes_of_material = offered.groupby("material")["ewc_code"].agg(lambda c: sorted(set(c)))
    all_codes = np.array(sorted(set(offered["ewc_code"])), dtype=object)
    table = compatibility_table()
    sources = table.groupby("needed")["offered"].agg(list)
    lists = []
    for material, accepted in zip(needs["material"], needs["accepted_ewc_codes"], strict=True):
        first = list(accepted)[:1]
        if not first:
            pool = [c for m in sources.get(material, []) for c in codes_of_material.get(m, [])]
            if pool:
                first = [pool[int(rng.integers(len(pool)))]]
        if not first:
            lists.append(())
            continue
        n = int(rng.integers(1, 4))
        chosen = list(first)
        while len(chosen) < n:
            code = all_codes[int(rng.integers(len(all_codes)))]
            if code not in chosen:
                chosen.append(code)
        lists.append(tuple(chosen))
    return needs.assign(accepted_ewc_codes=lists)


def accepted_code_reading(offers: pd.DataFrame, needs: pd.DataFrame, *, seed: int) -> None:
    """Print tonnes matched with lists read as written against the reading before."""
    listing_needs = with_accepted_code_lists(offers, needs, seed=seed)
    n_lists = sum(1 for codes in listing_needs["accepted_ewc_codes"] if codes)
    for objective in ("tonnes", "co2"):
        moved = {}
        for reading in ("within_rules", "as_written"):
            result = propose(offers, listing_needs, Params(objective=objective, code_lists=reading))
            frame = result.frame
            moved[reading] = float(frame.loc[frame["unit"] == "t", "quantity_per_year"].sum())
        gain = moved["as_written"] / moved["within_rules"] - 1 if moved["within_rules"] else 0.0
        print(
            f"accepted codes ({n_lists:,} needs list 1-3 codes; objective {objective}): "
            f"{moved['as_written']:,.0f} t/yr matched as written vs "
            f"{moved['within_rules']:,.0f} t/yr within the category rules (before): {gain:+.1%}"
        )


def bench(size: str, *, seed: int, networkx_timeout_s: float) -> None:
    print(f"\n== {size}: seed {seed} ==", flush=True)
    started = time.perf_counter()
    listings = listings_of(size, seed)
    offers, needs = split_offers_needs(listings)
    print(f"generate: {len(listings):,} listings in {time.perf_counter() - started:.1f} s")

    propose(offers.iloc[:50], needs.iloc[:50])  # warm imports (OR-tools, pyproj, scipy)
    started = time.perf_counter()
    result = propose(offers, needs)
    engine_s = time.perf_counter() - started
    summary = result.summary
    print(
        f"engine (co2, ortools): {engine_s:.2f} s end to end; "
        f"{summary['candidates']:,} candidate edges, {summary['edges_solved']:,} solved, "
        f"{summary['components']:,} components, {summary['proposals']:,} proposals"
    )
    print("  phases (s): " + ", ".join(f"{k} {v:.2f}" for k, v in result.timings_s.items()))
    print(
        f"  net CO2e {summary['net_co2e_kg'] / 1000:,.1f} t/yr; loops {summary['loops']}; "
        f"exchanged {summary['exchanged_per_unit']}; "
        f"cost error bound {summary['cost_error_bound']:.3g} kg"
    )

    tracemalloc.start()
    propose(offers, needs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  peak memory: tracemalloc {peak / 2**20:,.0f} MiB; process ru_maxrss {rss_mb():,.0f} MiB"
    )

    # Same candidate graph, one raw OR-tools solve.
    normal = normalise(offers, needs)
    candidates = find_candidates(normal.offers, normal.needs)
    mode, source_mode = edge_transport_modes(candidates, normal.offers, normal.needs)
    with_modes = partial(co2_per_unit, transport_mode=mode, source_transport_mode=source_mode)
    edges = attach_co2(candidates, normal.offers, normal.needs, co2_per_unit=with_modes)
    assert edges.co2 is not None
    net = edges.co2["net_co2e_kg_per_unit"].to_numpy()
    supply = normal.offers["quantity_per_year"].to_numpy()
    demand = normal.needs["quantity_per_year"].to_numpy()
    worth = net > 0
    started = time.perf_counter()
    problem = integer_problem(
        supply, demand, edges.offer_idx[worth], edges.need_idx[worth], -net[worth]
    )
    raw_flow = solve_ortools(problem)
    raw_s = time.perf_counter() - started
    raw_net = float(raw_flow @ net[worth][problem.edge_pos]) / problem.quantity_scale
    print(
        f"raw OR-tools solve of the same graph: {raw_s:.2f} s "
        f"(net CO2e {raw_net / 1000:,.1f} t/yr); "
        f"engine end to end / raw = {engine_s / raw_s:.2f}x; "
        f"engine solve phase / raw = {result.timings_s['solve'] / raw_s:.2f}x"
    )

    outcome = run_networkx(listings, networkx_timeout_s)
    if outcome is None:
        print(f"networkx solver: did not finish within {networkx_timeout_s:.0f} s")
    else:
        total_s, solve_s, nx_net = outcome
        print(
            f"networkx solver: {total_s:.2f} s end to end, solve {solve_s:.2f} s "
            f"(net CO2e {nx_net / 1000:,.1f} t/yr); networkx / engine = "
            f"{total_s / engine_s:.1f}x end to end, "
            f"{solve_s / result.timings_s['solve']:.1f}x solve"
        )

    greedy = greedy_nearest(supply, demand, edges.offer_idx, edges.need_idx, edges.distance_km)
    greedy_net = float(greedy @ net)
    print(
        f"greedy nearest-compatible baseline: net CO2e {greedy_net / 1000:,.1f} t/yr = "
        f"{greedy_net / summary['net_co2e_kg']:.1%} of the optimum "
        f"(moves {greedy.sum():,.0f} flow units vs {result.frame['quantity_flow_unit'].sum():,.0f})"
    )

    for k in (5, 10, 20):
        started = time.perf_counter()
        pruned = propose(offers, needs, Params(top_k=k))
        pruned_s = time.perf_counter() - started
        print(
            f"top_k={k}: {pruned.summary['edges_solved']:,} edges solved, {pruned_s:.2f} s, "
            f"net CO2e {pruned.summary['net_co2e_kg'] / summary['net_co2e_kg']:.4%} of the optimum"
        )

    symbiosis_credits(offers, needs, result, normal, edges)
    accepted_code_reading(offers, needs, seed=seed)


def symbiosis_credits(
    offers: pd.DataFrame, needs: pd.DataFrame, result: Any, normal: Any, edges: Any
) -> None:
    """Credits on against credits off in the same process, and the sign changes."""
    started = time.perf_counter()
    before = propose(offers, needs, Params(symbiosis_credits=False))
    before_s = time.perf_counter() - started
    after_frame, before_frame = result.frame, before.frame
    print(
        f"symbiosis credits: avoided CO2e {after_frame['avoided_co2e_kg'].sum() / 1000:,.1f} "
        f"t/yr with, {before_frame['avoided_co2e_kg'].sum() / 1000:,.1f} t/yr without; "
        f"net CO2e {result.summary['net_co2e_kg'] / 1000:,.1f} vs "
        f"{before.summary['net_co2e_kg'] / 1000:,.1f} t/yr; proposals "
        f"{len(after_frame):,} vs {len(before_frame):,} (run without credits {before_s:.2f} s)"
    )
    credited = after_frame["production_factor_key"].astype(str).str.startswith("credit.")
    print(
        f"  proposals using a credit: {int(credited.sum()):,}; their avoided production "
        f"{after_frame.loc[credited, 'avoided_production_co2e_kg'].sum() / 1000:,.1f} t/yr"
    )
    mode, source_mode = edge_transport_modes(edges, normal.offers, normal.needs)
    without = attach_co2(
        edges,
        normal.offers,
        normal.needs,
        co2_per_unit=partial(
            co2_per_unit,
            transport_mode=mode,
            source_transport_mode=source_mode,
            symbiosis_credits=False,
        ),
    )
    net_with = edges.co2["net_co2e_kg_per_unit"].to_numpy()
    net_without = without.co2["net_co2e_kg_per_unit"].to_numpy()
    n_needs = len(normal.needs)
    edge_key = pd.Index(edges.offer_idx.astype(np.int64) * n_needs + edges.need_idx)
    offer_pos = pd.Index(normal.offers["ref"])
    need_pos = pd.Index(normal.needs["ref"])
    keys = [
        offer_pos.get_indexer(frame["offer_ref"]).astype(np.int64) * n_needs
        + need_pos.get_indexer(frame["need_ref"])
        for frame in (after_frame, before_frame)
    ]
    position = edge_key.get_indexer(np.unique(np.concatenate(keys)))
    position = position[position >= 0]
    flipped = np.sign(net_with[position]) != np.sign(net_without[position])
    all_flipped = np.sign(net_with) != np.sign(net_without)
    print(
        f"  net CO2e changed sign on {int(flipped.sum()):,} of {position.size:,} proposals of "
        f"either run ({flipped.mean():.2%}); on {int(all_flipped.sum()):,} of "
        f"{net_with.size:,} candidate edges ({all_flipped.mean():.2%})"
    )
    barge = after_frame["transport_mode"] == "barge"
    print(
        f"  proposals by barge: {int(barge.sum()):,} "
        f"({after_frame.loc[barge, 'mass_t_per_year'].sum():,.0f} t/yr)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["region", "national", "both"], default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--networkx-timeout-s", type=float, default=300.0)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {mp.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    for size in ("region", "national") if args.size == "both" else (args.size,):
        bench(size, seed=args.seed, networkx_timeout_s=args.networkx_timeout_s)


if __name__ == "__main__":
    main()
