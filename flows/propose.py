"""The engine's front door: from offers and needs to explained, optimal proposals.

:func:`propose` runs the whole pipeline, timing each phase:

1. **validate**: :mod:`flows.validate` checks both frames, every problem at once;
2. **normalise**: :mod:`flows.normalise` subtracts committed quantities and brings
   every quantity to a yearly rate in its matching family's base unit;
3. **candidates**: :mod:`flows.candidates` finds compatible pairs within each need's
   distance limit with a spatial index;
4. **co2**: :func:`flows.co2.co2_per_unit`, once, vectorised over all candidates;
5. **solve**: :mod:`flows.allocate`, an exact min-cost flow per connected component;
6. **loops**: :func:`flows.loops.assign_loop_ids` over the proposals plus any
   ``existing`` (agreed) exchanges, so a loop closed with an agreed match counts;
7. **assemble**: one row per positive flow, with a readable reason in English and Dutch.

Objectives
----------
``co2`` (default)
    Maximise the net CO2e avoided per year. An edge whose net CO2e per unit is not
    positive can never help and is not proposed.
``tonnes``
    Maximise the quantity exchanged, then minimise tonne-km (exact lexicographic
    order). For units without a mass (energy) road km stands in for tonne-km, so the
    nearer partner still wins. Within a matching family quantities add up, and families
    never share a component, so "most quantity" is well defined per family.

Examples
--------
>>> import pandas as pd
>>> from flows.propose import Params, propose
>>> offers = pd.DataFrame({"ref": ["o1"], "organisation": ["A"], "material": ["metals"],
...     "quantity": [10.0], "unit": ["t"], "frequency": ["year"], "lat": [52.25],
...     "lon": [6.16], "current_route": ["landfill"]})
>>> needs = pd.DataFrame({"ref": ["n1"], "organisation": ["B"], "material": ["metals"],
...     "quantity": [4.0], "unit": ["t"], "frequency": ["year"], "lat": [52.21],
...     "lon": [5.96]})
>>> result = propose(offers, needs, Params(objective="co2"))
>>> result.frame[["offer_ref", "need_ref", "quantity_per_year", "unit"]].to_dict("records")
[{'offer_ref': 'o1', 'need_ref': 'n1', 'quantity_per_year': 4.0, 'unit': 't'}]
"""

from __future__ import annotations

import itertools
import string
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from flows.candidates import CodeListReading
from flows.schema import PROPOSAL_COLUMNS

__all__ = [
    "EXTRA_PROPOSAL_COLUMNS",
    "PHASES",
    "Objective",
    "Params",
    "Proposals",
    "edge_transport_modes",
    "propose",
    "propose_from_listings",
]

Objective = Literal["co2", "tonnes"]
SolverName = Literal["ortools", "networkx"]

#: Phases of :func:`propose`, in order; keys of :attr:`Proposals.timings_s`.
PHASES: Final = ("validate", "normalise", "candidates", "co2", "solve", "loops", "assemble")
#: Columns the proposals carry beyond :data:`flows.schema.PROPOSAL_COLUMNS`.
EXTRA_PROPOSAL_COLUMNS: Final = (
    "reason_nl",
    "transport_mode",
    "offer_listing_id",
    "need_listing_id",
    "flow_unit",
    "quantity_flow_unit",
    "production_factor_key",
    "disposal_factor_key",
)


