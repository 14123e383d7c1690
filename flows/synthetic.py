"""A fictional but realistic Cleantech Regio economy: firms and their listings, seeded.

:func:`generate` builds a deterministic economy of firms and the residual streams they
offer and the inputs they need. It feeds the web app's demo data
(``flask demo load --size small|region|national --seed N``) and the engine benchmark
(``bench/engine.py``). Everything is drawn from one :func:`numpy.random.default_rng`
seeded with ``seed``; there is no other source of randomness, so the same arguments
give identical frames on every machine and in every process.

What the economy looks like
---------------------------
* **Firms** belong to an *archetype* (brewery, dairy farm, paper mill, demolition
  contractor, ...) in one of eleven sectors that fit the region (see :data:`SECTORS`,
  :data:`ARCHETYPES`). Each archetype has a real SBI 2008 code and a list of typical
  streams it offers or needs, with plausible quantity ranges per occurrence.
* **Locations** are PC4 points of :func:`geo.geocode.pc4_table` plus a deterministic
  jitter of at most :data:`JITTER_M` metres (drawn in RD New metres, so firms that share
  a PC4 do not stack on one point). ``small`` and ``region`` place firms in the eight
  Cleantech Regio municipalities only; ``national`` spreads them over every PC4 point
  in the Netherlands, with region PC4s :data:`REGION_WEIGHT` times as likely.
* **Anchor firms** (:data:`ANCHORS`) open every economy at fixed region PC4s: a
  brewery, a dairy farm, a digester, a paper mill, ... chosen so that the engine always
  finds closed loops (brewery -> dairy farm -> digester -> brewery; arable farm <->
  digester; concrete plant <-> rubble recycler; ...) and short heat links.
* **Listings**: each firm lists its archetype's signature stream, and the remaining
  listings are drawn by weighted sampling without replacement over all firms' other
  typical streams until the requested total is reached exactly.

Fictional identities
--------------------
No generated firm can be mistaken for a real one:

* every **name** ends in the marker ``" (demo)"`` (:data:`FICTIONAL_MARKER`), e.g.
  ``"Brouwerij Korenaar (demo)"``; the middle is an invented Dutch-sounding compound
  (a prefix such as *Koren*, *Linde*, *Ravens* and a suffix such as *-aar*, *-hof*,
  *-horst*) after a trade word;
* every **KvK number** is eight digits starting with ``99`` (:data:`KVK_RANGE`), drawn
  without replacement. The Chamber of Commerce publishes no reserved test range, so no
  block is guaranteed never to be issued; the ``(demo)`` name marker is what makes a
  firm recognisably fictional, and the fixed ``99`` prefix makes demo rows easy to find
  and delete. Never load these numbers outside demo data.

The frames
----------
Text columns are ``object`` with ``None`` for a missing value, as in the canonical
frame of :mod:`flows.listing_file`; ``accepted_ewc_codes`` holds tuples (empty for
offers), ``available_from``/``available_until`` hold :class:`datetime.date` or
``None``, and numbers are ``float64`` with ``NaN`` for a missing reach or distance.
An offer's ``ewc_code`` maps to its material (:func:`flows.taxonomy.category_for_ewc`),
except PE film, which the List of Waste cannot tell from other plastic packaging: it
carries ``15 01 02`` and the material says what the lister knows. Energy and water
listings carry no code.

Quantities
----------
Ranges are per occurrence in the template's unit (``t`` per week for spent grain, MWh
per week for heat, ...), drawn log-uniformly and rounded as a person would type them
(integers from 10 up, one decimal from 1, two below). They are sized for small and
medium firms in the region; see the ``quantity`` of each :class:`StreamTemplate`.

Examples
--------
>>> economy = generate(size="small", seed=1)
>>> len(economy.firms), len(economy.listings)
(40, 200)
>>> economy.firms["name"].str.endswith(" (demo)").all()
np.True_
>>> generate(size="small", seed=1).listings.equals(economy.listings)
True
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer

from flows.schema import CANONICAL_LISTING_COLUMNS, CURRENT_ROUTES, FREQUENCIES, UNITS

__all__ = [
    "ANCHORS",
    "ARCHETYPES",
    "FICTIONAL_MARKER",
    "FIRM_COLUMNS",
    "JITTER_M",
    "KVK_RANGE",
    "LISTINGS_PER_FIRM",
    "REFERENCE_DATE",
    "REGION_WEIGHT",
    "SECTORS",
    "SIZES",
    "SYNTHETIC_LISTING_COLUMNS",
    "Archetype",
    "SizeSpec",
    "StreamTemplate",
    "SyntheticEconomy",
    "generate",
    "to_listing_file_frame",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

Kind = Literal["offer", "need"]
Scope = Literal["region", "national"]

# -- public constants ----------------------------------------------------------------------

#: Every generated firm name ends with this marker, so it can never pass for a real firm.
FICTIONAL_MARKER: Final = " (demo)"
#: KvK numbers are drawn without replacement from this half-open range (see module doc).
KVK_RANGE: Final = (99_000_000, 100_000_000)
#: Largest distance between a firm and its PC4 point, in metres.
JITTER_M: Final = 400.0
#: In ``national`` economies a region PC4 is this many times as likely as any other PC4.
REGION_WEIGHT: Final = 5.0
#: Listings per firm when only one of ``n_firms`` / ``n_listings`` is given.
LISTINGS_PER_FIRM: Final = 5.0
#: Day from which one-off batches become available (a fixed date keeps runs identical).
REFERENCE_DATE: Final = date(2025, 1, 6)

#: Shares of listings that are drafts or paused; the rest are active.
_STATUS_SHARES: Final = (("active", 0.9), ("draft", 0.05), ("paused", 0.05))
#: Share of firms that list anonymously.
_ANONYMOUS_SHARE: Final = 0.2
#: Share of needs supplied from secondary material today (the rest: virgin).
_SECONDARY_SOURCE_SHARE: Final = 0.2
#: Share of needs whose current supplier distance the firm does not know.
_UNKNOWN_SOURCE_KM_SHARE: Final = 0.25

#: Columns of :attr:`SyntheticEconomy.firms`, in order.
FIRM_COLUMNS: Final = (
    "firm_ref",
    "name",
    "kvk",
    "sbi_code",
    "sector",
    "archetype",
    "postcode",
    "pc4",
    "lon",
    "lat",
    "municipality",
    "municipality_code",
    "public",
)

#: Columns of :attr:`SyntheticEconomy.listings`, in order: the listing file's columns plus
#: ``firm_ref``, ``accepted_ewc_codes`` and ``status``.
SYNTHETIC_LISTING_COLUMNS: Final = (
    "ref",
    "organisation",
    "firm_ref",
    *(c for c in CANONICAL_LISTING_COLUMNS if c not in ("row", "ref", "organisation")),
    "status",
)


@dataclass(frozen=True, slots=True)
class SizeSpec:
    """Target size of a preset economy: firm and listing counts and where firms sit."""

    n_firms: int
    n_listings: int
    scope: Scope


#: Presets of :func:`generate`: ``small`` and ``region`` stay inside the eight region
#: municipalities; ``national`` spreads 20,000 firms over the Netherlands.
SIZES: Final[Mapping[str, SizeSpec]] = MappingProxyType(
    {
        "small": SizeSpec(n_firms=40, n_listings=200, scope="region"),
        "region": SizeSpec(n_firms=400, n_listings=2_000, scope="region"),
        "national": SizeSpec(n_firms=20_000, n_listings=100_000, scope="national"),
    }
)


@dataclass(frozen=True, slots=True)
class StreamTemplate:
    """A stream a firm of some archetype typically offers or needs.

    Attributes
    ----------
    kind
        ``"offer"`` or ``"need"``.
    material
        Taxonomy key (:mod:`flows.taxonomy`).
    label
        Dutch noun phrase; the title is ``f"{label}, {frequency in Dutch}"``.
    unit, frequency
        From :data:`flows.schema.UNITS` and :data:`flows.schema.FREQUENCIES`.
    quantity
        ``(low, high)`` per occurrence, in ``unit``; drawn log-uniformly.
    ewc_codes
        Offers: the codes one is drawn from (each maps to ``material``, or to its branch
        for a category the List of Waste cannot name, such as PE film). Needs: the
        accepted codes (empty: any code, or no code at all for energy and water).
    weight
        Relative propensity to be listed beyond the signature stream.
    routes
        Offers: ``(current_route, share)`` pairs; shares sum to 1.
    max_distance_km
        Needs: the round distances a firm picks its limit from.
    source_km
        Needs: ``(low, high)`` distance to today's supplier in km, or ``None`` where a
        distance means nothing (grid heat, groundwater).
    description
        Dutch sentence shown on the listing.
    """

    kind: Kind
    material: str
    label: str
    unit: str
    frequency: str
    quantity: tuple[float, float]
    ewc_codes: tuple[str, ...] = ()
    weight: float = 1.0
    routes: tuple[tuple[str, float], ...] = ()
    max_distance_km: tuple[float, ...] = ()
    source_km: tuple[float, float] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Archetype:
    """A kind of firm: sector, SBI 2008 code, name words and typical streams.

    The first stream is the *signature* stream every firm of the archetype lists.
    """

    key: str
    sector: str
    sbi_code: str
    weight: float
    name_words: tuple[str, ...]
    streams: tuple[StreamTemplate, ...]


@dataclass(frozen=True)
class SyntheticEconomy:
    """A generated economy: the ``firms`` and the ``listings`` they publish.

    ``firms`` has :data:`FIRM_COLUMNS`, one row per firm; ``listings`` has
    :data:`SYNTHETIC_LISTING_COLUMNS`, one row per offer or need, linked by ``firm_ref``.
    """

    firms: pd.DataFrame
    listings: pd.DataFrame


# -- the data tables -----------------------------------------------------------------------
# Sectors, archetypes with their typical streams, anchor firms and the parts of firm names
# are data: flows/data/synthetic_archetypes.json, with their provenance in
# flows/data/README.md. Streams many archetypes share, route mixes, distance sets and code
# sets are named once in that file and referred to by name.


@cache
def _archetype_data() -> Mapping[str, Any]:
    """Read ``synthetic_archetypes.json`` once."""
    path = resources.files("flows").joinpath("data/synthetic_archetypes.json")
    with path.open("r", encoding="utf-8") as fh:
        data: Mapping[str, Any] = json.load(fh)
    return data


def _named(value: Any, table: str) -> Any:
    """A value as written, or the entry of ``table`` it names."""
    return _archetype_data()[table][value] if isinstance(value, str) else value


def _stream(spec: Mapping[str, Any]) -> StreamTemplate:
    low, high = spec["quantity"]
    source_km = spec.get("source_km")
    return StreamTemplate(
        kind=spec["kind"],
        material=spec["material"],
        label=spec["label"],
        unit=spec["unit"],
        frequency=spec["frequency"],
        quantity=(float(low), float(high)),
        ewc_codes=tuple(_named(spec.get("ewc_codes", []), "ewc_code_sets")),
        weight=float(spec.get("weight", 1.0)),
        routes=tuple(
            (str(route), float(share))
            for route, share in _named(spec.get("routes", []), "route_mixes")
        ),
        max_distance_km=tuple(
            float(km) for km in _named(spec.get("max_distance_km", []), "max_distance_sets_km")
        ),
        source_km=None if source_km is None else (float(source_km[0]), float(source_km[1])),
        description=spec.get("description", ""),
    )


@cache
def _load_archetypes() -> tuple[Archetype, ...]:
    data = _archetype_data()
    # One object per shared stream, as every archetype that lists it holds the same stream.
    shared = {name: _stream(spec) for name, spec in data["shared_streams"].items()}
    return tuple(
        Archetype(
            key=spec["key"],
            sector=spec["sector"],
            sbi_code=spec["sbi_code"],
            weight=float(spec["weight"]),
            name_words=tuple(spec["name_words"]),
            streams=tuple(
                shared[stream] if isinstance(stream, str) else _stream(stream)
                for stream in spec["streams"]
            ),
        )
        for spec in data["archetypes"]
    )


#: Sector key -> (Dutch label, share of firms). Shares follow the region's economy:
#: strong agri-food and hospitality, paper in Eerbeek, metal in Apeldoorn, logistics
#: along the A1 at Deventer.
SECTORS: Final[Mapping[str, tuple[str, float]]] = MappingProxyType(
    {
        key: (str(sector["label_nl"]), float(sector["share"]))
        for key, sector in _archetype_data()["sectors"].items()
    }
)

#: Every archetype; the first stream of each is its signature stream.
ARCHETYPES: Final[tuple[Archetype, ...]] = _load_archetypes()

#: Firms that open every economy, at fixed region PC4s: ``(archetype, pc4)``. Chosen
#: so the engine always has closed loops and short heat links to find (the file says
#: which loop each anchor closes).
ANCHORS: Final[tuple[tuple[str, str], ...]] = tuple(
    (str(anchor["archetype"]), str(anchor["pc4"])) for anchor in _archetype_data()["anchors"]
)

# -- names ---------------------------------------------------------------------------------

# Invented Dutch-sounding compounds: prefix + suffix, e.g. "Korenaar", "Lindehorst".
_NAME_PREFIXES: Final[tuple[str, ...]] = tuple(_archetype_data()["firm_names"]["prefixes"])
_NAME_SUFFIXES: Final[tuple[str, ...]] = tuple(_archetype_data()["firm_names"]["suffixes"])
_LEGAL_FORMS: Final[tuple[str, ...]] = tuple(_archetype_data()["firm_names"]["legal_forms"])

# PostNL letters: F, I, O, Q, U and Y are not used, and SA, SD, SS are never issued.
_POSTCODE_LETTERS: Final = "ABCDEGHJKLMNPRSTVWXZ"
_UNISSUED_PAIRS: Final = frozenset({"SA", "SD", "SS"})

_FREQUENCY_NL: Final = {
    "once": "eenmalige partij",
    "week": "wekelijks",
    "month": "maandelijks",
    "year": "jaarlijks",
}

# Lengths of availability windows of one-off batches, in days.
_WINDOW_DAYS: Final = (14, 30, 30, 60, 90)
# One-off batches become available within this many days of the reference date.
_START_SPREAD_DAYS: Final = 120

# SBI 2008 codes as CBS writes them: class "10.71" or subclass "01.41.1".
_SBI_SHAPE: Final = re.compile(r"[0-9]{2}\.[0-9]{2}(\.[0-9])?")
# Energy and water are not waste: their listings carry no EWC code.
_CODELESS_ROOTS: Final = frozenset({"energy", "water"})


# -- flattened tables (built once) ---------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    """The archetype and stream tables as parallel numpy arrays, for vectorised draws."""

    archetype_p: FloatArray  # probability of each archetype for a non-anchor firm
    archetype_start: IntArray  # first template of each archetype
    archetype_count: IntArray  # number of templates of each archetype
    kind: ObjArray
    material: ObjArray
    title: ObjArray  # label and frequency in Dutch: "Bierbostel, wekelijks"
    unit: ObjArray
    frequency: ObjArray
    q_low: FloatArray
    q_high: FloatArray
    weight: FloatArray
    ewc: ObjArray  # (n_templates, max codes), None-padded
    ewc_count: IntArray
    accepted: ObjArray  # tuple per template (needs) or ()
    route: ObjArray  # (n_templates, max routes), None-padded
    route_cum: FloatArray  # cumulative shares, padded with 1.0
    distance: FloatArray  # (n_templates, max choices), NaN-padded
    distance_count: IntArray
    src_low: FloatArray  # NaN where the source distance means nothing
    src_high: FloatArray
    description: ObjArray


def _padded_objects(rows: Sequence[Sequence[object]]) -> ObjArray:
    """Stack ragged rows into a 2-D object array, padded with ``None``."""
    out = np.full((len(rows), max(1, *(len(r) for r in rows))), None, dtype=object)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _padded_floats(rows: Sequence[Sequence[float]], *, fill: float) -> FloatArray:
    """Stack ragged rows into a 2-D float array, padded with ``fill``."""
    out = np.full((len(rows), max(1, *(len(r) for r in rows))), fill, dtype=np.float64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _code_fits(code: str, material: str) -> bool:
    """Whether an offer of ``material`` may carry EWC ``code``.

    The code must map to the material (:func:`flows.taxonomy.category_for_ewc`), except
    for categories the List of Waste cannot tell apart (PE film, clean wood): they have
    no code of their own, so the lister declares them and the code names their branch
    (``15 01 02`` plastic packaging for PE film).
    """
    from flows.taxonomy import category_for_ewc, ewc_codes_for, root

    mapped = category_for_ewc(code)
    if mapped == material:
        return True
    return not ewc_codes_for(material, include_descendants=True) and root(mapped) == root(material)


def _table_problems() -> list[str]:
    """Return every inconsistency of :data:`ARCHETYPES`, :data:`SECTORS` and :data:`ANCHORS`."""
    from flows.ewc import is_ewc_code, is_hazardous
    from flows.taxonomy import category_for_ewc, is_category, match_rule
    from geo.geocode import region_pc4s

    problems: list[str] = []
    keys = [a.key for a in ARCHETYPES]
    if len(set(keys)) != len(keys):
        problems.append(f"archetype keys are not unique: {sorted(keys)}")
    for a in ARCHETYPES:
        where = f"archetype {a.key!r}"
        if a.sector not in SECTORS:
            problems.append(f"{where}: sector {a.sector!r} is not one of {', '.join(SECTORS)}")
        if not _SBI_SHAPE.fullmatch(a.sbi_code):
            problems.append(f"{where}: sbi_code {a.sbi_code!r} is not shaped like '10.71(.1)'")
        if not a.streams or a.streams[0].weight <= 0 or not a.name_words or a.weight <= 0:
            problems.append(f"{where}: needs streams, name words and positive weights")
        for t in a.streams:
            at = f"{where}, stream {t.label!r}"
            if not is_category(t.material):
                problems.append(f"{at}: material {t.material!r} is not a taxonomy category")
                continue
            if t.unit not in UNITS:
                problems.append(f"{at}: unit {t.unit!r} is not one of {', '.join(UNITS)}")
            if t.frequency not in FREQUENCIES:
                problems.append(
                    f"{at}: frequency {t.frequency!r} is not one of {', '.join(FREQUENCIES)}"
                )
            if not 0 < t.quantity[0] <= t.quantity[1] or t.weight <= 0:
                problems.append(f"{at}: quantity {t.quantity!r} or weight {t.weight!r} invalid")
            for code in t.ewc_codes:
                if not is_ewc_code(code) or is_hazardous(code):
                    problems.append(f"{at}: EWC {code!r} is not a non-hazardous code of the list")
                elif t.kind == "offer" and not _code_fits(code, t.material):
                    problems.append(
                        f"{at}: EWC {code!r} maps to {category_for_ewc(code)!r}, "
                        f"not to {t.material!r}"
                    )
                elif t.kind == "need" and not (
                    match_rule(category_for_ewc(code), t.material) or _code_fits(code, t.material)
                ):
                    problems.append(
                        f"{at}: accepted EWC {code!r} ({category_for_ewc(code)!r}) cannot "
                        f"meet a need for {t.material!r}"
                    )
            if t.kind == "offer":
                if len(t.ewc_codes) == 0 and t.material.split(".")[0] not in _CODELESS_ROOTS:
                    problems.append(f"{at}: an offer of {t.material!r} needs an EWC code")
                routes = [r for r, _ in t.routes]
                if not routes or any(r not in CURRENT_ROUTES for r in routes):
                    problems.append(f"{at}: routes {routes!r} are not from {CURRENT_ROUTES}")
                if abs(sum(s for _, s in t.routes) - 1.0) > 1e-9:
                    problems.append(f"{at}: route shares {t.routes!r} do not sum to 1")
            elif not t.max_distance_km or min(t.max_distance_km) <= 0:
                problems.append(f"{at}: a need needs positive max_distance_km choices")
    anchor_pc4s = set(region_pc4s().index)
    for archetype, pc4 in ANCHORS:
        if archetype not in keys or pc4 not in anchor_pc4s:
            problems.append(f"anchor ({archetype!r}, {pc4!r}) is not an archetype at a region PC4")
    if abs(sum(share for _, share in SECTORS.values()) - 1.0) > 1e-9:
        problems.append("sector shares do not sum to 1")
    return problems


@cache
def _tables() -> _Tables:
    problems = _table_problems()
    if problems:
        # A programming error in this module's tables, not a user error.
        raise ValueError("synthetic economy tables are inconsistent:\n" + "\n".join(problems))
    templates = [t for a in ARCHETYPES for t in a.streams]
    counts = np.array([len(a.streams) for a in ARCHETYPES], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sector_total = {s: sum(a.weight for a in ARCHETYPES if a.sector == s) for s in SECTORS}
    p = np.array(
        [SECTORS[a.sector][1] * a.weight / sector_total[a.sector] for a in ARCHETYPES],
        dtype=np.float64,
    )

    def column(values: list[object]) -> ObjArray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    route_names = [tuple(r for r, _ in t.routes) for t in templates]
    route_cum = [tuple(np.cumsum([s for _, s in t.routes]).tolist()) for t in templates]
    cum = _padded_floats(route_cum, fill=1.0)
    cum[:, -1] = 1.0  # guard against shares that sum to 0.999...
    return _Tables(
        archetype_p=p / p.sum(),
        archetype_start=starts,
        archetype_count=counts,
        kind=column([t.kind for t in templates]),
        material=column([t.material for t in templates]),
        title=column([f"{t.label}, {_FREQUENCY_NL[t.frequency]}" for t in templates]),
        unit=column([t.unit for t in templates]),
        frequency=column([t.frequency for t in templates]),
        q_low=np.array([t.quantity[0] for t in templates], dtype=np.float64),
        q_high=np.array([t.quantity[1] for t in templates], dtype=np.float64),
        weight=np.array([t.weight for t in templates], dtype=np.float64),
        ewc=_padded_objects([t.ewc_codes for t in templates]),
        ewc_count=np.array([len(t.ewc_codes) for t in templates], dtype=np.int64),
        accepted=column([t.ewc_codes if t.kind == "need" else () for t in templates]),
        route=_padded_objects(route_names),
        route_cum=cum,
        distance=_padded_floats([t.max_distance_km for t in templates], fill=np.nan),
        distance_count=np.array([len(t.max_distance_km) for t in templates], dtype=np.int64),
        src_low=np.array(
            [t.source_km[0] if t.source_km else np.nan for t in templates], dtype=np.float64
        ),
        src_high=np.array(
            [t.source_km[1] if t.source_km else np.nan for t in templates], dtype=np.float64
        ),
        description=column([t.description for t in templates]),
    )


@cache
def _to_rd() -> Transformer:
    from geo.crs import RD_NEW, WGS84

    return Transformer.from_crs(WGS84, RD_NEW, always_xy=True)


@cache
def _from_rd() -> Transformer:
    from geo.crs import RD_NEW, WGS84

    return Transformer.from_crs(RD_NEW, WGS84, always_xy=True)


# -- public API ----------------------------------------------------------------------------


def generate(
    *,
    size: str = "region",
    seed: int = 0,
    n_firms: int | None = None,
    n_listings: int | None = None,
    reference_date: date = REFERENCE_DATE,
) -> SyntheticEconomy:
    """Return a fictional economy of firms and listings, identical for identical arguments.

    Parameters
    ----------
    size
        A key of :data:`SIZES`: ``"small"`` (40 firms, 200 listings, region),
        ``"region"`` (400 firms, 2,000 listings, region) or ``"national"`` (20,000
        firms, 100,000 listings over the Netherlands). It sets the scope and the default
        counts.
    seed
        Seed of :func:`numpy.random.default_rng`; any integer >= 0.
    n_firms, n_listings
        Override the preset counts. Given one, the other follows at
        :data:`LISTINGS_PER_FIRM` listings per firm. Every firm has at least one listing,
        so ``n_firms <= n_listings`` is required.
    reference_date
        Day from which one-off batches become available; fixed by default so that runs
        are identical. The web app's demo loader may pass today.

    Returns
    -------
    SyntheticEconomy
        ``firms`` with :data:`FIRM_COLUMNS`, ``listings`` with
        :data:`SYNTHETIC_LISTING_COLUMNS`, exactly ``n_firms`` and ``n_listings`` rows.

    Raises
    ------
    ValueError
        If ``size`` is unknown, ``seed`` is negative, a count is not a positive integer,
        ``n_listings < n_firms``, or ``n_listings`` exceeds what the firms can list.

    Examples
    --------
    >>> economy = generate(size="small", seed=7)
    >>> economy.firms.loc[0, ["firm_ref", "sector"]].tolist()
    ['F0001', 'food_and_drink']
    >>> sorted(economy.listings["kind"].unique())
    ['need', 'offer']
    >>> len(generate(size="region", seed=0, n_firms=10).listings)
    50
    """
    spec = _resolve_size(size=size, seed=seed, n_firms=n_firms, n_listings=n_listings)
    if not isinstance(reference_date, date):
        raise ValueError(f"reference_date {reference_date!r} is not a datetime.date")
    rng = np.random.default_rng(seed)
    tables = _tables()
    firms = _firms(rng, tables, n_firms=spec.n_firms, scope=spec.scope)
    listings = _listings(
        rng,
        tables,
        firms,
        n_listings=spec.n_listings,
        reference_date=reference_date,
    )
    return SyntheticEconomy(firms=firms, listings=listings)


def to_listing_file_frame(economy: SyntheticEconomy) -> pd.DataFrame:
    """Return the listings in the listing file's columns, every value as text.

    The columns are :data:`flows.schema.LISTING_COLUMNS`, formatted by
    :func:`flows.listing_file.to_export_frame`: an offer's ``ewc_code`` is its code, a
    need's is its accepted codes joined by ``;``; dates are ISO (``YYYY-MM-DD``);
    missing values are ``""``. Written with ``to_csv(index=False)`` it is a file that
    ``python -m flows match`` reads back to the same listings.

    Examples
    --------
    >>> from flows.schema import LISTING_COLUMNS
    >>> frame = to_listing_file_frame(generate(size="small", seed=0))
    >>> tuple(frame.columns) == LISTING_COLUMNS
    True
    >>> frame.loc[0, ["ref", "ewc_code", "quantity"]].tolist()
    ['F0001-01', '02 07 01', '25']
    """
    from flows.listing_file import to_export_frame

    return to_export_frame(economy.listings)


# -- size and argument checks --------------------------------------------------------------


def _resolve_size(*, size: str, seed: int, n_firms: int | None, n_listings: int | None) -> SizeSpec:
    if size not in SIZES:
        raise ValueError(f"size {size!r} is not one of {', '.join(SIZES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed {seed!r} is not an integer >= 0")
    for name, value in (("n_firms", n_firms), ("n_listings", n_listings)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
        ):
            raise ValueError(f"{name} {value!r} is not a positive integer")
    preset = SIZES[size]
    if n_firms is None and n_listings is None:
        return preset
    if n_firms is None:
        assert n_listings is not None
        n_firms = max(1, round(n_listings / LISTINGS_PER_FIRM))
    if n_listings is None:
        n_listings = round(n_firms * LISTINGS_PER_FIRM)
    if n_listings < n_firms:
        raise ValueError(
            f"n_listings {n_listings!r} is smaller than n_firms {n_firms!r}; every firm "
            "lists at least one stream"
        )
    return SizeSpec(n_firms=int(n_firms), n_listings=int(n_listings), scope=preset.scope)


# -- firms ---------------------------------------------------------------------------------


def _firms(
    rng: np.random.Generator, tables: _Tables, *, n_firms: int, scope: Scope
) -> pd.DataFrame:
    keys = [a.key for a in ARCHETYPES]
    n_anchor = min(n_firms, len(ANCHORS))
    archetype = np.empty(n_firms, dtype=np.int64)
    archetype[:n_anchor] = [keys.index(a) for a, _ in ANCHORS[:n_anchor]]
    archetype[n_anchor:] = rng.choice(
        len(ARCHETYPES), size=n_firms - n_anchor, p=tables.archetype_p
    )

    table = _pc4_points()
    in_region = table["in_cleantech_regio"].to_numpy(dtype=bool)
    if scope == "region":
        weights = in_region.astype(np.float64)
    else:
        weights = np.where(in_region, REGION_WEIGHT, 1.0)
    pc4_pos = np.empty(n_firms, dtype=np.int64)
    pc4_pos[:n_anchor] = table.index.get_indexer([pc4 for _, pc4 in ANCHORS[:n_anchor]])
    pc4_pos[n_anchor:] = rng.choice(len(table), size=n_firms - n_anchor, p=weights / weights.sum())
    pc4 = table.index.to_numpy(dtype=object)[pc4_pos]
    lon, lat = _jitter(
        rng,
        table["x_m"].to_numpy(dtype=np.float64)[pc4_pos],
        table["y_m"].to_numpy(dtype=np.float64)[pc4_pos],
        table["max_jitter_m"].to_numpy(dtype=np.float64)[pc4_pos],
    )

    width = max(4, len(str(n_firms)))
    firm_ref = [f"F{i:0{width}d}" for i in range(1, n_firms + 1)]
    kvk_low, kvk_high = KVK_RANGE
    kvk = rng.choice(kvk_high - kvk_low, size=n_firms, replace=False) + kvk_low
    letters = _postcode_letter_pairs()
    postcode = pc4.astype(str) + " " + letters[rng.integers(len(letters), size=n_firms)]

    public = rng.random(n_firms) >= _ANONYMOUS_SHARE
    archetypes = np.asarray(ARCHETYPES, dtype=object)[archetype]
    return _frame(
        {
            "firm_ref": np.asarray(firm_ref, dtype=object),
            "name": np.asarray(_names(rng, archetype), dtype=object),
            "kvk": np.char.zfill(kvk.astype(str), 8).astype(object),
            "sbi_code": np.array([a.sbi_code for a in archetypes], dtype=object),
            "sector": np.array([a.sector for a in archetypes], dtype=object),
            "archetype": np.array([a.key for a in archetypes], dtype=object),
            "postcode": postcode.astype(object),
            "pc4": pc4,
            "lon": lon,
            "lat": lat,
            "municipality": table["municipality"].to_numpy(dtype=object)[pc4_pos],
            "municipality_code": table["municipality_code"].to_numpy(dtype=object)[pc4_pos],
            "public": public,
        },
        columns=FIRM_COLUMNS,
    )


def _frame(data: dict[str, npt.NDArray[Any]], *, columns: tuple[str, ...]) -> pd.DataFrame:
    """Build a frame whose text columns are ``object`` (as :mod:`flows.listing_file` does).

    pandas 3 would infer its ``str`` dtype and turn ``None`` into ``NaN``; ``object``
    keeps ``None`` for a missing EWC code, route or date.
    """
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object if values.dtype == object else values.dtype)
            for name, values in data.items()
        },
        columns=list(columns),
    )


def _postcode_letter_pairs() -> npt.NDArray[np.str_]:
    pairs = [a + b for a in _POSTCODE_LETTERS for b in _POSTCODE_LETTERS]
    return np.array([p for p in pairs if p not in _UNISSUED_PAIRS])


@cache
def _pc4_points() -> pd.DataFrame:
    """PC4 points (sorted by PC4) with RD New ``x_m``, ``y_m`` and ``max_jitter_m``.

    ``max_jitter_m`` is :data:`JITTER_M`, capped at 90 % of the distance from the point to
    the boundary of its own municipality, so that a jittered firm stays in the
    municipality its PC4 names (and region firms stay in the region). The five GeoNames
    points that lie just outside every polygon (coast, border) are not jittered.
    """
    import shapely

    from geo.crs import RD_NEW, to_metric
    from geo.geocode import pc4_table
    from geo.regions import netherlands_municipalities

    table = pc4_table().sort_index()
    x_m, y_m = _to_rd().transform(
        table["lon"].to_numpy(dtype=np.float64), table["lat"].to_numpy(dtype=np.float64)
    )
    municipalities = to_metric(netherlands_municipalities(), crs=RD_NEW)
    polygon = (
        municipalities.set_index("gemeente_code")
        .geometry.reindex(table["municipality_code"])
        .to_numpy()
    )
    points = shapely.points(x_m, y_m)
    inside = shapely.contains(polygon, points)
    to_border_m = shapely.distance(shapely.boundary(polygon), points)
    table["x_m"] = np.asarray(x_m, dtype=np.float64)
    table["y_m"] = np.asarray(y_m, dtype=np.float64)
    table["max_jitter_m"] = np.where(inside, np.minimum(JITTER_M, 0.9 * to_border_m), 0.0)
    return table


def _jitter(
    rng: np.random.Generator, x_m: FloatArray, y_m: FloatArray, max_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return WGS84 ``(lon, lat)`` of RD New points moved uniformly within ``max_m`` metres."""
    n = x_m.shape[0]
    radius_m = max_m * np.sqrt(rng.random(n))  # sqrt: uniform over the disc's area
    angle = rng.random(n) * 2.0 * math.pi
    lon, lat = _from_rd().transform(x_m + radius_m * np.cos(angle), y_m + radius_m * np.sin(angle))
    # 6 decimals is ~0.1 m: enough, and keeps the CSV short.
    return (
        np.asarray(lon, dtype=np.float64).round(6),
        np.asarray(lat, dtype=np.float64).round(6),
    )


