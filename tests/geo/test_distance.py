"""Straight-line and circuity distances, checked against independent pyproj computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from geo.crs import RD_NEW, WGS84
from geo.distance import (
    DEFAULT_CIRCUITY,
    project_lonlat,
    road_km,
    straight_km,
    straight_km_xy,
)
from geo.errors import GeographicCRSError, InvalidArgument, InvalidCoordinates

# Representative points of PC4 7411 (Deventer centre) and 7311 (Apeldoorn centre).
DEVENTER = (6.1593, 52.2525)
APELDOORN = (5.9609, 52.2130)

_RD_TO_LONLAT = Transformer.from_crs(RD_NEW, WGS84, always_xy=True)
_LONLAT_TO_RD = Transformer.from_crs(WGS84, RD_NEW, always_xy=True)


def test_two_points_3_km_apart_in_rd_new_are_3_km_apart() -> None:
    # A 1.8 km east, 2.4 km north offset is the 3-4-5 triangle scaled to 3 km.
    lon1, lat1 = _RD_TO_LONLAT.transform(200_000.0, 470_000.0)
    lon2, lat2 = _RD_TO_LONLAT.transform(201_800.0, 472_400.0)
    assert straight_km(lon1, lat1, lon2, lat2) == pytest.approx(3.0, abs=1e-6)


def test_deventer_to_apeldoorn_is_the_rd_new_distance_between_them() -> None:
    x1, y1 = _LONLAT_TO_RD.transform(*DEVENTER)
    x2, y2 = _LONLAT_TO_RD.transform(*APELDOORN)
    expected_km = math.hypot(x2 - x1, y2 - y1) / 1000.0
    distance_km = float(straight_km(*DEVENTER, *APELDOORN))
    assert distance_km == pytest.approx(expected_km, abs=1e-9)
    assert 14.0 < distance_km < 14.5


def test_rd_new_distance_agrees_with_the_geodesic_within_a_hundredth_of_a_percent() -> None:
    _, _, geodesic_m = Geod(ellps="WGS84").inv(*DEVENTER, *APELDOORN)
    assert float(straight_km(*DEVENTER, *APELDOORN)) == pytest.approx(geodesic_m / 1000, rel=1e-4)


def test_the_rd_origin_in_amersfoort_projects_to_155000_463000() -> None:
    # WGS84 coordinates of the Onze Lieve Vrouwetoren, the origin of the RD grid.
    x_m, y_m = project_lonlat(5.38720621, 52.15517440)
    assert float(x_m) == pytest.approx(155_000, abs=1.0)
    assert float(y_m) == pytest.approx(463_000, abs=1.0)


def test_straight_km_is_elementwise_over_arrays_and_broadcasts_one_origin() -> None:
    lons = np.array([APELDOORN[0], DEVENTER[0], 6.1978])
    lats = np.array([APELDOORN[1], DEVENTER[1], 52.1410])
    one_by_one = [
        float(straight_km(*DEVENTER, lon, lat)) for lon, lat in zip(lons, lats, strict=True)
    ]
    vectorised = straight_km(DEVENTER[0], DEVENTER[1], lons, lats)
    assert vectorised.shape == (3,)
    assert vectorised.tolist() == pytest.approx(one_by_one, abs=1e-12)
    assert vectorised[1] == 0.0


def test_straight_km_xy_is_pythagoras_in_kilometres() -> None:
    assert straight_km_xy(0.0, 0.0, 3000.0, 4000.0) == 5.0
    assert straight_km_xy([10.0], [10.0], [10.0], [-1490.0]).tolist() == [1.5]


def test_a_missing_location_gives_a_missing_distance() -> None:
    distance_km = straight_km([DEVENTER[0], np.nan], [DEVENTER[1], np.nan], *APELDOORN)
    assert np.isfinite(distance_km[0])
    assert np.isnan(distance_km[1])


def test_swapped_lon_and_lat_are_refused_in_rd_new() -> None:
    with pytest.raises(InvalidCoordinates, match="swapped"):
        straight_km(DEVENTER[1], DEVENTER[0], *APELDOORN)


def test_distances_abroad_are_measured_in_the_given_utm_zone() -> None:
    madrid, toledo = (-3.7038, 40.4168), (-4.0273, 39.8628)
    _, _, geodesic_m = Geod(ellps="WGS84").inv(*madrid, *toledo)
    distance_km = float(straight_km(*madrid, *toledo, crs="EPSG:32630"))
    assert distance_km == pytest.approx(geodesic_m / 1000, rel=1e-3)


def test_measuring_in_a_geographic_crs_is_refused() -> None:
    with pytest.raises(GeographicCRSError):
        straight_km(*DEVENTER, *APELDOORN, crs=WGS84)


def test_road_km_multiplies_by_the_default_circuity_of_1_3() -> None:
    assert DEFAULT_CIRCUITY == 1.3
    assert road_km([10.0, 0.0, 2.5]).tolist() == pytest.approx([13.0, 0.0, 3.25])


def test_road_km_uses_a_given_circuity() -> None:
    assert road_km(8.0, circuity=1.25).item() == 10.0
    assert road_km(8.0, circuity=1.0).item() == 8.0


@pytest.mark.parametrize("circuity", [0.9, 0.0, -1.3, math.inf, math.nan])
def test_a_circuity_below_1_or_not_finite_is_refused(circuity: float) -> None:
    with pytest.raises(InvalidArgument, match=r"circuity .* must be a finite number >= 1"):
        road_km(10.0, circuity=circuity)


def test_negative_straight_distances_are_refused_and_nan_passes_through() -> None:
    with pytest.raises(InvalidArgument, match="1 negative value"):
        road_km([1.0, -2.0])
    assert np.isnan(road_km([np.nan])[0])


nl_lon = st.floats(min_value=3.4, max_value=7.2)
nl_lat = st.floats(min_value=50.8, max_value=53.5)
nl_point = st.tuples(nl_lon, nl_lat)


@given(a=nl_point, b=nl_point, c=nl_point)
def test_straight_km_is_a_metric_on_dutch_points(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> None:
    ab = float(straight_km(*a, *b))
    ba = float(straight_km(*b, *a))
    bc = float(straight_km(*b, *c))
    ac = float(straight_km(*a, *c))
    assert ab == ba
    assert ab >= 0.0
    assert float(straight_km(*a, *a)) == 0.0
    assert ac <= ab + bc + 1e-9
