"""Geography for Reststroom: CRSs, distances, postcode geocoding and the Cleantech Regio.

A pure library (no web stack, no database, no network access): it stores locations as
WGS84 lon/lat, measures in metres in RD New (EPSG:28992) or a UTM zone and refuses to
measure in degrees, geocodes Dutch postcodes to the point of their PC4 area, and knows
the municipal boundaries of the Netherlands and of the 8 Cleantech Regio municipalities
(Apeldoorn, Brummen, Deventer, Epe, Heerde, Lochem, Voorst, Zutphen). The data it ships
and their sources are described in ``geo/data/README.md``.

Examples
--------
>>> import geo
>>> lon1, lat1 = geo.geocode_postcode("7411 AB")  # Deventer
>>> lon2, lat2 = geo.geocode_postcode("7311")  # Apeldoorn
>>> round(float(geo.straight_km(lon1, lat1, lon2, lat2)), 1)
14.2
>>> geo.municipality_at(lon1, lat1).name
'Deventer'
"""

from __future__ import annotations

from geo.crs import (
    ETRS89_LAEA,
    RD_NEW,
    WGS84,
    choose_metric_crs,
    metric_crs_for,
    require_metric,
    to_metric,
)
from geo.distance import (
    DEFAULT_CIRCUITY,
    RoadNetwork,
    geodesic_km,
    project_lonlat,
    road_km,
    straight_km,
    straight_km_xy,
)
from geo.errors import (
    GeoError,
    GeographicCRSError,
    InvalidArgument,
    InvalidCoordinates,
    InvalidPostcode,
    MissingCRSError,
    UnknownPostcode,
)
from geo.geocode import (
    geocode_postcode,
    geocode_postcodes,
    is_valid_postcode,
    normalise_postcode,
    pc4_table,
    region_pc4s,
)
from geo.regions import (
    REGION_MUNICIPALITY_CODES,
    Municipality,
    ServiceArea,
    assign_municipalities,
    cleantech_regio,
    municipality_at,
    netherlands_municipalities,
    region_bounds,
    region_geojson,
    service_area,
)

__all__ = [
    "DEFAULT_CIRCUITY",
    "ETRS89_LAEA",
    "RD_NEW",
    "REGION_MUNICIPALITY_CODES",
    "WGS84",
    "GeoError",
    "GeographicCRSError",
    "InvalidArgument",
    "InvalidCoordinates",
    "InvalidPostcode",
    "MissingCRSError",
    "Municipality",
    "RoadNetwork",
    "ServiceArea",
    "UnknownPostcode",
    "assign_municipalities",
    "choose_metric_crs",
    "cleantech_regio",
    "geocode_postcode",
    "geocode_postcodes",
    "geodesic_km",
    "is_valid_postcode",
    "metric_crs_for",
    "municipality_at",
    "netherlands_municipalities",
    "normalise_postcode",
    "pc4_table",
    "project_lonlat",
    "region_bounds",
    "region_geojson",
    "region_pc4s",
    "require_metric",
    "road_km",
    "service_area",
    "straight_km",
    "straight_km_xy",
    "to_metric",
]
