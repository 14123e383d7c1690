"""The listing spreadsheet: every dialect reads, every bad cell is named, exports read back."""

from __future__ import annotations

import csv
import doctest
import io
import math
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import listing_file
from flows.errors import Problem, ValidationError
from flows.listing_file import (
    CANONICAL_COLUMNS,
    cells,
    column_help,
    parse,
    parse_listings,
    read,
    read_listing_file,
    rules,
    split_offers_needs,
    template_frame,
    to_export_frame,
    write,
    write_listing_file,
    write_template,
)
from flows.listing_file import help as help_
from flows.schema import LISTING_COLUMNS

ALLOWED_COLUMNS = ", ".join(LISTING_COLUMNS)

# Two good rows as a firm would type them. The offer is located by postcode (PC4 7411 is
# Deventer, centroid 52.2525 N 6.1593 E in geo/data/nl_pc4_centroids.csv), the need by
# coordinates; the offer's material comes from its EWC code.
OFFER = {
    "ref": "o-1",
    "organisation": "Zagerij Epe",
    "kind": "offer",
    "title": "Zaagsel én krullen",
    "ewc_code": "03 01 05",
    "quantity": "12.5",
    "unit": "t",
    "frequency": "month",
    "postcode": "7411 AB",
    "current_route": "incineration",
    "description": "Droog, binnen opgeslagen",
}
NEED = {
    "ref": "n-1",
    "organisation": "Warmte Zutphen",
    "kind": "need",
    "title": "Houtsnippers voor ketel",
    "material": "organics.biomass_fuel",
    "ewc_code": "03 01 05;03 01 01",
    "quantity": "40",
    "unit": "t",
    "lat": "52.141",
    "lon": "6.1978",
    "max_distance_km": "30",
    "available_from": "2025-01-01",
    "available_until": "2025-12-31",
    "current_source": "virgin",
    "current_source_km": "85",
    "visibility": "anonymous",
}
OFFER_NL = OFFER | {"quantity": "12,5"}
NEED_NL = NEED | {"lat": "52,141", "lon": "6,1978", "quantity": "40,0"}


def expected_listings() -> pd.DataFrame:
    """The canonical frame of OFFER and NEED, written out by hand."""
    columns: dict[str, pd.Series] = {
        "row": pd.Series([2, 3], dtype="int64"),
        "ref": pd.Series(["o-1", "n-1"], dtype=object),
        "organisation": pd.Series(["Zagerij Epe", "Warmte Zutphen"], dtype=object),
        "kind": pd.Series(["offer", "need"], dtype=object),
        "title": pd.Series(["Zaagsel én krullen", "Houtsnippers voor ketel"], dtype=object),
        "material": pd.Series(["organics.wood.residues", "organics.biomass_fuel"], dtype=object),
        "ewc_code": pd.Series(["03 01 05", None], dtype=object),
        "accepted_ewc_codes": pd.Series([(), ("03 01 05", "03 01 01")], dtype=object),
        "quantity": pd.Series([12.5, 40.0]),
        "unit": pd.Series(["t", "t"], dtype=object),
        "frequency": pd.Series(["month", "year"], dtype=object),
        "postcode": pd.Series(["7411 AB", None], dtype=object),
        "lat": pd.Series([52.2525, 52.141]),
        "lon": pd.Series([6.1593, 6.1978]),
        "max_distance_km": pd.Series([math.nan, 30.0]),
        "transport_mode": pd.Series(["truck", "truck"], dtype=object),
        "available_from": pd.Series([None, date(2025, 1, 1)], dtype=object),
        "available_until": pd.Series([None, date(2025, 12, 31)], dtype=object),
        "current_route": pd.Series(["incineration", None], dtype=object),
        "current_source": pd.Series([None, "virgin"], dtype=object),
        "current_source_km": pd.Series([math.nan, 85.0]),
        "current_source_transport_mode": pd.Series([None, "truck"], dtype=object),
        "visibility": pd.Series(["public", "anonymous"], dtype=object),
        "description": pd.Series(["Droog, binnen opgeslagen", ""], dtype=object),
    }
    return pd.DataFrame(columns)


def csv_text(
    rows: list[dict[str, str]],
    *,
    delimiter: str = ",",
    columns: list[str] | None = None,
    header: dict[str, str] | None = None,
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_MINIMAL,
) -> str:
    """A CSV as a spreadsheet would save it; ``header`` renames columns as typed."""
    columns = columns or list(LISTING_COLUMNS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow([(header or {}).get(c, c) for c in columns])
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def raw_frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """A raw frame with every listing column, as the reader returns it (rows from 2)."""
    return pd.DataFrame(
        {c: pd.Series([row.get(c, "") for row in rows], dtype=object) for c in LISTING_COLUMNS}
    )


def problems_of(*rows: dict[str, Any], **options: Any) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw_frame(*rows), **options)
    return caught.value.problems


def file_problems(data: bytes, **options: Any) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        read_listing_file(data, **options)
    return caught.value.problems


# ------------------------------------------------------------------------------ dialects

SHUFFLED = list(reversed(LISTING_COLUMNS))
SHOUTED = {c: f"  {c.upper()} " for c in LISTING_COLUMNS} | {"max_distance_km": "Max distance km"}

DIALECTS = {
    "comma, UTF-8": csv_text([OFFER, NEED]).encode("utf-8"),
    "semicolon, decimal comma, UTF-8 with BOM": csv_text([OFFER_NL, NEED_NL], delimiter=";").encode(
        "utf-8-sig"
    ),
    "tab, UTF-8": csv_text([OFFER, NEED], delimiter="\t").encode("utf-8"),
    "semicolon, decimal comma, Windows-1252 (Excel NL)": csv_text(
        [OFFER_NL, NEED_NL], delimiter=";"
    ).encode("cp1252"),
    "tab, UTF-16 (Excel Unicode text)": csv_text([OFFER, NEED], delimiter="\t").encode("utf-16"),
    "every field quoted": csv_text([OFFER, NEED], quoting=csv.QUOTE_ALL).encode("utf-8"),
    "headers in another order, case and spacing": csv_text(
        [OFFER, NEED], delimiter=";", columns=SHUFFLED, header=SHOUTED
    ).encode("utf-8"),
    "only the columns used, LF line ends": csv_text(
        [OFFER, NEED], columns=[c for c in LISTING_COLUMNS if c in OFFER or c in NEED]
    )
    .replace("\r\n", "\n")
    .encode("utf-8"),
}