@dataclass(frozen=True, kw_only=True)
class Params:
    """Options of :func:`propose`.

    Attributes
    ----------
    objective
        ``"co2"`` (maximise net CO2e avoided) or ``"tonnes"`` (maximise quantity, then
        minimise tonne-km).
    solver
        ``"ortools"`` (default, fast) or ``"networkx"`` (cross-check, slow).
    default_max_distance_km
        Distance limit of needs that give none.
    circuity
        Road km per straight km when no road network is given.
    top_k
        Keep only each listing's ``k`` best candidate edges (union over offers and
        needs) before solving; ``None`` keeps all, which guarantees the optimum.
    road_network
        A :class:`geo.distance.RoadNetwork` for road distances instead of circuity.
    progress
        Show a progress bar on stderr while solving.
    symbiosis_credits
        Credit the classic symbiosis exchanges with their cited factors
        (:mod:`flows.symbiosis`); ``False`` uses the generic production term for every
        pair, as before the credits existed (for comparisons).
    code_lists
        How a need's list of accepted EWC codes is read: ``"as_written"`` (default,
        the list alone decides, within the law) or ``"within_rules"`` (the reading
        before issue 8: the list intersected with the taxonomy's rules; for benchmarks).

    Examples
    --------
    >>> Params(objective="tonnes", top_k=10).top_k
    10
    >>> Params(objective="money")
    Traceback (most recent call last):
    ...
    ValueError: objective 'money' is not one of 'co2', 'tonnes'
    """

    objective: Objective = "co2"
    solver: SolverName = "ortools"
    default_max_distance_km: float = 50.0
    circuity: float = 1.3
    top_k: int | None = None
    road_network: Any | None = None
    progress: bool = False
    symbiosis_credits: bool = True
    code_lists: CodeListReading = "as_written"

    def __post_init__(self) -> None:
        if self.objective not in ("co2", "tonnes"):
            raise ValueError(f"objective {self.objective!r} is not one of 'co2', 'tonnes'")
        if self.solver not in ("ortools", "networkx"):
            raise ValueError(f"solver {self.solver!r} is not one of 'ortools', 'networkx'")
        if not (isinstance(self.default_max_distance_km, int | float)) or not (
            self.default_max_distance_km > 0
        ):
            raise ValueError(
                f"default_max_distance_km {self.default_max_distance_km!r} must be a "
                "positive number"
            )
        if not isinstance(self.circuity, int | float) or not self.circuity >= 1.0:
            raise ValueError(f"circuity {self.circuity!r} must be a number >= 1")
        if self.top_k is not None and (
            isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1
        ):
            raise ValueError(f"top_k {self.top_k!r} must be a positive integer or None")


@dataclass
class Proposals:
    """The engine's answer.

    Attributes
    ----------
    frame
        One row per positive flow: the columns of :data:`flows.schema.PROPOSAL_COLUMNS`
        then :data:`EXTRA_PROPOSAL_COLUMNS`. ``quantity_per_year`` is in the base unit
        of the need's unit family (``unit``); CO2 columns are kg CO2e per year.
    summary
        Totals: ``exchanged_per_unit`` ({unit: quantity per year}), ``net_co2e_kg``,
        ``tonne_km_saved``, ``loops`` and counts of offers, needs, candidates, proposals.
    timings_s
        Seconds per phase (:data:`PHASES`).
    """

    frame: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)


