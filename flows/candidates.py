"""Candidate exchanges: compatible offer-need pairs within the need's distance limit.

A pair (offer, need) is a candidate when

* the need lists accepted EWC codes and the offer's ``ewc_code`` is on the list, or the
  need lists none and the taxonomy's compatibility table has a rule for (offer material,
  need material). A list is honoured as written: it replaces the taxonomy's rules, so
  ``02 01 03;04 02 22;17 01 07`` accepts exactly those three codes, whatever their
  categories. The law still holds (:mod:`flows.legal`): a feed need never receives a
  code feed law bans, and an offer that declares a hazardous material under a
  non-hazardous code reaches no listing need;
* both are in the same matching family (see :mod:`flows.normalise`);
* their availability windows overlap (missing dates are open-ended). This matters for
  one-off batches; for recurring listings a window that has closed is just as final;
* they belong to different organisations (a firm does not exchange with itself);
* the road distance is within the need's ``max_distance_km`` (the default when missing).
  Road distance is straight distance times a circuity factor, or the distance over a
  :class:`geo.distance.RoadNetwork` when one is given.

Pairs are found with a spatial index, never all-pairs: every location is projected
once to a metric CRS (RD New in the Netherlands, :func:`geo.crs.metric_crs_for`), one
:class:`scipy.spatial.cKDTree` is built per offer material and per (need material,
radius bucket), and each compatible (need group, offer material) pair of trees is
queried (a listing need meets the materials of the offers under its codes) with
:meth:`~scipy.spatial.cKDTree.sparse_distance_matrix` at the bucket's
largest search radius ``max_distance_km / circuity``. Needs are bucketed by radius
(factor 1.25 per bucket) so that one far-reaching need does not widen everybody's
search; each pair is then checked against its own need's radius.

The hot path holds integer codes and numeric arrays only (int32 indices, float32
distances, int16 rule codes); strings appear once per distinct material or rule.

Examples
--------
>>> import numpy as np
>>> bucket_of_radius(np.array([1000.0, 1200.0, 50000.0])).tolist()
[31, 32, 49]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from flows.co2 import RESULT_COLUMNS as CO2_RESULT_COLUMNS

__all__ = [
    "CO2_COLUMNS",
    "RADIUS_BUCKET_FACTOR",
    "CandidateEdges",
    "CodeListReading",
    "attach_co2",
    "bucket_of_radius",
    "find_candidates",
    "straight_km_pairs",
    "top_k_mask",
]

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
#: How a need's list of accepted EWC codes is read (see :func:`find_candidates`).
CodeListReading = Literal["as_written", "within_rules"]

#: Text columns of the co2 result, kept as categoricals (few distinct values).
CO2_KEY_COLUMNS: Final = ("production_factor_key", "disposal_factor_key")
#: Per-unit columns :func:`flows.co2.co2_per_unit` returns that the engine carries per edge.
CO2_COLUMNS: Final = tuple(c for c in CO2_RESULT_COLUMNS if c not in CO2_KEY_COLUMNS)
#: Consecutive needs' search radii differ by at most this factor within one bucket.
RADIUS_BUCKET_FACTOR: Final = 1.25


@dataclass(frozen=True)
class CandidateEdges:
    """Candidate edges as parallel arrays, plus the rules they refer to.

    ``offer_idx`` / ``need_idx`` index the rows of the normalised offers and needs
    frames; ``rule`` indexes ``rules`` (columns ``offered``, ``needed``, ``kind``,
    ``reason_en``, ``reason_nl``); ``co2`` holds the per-unit columns of
    :data:`CO2_COLUMNS` (and the factor keys) once :func:`attach_co2` has run.
    """

    offer_idx: IntArray
    need_idx: IntArray
    distance_km: npt.NDArray[np.float32]
    road_km: npt.NDArray[np.float32]
    rule: npt.NDArray[np.int16]
    rules: pd.DataFrame
    co2: pd.DataFrame | None = field(default=None)

    def __len__(self) -> int:
        return int(self.offer_idx.shape[0])

    def take(self, selector: BoolArray | npt.NDArray[np.intp]) -> CandidateEdges:
        """Return the edges selected by a boolean mask or an index array."""
        co2 = None
        if self.co2 is not None:
            co2 = self.co2.iloc[selector] if selector.dtype != np.bool_ else self.co2[selector]
            co2 = co2.reset_index(drop=True)
        return replace(
            self,
            offer_idx=self.offer_idx[selector],
            need_idx=self.need_idx[selector],
            distance_km=self.distance_km[selector],
            road_km=self.road_km[selector],
            rule=self.rule[selector],
            co2=co2,
        )


def bucket_of_radius(radius_m: FloatArray) -> npt.NDArray[np.int64]:
    """Return the radius bucket of each search radius (log base :data:`RADIUS_BUCKET_FACTOR`)."""
    safe = np.maximum(radius_m, 1.0)
    return np.ceil(np.log(safe) / math.log(RADIUS_BUCKET_FACTOR) - 1e-9).astype(np.int64)


def find_candidates(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    circuity: float = 1.3,
    default_max_distance_km: float = 50.0,
    road_network: Any | None = None,
    compatibility: pd.DataFrame | None = None,
    code_lists: CodeListReading = "as_written",
) -> CandidateEdges:
    """Return every candidate edge between normalised offers and needs.

    Parameters
    ----------
    offers, needs
        Frames from :func:`flows.normalise.normalise`.
    circuity
        Road distance per straight distance; ignored when ``road_network`` is given.
    default_max_distance_km
        Distance limit of needs whose ``max_distance_km`` is missing.
    road_network
        A :class:`geo.distance.RoadNetwork`; road distances then come from the network
        and the straight search radius is the full limit (a road is never shorter).
    compatibility
        The compatibility table; defaults to :func:`flows.taxonomy.compatibility_table`.
    code_lists
        ``"as_written"`` (default): a need's list of accepted codes alone decides which
        offers qualify (within the law). ``"within_rules"``: the reading before issue 8,
        the list intersected with the taxonomy's rules (kept to measure the difference).

    Returns
    -------
    CandidateEdges
        Sorted by (offer_idx, need_idx); ``co2`` is still ``None``.
    """
    if not circuity >= 1.0:
        raise ValueError(f"circuity {circuity!r} must be a number >= 1")
    if not default_max_distance_km > 0:
        raise ValueError(f"default_max_distance_km {default_max_distance_km!r} must be positive")
    if code_lists not in ("as_written", "within_rules"):
        raise ValueError(f"code_lists {code_lists!r} is not one of 'as_written', 'within_rules'")
    if compatibility is None:
        from flows.taxonomy import compatibility_table

        compatibility = compatibility_table()
    rules = (
        compatibility[["offered", "needed", "kind", "reason_en", "reason_nl"]]
        .drop_duplicates(subset=["offered", "needed"])
        .reset_index(drop=True)
    )
    if len(offers) == 0 or len(needs) == 0:
        return _empty(rules)

    materials = pd.Index(
        pd.unique(pd.concat([offers["material"], needs["material"]], ignore_index=True).astype(str))
    )
    offer_mat = materials.get_indexer(offers["material"].astype(str)).astype(np.int32)
    need_mat = materials.get_indexer(needs["material"].astype(str)).astype(np.int32)
    rule_offered = materials.get_indexer(rules["offered"].astype(str))
    rule_needed = materials.get_indexer(rules["needed"].astype(str))
    present = (rule_offered >= 0) & (rule_needed >= 0)
    n_mat = len(materials)
    rule_of_pair = np.full(n_mat * n_mat, -1, dtype=np.int32)
    rule_of_pair[rule_offered[present] * n_mat + rule_needed[present]] = np.flatnonzero(present)

    projected = _project(offers, needs)
    ox, oy, nx_, ny = projected.offer_x, projected.offer_y, projected.need_x, projected.need_y
    road_factor = 1.0 if road_network is not None else float(circuity)
    if "max_distance_km" in needs.columns:
        max_km_arr = (
            pd.to_numeric(needs["max_distance_km"], errors="coerce")
            .fillna(float(default_max_distance_km))
            .to_numpy(dtype=np.float64)
        )
    else:
        max_km_arr = np.full(len(needs), float(default_max_distance_km))
    radius_m = max_km_arr * 1000.0 / road_factor
    bucket = bucket_of_radius(radius_m)
    # Outside RD New the tree searches a little wider (the projection may shorten a
    # distance by its smallest scale factor); geodesic distances then decide.
    search_radius_m = radius_m * projected.search_factor

    codes = _code_lists(offers, needs)
    listing = codes.restricted if code_lists == "as_written" else np.zeros(len(needs), dtype=bool)

    offer_points = np.column_stack([ox, oy])
    need_points = np.column_stack([nx_, ny])
    offer_trees: dict[int, tuple[cKDTree, npt.NDArray[np.int64]]] = {}
    for m in np.unique(offer_mat):
        members = np.flatnonzero(offer_mat == m)
        offer_trees[int(m)] = (cKDTree(offer_points[members]), members)

    # Query groups: (needs, offer material) with one search radius. Needs without a list
    # of codes are grouped by (need material, bucket) and meet the materials the rules
    # allow; listing needs are grouped by (offer material, bucket) over the materials of
    # the offers under their codes.
    groups: list[tuple[npt.NDArray[np.int64], list[int]]] = []
    open_rows = np.flatnonzero(~listing)
    group_keys = need_mat[open_rows].astype(np.int64) * 10_000 + bucket[open_rows]
    for key in np.unique(group_keys):
        members = open_rows[group_keys == key]
        m_need = int(need_mat[members[0]])
        compatible = [
            int(m_off) for m_off in offer_trees if rule_of_pair[m_off * n_mat + m_need] >= 0
        ]
        if compatible:
            groups.append((members, compatible))
    if listing.any():
        need_rows, off_mats = codes.reachable_materials(offer_mat, np.flatnonzero(listing))
        keys = off_mats * 10_000 + bucket[need_rows]
        for key in np.unique(keys):
            groups.append((need_rows[keys == key], [int(key // 10_000)]))

    pieces_o: list[npt.NDArray[np.int64]] = []
    pieces_n: list[npt.NDArray[np.int64]] = []
    pieces_d: list[FloatArray] = []
    for members, compatible in groups:
        need_tree = cKDTree(need_points[members])
        search_m = float(search_radius_m[members].max())
        for m_off in compatible:
            offer_tree, offer_members = offer_trees[m_off]
            found = need_tree.sparse_distance_matrix(offer_tree, search_m, output_type="ndarray")
            if found.shape[0] == 0:
                continue
            need_rows = members[found["i"]]
            keep = found["v"] <= search_radius_m[need_rows]
            pieces_n.append(need_rows[keep])
            pieces_o.append(offer_members[found["j"][keep]])
            pieces_d.append(found["v"][keep])
    if not pieces_o:
        return _empty(rules)
    offer_idx = np.concatenate(pieces_o)
    need_idx = np.concatenate(pieces_n)
    straight_m = np.concatenate(pieces_d)
    del pieces_o, pieces_n, pieces_d

    if projected.geodesic:
        from geo.distance import geodesic_km

        straight_m = 1000.0 * geodesic_km(
            offers["lon"].to_numpy(dtype=np.float64)[offer_idx],
            offers["lat"].to_numpy(dtype=np.float64)[offer_idx],
            needs["lon"].to_numpy(dtype=np.float64)[need_idx],
            needs["lat"].to_numpy(dtype=np.float64)[need_idx],
        )
        within = straight_m <= radius_m[need_idx]
        offer_idx, need_idx, straight_m = offer_idx[within], need_idx[within], straight_m[within]
    keep = _pair_filters(offers, needs, offer_idx, need_idx)
    if codes.restricted.any():
        keep &= codes.accepts(offer_idx, need_idx)
    offer_idx, need_idx, straight_m = offer_idx[keep], need_idx[keep], straight_m[keep]
    order = np.argsort(offer_idx * len(needs) + need_idx, kind="stable")
    offer_idx, need_idx, straight_m = offer_idx[order], need_idx[order], straight_m[order]

    distance_km = straight_m / 1000.0
    if road_network is not None:
        road_km = _network_km(road_network, offers, needs, offer_idx, need_idx)
        within = np.isfinite(road_km) & (road_km <= max_km_arr[need_idx] * (1 + 1e-9))
        offer_idx, need_idx = offer_idx[within], need_idx[within]
        distance_km, road_km = distance_km[within], road_km[within]
    else:
        from geo.distance import road_km as to_road_km

        road_km = np.asarray(to_road_km(distance_km, circuity=float(circuity)), dtype=np.float64)
    rule = rule_of_pair[offer_mat[offer_idx].astype(np.int64) * n_mat + need_mat[need_idx]]
    by_list = listing[need_idx]
    if by_list.any():
        pair = offer_mat[offer_idx[by_list]].astype(np.int64) * n_mat + need_mat[need_idx[by_list]]
        seen = np.zeros(n_mat * n_mat, dtype=bool)
        seen[pair] = True
        rules, rule_of_listed_pair = _accepted_code_rules(
            rules, materials, np.flatnonzero(seen), rule_of_pair
        )
        rule[by_list] = rule_of_listed_pair[pair]
    return CandidateEdges(
        offer_idx=offer_idx.astype(np.int32),
        need_idx=need_idx.astype(np.int32),
        distance_km=distance_km.astype(np.float32),
        road_km=road_km.astype(np.float32),
        rule=rule.astype(np.int16),
        rules=rules,
    )


def attach_co2(
    edges: CandidateEdges,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    co2_per_unit: Callable[..., pd.DataFrame] | None = None,
) -> CandidateEdges:
    """Return ``edges`` with the per-unit CO2 columns, from one vectorised co2 call.

    The quantities flow in the matching family's base unit (``flow_unit``), so that is
    the unit the per-unit figures are asked for. Text inputs are passed as categoricals
    built from integer codes, so millions of edges never become millions of strings.
    """
    if co2_per_unit is None:
        from flows.co2 import co2_per_unit as default_co2

        co2_per_unit = default_co2
    o, n = edges.offer_idx, edges.need_idx

    def per_edge(frame: pd.DataFrame, column: str, idx: IntArray) -> pd.Categorical:
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame))
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        # Narrow the codes before spreading them over the edges, not after.
        small = codes.astype(np.min_scalar_type(-len(uniques) - 1), copy=False)
        return pd.Categorical.from_codes(small[idx], categories=pd.Index(uniques))

    source_km = (
        pd.to_numeric(needs["current_source_km"], errors="coerce").to_numpy(dtype=np.float64)[n]
        if "current_source_km" in needs.columns
        else np.full(len(edges), np.nan)
    )
    result = co2_per_unit(
        offer_material=per_edge(offers, "material", o),
        need_material=per_edge(needs, "material", n),
        unit=per_edge(offers, "flow_unit", o),
        current_route=per_edge(offers, "current_route", o),
        current_source=per_edge(needs, "current_source", n),
        source_km=source_km,
        road_km=edges.road_km.astype(np.float64),
    )
    columns: dict[str, Any] = {
        c: np.asarray(result[c], dtype=np.float64) for c in CO2_COLUMNS if c in result.columns
    }
    for c in CO2_KEY_COLUMNS:
        if c in result.columns:
            columns[c] = pd.Categorical(result[c])
    missing = [c for c in CO2_COLUMNS if c not in columns]
    if missing:
        raise KeyError(f"co2_per_unit returned no column(s) {', '.join(missing)}")
    # The result's columns are ours alone: share them rather than copy ~10 x 8 bytes
    # per edge into one block.
    return replace(edges, co2=pd.DataFrame(columns, copy=False))


def top_k_mask(offer_idx: IntArray, need_idx: IntArray, cost: FloatArray, *, k: int) -> BoolArray:
    """Keep, for every offer and every need, its ``k`` cheapest edges; return the union.

    Ties are broken by edge position, so the result is deterministic.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([0, 0, 0, 1], dtype=np.int32); n = np.array([0, 1, 2, 2], dtype=np.int32)
    >>> top_k_mask(o, n, np.array([3.0, 1.0, 2.0, 0.5]), k=1).tolist()  # (0, 0) is need 0's best
    [True, True, False, True]
    """
    if k < 1:
        raise ValueError(f"top_k {k!r} must be a positive integer")
    keep = np.zeros(cost.shape[0], dtype=bool)
    for group in (offer_idx, need_idx):
        order = np.lexsort((np.arange(cost.shape[0]), cost, group))
        sorted_group = group[order]
        starts = np.r_[0, np.flatnonzero(sorted_group[1:] != sorted_group[:-1]) + 1]
        rank = np.arange(order.shape[0]) - np.repeat(starts, np.diff(np.r_[starts, order.shape[0]]))
        keep[order[rank < k]] = True
    return keep


# -- helpers -------------------------------------------------------------------------------


def _empty(rules: pd.DataFrame) -> CandidateEdges:
    return CandidateEdges(
        offer_idx=np.zeros(0, dtype=np.int32),
        need_idx=np.zeros(0, dtype=np.int32),
        distance_km=np.zeros(0, dtype=np.float32),
        road_km=np.zeros(0, dtype=np.float32),
        rule=np.zeros(0, dtype=np.int16),
        rules=rules,
    )


def straight_km_pairs(
    *,
    all_lon: FloatArray,
    all_lat: FloatArray,
    lon1: FloatArray,
    lat1: FloatArray,
    lon2: FloatArray,
    lat2: FloatArray,
) -> FloatArray:
    """Return the engine's straight distance in km of paired points of one data set.

    The metric CRS is chosen from every point of the data set (``all_lon``,
    ``all_lat``), exactly as :func:`find_candidates` chooses it, so the figure is the
    one the engine compares with a need's limit.

    Examples
    --------
    >>> import numpy as np
    >>> lon, lat = np.array([6.16, 5.96]), np.array([52.25, 52.21])
    >>> km = straight_km_pairs(all_lon=lon, all_lat=lat, lon1=lon[:1], lat1=lat[:1],
    ...                        lon2=lon[1:], lat2=lat[1:])
    >>> round(float(km[0]), 1)
    14.4
    """
    from geo.crs import RD_NEW, metric_crs_for
    from geo.distance import geodesic_km, project_lonlat

    crs = metric_crs_for(all_lon, all_lat)
    if crs != RD_NEW:
        return geodesic_km(lon1, lat1, lon2, lat2)
    x1, y1 = project_lonlat(lon1, lat1, crs=crs)
    x2, y2 = project_lonlat(lon2, lat2, crs=crs)
    km: FloatArray = np.hypot(np.asarray(x2) - x1, np.asarray(y2) - y1) / 1000.0
    return km


@dataclass(frozen=True)
class _Projected:
    """Offer and need points in the metric CRS of the data, and how to measure them."""

    offer_x: FloatArray
    offer_y: FloatArray
    need_x: FloatArray
    need_y: FloatArray
    crs: str
    #: Search radius per true radius: 1 in RD New, 1 / smallest scale factor elsewhere.
    search_factor: float
    #: Measure the found pairs geodesically (everywhere but RD New).
    geodesic: bool


def _project(offers: pd.DataFrame, needs: pd.DataFrame) -> _Projected:
    """Project every location once to the data's metric CRS (:func:`geo.crs.choose_metric_crs`).

    RD New measures the Netherlands to 0.03 %, so its distances are used as they are.
    Elsewhere (a UTM zone, or ETRS89-LAEA for data spread over Europe, whose scale is
    off by up to a few per cent far from its centre) the tree only finds the pairs and
    the distances are geodesic.
    """
    from geo.crs import RD_NEW, choose_metric_crs, min_scale_factor
    from geo.distance import project_lonlat

    lon = np.concatenate(
        [offers["lon"].to_numpy(dtype=np.float64), needs["lon"].to_numpy(dtype=np.float64)]
    )
    lat = np.concatenate(
        [offers["lat"].to_numpy(dtype=np.float64), needs["lat"].to_numpy(dtype=np.float64)]
    )
    crs = choose_metric_crs(lon=lon, lat=lat)
    x, y = project_lonlat(lon, lat, crs=crs)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_o = len(offers)
    geodesic = crs != RD_NEW
    # 0.1 % more covers the curvature of a segment between two points.
    factor = 1.001 / min(min_scale_factor(crs, lon, lat), 1.0) if geodesic else 1.0
    return _Projected(x[:n_o], y[:n_o], x[n_o:], y[n_o:], crs, factor, geodesic)


def _pair_filters(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    offer_idx: npt.NDArray[np.int64],
    need_idx: npt.NDArray[np.int64],
) -> BoolArray:
    """Same family, overlapping windows, different organisations."""
    keep = offers["family_code"].to_numpy()[offer_idx] == needs["family_code"].to_numpy()[need_idx]
    keep &= offers["start_day"].to_numpy()[offer_idx] <= needs["end_day"].to_numpy()[need_idx]
    keep &= needs["start_day"].to_numpy()[need_idx] <= offers["end_day"].to_numpy()[offer_idx]

    organisations = pd.Index(
        pd.unique(
            pd.concat([offers["organisation"], needs["organisation"]], ignore_index=True).astype(
                str
            )
        )
    )
    offer_org = organisations.get_indexer(offers["organisation"].astype(str))
    need_org = organisations.get_indexer(needs["organisation"].astype(str))
    keep &= offer_org[offer_idx] != need_org[need_idx]
    result: BoolArray = keep
    return result


#: Code id of an offer that no list can accept (no code, or a hazardous material
#: declared under a non-hazardous code).
_NO_CODE: Final = 0xFFFF


@dataclass(frozen=True)
class _CodeLists:
    """The needs' lists of accepted codes and the offers' codes, as small integer ids.

    ``restricted[j]``: need ``j`` lists codes; ``offer_code[i]``: the id of offer ``i``'s
    canonical code (:data:`_NO_CODE` when no list may accept it); ``accepted_keys``:
    sorted ``need * 0x10000 + code id`` of every (need, code) the law lets through.
    """

    restricted: BoolArray
    offer_code: npt.NDArray[np.int64]
    accepted_keys: npt.NDArray[np.int64]

    def accepts(
        self, offer_idx: npt.NDArray[np.int64], need_idx: npt.NDArray[np.int64]
    ) -> BoolArray:
        """Mask of the pairs allowed by the lists (always True for needs without one)."""
        result = np.ones(offer_idx.shape[0], dtype=bool)
        on_restricted = self.restricted[need_idx]
        if self.accepted_keys.size == 0:
            result[on_restricted] = False
            return result
        keys = need_idx[on_restricted] * 0x1_0000 + self.offer_code[offer_idx[on_restricted]]
        # The accepted (need, code) pairs are few; look the many edge keys up in them by
        # binary search rather than sorting millions of keys (np.isin).
        slot = np.minimum(np.searchsorted(self.accepted_keys, keys), self.accepted_keys.size - 1)
        result[on_restricted] = self.accepted_keys[slot] == keys
        return result

    def reachable_materials(
        self, offer_mat: npt.NDArray[np.int32], need_rows: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Return (need row, offer material) for every material offered under a listed code."""
        has_code = self.offer_code != _NO_CODE
        pairs = np.unique(self.offer_code[has_code] * 0x1_0000 + offer_mat[has_code])
        pair_code, pair_mat = pairs // 0x1_0000, pairs % 0x1_0000
        wanted = np.isin(self.accepted_keys // 0x1_0000, need_rows)
        need_of_key = self.accepted_keys[wanted] // 0x1_0000
        code_of_key = self.accepted_keys[wanted] % 0x1_0000
        # Join (need, code) with (code, material) on the code.
        order = np.argsort(pair_code, kind="stable")
        pair_code, pair_mat = pair_code[order], pair_mat[order]
        lo = np.searchsorted(pair_code, code_of_key, side="left")
        hi = np.searchsorted(pair_code, code_of_key, side="right")
        counts = hi - lo
        rows = np.repeat(need_of_key, counts)
        starts = np.repeat(lo, counts) + (
            np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        mats = pair_mat[starts]
        unique = np.unique(rows * 0x1_0000 + mats)
        return unique // 0x1_0000, unique % 0x1_0000


def _code_lists(offers: pd.DataFrame, needs: pd.DataFrame) -> _CodeLists:
    from flows.errors import InvalidEWCCode
    from flows.legal import allowed_accepted_codes, canonical_code

    restricted = np.zeros(len(needs), dtype=bool)
    offer_code = np.full(len(offers), _NO_CODE, dtype=np.int64)
    if "accepted_ewc_codes" not in needs.columns:
        return _CodeLists(restricted, offer_code, np.zeros(0, dtype=np.int64))
    accepted = needs["accepted_ewc_codes"].to_numpy(dtype=object)
    restricted = np.array(
        [isinstance(c, tuple | list | set | frozenset) and len(c) > 0 for c in accepted],
        dtype=bool,
    )
    if not restricted.any():
        return _CodeLists(restricted, offer_code, np.zeros(0, dtype=np.int64))

    code_ids: dict[str, int] = {}
    if "ewc_code" in offers.columns:

        def safe(code: Any) -> str | None:
            try:
                return canonical_code(code)
            except InvalidEWCCode:
                return None

        from flows.taxonomy import CATEGORIES

        mat_codes, mat_names = pd.factorize(offers["material"].astype(str))
        hazardous_material = np.array(
            [key in CATEGORIES and CATEGORIES[key].hazardous for key in mat_names] + [False],
            dtype=bool,
        )[mat_codes]
        codes, uniques = pd.factorize(offers["ewc_code"].to_numpy(dtype=object))
        canon = [safe(code) for code in uniques]
        ids = np.array(
            [_NO_CODE if c is None else code_ids.setdefault(c, len(code_ids)) for c in canon]
            + [_NO_CODE],
            dtype=np.int64,
        )
        offer_code = ids[codes]
        is_hazardous_code = np.array(
            [c is not None and c.endswith("*") for c in canon] + [False], dtype=bool
        )[codes]
        # A hazardous material under a non-hazardous code: the code does not say what is
        # offered, so no list can accept it.
        offer_code[hazardous_material & ~is_hazardous_code] = _NO_CODE

    materials = needs["material"].to_numpy(dtype=object)
    cache: dict[tuple[object, object], frozenset[str]] = {}
    keys: list[int] = []
    for j in np.flatnonzero(restricted):
        key = (tuple(accepted[j]), materials[j])
        if key not in cache:
            cache[key] = allowed_accepted_codes(accepted[j], str(materials[j]))
        for code in cache[key]:
            code_id = code_ids.get(code)
            if code_id is not None:
                keys.append(int(j) * 0x1_0000 + code_id)
    return _CodeLists(restricted, offer_code, np.unique(np.asarray(keys, dtype=np.int64)))


def _accepted_code_rules(
    rules: pd.DataFrame,
    materials: pd.Index,
    pairs: npt.NDArray[np.int64],
    rule_of_pair: npt.NDArray[np.int32],
) -> tuple[pd.DataFrame, npt.NDArray[np.int32]]:
    """Append one ``accepted_code`` rule per (offered, needed) material pair in ``pairs``.

    ``pairs`` are ``offered * n_mat + needed`` codes. The reason says the need lists the
    code and adds the taxonomy's reason when there is one. Returns the extended rules and
    the rule index of every pair code (-1 for pairs not given).
    """
    n_mat = len(materials)
    rows = []
    for p in pairs.tolist():
        offered, needed = str(materials[p // n_mat]), str(materials[p % n_mat])
        base = int(rule_of_pair[p])
        extra_en = f" {rules['reason_en'].iat[base]}" if base >= 0 else ""
        extra_nl = f" {rules['reason_nl'].iat[base]}" if base >= 0 else ""
        rows.append(
            (
                offered,
                needed,
                "accepted_code",
                "The need lists the offer's EWC code among the codes it accepts." + extra_en,
                "De vraag noemt de euralcode van het aanbod bij de codes die zij accepteert."
                + extra_nl,
            )
        )
    added = pd.DataFrame(rows, columns=list(rules.columns), dtype=str)
    rule_of_listed_pair = np.full(n_mat * n_mat, -1, dtype=np.int32)
    rule_of_listed_pair[pairs] = len(rules) + np.arange(len(pairs), dtype=np.int32)
    return pd.concat([rules, added], ignore_index=True), rule_of_listed_pair


def _network_km(
    network: Any,
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    offer_idx: npt.NDArray[np.int64],
    need_idx: npt.NDArray[np.int64],
) -> FloatArray:
    olon = offers["lon"].to_numpy(dtype=np.float64)[offer_idx]
    olat = offers["lat"].to_numpy(dtype=np.float64)[offer_idx]
    nlon = needs["lon"].to_numpy(dtype=np.float64)[need_idx]
    nlat = needs["lat"].to_numpy(dtype=np.float64)[need_idx]
    km = np.asarray(network.distance_km(olon, olat, nlon, nlat), dtype=np.float64)
    return np.broadcast_to(km, olon.shape).astype(np.float64)