def _names(rng: np.random.Generator, archetype: IntArray) -> list[str]:
    """Draw unique fictional names ``f"{word} {Stem}{legal form} (demo)"``.

    Duplicates are redrawn (a few rounds suffice: each archetype has ~12,000 names); if
    any remain, a running number keeps them apart.
    """
    n = archetype.shape[0]
    n_words = np.array([len(a.name_words) for a in ARCHETYPES], dtype=np.int64)[archetype]
    word = np.zeros(n, dtype=np.int64)
    prefix = np.zeros(n, dtype=np.int64)
    suffix = np.zeros(n, dtype=np.int64)
    legal = np.zeros(n, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    names = np.empty(n, dtype=object)
    for _ in range(8):
        k = int(todo.sum())
        if k == 0:
            break
        word[todo] = rng.integers(n_words[todo])
        prefix[todo] = rng.integers(len(_NAME_PREFIXES), size=k)
        suffix[todo] = rng.integers(len(_NAME_SUFFIXES), size=k)
        legal[todo] = rng.integers(len(_LEGAL_FORMS), size=k)
        for i in np.flatnonzero(todo):
            names[i] = (
                f"{ARCHETYPES[archetype[i]].name_words[word[i]]} "
                f"{_NAME_PREFIXES[prefix[i]]}{_NAME_SUFFIXES[suffix[i]]}{_LEGAL_FORMS[legal[i]]}"
            )
        todo = pd.Series(names).duplicated(keep="first").to_numpy(dtype=bool)
    if todo.any():
        repeat = pd.Series(names).groupby(names).cumcount().to_numpy()
        for i in np.flatnonzero(todo):
            names[i] = f"{names[i]} {repeat[i] + 1}"
    return [f"{name}{FICTIONAL_MARKER}" for name in names]


# -- listings ------------------------------------------------------------------------------


def _listings(
    rng: np.random.Generator,
    tables: _Tables,
    firms: pd.DataFrame,
    *,
    n_listings: int,
    reference_date: date,
) -> pd.DataFrame:
    keys = [a.key for a in ARCHETYPES]
    archetype = np.array([keys.index(k) for k in firms["archetype"]], dtype=np.int64)
    n_firms = archetype.shape[0]
    count = tables.archetype_count[archetype]
    capacity = int(count.sum())
    if n_listings > capacity:
        raise ValueError(
            f"n_listings {n_listings!r} is more than the {capacity} distinct streams "
            f"{n_firms} firms can list; ask for more firms or fewer listings"
        )

    # Candidates: every (firm, template of its archetype).
    cand_firm = np.repeat(np.arange(n_firms), count)
    first = np.repeat(np.cumsum(count) - count, count)
    within = np.arange(capacity) - first
    cand_template = tables.archetype_start[archetype][cand_firm] + within

    # Priority tiers: each firm's signature stream, then every stream of an anchor firm,
    # then weighted sampling without replacement (Efraimidis-Spirakis keys log(u) / w).
    tier = np.where(within == 0, 2, np.where(cand_firm < len(ANCHORS), 1, 0))
    key = np.log(rng.random(capacity)) / tables.weight[cand_template]
    order = np.lexsort((-key, -tier))
    chosen = np.sort(order[:n_listings])  # back in (firm, template) order
    firm = cand_firm[chosen]
    template = cand_template[chosen]
    n = int(chosen.shape[0])

    kind = tables.kind[template]
    is_need = kind == "need"
    frequency = tables.frequency[template]
    unit = tables.unit[template]

    quantity = _round_quantity(
        np.exp(
            np.log(tables.q_low[template])
            + rng.random(n) * np.log(tables.q_high[template] / tables.q_low[template])
        ),
        unit,
    )

    # Offers carry one code drawn from the template's; needs carry the accepted codes.
    code_pick = (rng.random(n) * np.maximum(tables.ewc_count[template], 1)).astype(np.int64)
    nothing = np.full(n, None, dtype=object)
    ewc_code = np.where(
        is_need | (tables.ewc_count[template] == 0), nothing, tables.ewc[template, code_pick]
    )
    accepted = tables.accepted[template]

    u_route = rng.random(n)
    route_pick = (u_route[:, None] > tables.route_cum[template]).sum(axis=1)
    route = np.where(
        is_need, nothing, tables.route[template, np.minimum(route_pick, tables.route.shape[1] - 1)]
    )

    dist_pick = (rng.random(n) * np.maximum(tables.distance_count[template], 1)).astype(np.int64)
    max_distance_km = np.where(is_need, tables.distance[template, dist_pick], np.nan)

    secondary = rng.random(n) < _SECONDARY_SOURCE_SHARE
    source = np.where(is_need, np.where(secondary, "secondary", "virgin").astype(object), nothing)
    src_low, src_high = tables.src_low[template], tables.src_high[template]
    src_km = np.round((src_low + rng.random(n) * (src_high - src_low)) / 5.0) * 5.0
    unknown = rng.random(n) < _UNKNOWN_SOURCE_KM_SHARE
    current_source_km = np.where(is_need & ~unknown, np.maximum(src_km, 5.0), np.nan)

    once = frequency == "once"
    start_offset = rng.integers(_START_SPREAD_DAYS, size=n)
    window = np.asarray(_WINDOW_DAYS)[rng.integers(len(_WINDOW_DAYS), size=n)]
    start = np.datetime64(reference_date, "D") + start_offset
    available_from = np.where(once, start, np.datetime64("NaT", "D")).astype(object)
    available_until = np.where(once, start + window, np.datetime64("NaT", "D")).astype(object)

    status_names = np.array([s for s, _ in _STATUS_SHARES], dtype=object)
    status_cum = np.cumsum([share for _, share in _STATUS_SHARES])
    status = status_names[np.minimum(np.searchsorted(status_cum, rng.random(n), side="right"), 2)]

    # Refs count each firm's listings from 1: F0001-01, F0001-02, ...
    first_of_firm = np.r_[True, firm[1:] != firm[:-1]]
    sequence = np.arange(n) - np.maximum.accumulate(np.where(first_of_firm, np.arange(n), 0))
    firm_ref = firms["firm_ref"].to_numpy(dtype=object)[firm]
    ref = firm_ref + "-" + np.char.zfill((sequence + 1).astype(str), 2).astype(object)
    public = firms["public"].to_numpy(dtype=bool)[firm]

    return _frame(
        {
            "ref": ref,
            "organisation": firms["name"].to_numpy(dtype=object)[firm],
            "firm_ref": firm_ref,
            "kind": kind,
            "title": tables.title[template],
            "material": tables.material[template],
            "ewc_code": ewc_code.astype(object),
            "accepted_ewc_codes": accepted,
            "quantity": quantity,
            "unit": unit,
            "frequency": frequency,
            "postcode": firms["postcode"].to_numpy(dtype=object)[firm],
            "lat": firms["lat"].to_numpy(dtype=np.float64)[firm],
            "lon": firms["lon"].to_numpy(dtype=np.float64)[firm],
            "max_distance_km": max_distance_km,
            "available_from": available_from,
            "available_until": available_until,
            "current_route": route.astype(object),
            "current_source": source.astype(object),
            "current_source_km": current_source_km,
            "visibility": np.where(public, "public", "anonymous").astype(object),
            "description": tables.description[template],
            "status": status,
        },
        columns=SYNTHETIC_LISTING_COLUMNS,
    )


def _round_quantity(quantity: FloatArray, unit: ObjArray) -> FloatArray:
    """Round as a person types: integers from 10 (and for pieces), one decimal from 1."""
    whole = (quantity >= 10.0) | (unit == "pcs")
    rounded = np.where(
        whole,
        np.round(quantity),
        np.where(quantity >= 1.0, np.round(quantity, 1), np.round(quantity, 2)),
    )
    return np.maximum(rounded, np.where(whole, 1.0, 0.01)).astype(np.float64)
