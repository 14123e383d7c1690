"""Municipal boundaries: the Cleantech Regio and the whole Netherlands (CBS 2022).

The boundaries are the CBS *generalised* municipal polygons of 2022 (via PDOK), shipped
in ``geo/data`` (see ``geo/data/README.md``). Point-in-polygon answers within ~150 m of a
municipal border are uncertain because of the generalisation.

Examples
--------
>>> from geo.regions import municipality_at
>>> municipality_at(6.1593, 52.2525)  # PC4 7411, Deventer centre
Municipality(code='GM0150', name='Deventer', in_region=True)
>>> municipality_at(4.9041, 52.3710).name  # Amsterdam
'Amsterdam'
>>> municipality_at(2.35, 48.86) is None  # Paris
True
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.crs import RD_NEW, WGS84, check_lonlat, choose_metric_crs
from geo.errors import InvalidArgument, InvalidCoordinates

__all__ = [
    "DATA_DIR",
    "DEFAULT_SERVICE_AREA",
    "REGION_MUNICIPALITY_CODES",
    "Municipality",
    "ServiceArea",
    "assign_municipalities",
    "cleantech_regio",
    "municipality_at",
    "netherlands_municipalities",
    "region_bounds",
    "region_geojson",
    "service_area",
]

DATA_DIR: Final = Path(__file__).resolve().parent / "data"

REGION_MUNICIPALITY_CODES: Final = (
    "GM0200",  # Apeldoorn
    "GM0213",  # Brummen
    "GM0150",  # Deventer
    "GM0232",  # Epe
    "GM0246",  # Heerde
    "GM0262",  # Lochem
    "GM0285",  # Voorst
    "GM0301",  # Zutphen
)
"""CBS codes of the 8 Cleantech Regio municipalities, in alphabetical order of name."""

_REGION_FILE: Final = DATA_DIR / "cleantech_regio_municipalities.geojson"
_NATIONAL_FILE: Final = DATA_DIR / "nl_municipalities_2022.geojson"


class Municipality(NamedTuple):
    """A Dutch municipality: CBS code (``GM0150``), name, and Cleantech Regio membership."""

    code: str
    name: str
    in_region: bool


@lru_cache(maxsize=4)
def _load_feature_collection(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        collection: dict[str, Any] = json.load(fh)
    return collection


def _read_boundaries(path: Path, columns: list[str]) -> Any:
    features = _load_feature_collection(path)["features"]
    gdf = gpd.GeoDataFrame.from_features(features, crs=WGS84)
    return gdf[[*columns, "geometry"]]


@lru_cache(maxsize=1)
def _cleantech_regio() -> Any:
    return _read_boundaries(_REGION_FILE, ["gemeente_code", "name", "province", "area_km2"])


@lru_cache(maxsize=1)
def _netherlands_municipalities() -> Any:
    gdf = _read_boundaries(_NATIONAL_FILE, ["gemeente_code", "name", "in_cleantech_regio"])
    gdf["in_cleantech_regio"] = gdf["in_cleantech_regio"].astype(bool)
    return gdf.reset_index(drop=True)


def cleantech_regio() -> gpd.GeoDataFrame:
    """Return the 8 Cleantech Regio municipalities as a GeoDataFrame in WGS84.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``gemeente_code``, ``name``, ``province``, ``area_km2`` (land and water,
        computed in RD New) and ``geometry`` (MultiPolygon). A fresh copy each call.

    Examples
    --------
    >>> gdf = cleantech_regio()
    >>> len(gdf), round(float(gdf["area_km2"].sum()), 2)
    (8, 1183.59)
    """
    return _cleantech_regio().copy()


def netherlands_municipalities() -> gpd.GeoDataFrame:
    """Return all 345 Dutch municipalities of 2022 as a GeoDataFrame in WGS84.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``gemeente_code``, ``name``, ``in_cleantech_regio`` (bool) and
        ``geometry``. A fresh copy each call.

    Examples
    --------
    >>> gdf = netherlands_municipalities()
    >>> len(gdf), int(gdf["in_cleantech_regio"].sum())
    (345, 8)
    """
    return _netherlands_municipalities().copy()


@lru_cache(maxsize=1)
def _national_index() -> tuple[shapely.STRtree, Any]:
    gdf = _netherlands_municipalities()
    return shapely.STRtree(gdf.geometry.values), gdf


def assign_municipalities(lon: npt.ArrayLike, lat: npt.ArrayLike) -> pd.DataFrame:
    """Find the municipality containing each WGS84 point, vectorised (STRtree query).

    Parameters
    ----------
    lon, lat
        WGS84 degrees, scalars or 1-D arrays of equal length (or a pandas Series,
        whose index the result keeps).

    Returns
    -------
    pandas.DataFrame
        One row per point with ``gemeente_code`` and ``name`` (missing outside the
        Netherlands or for a NaN point) and ``in_cleantech_regio`` (bool, False outside).
        A point on a shared border gets one of the municipalities, deterministically.

    Raises
    ------
    InvalidCoordinates
        If values are out of range or the shapes differ.

    Examples
    --------
    >>> assign_municipalities([6.1593, 4.9041], [52.2525, 52.3710])
      gemeente_code       name  in_cleantech_regio
    0        GM0150   Deventer                True
    1        GM0363  Amsterdam               False
    """
    lon_arr, lat_arr = check_lonlat(lon, lat)
    lon_arr, lat_arr = np.atleast_1d(lon_arr), np.atleast_1d(lat_arr)
    if lon_arr.ndim != 1:
        raise InvalidCoordinates(f"lon/lat must be 1-D; got shape {lon_arr.shape}")
    tree, gdf = _national_index()
    points = shapely.points(lon_arr, lat_arr)
    point_idx, polygon_idx = tree.query(points, predicate="intersects")
    # A point on a shared border intersects two polygons: keep the lowest polygon index.
    order = np.lexsort((polygon_idx, point_idx))
    point_idx, polygon_idx = point_idx[order], polygon_idx[order]
    first = np.unique(point_idx, return_index=True)[1]
    match = np.full(len(points), -1, dtype=np.intp)
    match[point_idx[first]] = polygon_idx[first]
    found = match >= 0
    # reindex with -1 (absent from the RangeIndex) yields the column's own missing value,
    # so the code/name columns keep their string dtype.
    codes = gdf["gemeente_code"].reindex(match).to_numpy()
    names = gdf["name"].reindex(match).to_numpy()
    in_region = np.zeros(len(points), dtype=bool)
    in_region[found] = gdf["in_cleantech_regio"].to_numpy(dtype=bool)[match[found]]
    keep_index = isinstance(lon, pd.Series) and len(lon) == len(points)
    return pd.DataFrame(
        {
            "gemeente_code": pd.array(codes, dtype=gdf["gemeente_code"].dtype),
            "name": pd.array(names, dtype=gdf["name"].dtype),
            "in_cleantech_regio": in_region,
        },
        index=lon.index if keep_index else pd.RangeIndex(len(points)),  # type: ignore[union-attr]
    )


def municipality_at(lon: float, lat: float) -> Municipality | None:
    """Return the municipality containing one WGS84 point, or None outside the Netherlands.

    Examples
    --------
    >>> municipality_at(5.9609, 52.2130)
    Municipality(code='GM0200', name='Apeldoorn', in_region=True)
    """
    row = assign_municipalities([lon], [lat]).iloc[0]
    if pd.isna(row["gemeente_code"]):
        return None
    return Municipality(
        str(row["gemeente_code"]), str(row["name"]), bool(row["in_cleantech_regio"])
    )


def region_bounds() -> tuple[float, float, float, float]:
    """Return the Cleantech Regio bounding box as ``(min_lon, min_lat, max_lon, max_lat)``.

    Examples
    --------
    >>> [round(v, 2) for v in region_bounds()]
    [5.73, 52.06, 6.49, 52.45]
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in _cleantech_regio().total_bounds)
    return min_lon, min_lat, max_lon, max_lat