@pytest.mark.parametrize("data", DIALECTS.values(), ids=DIALECTS.keys())
def test_a_good_file_reads_to_the_same_listings_in_every_csv_dialect(data: bytes) -> None:
    listings = parse_listings(read_listing_file(data, filename="listings.csv"))
    pd.testing.assert_frame_equal(listings, expected_listings())


def test_the_canonical_frame_has_the_documented_columns_and_types() -> None:
    listings = parse_listings(read_listing_file(DIALECTS["comma, UTF-8"]))
    assert tuple(listings.columns) == CANONICAL_COLUMNS
    assert listings.loc[1, "available_from"] == date(2025, 1, 1)
    assert listings.loc[0, "ewc_code"] == "03 01 05"
    assert listings.loc[1, "ewc_code"] is None
    assert listings.loc[0, "accepted_ewc_codes"] == ()


def test_an_xlsx_with_typed_cells_reads_like_the_csv(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Blad1"
    header = [c.upper() if c == "organisation" else c for c in LISTING_COLUMNS]
    header[0] = "Ref"
    sheet.append(header)
    # Excel turns a typed 030105 into the number 30105, and dates into date cells.
    typed_offer = OFFER | {"ewc_code": 30105, "quantity": 12.5}
    typed_need = NEED | {
        "quantity": 40,
        "lat": 52.141,
        "lon": 6.1978,
        "max_distance_km": 30,
        "available_from": datetime(2025, 1, 1),
        "available_until": date(2025, 12, 31),
        "current_source_km": 85,
    }
    for row in (typed_offer, typed_need):
        sheet.append([row.get(column) for column in LISTING_COLUMNS])
    path = tmp_path / "listings.xlsx"
    workbook.save(path)

    raw = read_listing_file(path)

    assert raw.loc[0, "ewc_code"] == "030105"
    assert raw.loc[1, "available_from"] == "2025-01-01"
    pd.testing.assert_frame_equal(parse_listings(raw), expected_listings())


def test_an_xlsx_is_recognised_by_its_content_whatever_its_name() -> None:
    buffer = io.BytesIO()
    write_listing_file(expected_listings(), buffer, fmt="xlsx")
    for filename in (None, "export.csv", "listings.xlsx"):
        raw = read_listing_file(io.BytesIO(buffer.getvalue()), filename=filename)
        pd.testing.assert_frame_equal(parse_listings(raw), expected_listings())


def test_the_sheet_named_listings_is_read_before_the_first_sheet() -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Uitleg"
    notes.append(["Vul het tabblad listings in"])
    listings = workbook.create_sheet(" Listings ")
    listings.append(["ref", "kind"])
    listings.append(["a", "offer"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    raw = read_listing_file(buffer.getvalue())
    assert raw.to_dict("list") == {"row": [2], "ref": ["a"], "kind": ["offer"]}


def test_blank_rows_are_skipped_but_keep_their_row_numbers_and_values_stay_text() -> None:
    data = b"ref,kind,quantity\n\n007,need,0012\n \n,,\n008,offer,1e3\n"
    raw = read_listing_file(data)
    assert raw.to_dict("list") == {
        "row": [3, 6],
        "ref": ["007", "008"],
        "kind": ["need", "offer"],
        "quantity": ["0012", "1e3"],
    }


def test_rows_are_spreadsheet_records_so_a_quoted_line_break_does_not_shift_numbers() -> None:
    data = b'ref,description\na,"two\nlines"\nb,one\n'
    raw = read_listing_file(data)
    assert raw["row"].tolist() == [2, 3]
    assert raw["description"].tolist() == ["two\nlines", "one"]


def test_blank_lines_above_the_header_are_allowed_and_counted() -> None:
    raw = read_listing_file(b"\n\nref;kind\nx;offer\n")
    assert raw.to_dict("list") == {"row": [4], "ref": ["x"], "kind": ["offer"]}


def test_trailing_empty_columns_of_a_spreadsheet_export_are_ignored() -> None:
    raw = read_listing_file(b"ref;kind;;\nx;offer;;\n")
    assert raw.to_dict("list") == {"row": [2], "ref": ["x"], "kind": ["offer"]}


# ----------------------------------------------------------------------- accepted values

ACCEPTED = [
    ("kind", "AANBOD", "kind", "offer"),
    ("kind", " Offer ", "kind", "offer"),
    ("unit", "T", "unit", "t"),
    ("unit", "mwh", "unit", "MWh"),
    ("unit", "ton", "unit", "t"),
    ("unit", "m³", "unit", "m3"),
    ("unit", "Stuks", "unit", "pcs"),
    ("frequency", "", "frequency", "year"),
    ("frequency", "Maand", "frequency", "month"),
    ("frequency", "eenmalig", "frequency", "once"),
    ("visibility", "", "visibility", "public"),
    ("visibility", "ANONIEM", "visibility", "anonymous"),
    ("current_route", "Land spreading", "current_route", "land_spreading"),
    ("current_route", "", "current_route", None),
    ("ewc_code", "030105", "ewc_code", "03 01 05"),
    ("ewc_code", "03 01 05*", "ewc_code", "03 01 05"),
    ("quantity", "12,5", "quantity", 12.5),
    ("quantity", "1.234,5", "quantity", 1234.5),
    ("quantity", "1,234.5", "quantity", 1234.5),
    ("quantity", "1 234", "quantity", 1234.0),
    ("quantity", "1.234.567", "quantity", 1234567.0),
    ("quantity", "1,234,567.25", "quantity", 1234567.25),
    ("quantity", "0,250", "quantity", 0.25),
    ("quantity", "1.2340", "quantity", 1.234),
    ("quantity", "12.50", "quantity", 12.5),
    ("quantity", "1234,567", "quantity", 1234.567),
    ("quantity", ",5", "quantity", 0.5),
    ("quantity", "1e3", "quantity", 1000.0),
    ("quantity", "+7", "quantity", 7.0),
    ("postcode", "7411ab", "postcode", "7411 AB"),
    ("postcode", " 7411 ", "postcode", "7411"),
    ("title", "  Zaagsel\t en\nkrullen ", "title", "Zaagsel en krullen"),
    ("description", " a\r\nb\rc ", "description", "a\nb\nc"),
    ("available_until", "2026-06-30 00:00:00", "available_until", date(2026, 6, 30)),
]


@pytest.mark.parametrize(("column", "text", "field", "value"), ACCEPTED)
def test_an_offer_accepts_the_documented_variants_of_a_value(
    column: str, text: str, field: str, value: object
) -> None:
    listings = parse_listings(raw_frame(OFFER | {column: text}))
    assert listings.loc[0, field] == value


def test_a_need_accepts_decimal_comma_coordinates_and_a_zero_source_distance() -> None:
    need = NEED | {"lat": "52,141", "lon": "6,1978", "current_source_km": "0"}
    listings = parse_listings(raw_frame(need))
    assert listings.loc[0, ["lat", "lon", "current_source_km"]].tolist() == [52.141, 6.1978, 0.0]


def test_a_need_keeps_its_accepted_codes_in_order_without_repeats() -> None:
    need = NEED | {"ewc_code": "030101; 03 01 05 ;03 01 01;"}
    listings = parse_listings(raw_frame(need))
    assert listings.loc[0, "accepted_ewc_codes"] == ("03 01 01", "03 01 05")


def test_a_postcode_without_coordinates_is_geocoded_to_its_pc4_centroid() -> None:
    listings = parse_listings(raw_frame(OFFER | {"postcode": "7411"}))
    assert listings.loc[0, ["postcode", "lat", "lon"]].tolist() == ["7411", 52.2525, 6.1593]


def test_coordinates_win_over_the_postcode_when_both_are_given() -> None:
    offer = OFFER | {"lat": "52.2", "lon": "6.2"}
    listings = parse_listings(raw_frame(offer))
    assert listings.loc[0, ["postcode", "lat", "lon"]].tolist() == ["7411 AB", 52.2, 6.2]


def test_an_offer_with_only_an_ewc_code_gets_the_material_of_that_code() -> None:
    listings = parse_listings(raw_frame(OFFER | {"ewc_code": "19 12 07", "material": ""}))
    assert listings.loc[0, "material"] == "organics.wood"


def test_a_need_with_only_codes_gets_the_material_of_its_first_code() -> None:
    need = NEED | {"material": "", "ewc_code": "19 12 07;03 01 05"}
    listings = parse_listings(raw_frame(need))
    assert listings.loc[0, "material"] == "organics.wood"


def test_an_offer_keeps_its_own_material_next_to_its_ewc_code() -> None:
    offer = OFFER | {"material": "organics.biomass_fuel", "ewc_code": "03 01 05"}
    listings = parse_listings(raw_frame(offer))
    assert listings.loc[0, ["material", "ewc_code"]].tolist() == [
        "organics.biomass_fuel",
        "03 01 05",
    ]


@pytest.mark.parametrize("material", ["energy.heat", "water.cooling", "energy"])
def test_an_energy_or_water_offer_needs_no_ewc_code(material: str) -> None:
    offer = OFFER | {"material": material, "ewc_code": "", "unit": "MWh"}
    listings = parse_listings(raw_frame(offer))
    assert listings.loc[0, ["material", "ewc_code", "unit"]].tolist() == [material, None, "MWh"]


def test_a_row_may_leave_the_location_empty_only_when_allowed() -> None:
    offer = OFFER | {"postcode": ""}
    listings = parse_listings(raw_frame(offer), allow_missing_location=True)
    assert listings.loc[0, "postcode"] is None
    assert np.isnan(listings.loc[0, "lat"]) and np.isnan(listings.loc[0, "lon"])
    assert problems_of(offer) == [
        Problem("postcode is empty; give a postcode or lat and lon", row=2, column="postcode")
    ]


def test_the_default_max_distance_fills_empty_needs_only() -> None:
    need = NEED | {"max_distance_km": ""}
    listings = parse_listings(
        raw_frame(OFFER, need, NEED | {"ref": "n-2"}), default_max_distance_km=25
    )
    assert listings["max_distance_km"].tolist()[1:] == [25.0, 30.0]
    assert np.isnan(listings.loc[0, "max_distance_km"])


def test_without_a_default_an_empty_max_distance_stays_nan() -> None:
    listings = parse_listings(raw_frame(NEED | {"max_distance_km": ""}))
    assert np.isnan(listings.loc[0, "max_distance_km"])


@pytest.mark.parametrize("bad", [0.0, -5.0, math.inf, math.nan])
def test_a_default_max_distance_that_is_not_positive_is_a_programming_error(bad: float) -> None:
    with pytest.raises(ValueError, match="default_max_distance_km"):
        parse_listings(raw_frame(NEED), default_max_distance_km=bad)


def test_an_expired_listing_is_refused_only_when_today_is_given() -> None:
    assert len(parse_listings(raw_frame(NEED), today=date(2025, 12, 31))) == 1
    assert len(parse_listings(raw_frame(NEED))) == 1
    assert problems_of(NEED, today=date(2026, 1, 1)) == [
        Problem(
            "available_until 2025-12-31 has passed (today is 2026-01-01); remove the listing "
            "or extend the date",
            row=2,
            column="available_until",
        )
    ]


def test_a_frame_without_row_numbers_and_with_typed_cells_is_accepted() -> None:
    frame = pd.DataFrame(
        {
            "ref": ["x"],
            "kind": ["need"],
            "title": ["t"],
            "material": ["organics.biomass_fuel"],
            "quantity": [2.5],
            "unit": ["kg"],
            "lat": [52.2],
            "lon": [np.float64(6.1)],
            "available_from": [pd.Timestamp("2025-03-01")],
        }
    )
    listings = parse_listings(frame)
    assert listings.loc[0, ["row", "quantity", "lon", "available_from"]].tolist() == [
        2,
        2.5,
        6.1,
        date(2025, 3, 1),
    ]
    assert listings.loc[0, "organisation"] is None


def test_an_empty_file_body_gives_an_empty_canonical_frame() -> None:
    listings = parse_listings(read_listing_file(b"ref,kind,title,quantity,unit\r\n"))
    assert list(listings.columns) == list(CANONICAL_COLUMNS)
    assert len(listings) == 0


# --------------------------------------------------------------------------- bad values

AMBIGUOUS_1234 = (
    "quantity '1.234' is ambiguous: '.' may separate thousands (1234) or decimals; write "
    "1234 without the separator, or 1.2340 for a fraction"
)
ROUTES = "landfill, incineration, recycling, composting, digestion, land_spreading, other"
POSTCODE_FORMS = (
    "use 1234 AB, 1234AB or 1234 (four digits, the first not 0, optionally followed by two "
    "letters; SA, SD and SS are never issued)"
)
EWC_FORMS = "'02 01 03', '020103', '02.01.03' or '02-01-03', optionally ending in '*'"

BAD_CELLS: list[tuple[str, dict[str, str], str, str]] = [
    # base, overrides, column of the problem, message
    ("offer", {"ref": ""}, "ref", "ref is empty; every listing needs one"),
    ("offer", {"ref": "r" * 101}, "ref", "ref is 101 characters long; at most 100 are allowed"),
    (
        "offer",
        {"kind": "sell"},
        "kind",
        "kind 'sell' is not one of offer, need (any case; also aanbod = offer; vraag = need)",
    ),
    (
        "offer",
        {"kind": ""},
        "kind",
        "kind is empty; give one of offer, need (any case; also aanbod = offer; vraag = need)",
    ),
    ("offer", {"title": "  "}, "title", "title is empty; every listing needs one"),
    (
        "offer",
        {"title": "t" * 201},
        "title",
        "title is 201 characters long; at most 200 are allowed",
    ),
    (
        "offer",
        {"title": "a\x07b"},
        "title",
        "title contains the control character U+0007; remove it",
    ),
    (
        "offer",
        {"material": "gypsum"},
        "material",
        "material 'gypsum' is not in the taxonomy; did you mean 'minerals.gypsum', "
        "'minerals.gypsum_fgd', 'minerals.gypsum_chemical'? "
        "(python -m flows taxonomy lists every key)",
    ),
    (
        "offer",
        {"ewc_code": "99 99 99"},
        "ewc_code",
        "EWC code '99 99 99' (99 99 99) is not on the European List of Waste (Decision "
        "2000/532/EC as amended by 2014/955/EU)",
    ),
    (
        "offer",
        {"ewc_code": "0301"},
        "ewc_code",
        f"EWC code '0301' is not in an accepted form; use {EWC_FORMS}",
    ),
    (
        "offer",
        {"ewc_code": "03 01 05;03 01 01"},
        "ewc_code",
        "ewc_code '03 01 05;03 01 01' lists several codes; an offer has one EWC code (a "
        "';'-separated list of accepted codes is for needs)",
    ),
    (
        "need",
        {"ewc_code": "03 01 05;x"},
        "ewc_code",
        f"EWC code 'x' is not in an accepted form; use {EWC_FORMS}",
    ),
    ("offer", {"quantity": ""}, "quantity", "quantity is empty; give a number greater than 0"),
    ("offer", {"quantity": "veel"}, "quantity", "quantity 'veel' is not a number"),
    ("offer", {"quantity": "1,2.3"}, "quantity", "quantity '1,2.3' is not a number"),
    ("offer", {"quantity": "1.234,5.6"}, "quantity", "quantity '1.234,5.6' is not a number"),
    ("offer", {"quantity": "١٢"}, "quantity", "quantity '١٢' is not a number"),
    ("offer", {"quantity": "0"}, "quantity", "quantity '0' must be greater than 0"),
    ("offer", {"quantity": "-3,5"}, "quantity", "quantity '-3,5' must be greater than 0"),
    ("offer", {"quantity": "1.234"}, "quantity", AMBIGUOUS_1234),
    (
        "offer",
        {"quantity": "250,000"},
        "quantity",
        "quantity '250,000' is ambiguous: ',' may separate thousands (250000) or decimals; "
        "write 250000 without the separator, or 250,0000 for a fraction",
    ),
    (
        "offer",
        {"quantity": "12 t"},
        "quantity",
        "quantity '12 t' is not a number; write the number alone (the unit 't' goes in the "
        "unit column)",
    ),
    (
        "offer",
        {"unit": "lbs"},
        "unit",
        "unit 'lbs' is not one of t, kg, m3, MWh, pcs (any case; also ton, tonne, tonnes = t; "
        "m³ = m3; stuks = pcs)",
    ),
    (
        "offer",
        {"frequency": "daily"},
        "frequency",
        "frequency 'daily' is not one of once, week, month, year (any case; also eenmalig = "
        "once; maand = month; jaar = year)",
    ),
    (
        "offer",
        {"postcode": "0123"},
        "postcode",
        f"postcode '0123' starts with 0, which no Dutch postcode does; {POSTCODE_FORMS}",
    ),
    (
        "offer",
        {"postcode": "74111"},
        "postcode",
        f"postcode '74111' is not a Dutch postcode; {POSTCODE_FORMS}",
    ),
    (
        "offer",
        {"postcode": "1000"},
        "postcode",
        "postcode '1000': PC4 area '1000' is not in the postcode table (GeoNames 2017, 4,064 "
        "areas); check the postcode, or enter the location on the map",
    ),
    ("offer", {"postcode": ""}, "postcode", "postcode is empty; give a postcode or lat and lon"),
    ("need", {"lat": ""}, "lat", "lat is empty but lon is '6.1978'; give both or neither"),
    ("need", {"lon": ""}, "lon", "lon is empty but lat is '52.141'; give both or neither"),
    (
        "need",
        {"lat": "52°8"},
        "lat",
        "lat '52°8' is not a number of decimal degrees (e.g. 52.2525)",
    ),
    ("need", {"lat": "91"}, "lat", "lat '91' is not between -90 and 90 (WGS84 degrees)"),
    ("need", {"lon": "-180.5"}, "lon", "lon '-180.5' is not between -180 and 180 (WGS84 degrees)"),
    (
        "need",
        {"lon": "155000"},
        "lon",
        "lon '155000' is not between -180 and 180 (WGS84 degrees) (it looks like metres; give "
        "WGS84 degrees)",
    ),
    (
        "need",
        {"lat": "6.1978", "lon": "52.141"},
        "lat",
        "lat '6.1978' and lon '52.141' look swapped: in the Netherlands lat is 50.7 to 53.6 "
        "and lon 3.2 to 7.3",
    ),
    (
        "need",
        {"max_distance_km": "0"},
        "max_distance_km",
        "max_distance_km '0' must be greater than 0",
    ),
    (
        "need",
        {"max_distance_km": "ver"},
        "max_distance_km",
        "max_distance_km 'ver' is not a number",
    ),
    (
        "need",
        {"available_from": "31-12-2024"},
        "available_from",
        "available_from '31-12-2024' is not a date in the form YYYY-MM-DD (e.g. 2025-03-31); "
        "if it means day-month-year, write 2024-12-31",
    ),
    (
        "need",
        {"available_until": "2025-02-30"},
        "available_until",
        "available_until '2025-02-30' is not a calendar date (day is out of range for month)",
    ),
    (
        "need",
        {"available_until": "2024-12-31"},
        "available_until",
        "available_until 2024-12-31 is before available_from 2025-01-01",
    ),
    (
        "offer",
        {"current_route": "dump"},
        "current_route",
        f"current_route 'dump' is not one of {ROUTES} (any case)",
    ),
    (
        "need",
        {"current_source": "recycled"},
        "current_source",
        "current_source 'recycled' is not one of virgin, secondary (any case)",
    ),
    (
        "need",
        {"current_source_km": "-1"},
        "current_source_km",
        "current_source_km '-1' must be 0 or more",
    ),
    (
        "offer",
        {"visibility": "geheim"},
        "visibility",
        "visibility 'geheim' is not one of public, anonymous (any case; also openbaar = "
        "public; anoniem = anonymous)",
    ),
    (
        "offer",
        {"description": "d" * 5001},
        "description",
        "description is 5,001 characters long; at most 5,000 are allowed",
    ),
    (
        "need",
        {"material": "", "ewc_code": ""},
        "material",
        "a need needs a material or an ewc_code (a ';'-separated list of accepted codes)",
    ),
    (
        "offer",
        {"material": "", "ewc_code": ""},
        "ewc_code",
        "an offer needs an ewc_code (the material is then derived from it); only energy and "
        "water offers may give just a material",
    ),
    (
        "offer",
        {"material": "organics.wood.residues", "ewc_code": ""},
        "ewc_code",
        "ewc_code is empty; an offer of 'organics.wood.residues' needs an EWC code (only "
        "energy and water offers may leave it empty)",
    ),
    # A field of the other kind is refused as such, whatever its value.
    (
        "offer",
        {"max_distance_km": "50"},
        "max_distance_km",
        "max_distance_km is for needs only; leave it empty on an offer (it is '50')",
    ),
    (
        "offer",
        {"current_source": "virgin"},
        "current_source",
        "current_source is for needs only; leave it empty on an offer (it is 'virgin')",
    ),
    (
        "offer",
        {"current_source_km": "x"},
        "current_source_km",
        "current_source_km is for needs only; leave it empty on an offer (it is 'x')",
    ),
    (
        "need",
        {"current_route": "landfill"},
        "current_route",
        "current_route is for offers only; leave it empty on a need (it is 'landfill')",
    ),
]


@pytest.mark.parametrize(
    ("base", "overrides", "column", "message"),
    BAD_CELLS,
    ids=[f"{base}-{column}-{next(iter(o.values()))[:12]!r}" for base, o, column, _ in BAD_CELLS],
)
def test_each_bad_value_gives_exactly_one_problem_naming_row_column_and_value(
    base: str, overrides: dict[str, str], column: str, message: str
) -> None:
    row = (OFFER if base == "offer" else NEED) | overrides
    assert problems_of(row) == [Problem(message, row=2, column=column)]


def test_an_organisation_is_required_only_when_asked_for() -> None:
    offer = OFFER | {"organisation": ""}
    assert parse_listings(raw_frame(offer)).loc[0, "organisation"] is None
    assert problems_of(offer, require_organisation=True) == [
        Problem("organisation is empty; every listing needs one", row=2, column="organisation")
    ]


def test_a_ref_is_unique_per_organisation_across_offers_and_needs() -> None:
    rows = (
        OFFER,
        OFFER | {"organisation": "Andere BV"},  # same ref, other firm: fine
        NEED | {"ref": "o-1", "organisation": "ZAGERIJ EPE"},  # same firm, other case
    )
    assert problems_of(*rows) == [
        Problem(
            "ref 'o-1' is already used on row 2 by organisation 'ZAGERIJ EPE'", row=4, column="ref"
        )
    ]


def test_every_problem_of_a_multi_error_file_is_reported_at_once_in_reading_order() -> None:
    rows = [
        OFFER,
        NEED | {"quantity": "1.000", "unit": "liter", "current_route": "landfill"},
        OFFER | {"ref": "o-1", "kind": "bod", "postcode": "ABCD", "visibility": "x"},
        NEED | {"ref": "n-9", "available_from": "1-2-2025", "lat": "", "lon": ""},
    ]
    data = csv_text(rows, delimiter=";").encode("utf-8")
    with pytest.raises(ValidationError) as caught:
        parse_listings(read_listing_file(data))
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (3, "quantity"),
        (3, "unit"),
        (3, "current_route"),
        (4, "ref"),
        (4, "kind"),
        (4, "postcode"),
        (4, "visibility"),
        (5, "postcode"),
        (5, "available_from"),
    ]
    assert str(caught.value).startswith("9 problem(s) found:\nrow 3, column 'quantity': ")


# ------------------------------------------------------------------------ file problems


def test_an_unknown_column_is_named_with_a_suggestion_and_the_allowed_columns() -> None:
    data = b"ref,kind,titel,quantity,unit,colour\n"
    assert file_problems(data) == [
        Problem(
            f"unknown column 'titel'; did you mean 'title'? the allowed columns are "
            f"{ALLOWED_COLUMNS}",
            row=1,
            column="titel",
        ),
        Problem(
            f"unknown column 'colour'; the allowed columns are {ALLOWED_COLUMNS}",
            row=1,
            column="colour",
        ),
    ]


def test_a_duplicate_column_is_refused() -> None:
    assert file_problems(b"ref;kind; REF ;title\n") == [
        Problem("column 'ref' appears more than once ('ref' and 'REF')", row=1, column="ref")
    ]


def test_values_under_a_column_without_a_name_are_refused() -> None:
    assert file_problems(b"ref,,kind\na,x,offer\nb,,need,y\n") == [
        Problem("column 2 holds values but has no name in the header row", row=1),
        Problem("column 4 holds values but has no name in the header row", row=1),
    ]


def test_a_missing_required_column_is_reported_once_not_per_row() -> None:
    raw = read_listing_file(b"ref,kind,title,quantity\na,offer,t,1\nb,offer,t,2\n")
    required = "ref, kind, title, quantity, unit"
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw)
    assert caught.value.problems == [
        Problem(
            f"required column 'unit' is missing; a listing file needs the columns {required}",
            column="unit",
        )
    ]
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw.assign(unit="t"), require_organisation=True)
    assert [p.column for p in caught.value.problems] == ["organisation"]


