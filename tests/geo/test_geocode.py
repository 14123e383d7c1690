"""Postcode normalisation, validation and geocoding to PC4 points."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from shapely import Point

from geo.errors import GeoError, InvalidPostcode, UnknownPostcode
from geo.geocode import (
    geocode_postcode,
    geocode_postcodes,
    is_valid_postcode,
    normalise_postcode,
    pc4_table,
    region_pc4s,
)
from geo.regions import REGION_MUNICIPALITY_CODES, cleantech_regio, municipality_at

ALLOWED_FORMS = "1234 AB, 1234AB or 1234"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234 AB", "1234 AB"),
        ("1234AB", "1234 AB"),
        ("1234 ab", "1234 AB"),
        ("1234aB", "1234 AB"),
        ("  7411 AB  ", "7411 AB"),
        ("7411\tAB", "7411 AB"),
        ("7411   AB", "7411 AB"),
        ("7411", "7411"),
        (" 7411 ", "7411"),
        ("9999 ZZ", "9999 ZZ"),
        ("1000 SB", "1000 SB"),
        ("1000 AS", "1000 AS"),
    ],
)
def test_valid_postcodes_are_normalised(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected
    assert is_valid_postcode(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0123 AB", "starts with 0"),
        ("0123", "starts with 0"),
        ("1234 SA", "'SA', a letter pair never issued"),
        ("1234 sd", "'SD', a letter pair never issued"),
        ("1234SS", "'SS', a letter pair never issued"),
        ("12345", "is not a Dutch postcode"),
        ("123", "is not a Dutch postcode"),
        ("1234 A", "is not a Dutch postcode"),
        ("1234 ABC", "is not a Dutch postcode"),
        ("AB 1234", "is not a Dutch postcode"),
        ("1234-AB", "is not a Dutch postcode"),
        ("１２３４ AB", "is not a Dutch postcode"),  # full-width digits
        ("", "is empty"),
        ("   ", "is empty"),
    ],
)
def test_invalid_postcodes_are_refused_quoting_the_value_and_the_allowed_forms(
    text: str, reason: str
) -> None:
    with pytest.raises(InvalidPostcode) as excinfo:
        normalise_postcode(text)
    message = str(excinfo.value)
    assert message.startswith(f"postcode {text!r} ")
    assert reason in message
    assert ALLOWED_FORMS in message
    assert not is_valid_postcode(text)


@pytest.mark.parametrize(
    ("value", "what"), [(None, "missing"), (math.nan, "missing"), (7411, "not text")]
)
def test_values_that_are_not_text_are_refused(value: object, what: str) -> None:
    with pytest.raises(InvalidPostcode, match=f"is {what}"):
        normalise_postcode(value)  # type: ignore[arg-type]
    assert not is_valid_postcode(value)


def test_invalid_postcode_is_both_a_geo_error_and_a_value_error() -> None:
    assert issubclass(InvalidPostcode, GeoError)
    assert issubclass(InvalidPostcode, ValueError)


def test_a_deventer_pc4_geocodes_inside_the_deventer_polygon() -> None:
    lon, lat = geocode_postcode("7411")
    deventer = cleantech_regio().set_index("gemeente_code").geometry["GM0150"]
    assert deventer.contains(Point(lon, lat))
    assert municipality_at(lon, lat) == ("GM0150", "Deventer", True)
    assert (lon, lat) == (6.1593, 52.2525)


def test_a_full_postcode_falls_back_to_the_point_of_its_pc4() -> None:
    assert geocode_postcode("7411 AB") == geocode_postcode("7411")
    assert geocode_postcode(" 7411zz") == geocode_postcode("7411")


def test_an_unknown_pc4_raises_unknown_postcode_naming_the_pc4() -> None:
    with pytest.raises(UnknownPostcode) as excinfo:
        geocode_postcode("1099 AB")
    message = str(excinfo.value)
    assert message.startswith("postcode '1099 AB': PC4 area '1099' is not in the postcode table")
    assert isinstance(excinfo.value, KeyError)
    assert isinstance(excinfo.value, GeoError)


def test_geocoding_an_invalid_postcode_raises_invalid_postcode() -> None:
    with pytest.raises(InvalidPostcode):
        geocode_postcode("0123 AB")


def test_geocode_postcodes_reports_every_bad_row_at_once() -> None:
    result = geocode_postcodes(["7411 AB", "0123 AB", "1099", "7311", "1234 SS"])
    assert list(result.columns) == ["postcode", "pc4", "lon", "lat", "error"]
    assert result["postcode"].tolist() == ["7411 AB", None, "1099", "7311", None]
    assert result["pc4"].tolist() == ["7411", None, "1099", "7311", None]
    errors = result["error"].tolist()
    assert errors[0] is None and errors[3] is None
    assert "starts with 0" in errors[1]
    assert "PC4 area '1099' is not in the postcode table" in errors[2]
    assert "'SS'" in errors[4]
    assert result["lon"].tolist()[0::3] == [6.1593, 5.9609]
    assert result[["lon", "lat"]].iloc[[1, 2, 4]].isna().all().all()


def test_geocode_postcodes_keeps_the_index_of_a_series() -> None:
    values = pd.Series(["7411", "oops"], index=[10, 20])
    result = geocode_postcodes(values)
    assert result.index.tolist() == [10, 20]
    assert result.loc[10, "error"] is None
    assert result.loc[20, "error"] is not None


def test_geocode_postcodes_of_nothing_is_an_empty_frame() -> None:
    result = geocode_postcodes([])
    assert result.empty
    assert list(result.columns) == ["postcode", "pc4", "lon", "lat", "error"]


def test_the_pc4_table_has_string_codes_and_typed_columns() -> None:
    table = pc4_table()
    assert len(table) == 4064
    assert table.index.name == "pc4"
    assert table.index.is_unique
    assert table.index.str.fullmatch(r"[1-9][0-9]{3}").all()
    assert table["lon"].dtype == np.float64
    assert table["lat"].dtype == np.float64
    assert table["in_cleantech_regio"].dtype == bool
    assert table.loc["7411", "municipality_code"] == "GM0150"
    assert table["municipality_code"].str.fullmatch(r"GM[0-9]{4}").all()


def test_changing_a_returned_pc4_table_does_not_change_the_next_one() -> None:
    table = pc4_table()
    table.loc["7411", "lon"] = 0.0
    assert pc4_table().loc["7411", "lon"] == 6.1593


def test_the_region_has_100_pc4s_spread_over_its_8_municipalities() -> None:
    region = region_pc4s()
    assert len(region) == 100
    assert region["in_cleantech_regio"].all()
    assert set(region["municipality_code"]) == set(REGION_MUNICIPALITY_CODES)
    assert region["municipality"].value_counts().to_dict() == {
        "Apeldoorn": 32,
        "Deventer": 23,
        "Lochem": 11,
        "Voorst": 9,
        "Zutphen": 9,
        "Brummen": 6,
        "Epe": 6,
        "Heerde": 4,
    }
