"""Loops and chains between firms: who closes a circle with whom, and the tonne-km it saves.

The proposed exchanges form a directed graph of firms (offerer -> needer). A *loop* is
a simple directed cycle: A sends to B, B sends back to A (perhaps through C). A *loop
cluster* is a strongly connected component of more than one firm: every firm in it
reaches every other one, so every exchange between two of its firms lies on some cycle,
however long. Loops are listed up to a length bound (their number grows fast);
clusters are exact and cheap, which is why the loop ids hang on clusters.

Examples
--------
>>> import pandas as pd
>>> ex = pd.DataFrame({"offer_organisation": ["A", "B", "C"],
...                    "need_organisation": ["B", "A", "A"]})
>>> find_loops(firm_graph(ex))
[('A', 'B')]
>>> assign_loop_ids(ex).tolist()
['L1', 'L1', None]
"""

from __future__ import annotations

from typing import Any, Final

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from flows.errors import Problem, ValidationError

__all__ = [
    "FIRM_COLUMNS",
    "assign_loop_ids",
    "chain_summary",
    "closes_loop",
    "find_loops",
    "firm_graph",
    "loop_clusters",
]

#: Columns every exchange frame needs here.
FIRM_COLUMNS: Final = ("offer_organisation", "need_organisation")
_SUMMED_COLUMNS: Final = ("quantity_per_year", "mass_t_per_year")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], *, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            [
                Problem(f"{what} needs column {c!r}; it has {', '.join(map(str, frame.columns))}")
                for c in missing
            ]
        )


def _firm_rows(exchanges: pd.DataFrame) -> pd.DataFrame:
    """Rows between two named firms (perhaps the same one); the firm names as strings."""
    _require(exchanges, FIRM_COLUMNS, what="the exchanges frame")
    named = _named(exchanges)
    rows = exchanges.loc[named].copy()
    rows["offer_organisation"] = rows["offer_organisation"].astype(str)
    rows["need_organisation"] = rows["need_organisation"].astype(str)
    return rows