def propose(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    params: Params | None = None,
    *,
    existing: pd.DataFrame | None = None,
    excluded: pd.DataFrame | None = None,
) -> Proposals:
    """Propose the optimal exchanges between ``offers`` and ``needs``.

    Parameters
    ----------
    offers, needs
        Canonical listing frames (see :mod:`flows.validate`), optionally with
        ``committed_quantity`` and ``listing_id``.
    params
        :class:`Params`; the defaults when ``None``.
    existing
        Agreed exchanges (at least ``offer_organisation`` and ``need_organisation``)
        that count when detecting loops; they are not re-proposed.
    excluded
        Pairs that must not be proposed (e.g. declined by one of the firms), as
        ``offer_organisation``, ``offer_ref``, ``need_organisation``, ``need_ref``. They
        are removed from the candidates, so the optimum fills their quantities elsewhere.

    Raises
    ------
    flows.errors.ValidationError
        With every problem of both frames.
    flows.errors.SolverError
        If the solver fails (it should not: the model is always feasible).
    """
    from flows.allocate import allocate
    from flows.candidates import attach_co2, find_candidates, top_k_mask
    from flows.co2 import co2_per_unit
    from flows.normalise import normalise
    from flows.validate import validate_listings

    params = params or Params()
    timings: dict[str, float] = {}

    with _timed(timings, "validate"):
        validate_listings(offers, needs)
    with _timed(timings, "normalise"):
        normal = normalise(offers, needs)
        offers_n, needs_n = normal.offers, normal.needs
    with _timed(timings, "candidates"):
        edges = find_candidates(
            offers_n,
            needs_n,
            circuity=params.circuity,
            default_max_distance_km=params.default_max_distance_km,
            road_network=params.road_network,
            code_lists=params.code_lists,
        )
        if excluded is not None and len(excluded) and len(edges):
            edges = edges.take(_allowed_edges(edges, offers_n, needs_n, excluded))
        n_candidates = len(edges)
    with _timed(timings, "co2"):
        mode, source_mode = edge_transport_modes(edges, offers_n, needs_n)
        edges = attach_co2(
            edges,
            offers_n,
            needs_n,
            co2_per_unit=partial(
                co2_per_unit,
                transport_mode=mode,
                source_transport_mode=source_mode,
                symbiosis_credits=params.symbiosis_credits,
            ),
        )
    with _timed(timings, "solve"):
        co2 = edges.co2
        assert co2 is not None
        # The solver sees edge positions; the CO2 columns are gathered for the chosen
        # edges only (copying them for millions of candidates costs seconds).
        if params.objective == "co2":
            solved = np.flatnonzero(co2["net_co2e_kg_per_unit"].to_numpy() > 0)
        else:
            solved = np.arange(len(edges))
        cost = _edge_cost(edges, objective=params.objective)[solved]
        if params.top_k is not None and solved.size:
            keep = top_k_mask(edges.offer_idx[solved], edges.need_idx[solved], cost, k=params.top_k)
            solved, cost = solved[keep], cost[keep]
        allocation = allocate(
            offers_n["quantity_per_year"].to_numpy(dtype=np.float64),
            needs_n["quantity_per_year"].to_numpy(dtype=np.float64),
            edges.offer_idx[solved],
            edges.need_idx[solved],
            cost,
            maximise_quantity=params.objective == "tonnes",
            solver=params.solver,
            progress=params.progress,
        )
        used = np.flatnonzero(allocation.flow > 0)
        chosen = edges.take(solved[used])
        flow = allocation.flow[used]
    with _timed(timings, "assemble"):
        frame = _assemble(chosen, flow, offers_n, needs_n)
        frame["transport_mode"] = _proposal_transport_modes(chosen, offers_n, needs_n)
    with _timed(timings, "loops"):
        frame = _with_loops(frame, existing)
    with _timed(timings, "assemble"):
        frame["reason"], frame["reason_nl"] = _reasons(frame)
        frame = frame[[*PROPOSAL_COLUMNS, *EXTRA_PROPOSAL_COLUMNS]]

    summary = _summary(
        frame,
        offers=len(offers),
        needs=len(needs),
        offers_left=len(offers_n),
        needs_left=len(needs_n),
        candidates=n_candidates,
        edges_solved=int(solved.size),
        allocation=allocation,
        params=params,
    )
    return Proposals(frame=frame, summary=summary, timings_s=timings)


def propose_from_listings(
    listings: pd.DataFrame,
    params: Params | None = None,
    *,
    existing: pd.DataFrame | None = None,
    excluded: pd.DataFrame | None = None,
) -> Proposals:
    """Split a canonical listings frame into offers and needs and :func:`propose`.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"ref": ["o1", "n1"], "organisation": ["A", "B"],
    ...     "kind": ["offer", "need"], "material": ["metals", "metals"],
    ...     "quantity": [10.0, 4.0], "unit": ["t", "t"], "frequency": ["year", "year"],
    ...     "lat": [52.25, 52.21], "lon": [6.16, 5.96]})
    >>> len(propose_from_listings(rows).frame)
    1
    """
    from flows.listing_file import split_offers_needs

    offers, needs = split_offers_needs(listings)
    return propose(offers, needs, params, existing=existing, excluded=excluded)


# -- helpers -------------------------------------------------------------------------------


