"""Coordinate reference systems: which metric CRS to use, and the guard that refuses degrees.

Reststroom stores every location as WGS84 longitude/latitude (:data:`WGS84`) and measures
in metres in a projected CRS: RD New (:data:`RD_NEW`, EPSG:28992) for the Netherlands, or
an estimated UTM zone elsewhere. :func:`require_metric` is the one guard that every metric
operation (distance, buffer, area) goes through, so degrees are never mistaken for metres.

Examples
--------
>>> from geo.crs import RD_NEW, metric_crs_for
>>> metric_crs_for(6.16, 52.25) == RD_NEW  # Deventer
True
>>> metric_crs_for(-3.70, 40.42)  # Madrid
'EPSG:32630'
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
    "NL_BOUNDS_LONLAT",
    "RD_NEW",
    "WGS84",
    "CRSLike",
    "check_lonlat",
    "metric_crs_for",
    "require_metric",
    "to_metric",
]

WGS84: Final = "EPSG:4326"
"""WGS84 longitude/latitude in degrees: how every location is stored."""

RD_NEW: Final = "EPSG:28992"
"""Amersfoort / RD New, the Dutch national grid in metres: how distances are measured in NL."""

NL_BOUNDS_LONLAT: Final = (3.2, 50.75, 7.22, 53.7)
"""``(min_lon, min_lat, max_lon, max_lat)``: the area of use of EPSG:28992 (PROJ database)."""

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
    """Choose a metric CRS for points: RD New in and near the Netherlands, else a UTM zone.

    Parameters
    ----------
    lon, lat
        WGS84 degrees, scalars or arrays. NaN values are ignored.

    Returns
    -------
    str
        ``"EPSG:28992"`` when every point lies within the RD New area of use widened by
        0.5 degree, otherwise the WGS84 UTM zone (``"EPSG:326xx"`` north, ``"EPSG:327xx"``
        south) of the centre of the points' bounding box, as
        :meth:`geopandas.GeoSeries.estimate_utm_crs` chooses it.

    Raises
    ------
    InvalidCoordinates
        If no point has finite coordinates, or a value is out of range.

    Examples
    --------
    >>> metric_crs_for([5.96, 6.16], [52.21, 52.25])
    'EPSG:28992'
    >>> metric_crs_for(151.21, -33.87)  # Sydney
    'EPSG:32756'
    """
    lon_arr, lat_arr = check_lonlat(lon, lat)
    finite = np.isfinite(lon_arr) & np.isfinite(lat_arr)
    if not finite.any():
        raise InvalidCoordinates(
            "metric_crs_for needs at least one point with finite lon/lat; got none"
        )
    lon_f, lat_f = lon_arr[finite], lat_arr[finite]
    if _within_rd_area(lon_f, lat_f).all():
        return RD_NEW
    lon_centre = (float(lon_f.min()) + float(lon_f.max())) / 2.0
    lat_centre = (float(lat_f.min()) + float(lat_f.max())) / 2.0
    return _utm_zone(lon_centre, lat_centre)


def _within_rd_area(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    min_lon, min_lat, max_lon, max_lat = NL_BOUNDS_LONLAT
    m = _RD_MARGIN_DEG
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