def test_a_frame_with_an_unknown_column_is_refused_by_the_parser_too() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw_frame(OFFER).assign(colour="red"))
    assert caught.value.problems == [
        Problem(
            f"unknown column 'colour'; the allowed columns are {ALLOWED_COLUMNS}", column="colour"
        )
    ]


TOO_LARGE = Problem(
    "the file is larger than 100 bytes, the most a listing file may be; split it into smaller files"
)


@pytest.mark.parametrize("form", ["bytes", "path", "stream"])
def test_a_file_over_the_byte_limit_is_refused(form: str, tmp_path: Path) -> None:
    data = b"ref,kind\n" + b"x,offer\n" * 12  # 105 bytes
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    source: Any = {"bytes": data, "path": path, "stream": io.BytesIO(data)}[form]
    with pytest.raises(ValidationError) as caught:
        read_listing_file(source, max_bytes=100)
    assert caught.value.problems == [TOO_LARGE]
    assert len(read_listing_file(data, max_bytes=105)) == 12


def test_a_file_over_the_row_limit_is_refused_but_blank_rows_do_not_count() -> None:
    data = b"ref,kind\na,offer\n\n\nb,offer\n"
    assert len(read_listing_file(data, max_rows=2)) == 2
    assert file_problems(data + b"c,need\n", max_rows=2) == [
        Problem("the file has more than 2 listing rows; split it into files of at most 2 rows")
    ]


