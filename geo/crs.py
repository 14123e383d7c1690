"""Coordinate reference systems: which metric CRS to use, and the guard that refuses degrees.

Reststroom stores every location as WGS84 longitude/latitude (:data:`WGS84`) and measures
in metres in a projected CRS chosen by :func:`choose_metric_crs`: RD New (:data:`RD_NEW`,
EPSG:28992) in and near the Netherlands, the UTM zone of the data's centre elsewhere, or
ETRS89-LAEA Europe (:data:`ETRS89_LAEA`, EPSG:3035) for data spread over Europe.
:func:`require_metric` is the one guard that every metric
operation (distance, buffer, area) goes through, so degrees are never mistaken for metres.

Examples
--------
>>> from geo.crs import RD_NEW, metric_crs_for
>>> metric_crs_for(6.16, 52.25) == RD_NEW  # Deventer
True
>>> metric_crs_for(-3.70, 40.42)  # Madrid
'EPSG:32630'
>>> choose_metric_crs(lon=[-3.70, 24.94], lat=[40.42, 60.17])  # Madrid and Helsinki
'EPSG:3035'
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError

from geo.errors import GeoError, GeographicCRSError, InvalidCoordinates, MissingCRSError

__all__ = [
    "ETRS89_LAEA",
    "EUROPE_BOUNDS_LONLAT",
    "NL_BOUNDS_LONLAT",
    "RD_NEW",
    "WGS84",
    "CRSLike",
    "check_lonlat",
    "choose_metric_crs",
    "metric_crs_for",
    "min_scale_factor",
    "require_metric",
    "to_metric",
]

WGS84: Final = "EPSG:4326"
"""WGS84 longitude/latitude in degrees: how every location is stored."""

RD_NEW: Final = "EPSG:28992"
"""Amersfoort / RD New, the Dutch national grid in metres: how distances are measured in NL."""

NL_BOUNDS_LONLAT: Final = (3.2, 50.75, 7.22, 53.7)
"""``(min_lon, min_lat, max_lon, max_lat)``: the area of use of EPSG:28992 (PROJ database)."""

ETRS89_LAEA: Final = "EPSG:3035"
"""ETRS89 / LAEA Europe (Lambert azimuthal equal-area, centre 10 E 52 N), in metres."""

EUROPE_BOUNDS_LONLAT: Final = (-35.58, 24.6, 44.83, 84.73)
"""``(min_lon, min_lat, max_lon, max_lat)``: the area of use of EPSG:3035 (PROJ database)."""

# RD New is an oblique stereographic projection centred on Amersfoort; its scale error
# stays below 0.03 % up to ~200 km from the centre, so firms just across the German or
# Belgian border are still measured well in it.
_RD_MARGIN_DEG: Final = 0.5

CRSLike = str | int | CRS
"""A CRS given as ``"EPSG:28992"``, ``28992`` or a :class:`pyproj.CRS`."""

FloatArray = npt.NDArray[np.float64]
_Geo = TypeVar("_Geo")


def check_lonlat(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, names: tuple[str, str] = ("lon", "lat")
) -> tuple[FloatArray, FloatArray]:
    """Return ``lon`` and ``lat`` as broadcast float64 arrays, refusing out-of-range degrees.

    NaN is allowed (a missing location) and passes through; infinities and values outside
    ``[-180, 180]`` / ``[-90, 90]`` raise.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in WGS84 degrees: scalars or array-likes of the same
        (or broadcastable) shape.
    names
        Argument names to use in error messages, e.g. ``("lon1", "lat1")``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` as float64 arrays of the broadcast shape.

    Raises
    ------
    InvalidCoordinates
        If the values are not numbers, do not broadcast, or are out of range.

    Examples
    --------
    >>> lon, lat = check_lonlat([6.16, 5.96], 52.2)
    >>> lat.tolist()
    [52.2, 52.2]
    """
    lon_name, lat_name = names
    try:
        lon_arr = np.asarray(lon, dtype=np.float64)
        lat_arr = np.asarray(lat, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidCoordinates(
            f"{lon_name}/{lat_name} must be numbers in WGS84 degrees: {exc}"
        ) from exc
    try:
        lon_arr, lat_arr = np.broadcast_arrays(lon_arr, lat_arr)
    except ValueError as exc:
        raise InvalidCoordinates(
            f"{lon_name} has shape {lon_arr.shape} and {lat_name} has shape {lat_arr.shape}; "
            "they must have the same shape (or broadcast)"
        ) from exc
    problems = [
        msg
        for msg in (
            _out_of_range(lon_arr, name=lon_name, limit=180.0),
            _out_of_range(lat_arr, name=lat_name, limit=90.0),
        )
        if msg
    ]
    if problems:
        raise InvalidCoordinates(
            "; ".join(problems) + f" (WGS84 degrees; are {lon_name} and {lat_name} swapped?)"
        )
    return lon_arr, lat_arr


def _out_of_range(values: FloatArray, *, name: str, limit: float) -> str:
    # NaN compares False on both sides, so missing values are never reported here.
    bad = (values < -limit) | (values > limit) | np.isinf(values)
    if not bad.any():
        return ""
    first = float(values[bad].flat[0])
    return f"{name} has {int(bad.sum())} value(s) outside [-{limit:g}, {limit:g}], e.g. {first!r}"


def metric_crs_for(lon: npt.ArrayLike, lat: npt.ArrayLike) -> str:
    """Choose a metric CRS for points with the default options of :func:`choose_metric_crs`.

    Examples
    --------
    >>> metric_crs_for([5.96, 6.16], [52.21, 52.25])
    'EPSG:28992'
    >>> metric_crs_for(151.21, -33.87)  # Sydney
    'EPSG:32756'
    """
    return choose_metric_crs(lon=lon, lat=lat)


def choose_metric_crs(
    *,
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    rd_margin_deg: float = _RD_MARGIN_DEG,
    max_utm_zones: int = 2,
) -> str:
    """Choose the projected CRS in which to measure a set of WGS84 points.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, scalars or arrays. NaN values are ignored.
    rd_margin_deg
        How far (degrees) beyond the RD New area of use (:data:`NL_BOUNDS_LONLAT`) points
        may lie and still be measured in RD New; 0.5 takes in the German and Belgian
        border regions, where RD New's scale error stays below 0.03 %.
    max_utm_zones
        Widest spread, in 6-degree UTM zones, measured in one UTM zone. Wider data
        inside Europe goes to ETRS89-LAEA.

    Returns
    -------
    str
        ``"EPSG:28992"`` (RD New) when every point lies in or near the Netherlands;
        otherwise, when the points span at most ``max_utm_zones`` UTM zones, the WGS84
        UTM zone (``"EPSG:326xx"`` north, ``"EPSG:327xx"`` south) of the centre of their
        bounding box, as :meth:`geopandas.GeoSeries.estimate_utm_crs` chooses it; else
        ``"EPSG:3035"`` (ETRS89-LAEA) when every point lies in Europe
        (:data:`EUROPE_BOUNDS_LONLAT`); else the UTM zone of the centre (data spread
        over continents has no good single projection: measure it geodesically).

    Raises
    ------
    InvalidCoordinates
        If no point has finite coordinates, or a value is out of range.
    ValueError
        If an option is out of range.

    Examples
    --------
    >>> choose_metric_crs(lon=[5.96, 6.16], lat=[52.21, 52.25])  # Apeldoorn, Deventer
    'EPSG:28992'
    >>> choose_metric_crs(lon=[8.2, 12.6], lat=[56.1, 55.7])  # Herning, Copenhagen
    'EPSG:32632'
    >>> choose_metric_crs(lon=[-8.6, 24.9], lat=[41.1, 60.2])  # Porto, Helsinki
    'EPSG:3035'
    """
    if not rd_margin_deg >= 0:
        raise ValueError(f"rd_margin_deg {rd_margin_deg!r} must be a number >= 0")
    if isinstance(max_utm_zones, bool) or not isinstance(max_utm_zones, int) or max_utm_zones < 1:
        raise ValueError(f"max_utm_zones {max_utm_zones!r} must be a positive integer")
    lon_arr, lat_arr = check_lonlat(lon, lat)
    finite = np.isfinite(lon_arr) & np.isfinite(lat_arr)
    if not finite.any():
        raise InvalidCoordinates(
            "choose_metric_crs needs at least one point with finite lon/lat; got none"
        )
    lon_f, lat_f = lon_arr[finite], lat_arr[finite]
    if _within_rd_area(lon_f, lat_f, margin_deg=rd_margin_deg).all():
        return RD_NEW
    min_lon, max_lon = float(lon_f.min()), float(lon_f.max())
    min_lat, max_lat = float(lat_f.min()), float(lat_f.max())
    lon_centre, lat_centre = (min_lon + max_lon) / 2.0, (min_lat + max_lat) / 2.0
    zones = _utm_number(max_lon) - _utm_number(min_lon) + 1
    if zones > max_utm_zones:
        e_min_lon, e_min_lat, e_max_lon, e_max_lat = EUROPE_BOUNDS_LONLAT
        in_europe = (
            e_min_lon <= min_lon
            and max_lon <= e_max_lon
            and e_min_lat <= min_lat
            and max_lat <= e_max_lat
        )
        if in_europe:
            return ETRS89_LAEA
    return _utm_zone(lon_centre, lat_centre)


def _utm_number(lon: float) -> int:
    return min(int((lon + 180.0) // 6.0) + 1, 60)


def min_scale_factor(crs: CRSLike, lon: npt.ArrayLike, lat: npt.ArrayLike) -> float:
    """Return the smallest point scale factor of ``crs`` at the given points.

    A distance measured in ``crs`` between two of the points is at least this factor
    times the true (ellipsoidal) distance, up to the curvature of the segment, so a
    search radius divided by it misses no pair.

    Examples
    --------
    >>> round(min_scale_factor("EPSG:32632", 9.0, 56.0), 4)  # on the central meridian
    0.9996
    """
    from pyproj import Proj

    lon_arr, lat_arr = check_lonlat(lon, lat)
    finite = np.isfinite(lon_arr) & np.isfinite(lat_arr)
    if not finite.any():
        return 1.0
    factors = Proj(CRS.from_user_input(crs)).get_factors(
        lon_arr[finite], lat_arr[finite], errcheck=False
    )
    semiminor = np.asarray(factors.tissot_semiminor, dtype=np.float64)
    semiminor = semiminor[np.isfinite(semiminor)]
    return float(semiminor.min()) if semiminor.size else 1.0


def _within_rd_area(
    lon: FloatArray, lat: FloatArray, *, margin_deg: float = _RD_MARGIN_DEG
) -> npt.NDArray[np.bool_]:
    min_lon, min_lat, max_lon, max_lat = NL_BOUNDS_LONLAT
    m = margin_deg
    inside: npt.NDArray[np.bool_] = (
        (lon >= min_lon - m) & (lon <= max_lon + m) & (lat >= min_lat - m) & (lat <= max_lat + m)
    )
    return inside


@lru_cache(maxsize=256)
def _utm_zone(lon: float, lat: float) -> str:
    found = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            west_lon_degree=lon, south_lat_degree=lat, east_lon_degree=lon, north_lat_degree=lat
        ),
    )
    if not found:  # pragma: no cover - the PROJ database covers the whole globe
        raise GeoError(f"no UTM zone found for lon={lon!r}, lat={lat!r}")
    return f"{found[0].auth_name}:{found[0].code}"


def require_metric(obj: Any, *, name: str = "data") -> CRS:
    """Return the CRS of ``obj`` if it measures in metres; refuse degrees loudly.

    This is the guard in front of every distance, buffer and area computation.

    Parameters
    ----------
    obj
        A GeoDataFrame, GeoSeries (anything with a ``.crs``), a :class:`pyproj.CRS`,
        an ``"AUTH:CODE"`` string or an EPSG integer.
    name
        The argument name to use in the error message.

    Returns
    -------
    pyproj.CRS
        The CRS, known to be projected with metre axes and not a Mercator projection.

    Raises
    ------
    MissingCRSError
        If ``obj`` has no CRS (``.crs is None``), so its units are unknown.
    GeographicCRSError
        If the CRS is geographic (degrees), not projected, not in metres, or a Mercator
        projection (Web Mercator "metres" are 1.6 times too long in the Netherlands).
    GeoError
        If ``obj`` is not something a CRS can be read from.

    Examples
    --------
    >>> require_metric("EPSG:28992").name
    'Amersfoort / RD New'
    >>> require_metric("EPSG:4326", name="offers")
    Traceback (most recent call last):
    ...
    geo.errors.GeographicCRSError: offers is in the geographic CRS EPSG:4326 (WGS 84), ...
    """
    if isinstance(obj, str | int | CRS):
        return _checked_metric_crs(obj, name)
    if hasattr(obj, "crs"):
        crs = obj.crs
        if crs is None:
            raise MissingCRSError(
                f"{name} has no CRS, so its units are unknown; set one with "
                f"{name}.set_crs({WGS84!r}) for lon/lat degrees, then project with "
                f"geo.to_metric({name})"
            )
        return _checked_metric_crs(CRS.from_user_input(crs), name)
    raise GeoError(
        f"{name} must be a GeoDataFrame, GeoSeries, pyproj.CRS, 'AUTH:CODE' string or EPSG "
        f"integer; got {type(obj).__name__}"
    )


@lru_cache(maxsize=64)
def _checked_metric_crs(user_input: CRSLike, name: str) -> CRS:
    try:
        crs = CRS.from_user_input(user_input)
    except CRSError as exc:
        raise GeoError(f"{name}: {user_input!r} is not a CRS pyproj knows: {exc}") from exc
    label = _label(crs)
    advice = f"project first with geo.to_metric(...) (RD New {RD_NEW} in the Netherlands)"
    if crs.is_geographic:
        raise GeographicCRSError(
            f"{name} is in the geographic CRS {label}, whose units are degrees; metric "
            f"operations need metres: {advice}"
        )
    if not crs.is_projected:
        raise GeographicCRSError(
            f"{name} is in {label}, which is not a projected CRS; metric operations need a "
            f"projected CRS in metres: {advice}"
        )
    units = {axis.unit_name for axis in crs.axis_info[:2]}
    if units != {"metre"}:
        raise GeographicCRSError(
            f"{name} is in {label}, whose units are {', '.join(sorted(units))}, not metres: "
            f"{advice}"
        )
    method = crs.coordinate_operation.method_name.lower() if crs.coordinate_operation else ""
    if "mercator" in method and "transverse" not in method:
        raise GeographicCRSError(
            f"{name} is in the Mercator projection {label}, whose metres are stretched by "
            f"1/cos(latitude) (x1.6 in the Netherlands); {advice}"
        )
    return crs


def _label(crs: CRS) -> str:
    authority = crs.to_authority()
    return f"{authority[0]}:{authority[1]} ({crs.name})" if authority else repr(crs.name)


def to_metric(gdf: _Geo, *, crs: CRSLike | None = None) -> _Geo:
    """Return a copy of ``gdf`` projected to a metric CRS.

    Parameters
    ----------
    gdf
        A GeoDataFrame or GeoSeries with a CRS set.
    crs
        The target CRS; it must itself be metric. ``None`` (default) keeps a CRS that is
        already metric, and otherwise picks one with :func:`metric_crs_for` from the
        data's extent (RD New for the Netherlands). An empty frame goes to RD New.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A new object of the same type, in metres.

    Raises
    ------
    MissingCRSError
        If ``gdf`` has no CRS.
    GeographicCRSError
        If the requested ``crs`` is not metric.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> pts = gpd.GeoSeries([Point(6.1593, 52.2525)], crs="EPSG:4326")
    >>> to_metric(pts).crs.to_epsg()
    28992
    """
    geo: Any = gdf
    if geo.crs is None:
        raise MissingCRSError(
            f"gdf has no CRS, so it cannot be projected; set one first, e.g. "
            f"gdf.set_crs({WGS84!r}) for lon/lat degrees"
        )
    if crs is not None:
        target = require_metric(crs, name="crs")
        return geo.to_crs(target)  # type: ignore[no-any-return]
    source = CRS.from_user_input(geo.crs)
    try:
        require_metric(source, name="gdf")
    except GeographicCRSError:
        pass
    else:
        return geo.copy()  # type: ignore[no-any-return]
    if geo.empty or geo.geometry.is_empty.all():
        return geo.to_crs(RD_NEW)  # type: ignore[no-any-return]
    min_x, min_y, max_x, max_y = (float(v) for v in geo.total_bounds)
    if not source.equals(WGS84):
        to_lonlat = Transformer.from_crs(source, WGS84, always_xy=True)
        min_x, min_y, max_x, max_y = to_lonlat.transform_bounds(min_x, min_y, max_x, max_y)
    return geo.to_crs(metric_crs_for([min_x, max_x], [min_y, max_y]))  # type: ignore[no-any-return]
