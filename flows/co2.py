"""Transparent avoided-CO2 model of one exchange: every term, every factor, its source.

An exchange sends a residual stream (the *offer*) to a firm that needs an input (the
*need*). Per unit of quantity moved the model counts, in kg CO2e::

    net = avoided_production + avoided_disposal - transport + avoided_transport

``avoided_production``
    Primary production of the need's material that the offer replaces, minus the
    emissions of making it from a secondary source where the factor table knows them
    (DESNZ "Closed-loop source" or "Re-used"). Zero when the need is already supplied
    from a secondary source. For heat, steam, biogas, CO2 and water it is the fuel or
    the mains supply the delivery displaces. For the classic symbiosis exchanges (fly
    ash or slag to cement, FGD gypsum, manure and digestate as fertiliser, spent grain
    as feed, wood as fuel, CO2 to greenhouses) a cited credit per tonne of the offer
    replaces it (:mod:`flows.symbiosis`).
``avoided_disposal``
    The DESNZ waste-disposal factor of the offer's material for its current route
    (landfill, incineration, recycling, composting, digestion). For every route but
    landfill DESNZ counts only the transport to the facility, so the credit is small
    and honest; land spreading and ``other`` earn nothing.
``transport``
    Road km of the exchange x the tonne-km factor of its transport mode (truck:
    :data:`HGV_KG_CO2E_PER_TONNE_KM`; barge, rail, sea: :data:`TRANSPORT_FACTOR_KEYS`;
    pipeline: 0) x mass.
``avoided_transport``
    Road km of the need's current supply (given, or :func:`default_source_km`) x the
    factor of that supply's mode x mass.

Heat, steam, water and CO2 (the ``energy`` and ``water`` families, except biogas and
fuel gas) always travel by pipe: no transport emissions on either side. Volumes become
mass through the taxonomy's density hint, pieces through its per-piece mass
(``mass_t_per_piece``). The method, the assumptions and the limits are written down in
``docs/co2-method.md``; every factor lives in ``flows/data/emission_factors.csv``.

Examples
--------
>>> from flows.co2 import exchange_breakdown
>>> b = exchange_breakdown(offer_material="metals", need_material="metals",
...     quantity=10, unit="t", current_route="landfill", road_km=20)
>>> round(b["net_co2e_kg"], 1)
18658.5
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from flows import symbiosis, taxonomy
from flows.errors import Problem, UnknownCategory, ValidationError
from flows.schema import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    DEFAULT_TRANSPORT_MODE,
    TRANSPORT_MODES,
    UNITS,
)

__all__ = [
    "DEFAULT_DENSITY_T_PER_M3",
    "DEFAULT_SOURCE_KM",
    "FACTORS_RESOURCE",
    "FALLBACK_SOURCE_KM",
    "HGV_FACTOR_KEY",
    "HGV_FACTOR_SOURCE",
    "HGV_FACTOR_YEAR",
    "HGV_KG_CO2E_PER_TONNE_KM",
    "PIPED_FAMILIES",
    "RESULT_COLUMNS",
    "TRANSPORT_FACTOR_KEYS",
    "TRUCKED_GASES",
    "Factor",
    "co2_per_unit",
    "default_source_km",
    "disposal_factor",
    "exchange_breakdown",
    "exchange_transport_mode",
    "factor_table",
    "production_factors",
    "transport_mode_codes",
    "travels_by_pipe",
]

#: The curated factor table: one row per factor the model uses, with its source and year.
FACTORS_RESOURCE: Final = resources.files("flows") / "data" / "emission_factors.csv"

#: Road freight, kg CO2e per tonne-km: UK fleet average of all diesel HGVs at average load.
HGV_KG_CO2E_PER_TONNE_KM: Final = 0.09752
HGV_FACTOR_KEY: Final = "transport.hgv_average_laden"
HGV_FACTOR_SOURCE: Final = (
    "UK DESNZ, Greenhouse gas reporting: conversion factors 2024, condensed set v1.1 (OGL v3), "
    "sheet 'Freighting goods', row 'HGV (all diesel) / All HGVs', column 'Average laden', "
    "unit 'tonne.km', metric 'kg CO2e'"
)
HGV_FACTOR_YEAR: Final = 2024

#: Top-level categories that travel by pipe: no transport emissions on either side.
PIPED_FAMILIES: Final = frozenset({"energy", "water"})
#: Categories of a piped family that go by truck unless a listing states ``pipeline``.
TRUCKED_GASES: Final = frozenset({"energy.biogas", "energy.fuel_gas"})
#: Factor key of each transport mode's kg CO2e per tonne-km; ``pipeline`` emits nothing.
TRANSPORT_FACTOR_KEYS: Final[dict[str, str | None]] = {
    "truck": "transport.hgv_average_laden",
    "barge": "transport.inland_barge_nl",
    "rail": "transport.rail_freight_train",
    "sea": "transport.sea_bulk_carrier_small",
    "pipeline": None,
}
_PIPELINE: Final = TRANSPORT_MODES.index("pipeline")
_TRUCK: Final = TRANSPORT_MODES.index(DEFAULT_TRANSPORT_MODE)

#: Density used for a volume when neither the category nor an ancestor has a hint (water).
DEFAULT_DENSITY_T_PER_M3: Final = 1.0

#: Assumed road distance of a need's current virgin supply, km, when the need does not
#: say (nearest ancestor wins). Order-of-magnitude assumptions for the east of the
#: Netherlands, not measurements; see docs/co2-method.md.
DEFAULT_SOURCE_KM: Final[dict[str, float]] = {
    # sand and gravel from the river pits and quarries of the region
    "minerals": 50.0,
    "minerals.soil": 25.0,
    # natural gypsum is imported (Germany), FGD gypsum comes from a few power plants
    "minerals.gypsum": 200.0,
    "minerals.gypsum_fgd": 200.0,
    # cement works are in Belgium and Germany (the last Dutch clinker kiln closed in 2020)
    "minerals.cement": 150.0,
    "metals": 150.0,
    "plastics": 200.0,
    "paper": 150.0,
    "glass": 150.0,
    "textiles": 200.0,
    "chemicals": 150.0,
    "oils_fats": 150.0,
    "organics": 100.0,
    "organics.animal_feed": 150.0,
    "sludges": 50.0,
    "packaging": 100.0,
    "other": 100.0,
    # piped: no road supply to avoid
    "energy": 0.0,
    "water": 0.0,
}
#: Distance assumed for a category that neither it nor an ancestor lists.
FALLBACK_SOURCE_KM: Final = 100.0

#: Columns of :func:`co2_per_unit`, in order.
RESULT_COLUMNS: Final = (
    "mass_t_per_unit",
    "avoided_production_co2e_kg_per_unit",
    "avoided_disposal_co2e_kg_per_unit",
    "transport_co2e_kg_per_unit",
    "avoided_transport_co2e_kg_per_unit",
    "net_co2e_kg_per_unit",
    "source_km_used",
    "tonne_km_saved_per_unit",
    "production_factor_key",
    "disposal_factor_key",
)

_PRIMARY_TERMS: Final = frozenset({"production", "energy_displaced", "supply_displaced"})
_FACTOR_COLUMNS: Final = (
    "factor_key",
    "category",
    "term",
    "route",
    "value",
    "unit",
    "source",
    "year",
    "note",
)
# What one unit of a production factor is measured in; index into the basis stack.
_BASIS_OF_UNIT: Final = {"kg CO2e/t": 0, "kg CO2e/m3": 1, "kg CO2e/MWh": 2}
_MASS_T_OF_UNIT: Final = {"t": 1.0, "kg": 0.001}

FloatArray = npt.NDArray[np.float64]
#: Integer codes of categories, -1 for missing (any signed integer type).
Codes = npt.NDArray[np.signedinteger[Any]]


@dataclass(frozen=True, slots=True)
class Factor:
    """One row of the factor table."""

    factor_key: str
    category: str
    term: str
    route: str
    value: float
    unit: str
    source: str
    year: int
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.cache
def _factor_frame() -> pd.DataFrame:
    with FACTORS_RESOURCE.open("rb") as csv_file:
        frame = pd.read_csv(
            csv_file,
            dtype={c: "string" for c in _FACTOR_COLUMNS if c not in ("value", "year")}
            | {"value": "float64", "year": "int64"},
            keep_default_na=False,
        )
    return frame.astype({c: object for c in _FACTOR_COLUMNS if c not in ("value", "year")})


def factor_table() -> pd.DataFrame:
    """Return the curated emission factor table (a fresh copy of a cached read).

    Returns
    -------
    pandas.DataFrame
        Columns ``factor_key``, ``category`` (taxonomy key or empty), ``term``,
        ``route`` (disposal only), ``value``, ``unit``, ``source``, ``year``, ``note``.

    Examples
    --------
    >>> t = factor_table().set_index("factor_key")
    >>> float(t.loc["transport.hgv_average_laden", "value"])
    0.09752
    """
    return _factor_frame().copy()


@functools.cache
def _factors() -> dict[str, Factor]:
    return {
        str(r["factor_key"]): Factor(
            factor_key=str(r["factor_key"]),
            category=str(r["category"]),
            term=str(r["term"]),
            route=str(r["route"]),
            value=float(r["value"]),
            unit=str(r["unit"]),
            source=str(r["source"]),
            year=int(r["year"]),
            note=str(r["note"]),
        )
        for r in _factor_frame().to_dict("records")
    }


@functools.cache
def _primary_by_category() -> dict[str, Factor]:
    return {f.category: f for f in _factors().values() if f.term in _PRIMARY_TERMS}


@functools.cache
def _secondary_by_category() -> dict[str, Factor]:
    return {f.category: f for f in _factors().values() if f.term == "secondary_processing"}


@functools.cache
def _disposal_by_category_route() -> dict[tuple[str, str], Factor]:
    return {(f.category, f.route): f for f in _factors().values() if f.term == "disposal"}


@functools.cache
def _chain(key: str) -> tuple[str, ...]:
    """The key and its ancestors, nearest first."""
    if key not in taxonomy.CATEGORIES:
        raise UnknownCategory(f"material {key!r} is not a category key of the taxonomy")
    chain = [key]
    parent = taxonomy.CATEGORIES[key].parent
    while parent:
        chain.append(parent)
        parent = taxonomy.CATEGORIES[parent].parent
    return tuple(chain)


def production_factors(material_key: str) -> tuple[Factor | None, Factor | None]:
    """Return the (primary, secondary) production factors that apply to a material.

    The nearest category on the path from ``material_key`` to its top level that has a
    primary factor wins; the secondary-processing factor is taken from that same
    category (``None`` when the table has none, which counts as 0).

    Examples
    --------
    >>> primary, secondary = production_factors("plastics.pp")
    >>> primary.factor_key, secondary.value
    ('production.plastics.pp', 1303.58892)
    """
    primary_rows = _primary_by_category()
    for key in _chain(material_key):
        if key in primary_rows:
            return primary_rows[key], _secondary_by_category().get(key)
    return None, None


def disposal_factor(material_key: str, route: str | None) -> Factor | None:
    """Return the disposal factor of a material on its current route, or ``None``.

    Examples
    --------
    >>> disposal_factor("metals.aluminium", "landfill").factor_key
    'disposal.metals.landfill'
    >>> disposal_factor("metals", "land_spreading") is None
    True
    """
    if route is None:
        return None
    if route not in CURRENT_ROUTES:
        raise ValidationError(
            [Problem(f"current_route {route!r} is not one of {', '.join(CURRENT_ROUTES)}")]
        )
    rows = _disposal_by_category_route()
    for key in _chain(material_key):
        if (key, route) in rows:
            return rows[(key, route)]
    return None


def default_source_km(material_key: str) -> float:
    """Return the assumed road km of a need's current supply when the need does not say.

    Parameters
    ----------
    material_key : str
        Taxonomy key of the need's material; the nearest ancestor listed in
        :data:`DEFAULT_SOURCE_KM` wins, else :data:`FALLBACK_SOURCE_KM`.

    Examples
    --------
    >>> default_source_km("minerals.gypsum_fgd"), default_source_km("energy.steam")
    (200.0, 0.0)
    """
    for key in _chain(material_key):
        if key in DEFAULT_SOURCE_KM:
            return DEFAULT_SOURCE_KM[key]
    return FALLBACK_SOURCE_KM


def _density_t_per_m3(material_key: str) -> float:
    for key in _chain(material_key):
        density = taxonomy.CATEGORIES[key].density_t_per_m3
        if density is not None and density > 0:
            return float(density)
    return DEFAULT_DENSITY_T_PER_M3


def _piece_mass_t(material_key: str) -> float:
    # Pieces without a mass hint count as 0 t: no mass-based credit rather than a guess.
    for key in _chain(material_key):
        mass = taxonomy.CATEGORIES[key].mass_t_per_piece
        if mass is not None and mass > 0:
            return float(mass)
    return 0.0


def _is_piped(material_key: str) -> bool:
    """Heat, steam, water and CO2 always go by pipe; biogas and fuel gas by truck."""
    chain = _chain(material_key)
    return chain[-1] in PIPED_FAMILIES and not TRUCKED_GASES.intersection(chain)


def _mode_factor(mode: str) -> float:
    key = TRANSPORT_FACTOR_KEYS[mode]
    return 0.0 if key is None else _factors()[key].value


def travels_by_pipe(material_key: str) -> bool:
    """Whether a material always goes by pipe (heat, steam, water, CO2; not biogas).

    Examples
    --------
    >>> travels_by_pipe("energy.steam"), travels_by_pipe("energy.biogas")
    (True, False)
    """
    return _is_piped(material_key)


def transport_mode_codes(values: Any, *, column: str = "transport_mode") -> npt.NDArray[np.int8]:
    """Index into :data:`flows.schema.TRANSPORT_MODES` per value; empty or missing is truck.

    Raises
    ------
    flows.errors.ValidationError
        Naming every value that is not a transport mode.

    Examples
    --------
    >>> transport_mode_codes(["barge", None, "", "rail"]).tolist()
    [1, 0, 0, 2]
    """
    problems: list[Problem] = []
    index = _mode_indices(column, _as_1d(column, values, problems), problems)
    if problems:
        raise ValidationError(problems)
    return index


def exchange_transport_mode(offer_mode: Any, need_mode: Any) -> Any:
    """Return the mode an exchange travels by, from the modes its two listings state.

    Barge, rail, sea and pipeline need the quay, siding, port or pipe at both ends, so an
    exchange uses one only when offer and need state the same mode; otherwise it goes by
    truck (empty counts as truck). Works on two strings or two equal-length array-likes
    (then returns an object array). Materials that always go by pipe (heat, steam, water,
    CO2) are piped whatever this returns; :func:`co2_per_unit` sees to that.

    Examples
    --------
    >>> exchange_transport_mode("barge", "barge"), exchange_transport_mode("barge", None)
    ('barge', 'truck')
    >>> exchange_transport_mode(["rail", "sea"], ["rail", "truck"]).tolist()
    ['rail', 'truck']
    """
    if isinstance(offer_mode, str | None) and isinstance(need_mode, str | None):
        offer = offer_mode or DEFAULT_TRANSPORT_MODE
        return offer if offer == (need_mode or DEFAULT_TRANSPORT_MODE) else DEFAULT_TRANSPORT_MODE
    offer_modes = pd.Series(np.asarray(offer_mode, dtype=object)).fillna(DEFAULT_TRANSPORT_MODE)
    need_modes = pd.Series(np.asarray(need_mode, dtype=object)).fillna(DEFAULT_TRANSPORT_MODE)
    offer_modes = offer_modes.replace("", DEFAULT_TRANSPORT_MODE)
    need_modes = need_modes.replace("", DEFAULT_TRANSPORT_MODE)
    same = (offer_modes.to_numpy() == need_modes.to_numpy()).astype(bool)
    return np.where(same, offer_modes.to_numpy(dtype=object), DEFAULT_TRANSPORT_MODE).astype(object)


# --------------------------------------------------------------------------- validation


def _as_1d(name: str, values: Any, problems: list[Problem]) -> Any:
    if values is None or isinstance(values, str) or np.ndim(values) == 0:
        problems.append(Problem(f"{name} must be an array-like, got {values!r}", column=name))
        return np.empty(0, dtype=object)
    if isinstance(values, pd.Series | pd.Categorical | np.ndarray):
        return values
    return np.asarray(values, dtype=object)


def _codes(values: Any) -> tuple[Codes, list[object]]:
    """Integer codes and the distinct values that occur; categoricals are not expanded.

    A categorical's codes keep their small integer type: at millions of rows, widening
    them to 64 bits costs more than every look-up they serve.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.array
    if isinstance(values, pd.Categorical):
        codes: Codes = np.asarray(values.codes)
        categories = list(values.categories)
        # Only the categories that occur count: drop the unused ones in O(n).
        present = np.bincount(codes[codes >= 0], minlength=len(categories)) > 0
        if present.all():
            return codes, categories
        remap = np.r_[np.cumsum(present) - 1, -1].astype(codes.dtype)
        return remap[codes], [c for c, p in zip(categories, present, strict=True) if p]
    factorized, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return np.asarray(factorized, dtype=np.intp), list(uniques)