def test_an_xlsx_over_the_row_limit_is_refused() -> None:
    frame = pd.concat([template_frame()] * 3, ignore_index=True)
    buffer = io.BytesIO()
    write_listing_file(frame, buffer, fmt="xlsx")
    assert len(read_listing_file(buffer.getvalue(), max_rows=6)) == 6
    with pytest.raises(ValidationError, match="more than 5 listing rows"):
        read_listing_file(buffer.getvalue(), max_rows=5)


FILE_PROBLEMS = {
    "empty": (b"", None, "the file is empty; its first row must name the columns"),
    "blank": (b"\r\n  \r\n", None, "the file is empty; its first row must name the columns"),
    "legacy xls by content": (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(50),
        "listings.dat",
        "the file is a legacy Excel 97-2003 workbook, which cannot be read; save the sheet "
        "as .xlsx (Excel workbook) or as CSV UTF-8",
    ),
    "legacy xls by name": (
        b"ref\n",
        "Listings.XLS",
        ".xls files cannot be read; save the sheet as .xlsx (Excel workbook) or as CSV UTF-8",
    ),
    "xlsx that is not a workbook": (
        b"ref,kind\n",
        "listings.xlsx",
        "the file is named .xlsx but is not an Excel workbook",
    ),
    "NUL bytes": (
        b"ref\x00kind\n",
        None,
        "the file contains NUL bytes, so it is not a CSV text file; save the sheet as CSV "
        "UTF-8 or as .xlsx",
    ),
    "neither UTF-8 nor Windows-1252": (
        b"ref\nab\x81\n",
        None,
        "the file is neither UTF-8 nor Windows-1252 text (byte 6); save the sheet as CSV "
        "UTF-8 or as .xlsx",
    ),
    "bad UTF-8 after a UTF-8 mark": (
        b"\xef\xbb\xbfref\n\xe9\n",
        None,
        "the file is marked as UTF-8 but byte 7 is not valid UTF-8",
    ),
}


