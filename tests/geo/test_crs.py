"""The CRS guard and the choice of metric CRS."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS
from shapely import Point

from geo.crs import RD_NEW, WGS84, check_lonlat, metric_crs_for, require_metric, to_metric
from geo.errors import (
    GeoError,
    GeographicCRSError,
    InvalidCoordinates,
    MissingCRSError,
)

DEVENTER_LONLAT = (6.1593, 52.2525)
MADRID_LONLAT = (-3.7038, 40.4168)


def _points(*lonlat: tuple[float, float], crs: str | None = WGS84) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(lonlat))]},
        geometry=[Point(lon, lat) for lon, lat in lonlat],
        crs=crs,
    )


def test_a_geographic_geodataframe_is_refused_with_a_message_that_says_degrees() -> None:
    with pytest.raises(GeographicCRSError) as excinfo:
        require_metric(_points(DEVENTER_LONLAT), name="offers")
    message = str(excinfo.value)
    assert message.startswith("offers is in the geographic CRS EPSG:4326")
    assert "degrees" in message
    assert "to_metric" in message


def test_a_geographic_geoseries_and_a_geographic_crs_string_are_refused() -> None:
    with pytest.raises(GeographicCRSError):
        require_metric(_points(DEVENTER_LONLAT).geometry)
    with pytest.raises(GeographicCRSError):
        require_metric("EPSG:4258")  # ETRS89, also degrees


def test_a_metric_geodataframe_is_accepted_and_its_crs_returned() -> None:
    crs = require_metric(_points(DEVENTER_LONLAT).to_crs(RD_NEW))
    assert crs.to_epsg() == 28992


@pytest.mark.parametrize("crs", ["EPSG:28992", 28992, CRS.from_epsg(32631)])
def test_metric_crs_given_as_string_integer_or_crs_object_is_accepted(crs: object) -> None:
    assert require_metric(crs).is_projected


def test_a_geodataframe_without_crs_is_refused_as_missing_crs() -> None:
    with pytest.raises(MissingCRSError, match="has no CRS"):
        require_metric(_points(DEVENTER_LONLAT, crs=None), name="needs")
    assert issubclass(MissingCRSError, GeographicCRSError)


def test_a_projected_crs_in_feet_is_refused() -> None:
    with pytest.raises(GeographicCRSError, match="US survey foot"):
        require_metric("EPSG:2229")


def test_web_mercator_is_refused_because_its_metres_are_stretched() -> None:
    with pytest.raises(GeographicCRSError, match="Mercator"):
        require_metric("EPSG:3857")


def test_something_without_a_crs_attribute_is_refused_naming_its_type() -> None:
    with pytest.raises(GeoError, match="got list"):
        require_metric([1, 2], name="points")


def test_an_unknown_crs_string_is_refused() -> None:
    with pytest.raises(GeoError, match="'EPSG:999999'"):
        require_metric("EPSG:999999")


def test_points_in_the_netherlands_get_rd_new() -> None:
    assert metric_crs_for(*DEVENTER_LONLAT) == RD_NEW
    assert metric_crs_for([3.4, 7.2], [50.8, 53.5]) == RD_NEW


def test_points_just_across_the_german_border_still_get_rd_new() -> None:
    assert metric_crs_for(7.6261, 51.9607) == RD_NEW  # Münster


def test_a_point_in_spain_gets_the_utm_zone_geopandas_estimates() -> None:
    expected = gpd.GeoSeries([Point(*MADRID_LONLAT)], crs=WGS84).estimate_utm_crs()
    assert metric_crs_for(*MADRID_LONLAT) == "EPSG:32630"
    assert expected.to_epsg() == 32630


def test_a_point_in_the_southern_hemisphere_gets_a_south_utm_zone() -> None:
    assert metric_crs_for(151.2093, -33.8688) == "EPSG:32756"  # Sydney


def test_metric_crs_for_ignores_nan_and_refuses_all_nan() -> None:
    assert metric_crs_for([6.16, np.nan], [52.25, np.nan]) == RD_NEW
    with pytest.raises(InvalidCoordinates, match="at least one point"):
        metric_crs_for([np.nan], [np.nan])


def test_to_metric_projects_dutch_data_to_rd_new_and_keeps_the_columns() -> None:
    projected = to_metric(_points(DEVENTER_LONLAT, (5.9609, 52.2130)))
    assert projected.crs.to_epsg() == 28992
    assert projected["name"].tolist() == ["p0", "p1"]
    assert 150_000 < projected.geometry.x.min() < projected.geometry.x.max() < 250_000


def test_to_metric_projects_spanish_data_to_utm() -> None:
    assert to_metric(_points(MADRID_LONLAT)).crs.to_epsg() == 32630


def test_to_metric_reads_the_extent_of_data_in_another_geographic_crs() -> None:
    etrs89 = _points(MADRID_LONLAT).to_crs("EPSG:4258")
    assert to_metric(etrs89).crs.to_epsg() == 32630


def test_to_metric_keeps_a_metric_crs_but_returns_a_copy() -> None:
    utm = _points(DEVENTER_LONLAT).to_crs("EPSG:32631")
    result = to_metric(utm)
    assert result.crs.to_epsg() == 32631
    assert result is not utm


def test_to_metric_with_an_explicit_crs_uses_it_and_refuses_a_geographic_one() -> None:
    assert to_metric(_points(DEVENTER_LONLAT), crs="EPSG:32631").crs.to_epsg() == 32631
    with pytest.raises(GeographicCRSError, match="crs is in the geographic CRS"):
        to_metric(_points(DEVENTER_LONLAT), crs=WGS84)


def test_to_metric_refuses_data_without_crs() -> None:
    with pytest.raises(MissingCRSError):
        to_metric(_points(DEVENTER_LONLAT, crs=None))


def test_to_metric_sends_an_empty_frame_to_rd_new() -> None:
    empty = gpd.GeoDataFrame(geometry=[], crs=WGS84)
    assert to_metric(empty).crs.to_epsg() == 28992


def test_latitudes_out_of_range_are_refused_with_a_hint_about_swapped_axes() -> None:
    with pytest.raises(InvalidCoordinates) as excinfo:
        check_lonlat([52.25, 6.16], [6.16, 95.0])
    message = str(excinfo.value)
    assert "lat has 1 value(s) outside [-90, 90], e.g. 95.0" in message
    assert "swapped" in message


def test_coordinates_of_incompatible_shapes_are_refused() -> None:
    with pytest.raises(InvalidCoordinates, match="shape"):
        check_lonlat([6.1, 6.2, 6.3], [52.1, 52.2])


def test_non_numeric_coordinates_are_refused() -> None:
    with pytest.raises(InvalidCoordinates, match="numbers"):
        check_lonlat(["east"], [52.0])