def _first_position(codes: Codes, code: int) -> int:
    return int(np.flatnonzero(codes == code)[0])


def _check_vocabulary(
    name: str,
    codes: Codes,
    uniques: list[object],
    allowed: Sequence[str],
    problems: list[Problem],
) -> None:
    for code, value in enumerate(uniques):
        if value not in allowed:
            at = _first_position(codes, code)
            count = int(np.count_nonzero(codes == code))
            problems.append(
                Problem(
                    f"{name} {value!r} (position {at}, {count} row(s)) is not one of "
                    f"{', '.join(allowed)}",
                    column=name,
                )
            )


def _check_materials(
    name: str, codes: Codes, uniques: list[object], problems: list[Problem]
) -> None:
    if (codes < 0).any():
        at = int(np.flatnonzero(codes < 0)[0])
        problems.append(Problem(f"{name} is missing (first at position {at})", column=name))
    for code, value in enumerate(uniques):
        if not isinstance(value, str) or value not in taxonomy.CATEGORIES:
            at = _first_position(codes, code)
            problems.append(
                Problem(
                    f"{name} {value!r} (position {at}) is not a category key of the taxonomy",
                    column=name,
                )
            )


def _blank_as_missing(codes: Codes, uniques: list[object]) -> tuple[Codes, list[object]]:
    """Treat empty strings (an empty spreadsheet cell) as missing."""
    if "" not in uniques:
        return codes, uniques
    blank = uniques.index("")
    remap = np.array([*range(blank), -1, *range(blank, len(uniques) - 1), -1], dtype=np.intp)
    return remap[codes], [u for u in uniques if u != ""]