@pytest.mark.parametrize(
    ("data", "filename", "message"), FILE_PROBLEMS.values(), ids=FILE_PROBLEMS.keys()
)
def test_a_file_that_is_no_listing_file_is_refused_with_one_file_problem(
    data: bytes, filename: str | None, message: str
) -> None:
    assert file_problems(data, filename=filename) == [Problem(message)]


def test_a_workbook_that_unpacks_far_beyond_the_byte_limit_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", bytes(4_000_000))
    data = buffer.getvalue()  # about 4 kB of zip
    assert file_problems(data, max_bytes=100_000) == [
        Problem(
            "the workbook unpacks to 4,000,000 bytes, more than 3,000,000; save the listings "
            "alone as a new .xlsx or CSV"
        )
    ]


def test_a_damaged_workbook_is_refused_with_one_file_problem() -> None:
    buffer = io.BytesIO()
    write_listing_file(template_frame(), buffer, fmt="xlsx")
    damaged = buffer.getvalue()[:200]
    problems = file_problems(damaged)
    assert len(problems) == 1 and problems[0].row is None
    assert problems[0].message.startswith("the file is not a valid .xlsx workbook")


# ------------------------------------------------------------------------------- export


def test_the_export_frame_is_text_in_file_columns() -> None:
    export = to_export_frame(expected_listings())
    assert list(export.columns) == list(LISTING_COLUMNS)
    assert export.iloc[1].to_dict() == {
        "ref": "n-1",
        "organisation": "Warmte Zutphen",
        "kind": "need",
        "title": "Houtsnippers voor ketel",
        "material": "organics.biomass_fuel",
        "ewc_code": "03 01 05;03 01 01",
        "quantity": "40",
        "unit": "t",
        "frequency": "year",
        "postcode": "",
        "lat": "52.141",
        "lon": "6.1978",
        "max_distance_km": "30",
        "transport_mode": "truck",
        "available_from": "2025-01-01",
        "available_until": "2025-12-31",
        "current_route": "",
        "current_source": "virgin",
        "current_source_km": "85",
        "current_source_transport_mode": "truck",
        "visibility": "anonymous",
        "description": "",
    }
    assert export.loc[0, "quantity"] == "12.5"


