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
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, NamedTuple

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.crs import WGS84, check_lonlat
from geo.errors import InvalidCoordinates

__all__ = [
    "DATA_DIR",
    "REGION_MUNICIPALITY_CODES",
    "Municipality",
    "assign_municipalities",
    "cleantech_regio",
    "municipality_at",
    "netherlands_municipalities",
    "region_bounds",
    "region_geojson",
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