def _floats(name: str, values: Any, problems: list[Problem]) -> FloatArray:
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return values.astype(np.float64, copy=False)
    if isinstance(values, pd.Series) and pd.api.types.is_numeric_dtype(values.dtype):
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    try:
        out = pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="raise")
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        problems.append(Problem(f"{name} must hold numbers (km) or be missing", column=name))
        return np.full(len(values), np.nan)


def _check_km(name: str, km: FloatArray, *, allow_missing: bool, problems: list[Problem]) -> None:
    bad = (km < 0) | np.isinf(km)
    if not allow_missing:
        bad |= np.isnan(km)
    if bad.any():
        at = int(np.flatnonzero(bad)[0])
        problems.append(
            Problem(
                f"{name} {float(km[at])!r} (position {at}, {int(bad.sum())} row(s)) must be a "
                f"finite number >= 0{'' if allow_missing else ' (missing is not allowed)'}",
                column=name,
            )
        )


# --------------------------------------------------------------------------- vectorised core


@dataclass(frozen=True)
class _Inputs:
    """Validated inputs of :func:`co2_per_unit`: integer codes per row, distinct values."""

    n: int
    offer_codes: Codes
    offer_keys: list[object]
    need_codes: Codes
    need_keys: list[object]
    unit_codes: Codes
    unit_values: list[object]
    route_codes: Codes
    route_values: list[object]
    source_codes: Codes
    source_values: list[object]
    source_km_given: FloatArray
    road_km: FloatArray
    #: Index into TRANSPORT_MODES of the exchange's mode and of today's supply, per row.
    mode_index: npt.NDArray[np.int8]
    source_mode_index: npt.NDArray[np.int8]