def _allowed_edges(
    edges: Any, offers: pd.DataFrame, needs: pd.DataFrame, excluded: pd.DataFrame
) -> np.ndarray:
    """Mask of the candidate edges that are not an excluded (offer, need) pair."""
    missing = {"offer_organisation", "offer_ref", "need_organisation", "need_ref"} - set(
        excluded.columns
    )
    if missing:
        raise ValueError(f"excluded pairs lack the column(s) {', '.join(sorted(missing))}")
    offer_position = {
        key: i
        for i, key in enumerate(
            zip(offers["organisation"].astype(str), offers["ref"].astype(str), strict=True)
        )
    }
    need_position = {
        key: i
        for i, key in enumerate(
            zip(needs["organisation"].astype(str), needs["ref"].astype(str), strict=True)
        )
    }
    banned = [
        offer_position[o] * len(needs) + need_position[n]
        for o, n in zip(
            zip(
                excluded["offer_organisation"].astype(str),
                excluded["offer_ref"].astype(str),
                strict=True,
            ),
            zip(
                excluded["need_organisation"].astype(str),
                excluded["need_ref"].astype(str),
                strict=True,
            ),
            strict=True,
        )
        if o in offer_position and n in need_position
    ]
    codes = edges.offer_idx.astype(np.int64) * len(needs) + edges.need_idx.astype(np.int64)
    allowed: np.ndarray = ~np.isin(codes, np.asarray(banned, dtype=np.int64))
    return allowed


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start


def _edge_cost(edges: Any, *, objective: Objective) -> np.ndarray:
    """Cost per flow unit the solver minimises (see the module docstring)."""
    co2 = edges.co2
    if objective == "co2":
        cost: np.ndarray = -co2["net_co2e_kg_per_unit"].to_numpy(dtype=np.float64)
        return cost
    mass = co2["mass_t_per_unit"].to_numpy(dtype=np.float64)
    road = edges.road_km.astype(np.float64)
    tonne_km: np.ndarray = np.where(mass > 0, road * mass, road)
    return tonne_km