def region_geojson() -> dict[str, Any]:
    """Return the 8 region boundaries as a GeoJSON FeatureCollection dict (for the map).

    Coordinates are WGS84 lon/lat (RFC 7946, so no ``crs`` member); each feature's
    properties hold ``gemeente_code``, ``cbs_code``, ``name``, ``province``,
    ``boundary_year`` and ``area_km2``. A fresh deep copy each call.

    Examples
    --------
    >>> gj = region_geojson()
    >>> gj["type"], len(gj["features"])
    ('FeatureCollection', 8)
    """
    features = _load_feature_collection(_REGION_FILE)["features"]
    return {"type": "FeatureCollection", "features": copy.deepcopy(features)}


# ------------------------------------------------------------------------ service area
DEFAULT_SERVICE_AREA: Final = "NL"
"""The default of ``RESTSTROOM_SERVICE_AREA``: the Netherlands (plus the buffer)."""

_AREA_NAMES: Final = {
    "nl": "NL",
    "netherlands": "NL",
    "nederland": "NL",
    "cleantech_regio": "cleantech_regio",
    "region": "cleantech_regio",
    "world": "world",
    "any": "world",
}
_AREA_LABELS: Final = {
    "NL": "the Netherlands",
    "cleantech_regio": "the Cleantech Regio",
    "world": "anywhere",
}
# Buffers are computed in metres; the result is simplified to this tolerance (far below
# the ~150 m uncertainty of the generalised municipal boundaries near a border).
_SIMPLIFY_M: Final = 100.0