@dataclass(frozen=True)
class _Amounts:
    """What one unit of quantity carries, per row: tonnes, cubic metres, MWh."""

    mass_t: FloatArray
    volume_m3: FloatArray
    energy_mwh: FloatArray


def _validated_inputs(arguments: dict[str, Any]) -> _Inputs:
    """Check every argument of :func:`co2_per_unit`; raise with every problem at once."""
    problems: list[Problem] = []
    n_rows = len(arguments["road_km"]) if np.ndim(arguments["road_km"]) == 1 else 0
    for name in ("transport_mode", "source_transport_mode"):
        if arguments[name] is None:  # not given: every row by truck
            # Codes, not strings: factorising millions of equal strings costs seconds.
            arguments[name] = pd.Categorical.from_codes(
                np.full(n_rows, TRANSPORT_MODES.index(DEFAULT_TRANSPORT_MODE), dtype=np.int8),
                categories=pd.Index(TRANSPORT_MODES),
            )
    arrays = {name: _as_1d(name, values, problems) for name, values in arguments.items()}
    if problems:
        raise ValidationError(problems)
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValidationError(
            [
                Problem(
                    "all arguments must have the same length, got "
                    + ", ".join(f"{k}={v}" for k, v in lengths.items())
                )
            ]
        )
    offer_codes, offer_keys = _codes(arrays["offer_material"])
    need_codes, need_keys = _codes(arrays["need_material"])
    unit_codes, unit_values = _codes(arrays["unit"])
    route_codes, route_values = _blank_as_missing(*_codes(arrays["current_route"]))
    source_codes, source_values = _blank_as_missing(*_codes(arrays["current_source"]))
    _check_materials("offer_material", offer_codes, offer_keys, problems)
    _check_materials("need_material", need_codes, need_keys, problems)
    if (unit_codes < 0).any():
        problems.append(Problem("unit is missing", column="unit"))
    _check_vocabulary("unit", unit_codes, unit_values, UNITS, problems)
    _check_vocabulary("current_route", route_codes, route_values, CURRENT_ROUTES, problems)
    _check_vocabulary("current_source", source_codes, source_values, CURRENT_SOURCES, problems)
    mode_index = _mode_indices("transport_mode", arrays["transport_mode"], problems)
    source_mode_index = _mode_indices(
        "source_transport_mode", arrays["source_transport_mode"], problems
    )
    source_km_given = _floats("source_km", arrays["source_km"], problems)
    road = _floats("road_km", arrays["road_km"], problems)
    _check_km("source_km", source_km_given, allow_missing=True, problems=problems)
    _check_km("road_km", road, allow_missing=False, problems=problems)
    if problems:
        raise ValidationError(problems)
    return _Inputs(
        n=lengths["offer_material"],
        offer_codes=offer_codes,
        offer_keys=offer_keys,
        need_codes=need_codes,
        need_keys=need_keys,
        unit_codes=unit_codes,
        unit_values=unit_values,
        route_codes=route_codes,
        route_values=route_values,
        source_codes=source_codes,
        source_values=source_values,
        source_km_given=source_km_given,
        road_km=road,
        mode_index=mode_index,
        source_mode_index=source_mode_index,
    )


