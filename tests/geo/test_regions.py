"""Municipal boundaries, point-in-polygon and the Cleantech Regio."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from geopandas import GeoDataFrame
from shapely import Point

from geo.crs import WGS84, to_metric
from geo.errors import InvalidCoordinates
from geo.geocode import pc4_table
from geo.regions import (
    REGION_MUNICIPALITY_CODES,
    Municipality,
    assign_municipalities,
    cleantech_regio,
    municipality_at,
    netherlands_municipalities,
    region_bounds,
    region_geojson,
)

REGION_NAMES = {"Apeldoorn", "Brummen", "Deventer", "Epe", "Heerde", "Lochem", "Voorst", "Zutphen"}


def test_the_region_is_the_8_member_municipalities() -> None:
    region = cleantech_regio()
    assert list(region.columns) == ["gemeente_code", "name", "province", "area_km2", "geometry"]
    assert region.crs.to_epsg() == 4326
    assert len(REGION_MUNICIPALITY_CODES) == 8
    assert set(region["gemeente_code"]) == set(REGION_MUNICIPALITY_CODES)
    assert set(region["name"]) == REGION_NAMES
    assert region.set_index("name").loc["Deventer", "province"] == "Overijssel"
    assert region.geometry.is_valid.all()


def test_region_areas_match_the_area_measured_in_rd_new() -> None:
    region = cleantech_regio()
    measured_km2 = to_metric(region).area / 1e6
    assert measured_km2.to_numpy() == pytest.approx(region["area_km2"].to_numpy(), abs=0.01)


def test_the_national_file_has_345_municipalities_of_which_8_in_the_region() -> None:
    nl = netherlands_municipalities()
    assert list(nl.columns) == ["gemeente_code", "name", "in_cleantech_regio", "geometry"]
    assert len(nl) == 345
    assert nl["gemeente_code"].is_unique
    assert nl["in_cleantech_regio"].dtype == bool
    assert set(nl.loc[nl["in_cleantech_regio"], "gemeente_code"]) == set(REGION_MUNICIPALITY_CODES)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (6.1593, 52.2525, Municipality("GM0150", "Deventer", True)),
        (5.9609, 52.2130, Municipality("GM0200", "Apeldoorn", True)),
        (6.1978, 52.1410, Municipality("GM0301", "Zutphen", True)),
        (4.9041, 52.3710, Municipality("GM0363", "Amsterdam", False)),
        (5.9922, 52.3473, Municipality("GM0232", "Epe", True)),
        (6.0923, 52.5115, Municipality("GM0193", "Zwolle", False)),
        (4.9041, 52.3710, Municipality("GM0363", "Amsterdam", False)),
    ],
)
def test_municipality_at_finds_the_municipality_containing_a_point(
    lon: float, lat: float, expected: Municipality
) -> None:
    assert municipality_at(lon, lat) == expected


def test_hattem_olst_wijhe_and_raalte_are_not_in_the_region() -> None:
    nl = netherlands_municipalities().set_index("name")
    for name in ("Hattem", "Olst-Wijhe", "Raalte"):
        inside = nl.geometry[name].representative_point()
        found = municipality_at(inside.x, inside.y)
        assert found is not None
        assert (found.name, found.in_region) == (name, False)


@pytest.mark.parametrize(("lon", "lat"), [(2.3522, 48.8566), (3.0, 53.0), (7.0, 52.0)])
def test_points_outside_the_netherlands_have_no_municipality(lon: float, lat: float) -> None:
    # Paris, the North Sea, and Germany just east of Enschede-Gronau.
    assert municipality_at(lon, lat) is None


def test_assign_municipalities_matches_municipality_at_on_a_sample() -> None:
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(3.3, 7.3, size=150)
    lat = rng.uniform(50.7, 53.6, size=150)
    assigned = assign_municipalities(lon, lat)
    one_by_one = [municipality_at(x, y) for x, y in zip(lon, lat, strict=True)]
    assert len(assigned) == 150
    for row, single in zip(assigned.itertuples(index=False), one_by_one, strict=True):
        if single is None:
            assert pd.isna(row.gemeente_code) and pd.isna(row.name)
            assert not row.in_cleantech_regio
        else:
            assert (row.gemeente_code, row.name, bool(row.in_cleantech_regio)) == single
    assert 0 < assigned["gemeente_code"].notna().sum() < 150


def test_assign_municipalities_marks_the_8_region_municipalities() -> None:
    inside = cleantech_regio().geometry.representative_point()
    assigned = assign_municipalities(inside.x.to_numpy(), inside.y.to_numpy())
    assert assigned["in_cleantech_regio"].all()
    assert assigned["gemeente_code"].tolist() == cleantech_regio()["gemeente_code"].tolist()


def test_assign_municipalities_agrees_with_the_shipped_pc4_municipalities() -> None:
    # The data README says 5 coastal or border PC4 points lie just outside every polygon
    # and were given their nearest municipality; all others were assigned by this very join.
    table = pc4_table()
    assigned = assign_municipalities(table["lon"], table["lat"])
    assert assigned.index.equals(table.index)
    differs = assigned["gemeente_code"].ne(table["municipality_code"])
    assert differs.sum() == 5
    assert assigned.loc[differs, "gemeente_code"].isna().all()
    assert assigned["in_cleantech_regio"].equals(table["in_cleantech_regio"])


def test_assign_municipalities_leaves_nan_points_unassigned() -> None:
    assigned = assign_municipalities([np.nan, 6.1593], [np.nan, 52.2525])
    assert assigned["gemeente_code"].isna().tolist() == [True, False]
    assert assigned["in_cleantech_regio"].tolist() == [False, True]


def test_assign_municipalities_refuses_out_of_range_coordinates() -> None:
    with pytest.raises(InvalidCoordinates, match="swapped"):
        assign_municipalities([52.25], [96.0])


def test_region_bounds_are_the_bounding_box_of_the_8_municipalities() -> None:
    bounds = region_bounds()
    assert bounds == tuple(cleantech_regio().total_bounds)
    min_lon, min_lat, max_lon, max_lat = bounds
    assert min_lon < 6.1593 < max_lon and min_lat < 52.2525 < max_lat


def test_region_geojson_is_a_feature_collection_of_the_8_boundaries() -> None:
    geojson = region_geojson()
    assert geojson["type"] == "FeatureCollection"
    assert json.loads(json.dumps(geojson)) == geojson
    assert "crs" not in geojson
    codes = [feature["properties"]["gemeente_code"] for feature in geojson["features"]]
    assert sorted(codes) == sorted(REGION_MUNICIPALITY_CODES)
    rebuilt = GeoDataFrame.from_features(geojson["features"], crs=WGS84)
    assert rebuilt.geometry.geom_equals(cleantech_regio().geometry).all()
    assert rebuilt.contains(Point(6.1593, 52.2525)).sum() == 1


def test_changing_returned_data_does_not_change_the_next_call() -> None:
    geojson = region_geojson()
    geojson["features"].clear()
    region = cleantech_regio()
    region.loc[0, "name"] = "Elders"
    assert len(region_geojson()["features"]) == 8
    assert "Elders" not in set(cleantech_regio()["name"])