def test_a_frame_built_from_database_rows_exports_like_the_canonical_one() -> None:
    frame = expected_listings().drop(columns="row").astype(object)
    frame.loc[1, "accepted_ewc_codes"] = ["03 01 05", "03 01 01"]  # a JSON list column
    frame.loc[0, "quantity"] = Decimal("12.500")  # a NUMERIC column
    frame.loc[0, "max_distance_km"] = None
    frame.loc[1, "postcode"] = math.nan
    pd.testing.assert_frame_equal(to_export_frame(frame), to_export_frame(expected_listings()))


def tricky_listings() -> pd.DataFrame:
    """Values that stress a writer: formulas, quotes, delimiters, line breaks, odd floats."""
    offers = [
        OFFER | {"ref": "=1+1", "title": '-5 "pallets"; a, b', "quantity": "1,2340"},
        OFFER | {"ref": "'t Harde", "title": "'=literal", "quantity": "1e-7"},
        OFFER
        | {
            "ref": "@x",
            "title": "+31 tab\there",
            "quantity": "1e20",
            "description": 'line one\nline two; "quoted", done',
        },
    ]
    return parse_listings(raw_frame(*offers, NEED))


ROUND_TRIPS = [("csv", ","), ("csv", ";"), ("csv", "\t"), ("xlsx", ",")]


