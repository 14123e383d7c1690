"""One listing's rules: check_listing normalises a record and names every problem by column."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from flows.errors import Problem
from flows.listing_file import CANONICAL_COLUMNS, check_listing, parse_listings

# Deventer PC4 7411, centroid 52.2525 N 6.1593 E (geo/data/nl_pc4_centroids.csv).
OFFER = {
    "ref": "o-1",
    "kind": "aanbod",
    "title": "Zaagsel",
    "ewc_code": "030105",
    "quantity": "1.234,5",
    "unit": "Ton",
    "postcode": "7411ab",
    "current_route": "Incineration",
}


def test_a_valid_record_comes_back_normalised_and_located_by_its_postcode() -> None:
    record, problems = check_listing(OFFER, row=4)
    assert problems == []
    assert list(record) == list(CANONICAL_COLUMNS)
    assert record["row"] == 4
    assert (record["kind"], record["ewc_code"], record["material"]) == (
        "offer",
        "03 01 05",
        "organics.wood.residues",
    )
    assert (record["quantity"], record["unit"], record["frequency"]) == (1234.5, "t", "year")
    assert (record["postcode"], record["lat"], record["lon"]) == ("7411 AB", 52.2525, 6.1593)
    assert record["current_route"] == "incineration"
    assert record["accepted_ewc_codes"] == ()


def test_without_geocoding_a_postcode_only_record_keeps_no_coordinates() -> None:
    record, problems = check_listing(OFFER, geocode=False)
    assert problems == []
    assert record["postcode"] == "7411 AB"
    assert math.isnan(record["lat"]) and math.isnan(record["lon"])


def test_every_problem_names_its_column_and_what_is_allowed_in_column_order() -> None:
    record, problems = check_listing(
        {
            "ref": "n-1",
            "kind": "need",
            "title": "",
            "material": "organics.biomass_fuel",
            "quantity": "0",
            "unit": "bags",
            "lat": "52.1",
            "lon": "",
            "current_route": "landfill",
        },
        row=9,
    )
    assert [(p.row, p.column) for p in problems] == [
        (9, "title"),
        (9, "quantity"),
        (9, "unit"),
        (9, "lon"),
        (9, "current_route"),
    ]
    by_column = {p.column: p.message for p in problems}
    assert "t, kg, m3, MWh, pcs" in by_column["unit"]
    assert by_column["current_route"].startswith("current_route is for offers only")
    assert record["unit"] is None and math.isnan(record["quantity"])


def test_an_unknown_key_is_a_problem_and_keys_are_matched_like_file_headers() -> None:
    record, problems = check_listing(
        OFFER | {"Max distance km": "", "colour": "red", "row": 99}, geocode=False
    )
    assert [(p.row, p.column) for p in problems] == [(None, "colour")]
    assert "unknown column 'colour'" in problems[0].message
    assert record["row"] is None


def test_a_need_may_give_its_accepted_codes_as_a_list() -> None:
    record, problems = check_listing(
        {
            "ref": "n-2",
            "kind": "need",
            "title": "Chips",
            "ewc_code": ["03 01 05", "030101"],
            "quantity": 40,
            "unit": "t",
            "lat": 52.141,
            "lon": 6.1978,
            "available_from": date(2025, 1, 1),
        }
    )
    assert problems == []
    assert record["accepted_ewc_codes"] == ("03 01 05", "03 01 01")
    assert record["ewc_code"] is None
    assert record["available_from"] == date(2025, 1, 1)


def test_an_unknown_postcode_is_a_problem_when_geocoding() -> None:
    _, problems = check_listing(OFFER | {"postcode": "0999"})
    assert [p.column for p in problems] == ["postcode"]


def test_parse_listings_gives_the_same_record_as_check_listing() -> None:
    need = {
        "ref": "n-3",
        "kind": "vraag",
        "title": "Chips",
        "ewc_code": "03 01 05;03 01 01",
        "quantity": "40,0",
        "unit": "t",
        "lat": "52,141",
        "lon": "6,1978",
    }
    frame = parse_listings(pd.DataFrame([OFFER, need]).fillna(""))
    for position, row in enumerate((OFFER, need)):
        record, problems = check_listing(row, row=position + 2)
        assert problems == []
        parsed = frame.iloc[position].to_dict()
        assert list(parsed) == list(record)
        for column, value in record.items():
            same_nan = isinstance(value, float) and math.isnan(value) and math.isnan(parsed[column])
            assert same_nan or parsed[column] == value, column


def test_a_bad_default_distance_is_refused_before_any_check() -> None:
    with pytest.raises(ValueError, match="default_max_distance_km -1"):
        check_listing(OFFER, default_max_distance_km=-1)


def test_problems_are_problem_objects_with_a_message() -> None:
    _, problems = check_listing({"kind": "offer"})
    assert all(isinstance(p, Problem) and p.message for p in problems)
    assert {"ref", "title", "quantity", "unit", "ewc_code", "postcode"} <= {
        p.column for p in problems
    }