def _mode_indices(name: str, values: Any, problems: list[Problem]) -> npt.NDArray[np.int8]:
    """Index into TRANSPORT_MODES per row; empty or missing is truck."""
    codes, uniques = _blank_as_missing(*_codes(values))
    _check_vocabulary(name, codes, uniques, TRANSPORT_MODES, problems)
    default = TRANSPORT_MODES.index(DEFAULT_TRANSPORT_MODE)
    index = np.array(
        [TRANSPORT_MODES.index(str(u)) if u in TRANSPORT_MODES else default for u in uniques]
        + [default],
        dtype=np.int8,
    )
    result: npt.NDArray[np.int8] = index[codes]  # code -1 (missing) picks the default
    return result


def _amounts(rows: _Inputs) -> _Amounts:
    """Mass, volume and energy of one unit: fixed per unit name, else from the offer."""
    offer_density = np.array([_density_t_per_m3(str(k)) for k in rows.offer_keys], dtype=np.float64)
    offer_piece = np.array([_piece_mass_t(str(k)) for k in rows.offer_keys], dtype=np.float64)
    unit_names = [str(u) for u in rows.unit_values]
    fixed_mass = np.array([_MASS_T_OF_UNIT.get(u, 0.0) for u in unit_names], dtype=np.float64)
    is_m3 = np.array([u == "m3" for u in unit_names], dtype=bool)[rows.unit_codes]
    is_pcs = np.array([u == "pcs" for u in unit_names], dtype=bool)[rows.unit_codes]
    is_mwh = np.array([u == "MWh" for u in unit_names], dtype=bool)[rows.unit_codes]
    density = offer_density[rows.offer_codes]
    mass_t = np.where(
        is_m3,
        density,
        np.where(is_pcs, offer_piece[rows.offer_codes], fixed_mass[rows.unit_codes]),
    )
    return _Amounts(
        mass_t=mass_t,
        volume_m3=np.where(is_m3, 1.0, mass_t / density),
        energy_mwh=is_mwh.astype(np.float64),
    )