@pytest.mark.parametrize(("fmt", "delimiter"), ROUND_TRIPS)
@pytest.mark.parametrize("listings", [expected_listings, tricky_listings])
def test_an_export_reads_back_to_the_same_canonical_frame(
    fmt: Any, delimiter: str, listings: Any, tmp_path: Path
) -> None:
    original = listings()
    path = tmp_path / f"export.{fmt}"
    write_listing_file(original, path, fmt=fmt, delimiter=delimiter)
    back = parse_listings(read_listing_file(path))
    pd.testing.assert_frame_equal(back, original)


def test_a_csv_export_cannot_start_a_formula_and_reads_back_the_text() -> None:
    buffer = io.BytesIO()
    write_listing_file(tricky_listings(), buffer, fmt="csv")
    text = buffer.getvalue().decode("utf-8-sig")
    cells = [row[:4] for row in csv.reader(io.StringIO(text))]
    assert cells[1:4] == [
        ["'=1+1", "Zagerij Epe", "offer", '\'-5 "pallets"; a, b'],
        ["'t Harde", "Zagerij Epe", "offer", "''=literal"],
        ["'@x", "Zagerij Epe", "offer", "'+31 tab here"],
    ]
    assert buffer.getvalue().startswith(b"\xef\xbb\xbf")


def test_an_xlsx_export_stores_formula_like_text_as_text() -> None:
    buffer = io.BytesIO()
    write_listing_file(tricky_listings(), buffer, fmt="xlsx")
    sheet = openpyxl.load_workbook(buffer)["listings"]
    assert (sheet["A2"].value, sheet["A2"].data_type) == ("=1+1", "s")
    assert (sheet["G2"].value, sheet["G2"].data_type) == (1.234, "n")  # quantity as a number


def test_writing_refuses_an_unknown_format_delimiter_or_column() -> None:
    with pytest.raises(ValueError, match="fmt 'ods'"):
        write_listing_file(template_frame(), io.BytesIO(), fmt="ods")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("delimiter '|'")):
        write_listing_file(template_frame(), io.BytesIO(), delimiter="|")
    with pytest.raises(ValueError, match="colour"):
        write_listing_file(template_frame().assign(colour="red"), io.BytesIO())


def test_split_offers_needs_keeps_order_and_renumbers_the_index() -> None:
    listings = parse_listings(raw_frame(NEED, OFFER, NEED | {"ref": "n-2"}))
    offers, needs = split_offers_needs(listings)
    assert offers["ref"].tolist() == ["o-1"] and offers.index.tolist() == [0]
    assert needs["ref"].tolist() == ["n-1", "n-2"] and needs.index.tolist() == [0, 1]
    assert needs["row"].tolist() == [2, 4]


# ------------------------------------------------------------------- template and help


