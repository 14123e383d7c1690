"""The web app's plausibility check: a service area with a buffer (RESTSTROOM_SERVICE_AREA)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo import service_area
from geo.errors import InvalidArgument


def _to_rd(lon, lat):
    # RD New's own formulas hold out here too; geo.project_lonlat refuses points this far
    # out only to catch swapped coordinates.
    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True).transform(lon, lat)


DEVENTER = (6.1593, 52.2525)
GRONAU = (7.0417, 52.2125)  # German town on the border, ~10 km from it
MUENSTER = (7.6261, 51.9607)  # 49 km beyond the border
OSNABRUECK = (8.0472, 52.2799)  # ~70 km beyond the border
ANTWERP = (4.4025, 51.2194)  # ~15 km south of the border
NAMUR = (4.8719, 50.4674)  # ~66 km south of the border at Maastricht
COPENHAGEN = (12.5683, 55.6761)


def test_the_default_is_the_netherlands_plus_50_km():
    area = service_area()
    assert (area.key, area.buffer_km, area.label) == ("NL", 50.0, "the Netherlands plus 50 km")
    assert area.geometry.geom_type in {"Polygon", "MultiPolygon"}
    inside = [DEVENTER, GRONAU, MUENSTER, ANTWERP]
    outside = [OSNABRUECK, NAMUR, COPENHAGEN]
    lon, lat = np.array(inside + outside).T
    assert area.contains(lon, lat).tolist() == [True] * 4 + [False] * 3


@pytest.mark.parametrize(("lat", "direction"), [(52.3, 1.0), (51.0, 1.0), (52.0, -1.0)])
def test_the_buffer_edge_lies_50_km_from_the_netherlands(lat, direction):
    area = service_area("NL", buffer_km=50)
    plain = gpd.GeoSeries([service_area("NL", buffer_km=0).geometry], crs="EPSG:4326")
    plain = plain.to_crs("EPSG:28992").iloc[0]
    # Walk east (or west, into the North Sea) to the last point inside the buffer.
    lon = 5.5 + direction * np.linspace(0.0, 4.0, 4001)
    lats = np.full_like(lon, lat)
    edge = lon[area.contains(lon, lats)][-1]
    x, y = _to_rd(edge, lat)
    assert plain.distance(shapely.Point(x, y)) / 1000 == pytest.approx(50.0, abs=0.5)


def test_without_buffer_only_the_netherlands_counts():
    area = service_area("netherlands", buffer_km=0)
    assert area.contains(*DEVENTER) and not area.contains(*GRONAU)
    assert area.label == "the Netherlands"


def test_a_box_and_the_region_and_world_are_service_areas_too():
    box = service_area("8.0,54.5,13.0,58.0", buffer_km=10)  # Denmark
    assert box.contains(*COPENHAGEN) and not box.contains(*DEVENTER)
    assert box.label == "the box lon 8 to 13, lat 54.5 to 58 plus 10 km"
    assert service_area((8.0, 54.5, 13.0, 58.0), buffer_km=10) is box  # cached
    region = service_area("cleantech_regio", buffer_km=0)
    assert region.contains(*DEVENTER) and not region.contains(4.9041, 52.3710)  # Amsterdam
    world = service_area("world")
    assert world.contains(*COPENHAGEN) and world.contains(151.2, -33.9)


def test_the_message_names_the_point_and_the_area():
    area = service_area()
    assert area.outside_message(*DEVENTER) is None
    assert area.outside_message(*NAMUR) == (
        "the point (lon 4.8719, lat 50.4674) lies outside the service area "
        "(the Netherlands plus 50 km)"
    )


def test_nan_points_are_never_inside():
    assert service_area().contains([np.nan], [52.0]).tolist() == [False]


@pytest.mark.parametrize(
    ("given", "buffer_km", "message"),
    [
        ("Belgium", 50, "service area 'Belgium' is not one of NL, cleantech_regio, world"),
        ("1,2,3", 50, "is not a box 'min_lon,min_lat,max_lon,max_lat' of four numbers"),
        ("7,50,3,53", 50, "must be min_lon,min_lat,max_lon,max_lat with min < max"),
        ("3,50,7,95", 50, "lat has 1 value(s) outside [-90, 90]"),
        ("NL", -1, "buffer_km -1 must be a number of km >= 0"),
    ],
)
def test_a_bad_setting_is_refused_with_a_message_that_quotes_it(given, buffer_km, message):
    with pytest.raises(InvalidArgument) as excinfo:
        service_area(given, buffer_km=buffer_km)
    assert message in str(excinfo.value)


def test_the_geometry_is_valid_wgs84():
    geometry = service_area().geometry
    assert shapely.is_valid(geometry)
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    assert 2.0 < min_lon < 3.5 and 7.0 < max_lon < 8.5 and min_lat > 50.0 and max_lat < 54.5