def _avoided_production(
    rows: _Inputs, amounts: _Amounts, key_index: dict[str, int], *, symbiosis_credits: bool
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Term P: primary production of the need's material minus making it from secondary.

    Where a symbiosis credit exists for the (offer, need) pair (:mod:`flows.symbiosis`)
    it replaces that difference: its kg CO2e per tonne of the offer. Zero when the need
    already uses secondary material. Returns the kg CO2e per unit and the index (into
    ``key_index``) of the production factor or credit used, -1 for none.
    """
    need_saving = np.zeros(len(rows.need_keys), dtype=np.float64)
    need_basis = np.zeros(len(rows.need_keys), dtype=np.intp)
    need_key = np.full(len(rows.need_keys), -1, dtype=np.intp)
    for i, key in enumerate(rows.need_keys):
        primary, secondary = production_factors(str(key))
        if primary is not None:
            need_saving[i] = primary.value - (secondary.value if secondary else 0.0)
            need_basis[i] = _BASIS_OF_UNIT[primary.unit]
            need_key[i] = key_index[primary.factor_key]
    is_secondary = np.array([v == "secondary" for v in rows.source_values] + [False], dtype=bool)
    already_secondary = is_secondary[rows.source_codes]  # code -1 (unknown) picks the False
    # The amount the need's factor counts per row: mass, volume or energy (_BASIS_OF_UNIT).
    amount = np.choose(
        need_basis[rows.need_codes], (amounts.mass_t, amounts.volume_m3, amounts.energy_mwh)
    )
    avoided = need_saving[rows.need_codes] * amount
    factor_index = need_key[rows.need_codes]
    if symbiosis_credits:
        credit_per_t, credit_key = _credit_matrix(rows, key_index)
        has_pair = ~np.isnan(credit_per_t)
        if has_pair.any():
            # Few rows have a credit: find them with a one-byte look-up, then fix them up.
            credited = np.flatnonzero(has_pair[rows.offer_codes, rows.need_codes])
            offer_at, need_at = rows.offer_codes[credited], rows.need_codes[credited]
            avoided[credited] = credit_per_t[offer_at, need_at] * amounts.mass_t[credited]
            factor_index[credited] = credit_key[offer_at, need_at]
    avoided[already_secondary] = 0.0
    return avoided, np.where(already_secondary, -1, factor_index)


def _credit_matrix(
    rows: _Inputs, key_index: dict[str, int]
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Symbiosis credit (kg CO2e/t, NaN for none) and its key, per distinct offer x need."""
    value = np.full((len(rows.offer_keys), len(rows.need_keys)), np.nan, dtype=np.float64)
    key = np.full((len(rows.offer_keys), len(rows.need_keys)), -1, dtype=np.intp)
    for i, offer_key in enumerate(rows.offer_keys):
        for j, need_key in enumerate(rows.need_keys):
            credit = symbiosis.credit_for(str(offer_key), str(need_key))
            if credit is not None:
                value[i, j] = credit.co2e_kg_per_t
                key[i, j] = key_index[credit.key]
    return value, key


def _avoided_disposal(
    rows: _Inputs, mass_t: FloatArray, key_index: dict[str, int]
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Term D: the offer's current route, per tonne; an unknown route earns nothing."""
    disposal_value = np.zeros((len(rows.offer_keys), len(CURRENT_ROUTES)), dtype=np.float64)
    disposal_key = np.full((len(rows.offer_keys), len(CURRENT_ROUTES)), -1, dtype=np.intp)
    for i, key in enumerate(rows.offer_keys):
        for j, route in enumerate(CURRENT_ROUTES):
            factor = disposal_factor(str(key), route)
            if factor is not None:
                disposal_value[i, j] = factor.value
                disposal_key[i, j] = key_index[factor.factor_key]
    route_index = np.array([CURRENT_ROUTES.index(str(r)) for r in rows.route_values] + [-1])
    route_of_row = route_index[rows.route_codes]  # code -1 (missing) picks the -1
    has_route = route_of_row >= 0
    safe_route = np.maximum(route_of_row, 0)
    avoided = np.where(has_route, disposal_value[rows.offer_codes, safe_route], 0.0) * mass_t
    return avoided, np.where(has_route, disposal_key[rows.offer_codes, safe_route], -1)


@dataclass(frozen=True)
class _Transport:
    """Terms T and S per unit, with the distances they use."""

    transport: FloatArray
    avoided_transport: FloatArray
    source_km_used: FloatArray
    tonne_km_saved: FloatArray


def _transport(rows: _Inputs, mass_t: FloatArray) -> _Transport:
    """Terms T and S: freight of the exchange and of the need's current supply.

    Each side uses its mode's tonne-km factor (truck, barge, rail, sea; a pipeline emits
    nothing). Materials that always go by pipe move by pipe on both sides: no freight
    mass, no supply distance.
    """
    offer_piped = np.array([_is_piped(str(k)) for k in rows.offer_keys], dtype=bool)
    need_piped = np.array([_is_piped(str(k)) for k in rows.need_keys], dtype=bool)
    need_default_km = np.array(
        [default_source_km(str(k)) for k in rows.need_keys], dtype=np.float64
    )
    piped = offer_piped[rows.offer_codes] | need_piped[rows.need_codes]
    given = rows.source_km_given
    km_used = np.where(np.isnan(given), need_default_km[rows.need_codes], given)
    km_used[piped] = 0.0
    # Most rows go by truck both ways: compute them as one, then redo the few others.
    truck = _mode_factor(DEFAULT_TRANSPORT_MODE)
    road_mass_t = np.where(piped, 0.0, mass_t)
    transport = rows.road_km * truck * road_mass_t
    avoided_transport = km_used * truck * road_mass_t
    tonne_km_saved = (km_used - rows.road_km) * road_mass_t
    other = np.flatnonzero((rows.mode_index != _TRUCK) | (rows.source_mode_index != _TRUCK))
    if other.size:
        factor = np.array([_mode_factor(mode) for mode in TRANSPORT_MODES], dtype=np.float64)
        mode, source_mode = rows.mode_index[other], rows.source_mode_index[other]
        exchange_mass_t = np.where(mode == _PIPELINE, 0.0, road_mass_t[other])
        source_mass_t = np.where(source_mode == _PIPELINE, 0.0, road_mass_t[other])
        road, km = rows.road_km[other], km_used[other]
        transport[other] = road * factor[mode] * exchange_mass_t
        avoided_transport[other] = km * factor[source_mode] * source_mass_t
        tonne_km_saved[other] = km * source_mass_t - road * exchange_mass_t
    return _Transport(
        transport=transport,
        avoided_transport=avoided_transport,
        source_km_used=km_used,
        tonne_km_saved=tonne_km_saved,
    )


def co2_per_unit(
    *,
    offer_material: Any,
    need_material: Any,
    unit: Any,
    current_route: Any,
    current_source: Any,
    source_km: Any,
    road_km: Any,
    transport_mode: Any = None,
    source_transport_mode: Any = None,
    symbiosis_credits: bool = True,
) -> pd.DataFrame:
    """Compute every CO2 term per ONE unit of quantity, for many candidate exchanges at once.

    Vectorised: the per-category look-ups run once per distinct category, everything
    else is numpy, so millions of rows are fine.

    Parameters
    ----------
    offer_material, need_material : array-like of str
        Taxonomy keys of the offered residual and of the need.
    unit : array-like of str
        Base unit of the quantity: ``t``, ``m3``, ``MWh`` or ``pcs`` (``kg`` is accepted).
    current_route : array-like of str or None
        Where the offer goes today (:data:`flows.schema.CURRENT_ROUTES`); missing earns no
        disposal credit.
    current_source : array-like of str or None
        Where the need is supplied from today: ``virgin`` or ``secondary``; missing means
        unknown and counts as virgin.
    source_km : array-like of float
        Road km of the need's current supply; NaN means :func:`default_source_km` of the
        need's material.
    road_km : array-like of float
        Road km of the exchange (already including circuity).
    transport_mode : array-like of str, optional
        How each exchange travels (:data:`flows.schema.TRANSPORT_MODES`, see
        :func:`exchange_transport_mode`); missing or empty is ``truck``, ``None`` means
        truck for every row.
    source_transport_mode : array-like of str, optional
        How the need's current supply travels; as ``transport_mode``.
    symbiosis_credits : bool
        Use the credits of :mod:`flows.symbiosis` for the pairs that have one (the
        default); ``False`` computes every pair with the generic production term, as
        before the credits existed (for comparisons).

    Returns
    -------
    pandas.DataFrame
        The :data:`RESULT_COLUMNS`, indexed like ``offer_material`` when it is a Series
        (all inputs are read by position). Factor keys are categoricals, missing when no
        factor applies (also the production key of a need supplied from secondary).

    Raises
    ------
    flows.errors.ValidationError
        With every problem found: unequal lengths, unknown categories, units, routes,
        sources, negative or missing distances.

    Examples
    --------
    >>> r = co2_per_unit(offer_material=["minerals"], need_material=["minerals"],
    ...     unit=["t"], current_route=["landfill"], current_source=[None],
    ...     source_km=[float("nan")], road_km=[10.0])
    >>> round(float(r["net_co2e_kg_per_unit"].iloc[0]), 5)
    9.69115
    """
    rows = _validated_inputs(
        {
            "offer_material": offer_material,
            "need_material": need_material,
            "unit": unit,
            "current_route": current_route,
            "current_source": current_source,
            "source_km": source_km,
            "road_km": road_km,
            "transport_mode": transport_mode,
            "source_transport_mode": source_transport_mode,
        }
    )
    all_keys = [*_factors(), *(credit.key for credit in symbiosis.credits())]
    key_index = {k: i for i, k in enumerate(all_keys)}
    amounts = _amounts(rows)
    production, production_key = _avoided_production(
        rows, amounts, key_index, symbiosis_credits=symbiosis_credits
    )
    disposal, disposal_key = _avoided_disposal(rows, amounts.mass_t, key_index)
    moved = _transport(rows, amounts.mass_t)

    index = offer_material.index if isinstance(offer_material, pd.Series) else pd.RangeIndex(rows.n)
    return pd.DataFrame(
        {
            "mass_t_per_unit": amounts.mass_t,
            "avoided_production_co2e_kg_per_unit": production,
            "avoided_disposal_co2e_kg_per_unit": disposal,
            "transport_co2e_kg_per_unit": moved.transport,
            "avoided_transport_co2e_kg_per_unit": moved.avoided_transport,
            "net_co2e_kg_per_unit": production
            + disposal
            - moved.transport
            + moved.avoided_transport,
            "source_km_used": moved.source_km_used,
            "tonne_km_saved_per_unit": moved.tonne_km_saved,
            "production_factor_key": pd.Categorical.from_codes(production_key, categories=all_keys),
            "disposal_factor_key": pd.Categorical.from_codes(disposal_key, categories=all_keys),
        },
        index=index,
        # The columns are fresh arrays: no need to copy them into one block.
        copy=False,
    )


# --------------------------------------------------------------------------- scalar view


def exchange_breakdown(
    *,
    offer_material: str,
    need_material: str,
    quantity: float,
    unit: str,
    current_route: str | None,
    current_source: str | None = None,
    source_km: float | None = None,
    road_km: float,
    transport_mode: str | None = None,
    source_transport_mode: str | None = None,
    symbiosis_credits: bool = True,
) -> dict[str, Any]:
    """Return the CO2 totals of one exchange and the factor rows they use.

    The scalar twin of :func:`co2_per_unit`, written out term by term for the
    explanation text and the web page; a property test keeps the two equal.

    Parameters
    ----------
    offer_material, need_material : str
        Taxonomy keys.
    quantity : float
        Quantity moved, in ``unit`` (per year in the engine's proposals).
    unit : str
        ``t``, ``kg``, ``m3``, ``MWh`` or ``pcs``.
    current_route : str or None
        Where the offer goes today.
    current_source : str or None
        ``virgin``, ``secondary`` or None (unknown, counts as virgin).
    source_km : float or None
        Road km of the need's current supply; None uses :func:`default_source_km`.
    road_km : float
        Road km of the exchange.
    transport_mode, source_transport_mode : str or None
        How the exchange and the need's current supply travel; None is truck.
    symbiosis_credits : bool
        As for :func:`co2_per_unit`.

    Returns
    -------
    dict
        ``mass_t``, ``road_km``, ``source_km_used``, ``source_km_is_default``, ``piped``,
        ``tonne_km``, ``tonne_km_current_supply``, ``tonne_km_saved``, the five CO2 terms
        in kg CO2e (``avoided_production_co2e_kg``, ``avoided_disposal_co2e_kg``,
        ``transport_co2e_kg``, ``avoided_transport_co2e_kg``, ``net_co2e_kg``) and
        ``factors``: the factor rows used, as dicts, each with its ``applied_to``.

    Examples
    --------
    >>> b = exchange_breakdown(offer_material="minerals", need_material="minerals",
    ...     quantity=100, unit="t", current_route="landfill", current_source="virgin",
    ...     source_km=50, road_km=12)
    >>> round(b["avoided_production_co2e_kg"], 3), round(b["transport_co2e_kg"], 3)
    (455.642, 117.024)
    """
    current_route = current_route or None  # an empty cell is unknown
    current_source = current_source or None
    problems: list[Problem] = []
    if not isinstance(quantity, numbers.Real) or math.isnan(quantity) or quantity < 0:
        problems.append(Problem(f"quantity {quantity!r} must be a number >= 0", column="quantity"))
    if problems:
        raise ValidationError(problems)
    # Validate with the same rules as the vectorised core (raises with every problem).
    co2_per_unit(
        offer_material=[offer_material],
        need_material=[need_material],
        unit=[unit],
        current_route=[current_route],
        current_source=[current_source],
        source_km=[math.nan if source_km is None else source_km],
        road_km=[road_km],
        transport_mode=[transport_mode],
        source_transport_mode=[source_transport_mode],
        symbiosis_credits=symbiosis_credits,
    )

    factors: list[dict[str, Any]] = []

    def used(factor: Factor, applied_to: str) -> None:
        factors.append(factor.as_dict() | {"applied_to": applied_to})

    density = _density_t_per_m3(offer_material)
    if unit in _MASS_T_OF_UNIT:
        mass_t = quantity * _MASS_T_OF_UNIT[unit]
    elif unit == "m3":
        mass_t = quantity * density
    elif unit == "pcs":
        mass_t = quantity * _piece_mass_t(offer_material)
    else:
        mass_t = 0.0
    volume_m3 = quantity if unit == "m3" else mass_t / density
    energy_mwh = quantity if unit == "MWh" else 0.0

    avoided_production = 0.0
    primary, secondary = production_factors(need_material)
    credit = symbiosis.credit_for(offer_material, need_material) if symbiosis_credits else None
    if credit is not None and current_source != "secondary":
        avoided_production = credit.co2e_kg_per_t * mass_t
        factors.append(
            credit.as_factor()
            | {"applied_to": f"{offer_material} replacing {need_material} ({mass_t:g} t)"}
        )
    elif primary is not None and current_source != "secondary":
        amount = {"kg CO2e/t": mass_t, "kg CO2e/m3": volume_m3, "kg CO2e/MWh": energy_mwh}[
            primary.unit
        ]
        per = primary.unit.split("/")[1]
        avoided_production = primary.value * amount
        used(primary, f"avoided production of {need_material} ({amount:g} {per})")
        if secondary is not None:
            avoided_production -= secondary.value * amount
            used(
                secondary,
                f"secondary processing of {need_material} ({amount:g} {per})",
            )

    avoided_disposal = 0.0
    disposal = disposal_factor(offer_material, current_route)
    if disposal is not None:
        avoided_disposal = disposal.value * mass_t
        used(disposal, f"avoided {current_route} of {offer_material} ({mass_t:g} t)")

    piped_material = _is_piped(offer_material) or _is_piped(need_material)
    mode = "pipeline" if piped_material else transport_mode or DEFAULT_TRANSPORT_MODE
    source_mode = "pipeline" if piped_material else source_transport_mode or DEFAULT_TRANSPORT_MODE
    source_km_is_default = source_km is None or math.isnan(source_km)
    km_used = default_source_km(need_material) if source_km_is_default else float(source_km or 0)
    if piped_material:
        km_used = 0.0
    tonne_km = road_km * (0.0 if mode == "pipeline" else mass_t)
    tonne_km_current = km_used * (0.0 if source_mode == "pipeline" else mass_t)
    transport = tonne_km * _mode_factor(mode)
    avoided_transport = tonne_km_current * _mode_factor(source_mode)
    for side, side_mode, side_tonne_km in (
        ("exchange", mode, tonne_km),
        ("current supply", source_mode, tonne_km_current),
    ):
        key = TRANSPORT_FACTOR_KEYS[side_mode]
        if key is not None and mass_t > 0 and not any(f["factor_key"] == key for f in factors):
            used(_factors()[key], f"{side_mode} transport of the {side} ({side_tonne_km:g} t.km)")
    piped = mode == "pipeline"

    return {
        "offer_material": offer_material,
        "need_material": need_material,
        "quantity": float(quantity),
        "unit": unit,
        "current_route": current_route,
        "current_source": "secondary" if current_source == "secondary" else "virgin",
        "mass_t": mass_t,
        "piped": piped,
        "transport_mode": mode,
        "source_transport_mode": source_mode,
        "road_km": float(road_km),
        "source_km_used": km_used,
        "source_km_is_default": source_km_is_default,
        "tonne_km": tonne_km,
        "tonne_km_current_supply": tonne_km_current,
        "tonne_km_saved": tonne_km_current - tonne_km,
        "avoided_production_co2e_kg": avoided_production,
        "avoided_disposal_co2e_kg": avoided_disposal,
        "transport_co2e_kg": transport,
        "avoided_transport_co2e_kg": avoided_transport,
        "net_co2e_kg": avoided_production + avoided_disposal - transport + avoided_transport,
        "factors": factors,
    }