def _named(exchanges: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """Per row: are both firms given?"""
    named: npt.NDArray[np.bool_] = (
        exchanges["offer_organisation"].notna() & exchanges["need_organisation"].notna()
    ).to_numpy(dtype=bool)
    return named


def _firm_codes(
    exchanges: pd.DataFrame,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Code the firms of every row as integers: (offer code, need code, firm names).

    Firms are compared by their names as strings (as :func:`firm_graph` does); a row
    with a missing firm gets code -1 on both sides.
    """
    _require(exchanges, FIRM_COLUMNS, what="the exchanges frame")
    named = _named(exchanges)
    n_named = int(np.count_nonzero(named))
    names = pd.concat(
        [exchanges["offer_organisation"][named], exchanges["need_organisation"][named]],
        ignore_index=True,
    ).astype(str)
    codes, firms = pd.factorize(names.to_numpy(dtype=object))
    offer = np.full(len(exchanges), -1, dtype=np.intp)
    need = np.full(len(exchanges), -1, dtype=np.intp)
    offer[named] = codes[:n_named]
    need[named] = codes[n_named:]
    return offer, need, np.asarray(firms, dtype=object)


def _loop_numbers(exchanges: pd.DataFrame) -> tuple[npt.NDArray[np.intp], int]:
    """Per row the 1-based number of the loop cluster it lies in (0 for none); the count.

    The same clusters, in the same order, as ``loop_clusters(firm_graph(exchanges))``,
    computed on integer firm codes: the strongly connected components of the distinct
    (offerer, needer) pairs with :func:`scipy.sparse.csgraph.connected_components`.
    """
    offer, need, firms = _firm_codes(exchanges)
    n_firms = firms.shape[0]
    number = np.zeros(len(exchanges), dtype=np.intp)
    if n_firms == 0:
        return number, 0
    between = (offer >= 0) & (offer != need)
    # Parallel exchanges make one edge: dedupe the pairs (a sparse matrix would sum them).
    pairs = np.unique(offer[between].astype(np.int64) * n_firms + need[between])
    graph = coo_matrix(
        (np.ones(pairs.shape[0], dtype=np.int8), (pairs // n_firms, pairs % n_firms)),
        shape=(n_firms, n_firms),
    ).tocsr()
    _, component = connected_components(graph, directed=True, connection="strong")

    # Order the clusters as loop_clusters does: largest first, then by sorted firm names.
    # Ranks of the names stand in for the names: they sort the same way.
    by_name = np.argsort(firms, kind="stable")
    name_rank = np.empty(n_firms, dtype=np.intp)
    name_rank[by_name] = np.arange(n_firms)
    members = np.flatnonzero(np.bincount(component)[component] > 1)
    members = members[np.lexsort((name_rank[members], component[members]))]
    groups = np.split(members, np.flatnonzero(np.diff(component[members])) + 1)
    clusters = sorted(
        (tuple(name_rank[g].tolist()) for g in groups if g.size),
        key=lambda ranks: (-len(ranks), ranks),
    )
    number_of_component = np.zeros(n_firms, dtype=np.intp)
    for position, ranks in enumerate(clusters, start=1):
        number_of_component[component[by_name[ranks[0]]]] = position

    in_loop = between & (component[offer] == component[need])
    number[in_loop] = number_of_component[component[offer[in_loop]]]
    return number, len(clusters)


def firm_graph(exchanges: pd.DataFrame) -> nx.DiGraph[str]:
    """Build the directed firm graph: one edge per (offering firm, needing firm).

    Parameters
    ----------
    exchanges : pandas.DataFrame
        Rows with ``offer_organisation`` and ``need_organisation``; optional
        ``quantity_per_year``, ``mass_t_per_year`` (summed per edge) and ``material``
        (collected per edge). Rows with a missing firm are left out; a firm supplying
        itself makes no edge (internal reuse is not a loop between firms).

    Returns
    -------
    networkx.DiGraph
        Nodes are firm names (str). Edge attributes: ``exchanges`` (row count),
        ``quantity_per_year`` and ``mass_t_per_year`` when given (sums, missing as 0),
        ``materials`` (sorted tuple of distinct materials) when given.

    Examples
    --------
    >>> import pandas as pd
    >>> g = firm_graph(pd.DataFrame({"offer_organisation": ["A", "A"],
    ...     "need_organisation": ["B", "B"], "mass_t_per_year": [2.0, 3.0]}))
    >>> g.edges["A", "B"]["exchanges"], g.edges["A", "B"]["mass_t_per_year"]
    (2, 5.0)
    """
    rows = _firm_rows(exchanges)
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(sorted(set(rows["offer_organisation"]) | set(rows["need_organisation"])))
    rows = rows.loc[rows["offer_organisation"] != rows["need_organisation"]]
    if rows.empty:
        return graph
    keys = [rows["offer_organisation"], rows["need_organisation"]]
    edges = rows.groupby(keys, sort=True).size().rename("exchanges").to_frame()
    for column in _SUMMED_COLUMNS:
        if column in rows.columns:
            values = pd.to_numeric(rows[column], errors="coerce").fillna(0.0).astype(float)
            edges[column] = values.groupby(keys, sort=True).sum()
    if "material" in rows.columns:
        # Distinct materials per edge, sorted: dedupe and sort once, then collect.
        materials = pd.DataFrame(
            {
                "offer": rows["offer_organisation"],
                "need": rows["need_organisation"],
                "material": rows["material"],
            }
        ).dropna(subset=["material"])
        materials["material"] = materials["material"].astype(str).to_numpy(dtype=object)
        collected = (
            materials.drop_duplicates()
            .sort_values("material", kind="stable")
            .groupby(["offer", "need"], sort=True)["material"]
            .agg(tuple)
        )
        edges["materials"] = [
            m if isinstance(m, tuple) else () for m in collected.reindex(edges.index)
        ]
    attributes = {
        "exchanges": edges["exchanges"].astype(int).tolist(),
        **{c: edges[c].astype(float).tolist() for c in _SUMMED_COLUMNS if c in edges.columns},
        **({"materials": edges["materials"].tolist()} if "materials" in edges.columns else {}),
    }
    graph.add_edges_from(
        (str(offerer), str(needer), dict(zip(attributes, values, strict=True)))
        for (offerer, needer), *values in zip(edges.index, *attributes.values(), strict=True)
    )
    return graph


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    """Rotate a cycle so that its smallest firm name comes first (direction kept)."""
    start = min(range(len(cycle)), key=cycle.__getitem__)
    return tuple(cycle[start:] + cycle[:start])


def find_loops(graph: nx.DiGraph[Any], *, max_length: int = 5) -> list[tuple[str, ...]]:
    """List the simple directed cycles of 2 to ``max_length`` firms.

    Parameters
    ----------
    graph : networkx.DiGraph
        A firm graph (see :func:`firm_graph`).
    max_length : int, default 5
        Longest cycle listed; longer cycles still show up in :func:`loop_clusters`.

    Returns
    -------
    list of tuple of str
        Each cycle rotated to start at its smallest firm name; sorted by length, then
        by the firm names.

    Examples
    --------
    >>> g = nx.DiGraph([("B", "C"), ("C", "A"), ("A", "B"), ("A", "C")])
    >>> find_loops(g)
    [('A', 'C'), ('A', 'B', 'C')]
    """
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
        raise ValidationError(
            [Problem(f"max_length {max_length!r} must be an integer >= 2", column="max_length")]
        )
    loops = {
        _canonical([str(n) for n in cycle])
        for cycle in nx.simple_cycles(graph, length_bound=max_length)
        if len(cycle) >= 2
    }
    return sorted(loops, key=lambda c: (len(c), c))


def loop_clusters(graph: nx.DiGraph[Any]) -> list[frozenset[str]]:
    """Return the strongly connected groups of more than one firm.

    Sorted largest first, then by the sorted firm names; the position in this list
    (1-based) is the loop id used by :func:`assign_loop_ids`.

    Examples
    --------
    >>> g = nx.DiGraph([("A", "B"), ("B", "A"), ("B", "C"), ("D", "E"), ("E", "F"), ("F", "D")])
    >>> [sorted(c) for c in loop_clusters(g)]
    [['D', 'E', 'F'], ['A', 'B']]
    """
    clusters = [
        frozenset(str(n) for n in c) for c in nx.strongly_connected_components(graph) if len(c) > 1
    ]
    return sorted(clusters, key=lambda c: (-len(c), sorted(c)))


def assign_loop_ids(exchanges: pd.DataFrame) -> pd.Series[Any]:
    """Give each exchange the id of the loop cluster both its firms belong to, else None.

    A firm supplying itself gets None, as it makes no edge in :func:`firm_graph`.

    Ids are ``"L1"``, ``"L2"``, ... in the order of :func:`loop_clusters` (largest
    first, then firm names), so the same exchanges always get the same ids.

    Returns
    -------
    pandas.Series
        Object dtype, indexed like ``exchanges``, named ``loop_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> ex = pd.DataFrame({"offer_organisation": ["A", "B", "B"],
    ...                    "need_organisation": ["B", "A", "C"]})
    >>> assign_loop_ids(ex).tolist()
    ['L1', 'L1', None]
    """
    number, n_clusters = _loop_numbers(exchanges)
    label = np.array([None, *(f"L{i}" for i in range(1, n_clusters + 1))], dtype=object)
    return pd.Series(label[number], index=exchanges.index, dtype=object, name="loop_id")


def closes_loop(exchanges: pd.DataFrame) -> pd.Series[bool]:
    """Tell, per exchange, whether it lies on a directed cycle of firms.

    An edge lies on a cycle exactly when both its firms are in the same strongly
    connected component, so this is ``assign_loop_ids(exchanges).notna()``.

    Examples
    --------
    >>> import pandas as pd
    >>> ex = pd.DataFrame({"offer_organisation": ["A", "B", "B"],
    ...                    "need_organisation": ["B", "A", "C"]})
    >>> closes_loop(ex).tolist()
    [True, True, False]
    """
    return assign_loop_ids(exchanges).notna().rename("closes_loop")


def chain_summary(exchanges: pd.DataFrame) -> dict[str, float | int]:
    """Sum the road freight of the proposals against that of the supply they replace.

    Parameters
    ----------
    exchanges : pandas.DataFrame
        Rows with ``mass_t_per_year``, ``road_km`` and ``source_km_used`` (km of the
        need's current supply, as :func:`flows.co2.co2_per_unit` returns it); the firm
        columns are used for the counts when present. Missing numbers count as 0.

    Returns
    -------
    dict
        ``exchanges``, ``firms``, ``mass_t_per_year``, ``tonne_km`` (proposals),
        ``tonne_km_current_supply``, ``tonne_km_saved`` (current minus proposed),
        ``tonne_km_saved_share`` (of the current supply; 0 when there is none),
        ``loop_clusters`` and ``exchanges_in_loops``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = chain_summary(pd.DataFrame({"mass_t_per_year": [10.0, 5.0],
    ...     "road_km": [12.0, 20.0], "source_km_used": [50.0, 20.0]}))
    >>> s["tonne_km"], s["tonne_km_current_supply"], s["tonne_km_saved"]
    (220.0, 600.0, 380.0)
    """
    _require(exchanges, ("mass_t_per_year", "road_km", "source_km_used"), what="chain_summary")

    def column(name: str) -> pd.Series[float]:
        return pd.to_numeric(exchanges[name], errors="coerce").fillna(0.0).astype(float)

    mass_t = column("mass_t_per_year")
    tonne_km = float((mass_t * column("road_km")).sum())
    tonne_km_current = float((mass_t * column("source_km_used")).sum())
    has_firms = all(c in exchanges.columns for c in FIRM_COLUMNS)
    firms = 0
    clusters = 0
    in_loops = 0
    if has_firms:
        firms = _firm_codes(exchanges)[2].shape[0]
        number, clusters = _loop_numbers(exchanges)
        in_loops = int(np.count_nonzero(number))
    saved = tonne_km_current - tonne_km
    return {
        "exchanges": len(exchanges),
        "firms": firms,
        "mass_t_per_year": float(mass_t.sum()),
        "tonne_km": tonne_km,
        "tonne_km_current_supply": tonne_km_current,
        "tonne_km_saved": saved,
        "tonne_km_saved_share": saved / tonne_km_current if tonne_km_current > 0 else 0.0,
        "loop_clusters": clusters,
        "exchanges_in_loops": in_loops,
    }