def _listing_modes(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Transport-mode codes of a listing frame's column; absent means truck for all."""
    from flows.co2 import transport_mode_codes

    if column not in frame.columns:
        return np.zeros(len(frame), dtype=np.int8)
    return transport_mode_codes(frame[column].to_numpy(dtype=object), column=column)


def edge_transport_modes(
    edges: Any, offers: pd.DataFrame, needs: pd.DataFrame
) -> tuple[pd.Categorical, pd.Categorical]:
    """Per candidate edge: the exchange's transport mode and that of the need's supply.

    The exchange uses a mode only when both listings state it, else truck
    (:func:`flows.co2.exchange_transport_mode`); a frame without the columns is truck.
    Categoricals, not strings: the national run has millions of edges. Pass them to
    :func:`flows.co2.co2_per_unit` (``transport_mode``, ``source_transport_mode``).
    """
    from flows.schema import DEFAULT_TRANSPORT_MODE, TRANSPORT_MODES

    truck = TRANSPORT_MODES.index(DEFAULT_TRANSPORT_MODE)
    offer_mode = _listing_modes(offers, "transport_mode")[edges.offer_idx]
    need_mode = _listing_modes(needs, "transport_mode")[edges.need_idx]
    exchange = np.where(offer_mode == need_mode, offer_mode, truck).astype(np.int8)
    source = _listing_modes(needs, "current_source_transport_mode")[edges.need_idx]
    categories = pd.Index(TRANSPORT_MODES)
    return (
        pd.Categorical.from_codes(exchange, categories=categories),
        pd.Categorical.from_codes(source, categories=categories),
    )


def _proposal_transport_modes(edges: Any, offers: pd.DataFrame, needs: pd.DataFrame) -> Any:
    """The mode each proposal travels by; materials that always go by pipe say so."""
    from flows.co2 import travels_by_pipe

    mode, _ = edge_transport_modes(edges, offers, needs)
    names = np.asarray(mode, dtype=object)
    piped = {
        str(key): travels_by_pipe(str(key))
        for frame in (offers, needs)
        for key in pd.unique(frame["material"].to_numpy(dtype=object))
    }
    offer_piped = np.array(
        [piped[str(k)] for k in offers["material"].to_numpy(dtype=object)], dtype=bool
    )
    need_piped = np.array(
        [piped[str(k)] for k in needs["material"].to_numpy(dtype=object)], dtype=bool
    )
    by_pipe = offer_piped[edges.offer_idx] | need_piped[edges.need_idx]
    return np.where(by_pipe, "pipeline", names).astype(object)


def _assemble(
    edges: Any, flow: np.ndarray, offers: pd.DataFrame, needs: pd.DataFrame
) -> pd.DataFrame:
    o = edges.offer_idx
    n = edges.need_idx
    co2 = edges.co2
    rules = edges.rules
    need_to_flow = needs["to_flow_unit"].to_numpy(dtype=np.float64)[n]
    mass_t = flow * co2["mass_t_per_unit"].to_numpy()
    road_km = np.round(edges.road_km.astype(np.float64), 3)
    production = flow * co2["avoided_production_co2e_kg_per_unit"].to_numpy()
    disposal = flow * co2["avoided_disposal_co2e_kg_per_unit"].to_numpy()
    avoided_transport = flow * co2["avoided_transport_co2e_kg_per_unit"].to_numpy()

    def listing_ids(frame: pd.DataFrame, idx: np.ndarray) -> Any:
        if "listing_id" in frame.columns:
            return frame["listing_id"].to_numpy(dtype=object)[idx]
        return np.full(idx.shape[0], None, dtype=object)

    return pd.DataFrame(
        {
            "offer_ref": offers["ref"].to_numpy(dtype=object)[o],
            "need_ref": needs["ref"].to_numpy(dtype=object)[n],
            "offer_organisation": offers["organisation"].to_numpy(dtype=object)[o],
            "need_organisation": needs["organisation"].to_numpy(dtype=object)[n],
            "material": offers["material"].to_numpy(dtype=object)[o],
            "need_material": needs["material"].to_numpy(dtype=object)[n],
            "quantity_per_year": flow / need_to_flow,
            "unit": needs["own_unit"].to_numpy(dtype=object)[n],
            # float32 in the hot path; metres are plenty in the output.
            "distance_km": np.round(edges.distance_km.astype(np.float64), 3),
            "road_km": np.round(road_km, 3),
            "mass_t_per_year": mass_t,
            "tonne_km": mass_t * road_km,
            "tonne_km_saved": flow * co2["tonne_km_saved_per_unit"].to_numpy(),
            "avoided_production_co2e_kg": production,
            "avoided_disposal_co2e_kg": disposal,
            "transport_co2e_kg": flow * co2["transport_co2e_kg_per_unit"].to_numpy(),
            "avoided_transport_co2e_kg": avoided_transport,
            "avoided_co2e_kg": production + disposal + avoided_transport,
            "net_co2e_kg": flow * co2["net_co2e_kg_per_unit"].to_numpy(),
            "closes_loop": np.zeros(flow.shape[0], dtype=bool),
            "loop_id": pd.array([None] * flow.shape[0], dtype="object"),
            "rule": rules["kind"].to_numpy(dtype=object)[edges.rule],
            "reason": "",
            "reason_en_rule": rules["reason_en"].to_numpy(dtype=object)[edges.rule],
            "reason_nl_rule": rules["reason_nl"].to_numpy(dtype=object)[edges.rule],
            "reason_nl": "",
            "offer_listing_id": listing_ids(offers, o),
            "need_listing_id": listing_ids(needs, n),
            "flow_unit": offers["flow_unit"].to_numpy(dtype=object)[o],
            "quantity_flow_unit": flow,
            "production_factor_key": co2["production_factor_key"].to_numpy(dtype=object)
            if "production_factor_key" in co2.columns
            else None,
            "disposal_factor_key": co2["disposal_factor_key"].to_numpy(dtype=object)
            if "disposal_factor_key" in co2.columns
            else None,
        }
    )


def _with_loops(frame: pd.DataFrame, existing: pd.DataFrame | None) -> pd.DataFrame:
    """Set ``loop_id`` / ``closes_loop`` from the firm graph of proposals plus ``existing``.

    The proposals come first in the frame :func:`flows.loops.assign_loop_ids` sees, so
    their ids are the first ``len(frame)`` of its answer.
    """
    if frame.empty:
        return frame
    from flows.loops import FIRM_COLUMNS, assign_loop_ids

    firms = list(FIRM_COLUMNS)
    pairs = frame[firms]
    if existing is not None and len(existing):
        missing = [c for c in firms if c not in existing.columns]
        if missing:
            raise ValueError(
                f"existing has no column(s) {', '.join(map(repr, missing))}; it needs "
                f"{', '.join(map(repr, firms))}"
            )
        pairs = pd.concat([pairs, existing[firms]], ignore_index=True)
    loop_id = assign_loop_ids(pairs).to_numpy(dtype=object)[: len(frame)]
    frame = frame.copy()
    frame["loop_id"] = pd.Series(loop_id, index=frame.index, dtype=object)
    frame["closes_loop"] = frame["loop_id"].notna().to_numpy(dtype=bool)
    return frame


def _label(key: Any, lang: str) -> str:
    from flows.taxonomy import category, is_category

    text = str(key)
    if is_category(text):
        return str(getattr(category(text), f"label_{lang}", text) or text)
    return text


def _numbers(values: pd.Series[Any], fmt: str) -> list[str]:
    """Format a column of numbers the English way (1,234.5)."""
    return [format(v, fmt) for v in values.to_numpy(dtype=np.float64).tolist()]


def _dutch(texts: list[str]) -> list[str]:
    """Swap the separators of English numbers: 1,234.5 becomes 1.234,5."""
    return [t.replace(",", "_").replace(".", ",").replace("_", ".") for t in texts]


def _fill(template: str, fields: dict[str, list[str]]) -> list[str]:
    """Fill a template of plain ``{name}`` fields once per row of ``fields``.

    The same as ``template.format(**row)`` per row, but the literal text is cut out once
    and each row is a single join.

    Examples
    --------
    >>> _fill("{a} and {b}.", {"a": ["x", "y"], "b": ["1", "2"]})
    ['x and 1.', 'y and 2.']
    """
    n_rows = len(next(iter(fields.values())))
    pieces: list[Iterable[str]] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            pieces.append(itertools.repeat(literal, n_rows))
        if name is not None:
            pieces.append(fields[name])
    return ["".join(row) for row in zip(*pieces, strict=True)]


def _per_value(values: pd.Series[Any], text: Callable[[Any], str]) -> list[str]:
    """Apply ``text`` once per distinct value of a column and spread the results."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    texts = np.array([text(u) for u in uniques], dtype=object)
    result: list[str] = texts[codes].tolist()
    return result


#: The reason of a proposal, filled in per row by :func:`_reasons`.
_REASON_TEMPLATES: Final = {
    "en": (
        "{offerer} offers {offered} and {needer} needs {needed}. {rule_text} (rule: {rule}). "
        "{quantity} {unit} a year over {distance} km straight, about {road} km {by}. "
        "It avoids {production} kg CO2e of production, {disposal} kg CO2e of disposal and "
        "{supply} kg CO2e of today's supply transport, and costs {transport} kg CO2e of "
        "transport: net {net} kg CO2e avoided a year.{loop}"
    ),
    "nl": (
        "{offerer} biedt {offered} aan en {needer} zoekt {needed}. {rule_text} (regel: {rule}). "
        "{quantity} {unit} per jaar over {distance} km hemelsbreed, ongeveer {road} km "
        "{by}. Dit voorkomt {production} kg CO2e aan productie, {disposal} kg CO2e aan "
        "afvalverwerking en {supply} kg CO2e aan huidig aanvoertransport, en kost "
        "{transport} kg CO2e aan transport: netto {net} kg CO2e per jaar vermeden.{loop}"
    ),
}
_LOOP_TEMPLATES: Final = {
    "en": " It closes a loop of exchanges between firms ({}).",
    "nl": " Dit sluit een kringloop tussen bedrijven ({}).",
}
#: How the explanation says an exchange travels, per transport mode.
_BY_MODE: Final = {
    "en": {
        "truck": "by road",
        "barge": "by inland barge",
        "rail": "by rail",
        "sea": "by sea",
        "pipeline": "by pipeline",
    },
    "nl": {
        "truck": "over de weg",
        "barge": "per binnenvaartschip",
        "rail": "per spoor",
        "sea": "over zee",
        "pipeline": "per pijpleiding",
    },
}
_RULE_FALLBACKS: Final = {"en": "Compatible materials", "nl": "Passende materialen"}
_KG_FIELDS: Final = {
    "production": "avoided_production_co2e_kg",
    "disposal": "avoided_disposal_co2e_kg",
    "supply": "avoided_transport_co2e_kg",
    "transport": "transport_co2e_kg",
    "net": "net_co2e_kg",
}


def _reasons(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """One readable sentence per proposal, in English and in Dutch.

    Numbers are formatted once per column (the Dutch text swaps the separators of the
    English one), labels and rule sentences once per distinct value; only joining the
    pieces runs per row.
    """

    def texts(column: str) -> list[str]:
        return [str(v) for v in frame[column].to_numpy(dtype=object).tolist()]

    shared = {
        "offerer": texts("offer_organisation"),
        "needer": texts("need_organisation"),
        "rule": texts("rule"),
        "unit": texts("unit"),
    }
    english = {
        "quantity": [
            t.rstrip("0").rstrip(".") for t in _numbers(frame["quantity_per_year"], ",.3f")
        ],
        "distance": _numbers(frame["distance_km"], ".1f"),
        "road": _numbers(frame["road_km"], ".1f"),
        **{name: _numbers(frame[column], ",.0f") for name, column in _KG_FIELDS.items()},
    }
    loop_ids = frame["loop_id"].to_numpy(dtype=object).tolist()
    closes = frame["closes_loop"].to_numpy(dtype=bool).tolist()

    reasons: dict[str, list[str]] = {}
    for lang, template in _REASON_TEMPLATES.items():
        numbers = english if lang == "en" else {k: _dutch(v) for k, v in english.items()}
        fields = {
            **shared,
            **numbers,
            "offered": _per_value(frame["material"], partial(_label, lang=lang)),
            "needed": _per_value(frame["need_material"], partial(_label, lang=lang)),
            "rule_text": _per_value(
                frame[f"reason_{lang}_rule"], partial(_sentence, fallback=_RULE_FALLBACKS[lang])
            ),
            "by": _per_value(frame["transport_mode"], partial(_by_mode, lang=lang)),
            "loop": [
                _LOOP_TEMPLATES[lang].format(loop_id) if close else ""
                for loop_id, close in zip(loop_ids, closes, strict=True)
            ],
        }
        reasons[lang] = _fill(template, fields)
    return reasons["en"], reasons["nl"]


def _by_mode(mode: Any, lang: str) -> str:
    return _BY_MODE[lang].get(str(mode), _BY_MODE[lang]["truck"])


def _sentence(text: Any, fallback: str) -> str:
    cleaned = str(text).strip().rstrip(".") if isinstance(text, str) else ""
    cleaned = cleaned or fallback
    return cleaned[:1].upper() + cleaned[1:]


def _summary(
    frame: pd.DataFrame,
    *,
    offers: int,
    needs: int,
    offers_left: int,
    needs_left: int,
    candidates: int,
    edges_solved: int,
    allocation: Any,
    params: Params,
) -> dict[str, Any]:
    exchanged = frame.groupby("unit", sort=True)["quantity_per_year"].sum()
    loops = frame["loop_id"].dropna()
    return {
        "objective": params.objective,
        "solver": params.solver,
        "offers": offers,
        "needs": needs,
        "offers_with_quantity_left": offers_left,
        "needs_with_quantity_left": needs_left,
        "candidates": candidates,
        "edges_solved": edges_solved,
        "components": allocation.n_components,
        "proposals": len(frame),
        "exchanged_per_unit": {str(u): float(q) for u, q in exchanged.items()},
        "mass_t_per_year": float(frame["mass_t_per_year"].sum()),
        "net_co2e_kg": float(frame["net_co2e_kg"].sum()),
        "tonne_km": float(frame["tonne_km"].sum()),
        "tonne_km_saved": float(frame["tonne_km_saved"].sum()),
        "loops": int(loops.nunique()),
        "proposals_closing_loops": int(frame["closes_loop"].sum()),
        "quantity_resolution": 1.0 / allocation.quantity_scale,
        "cost_error_bound": allocation.cost_error_bound,
    }