@dataclass(frozen=True)
class ServiceArea:
    """Where the web app expects sites to be: an area in WGS84 and a plausibility check.

    Attributes
    ----------
    key
        ``"NL"``, ``"cleantech_regio"``, ``"world"`` or ``"bbox"``.
    buffer_km
        The buffer around the area, in km.
    label
        English description for messages, e.g. ``"the Netherlands plus 50 km"``.
    geometry
        A shapely (Multi)Polygon in WGS84 lon/lat.
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of ``geometry``.
    """

    key: str
    buffer_km: float
    label: str
    geometry: Any
    bounds: tuple[float, float, float, float]

    def contains(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Any:
        """Return whether each WGS84 point lies in the area (bool, or a bool array).

        NaN points are never inside.

        Examples
        --------
        >>> area = service_area("NL")
        >>> area.contains(6.1593, 52.2525), area.contains(7.6261, 51.9607)  # Deventer, Münster
        (True, True)
        >>> area.contains([12.5683, 2.3522], [55.6761, 48.8566]).tolist()  # Copenhagen, Paris
        [False, False]
        """
        lon_arr, lat_arr = check_lonlat(lon, lat)
        if self.key == "world":
            inside = np.isfinite(lon_arr) & np.isfinite(lat_arr)
        else:
            inside = shapely.contains_xy(self.geometry, lon_arr, lat_arr)
        return bool(inside) if np.ndim(inside) == 0 else np.asarray(inside, dtype=bool)

    def outside_message(self, lon: float, lat: float) -> str | None:
        """Return why a point is implausible (naming the point and the area), or None.

        Examples
        --------
        >>> message = service_area("NL").outside_message(12.5683, 55.6761)  # Copenhagen
        >>> print(message)  # doctest: +NORMALIZE_WHITESPACE
        the point (lon 12.5683, lat 55.6761) lies outside the service area
        (the Netherlands plus 50 km)
        >>> service_area("NL").outside_message(6.1593, 52.2525) is None
        True
        """
        if self.contains(lon, lat):
            return None
        return (
            f"the point (lon {lon:.4f}, lat {lat:.4f}) lies outside the service area ({self.label})"
        )


def service_area(
    name_or_bbox: str | tuple[float, float, float, float] = DEFAULT_SERVICE_AREA,
    *,
    buffer_km: float = 50.0,
) -> ServiceArea:
    """Return a service area: a named area or a lon/lat box, plus a buffer.

    Parameters
    ----------
    name_or_bbox
        ``"NL"`` (also ``netherlands``, ``nederland``: the union of the 345 municipal
        boundaries), ``"cleantech_regio"`` (``region``), ``"world"`` (``any``: no
        check), or a box ``(min_lon, min_lat, max_lon, max_lat)`` in WGS84 degrees,
        also as the text ``"3.2,50.7,7.3,53.6"`` (the form of the
        ``RESTSTROOM_SERVICE_AREA`` setting).
    buffer_km
        Buffer around the area in km (>= 0), computed in metres: in RD New
        (EPSG:28992) for the Dutch areas, in :func:`geo.crs.choose_metric_crs` of the
        box otherwise. The default 50 km lets German and Belgian partners near the
        border take part.

    Returns
    -------
    ServiceArea
        Computed once per argument set (cached).

    Raises
    ------
    InvalidArgument
        If the name is unknown, the box malformed, or ``buffer_km`` negative.

    Examples
    --------
    >>> area = service_area("NL", buffer_km=50)
    >>> area.label
    'the Netherlands plus 50 km'
    >>> [round(v, 1) for v in area.bounds]
    [2.6, 50.3, 8.0, 54.0]
    >>> service_area("5.7,52.0,6.5,52.5", buffer_km=0).contains(6.16, 52.25)
    True
    """
    if isinstance(buffer_km, bool) or not isinstance(buffer_km, int | float):
        raise InvalidArgument(f"buffer_km {buffer_km!r} must be a number of km >= 0")
    if not (math.isfinite(buffer_km) and buffer_km >= 0):
        raise InvalidArgument(f"buffer_km {buffer_km!r} must be a number of km >= 0")
    if isinstance(name_or_bbox, str):
        text = name_or_bbox.strip()
        key = _AREA_NAMES.get(text.casefold())
        if key is not None:
            return _named_area(key, float(buffer_km))
        if "," not in text:
            raise InvalidArgument(
                f"service area {name_or_bbox!r} is not one of NL, cleantech_regio, world "
                "or a box 'min_lon,min_lat,max_lon,max_lat' in WGS84 degrees"
            )
        try:
            parts: tuple[float, ...] = tuple(float(part) for part in text.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 4:
            raise InvalidArgument(
                f"service area {name_or_bbox!r} is not a box 'min_lon,min_lat,max_lon,max_lat' "
                "of four numbers in WGS84 degrees"
            )
        return _box_area(_checked_box(parts, name_or_bbox), float(buffer_km))
    return _box_area(
        _checked_box(tuple(float(v) for v in name_or_bbox), name_or_bbox), float(buffer_km)
    )


def _checked_box(box: tuple[float, ...], given: object) -> tuple[float, float, float, float]:
    if len(box) != 4:
        raise InvalidArgument(f"service area box {given!r} must have four numbers")
    min_lon, min_lat, max_lon, max_lat = box
    try:
        check_lonlat([min_lon, max_lon], [min_lat, max_lat])
    except InvalidCoordinates as error:
        raise InvalidArgument(f"service area box {given!r}: {error}") from error
    if not (min_lon < max_lon and min_lat < max_lat):
        raise InvalidArgument(
            f"service area box {given!r} must be min_lon,min_lat,max_lon,max_lat with min < max"
        )
    return min_lon, min_lat, max_lon, max_lat


def _label(base: str, buffer_km: float) -> str:
    return base if buffer_km == 0 else f"{base} plus {buffer_km:g} km"


@lru_cache(maxsize=8)
def _named_area(key: str, buffer_km: float) -> ServiceArea:
    if key == "world":
        world = shapely.box(-180.0, -90.0, 180.0, 90.0)
        return ServiceArea("world", 0.0, _AREA_LABELS["world"], world, (-180.0, -90.0, 180.0, 90.0))
    source = _netherlands_municipalities() if key == "NL" else _cleantech_regio()
    metric = source.geometry.to_crs(RD_NEW)
    union = shapely.union_all(shapely.make_valid(metric.values))
    return _finish(key, union, RD_NEW, buffer_km, _label(_AREA_LABELS[key], buffer_km))


@lru_cache(maxsize=8)
def _box_area(box: tuple[float, float, float, float], buffer_km: float) -> ServiceArea:
    min_lon, min_lat, max_lon, max_lat = box
    crs = choose_metric_crs(lon=[min_lon, max_lon], lat=[min_lat, max_lat])
    lonlat = gpd.GeoSeries([shapely.box(*box).segmentize(0.05)], crs=WGS84)
    metric = lonlat.to_crs(crs).iloc[0]
    label = _label(
        f"the box lon {min_lon:g} to {max_lon:g}, lat {min_lat:g} to {max_lat:g}", buffer_km
    )
    return _finish("bbox", metric, crs, buffer_km, label)


def _finish(key: str, metric: Any, crs: str, buffer_km: float, label: str) -> ServiceArea:
    if buffer_km > 0:
        metric = metric.buffer(buffer_km * 1000.0, quad_segs=16)
    metric = metric.simplify(_SIMPLIFY_M)
    geometry = gpd.GeoSeries([metric], crs=crs).to_crs(WGS84).iloc[0]
    shapely.prepare(geometry)
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in geometry.bounds)
    return ServiceArea(key, buffer_km, label, geometry, (min_lon, min_lat, max_lon, max_lat))