def test_the_template_holds_one_valid_offer_and_one_valid_need() -> None:
    listings = parse_listings(template_frame(), require_organisation=True)
    assert listings["kind"].tolist() == ["offer", "need"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_written_template_reads_back_as_valid_listings(fmt: Any) -> None:
    buffer = io.BytesIO()
    write_template(buffer, fmt=fmt, lang="nl")
    listings = parse_listings(read_listing_file(buffer.getvalue()), require_organisation=True)
    assert listings["ref"].tolist() == ["OFF-001", "NEED-001"]


def test_the_xlsx_template_explains_every_column_on_a_help_sheet() -> None:
    buffer = io.BytesIO()
    write_template(buffer, fmt="xlsx", lang="en")
    workbook = openpyxl.load_workbook(buffer)
    assert workbook.sheetnames == ["listings", "help"]
    rows = list(workbook["help"].iter_rows(min_row=2, values_only=True))
    assert [column for column, _ in rows] == list(LISTING_COLUMNS)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_column_help_has_one_line_with_an_example_per_column(lang: str) -> None:
    lines = column_help(lang)
    assert list(lines) == list(LISTING_COLUMNS)
    marker = "Example: " if lang == "en" else "Voorbeeld: "
    assert all(marker in line and "\n" not in line for line in lines.values())


def test_the_examples_in_the_column_help_are_valid_values() -> None:
    examples = {c: line.rsplit(": ", 1)[1] for c, line in column_help("en").items()}
    offer = {c: examples[c] for c in LISTING_COLUMNS if c not in ("lat", "lon")}
    offer |= {
        "max_distance_km": "",
        "current_source": "",
        "current_source_km": "",
        "current_source_transport_mode": "",
    }
    assert len(parse_listings(raw_frame(offer), require_organisation=True)) == 1


def test_column_help_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang 'de'"):
        column_help("de")


# ----------------------------------------------------------------------------- properties

TEXT = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30
).filter(str.strip)
DESCRIPTION = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), include_characters="\n\t"),
    max_size=60,
)
OFFER_EWC = ["03 01 05", "19 12 07", "15 01 01", "17 09 04", "02 01 06"]
MATERIALS = ["organics.wood", "organics.biomass_fuel", "metals.ferrous", "paper", "plastics.pp"]
POSTCODES = ["7411", "7201 AB", "8161", "7311", "7231 xz"]
POSITIVE = st.floats(min_value=1e-9, max_value=1e15, allow_nan=False)
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def valid_rows(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """One valid raw row; numbers and dates come as typed values, as a caller may pass."""
    kind = draw(st.sampled_from(["offer", "need", "Aanbod", "VRAAG"]))
    is_offer = kind.casefold() in ("offer", "aanbod")
    row: dict[str, Any] = {
        "ref": f"{draw(TEXT)}-{index}",
        "organisation": draw(st.one_of(st.just(""), TEXT)),
        "kind": kind,
        "title": draw(TEXT),
        "quantity": draw(POSITIVE),
        "unit": draw(st.sampled_from(["t", "kg", "M3", "MWh", "pcs", "ton", "stuks"])),
        "frequency": draw(st.sampled_from(["", "once", "week", "month", "year", "jaar"])),
        "visibility": draw(st.sampled_from(["", "public", "anonymous", "anoniem"])),
        "description": draw(DESCRIPTION),
    }
    if draw(st.booleans()):
        row["postcode"] = draw(st.sampled_from(POSTCODES))
    else:
        row["lat"] = draw(st.floats(min_value=50.7, max_value=53.6))
        row["lon"] = draw(st.floats(min_value=3.2, max_value=7.3))
        row["postcode"] = draw(st.sampled_from(["", *POSTCODES]))
    start, end = draw(st.one_of(st.none(), DATES)), draw(st.one_of(st.none(), DATES))
    if start is not None and end is not None and end < start:
        start, end = end, start
    row["available_from"], row["available_until"] = start, end
    if is_offer:
        if draw(st.booleans()):
            row["material"] = draw(st.sampled_from(["energy.heat", "water.process"]))
        else:
            row["ewc_code"] = draw(st.sampled_from(OFFER_EWC))
            row["material"] = draw(st.sampled_from(["", *MATERIALS]))
        row["current_route"] = draw(st.sampled_from(["", "landfill", "Land spreading"]))
    else:
        codes = draw(st.lists(st.sampled_from(OFFER_EWC), max_size=3))
        row["ewc_code"] = ";".join(codes)
        row["material"] = draw(st.sampled_from(MATERIALS if not codes else ["", *MATERIALS]))
        row["max_distance_km"] = draw(st.one_of(st.just(""), POSITIVE))
        row["current_source"] = draw(st.sampled_from(["", "virgin", "secondary"]))
        row["current_source_km"] = draw(st.one_of(st.just(""), st.just(0.0), POSITIVE))
    return row


@st.composite
def valid_frames(draw: st.DrawFn) -> pd.DataFrame:
    count = draw(st.integers(min_value=1, max_value=4))
    return raw_frame(*(draw(valid_rows(index)) for index in range(count)))


@settings(max_examples=60, deadline=None)
@given(raw=valid_frames(), way=st.sampled_from(ROUND_TRIPS))
def test_any_valid_listings_survive_an_export_and_a_re_import(
    raw: pd.DataFrame, way: tuple[Any, str]
) -> None:
    original = parse_listings(raw)
    fmt, delimiter = way
    buffer = io.BytesIO()
    write_listing_file(original, buffer, fmt=fmt, delimiter=delimiter)
    back = parse_listings(read_listing_file(buffer.getvalue()))
    pd.testing.assert_frame_equal(back, original)


@given(value=st.floats(min_value=0, allow_nan=False, allow_infinity=False, exclude_min=True))
def test_an_exported_number_reads_back_exactly(value: float) -> None:
    text = cells._format_decimal(value)
    assert cells._parse_grouped_number(text) == value


@pytest.mark.parametrize(
    "module", [listing_file, cells, read, rules, parse, write, help_], ids=lambda m: m.__name__
)
def test_the_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------------------- transport modes


def test_transport_modes_default_to_truck_and_accept_dutch_names() -> None:
    rows = [
        OFFER | {"transport_mode": "Binnenvaart"},
        NEED | {"transport_mode": "", "current_source_transport_mode": "spoor"},
    ]
    listings = parse_listings(read_listing_file(csv_text(rows).encode("utf-8")))
    assert listings["transport_mode"].tolist() == ["barge", "truck"]
    assert listings["current_source_transport_mode"].tolist() == [None, "rail"]


def test_a_file_without_transport_columns_still_imports_with_truck() -> None:
    columns = [c for c in LISTING_COLUMNS if "transport_mode" not in c]
    listings = parse_listings(
        read_listing_file(csv_text([OFFER, NEED], columns=columns).encode("utf-8"))
    )
    assert listings["transport_mode"].tolist() == ["truck", "truck"]
    assert listings["current_source_transport_mode"].tolist() == [None, "truck"]


def test_an_unknown_transport_mode_names_the_allowed_modes() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw_frame(OFFER | {"transport_mode": "zeppelin"}))
    (problem,) = caught.value.problems
    assert problem.column == "transport_mode"
    assert "truck, barge, rail, sea, pipeline" in problem.message


def test_an_offer_cannot_state_how_a_needs_current_supply_travels() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_listings(raw_frame(OFFER | {"current_source_transport_mode": "barge"}))
    assert [p.column for p in caught.value.problems] == ["current_source_transport_mode"]


def test_an_export_of_a_frame_without_transport_columns_fills_the_defaults() -> None:
    old = expected_listings().drop(columns=["transport_mode", "current_source_transport_mode"])
    export = to_export_frame(old)
    assert export["transport_mode"].tolist() == ["truck", "truck"]
    assert export["current_source_transport_mode"].tolist() == ["", "truck"]


@pytest.mark.parametrize(
    ("lat", "lon"),
    [("55.6761", "12.5683"), ("51.9607", "7.6261"), ("40.4168", "-3.7038"), ("-33.87", "151.21")],
)
def test_any_valid_wgs84_point_is_a_location(lat, lon):
    """Copenhagen, Münster, Madrid and Sydney are places firms may list from."""
    raw = pd.DataFrame(
        {"ref": ["n1"], "kind": ["need"], "title": ["Wood"], "material": ["organics.wood"],
         "quantity": ["5"], "unit": ["t"], "lat": [lat], "lon": [lon]}
    )  # fmt: skip
    listing = parse_listings(raw).iloc[0]
    assert (listing["lat"], listing["lon"]) == (float(lat), float(lon))
