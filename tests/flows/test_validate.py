"""Validation at the engine boundary: every problem of both frames at once."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from flows.errors import Problem, ValidationError
from flows.validate import listing_problems, validate_listings, validate_needs, validate_offers


def test_valid_frames_pass(offers_frame, needs_frame):
    validate_listings(
        offers_frame(dict(material="metals.ferrous", ewc_code="17 04 05")),
        needs_frame(dict(material="metals", accepted_ewc_codes=("17 04 05",))),
    )


def test_missing_columns_are_each_named(offers_frame):
    offers = offers_frame(dict()).drop(columns=["unit", "lat"])
    with pytest.raises(ValidationError) as caught:
        validate_offers(offers)
    messages = [p.message for p in caught.value.problems]
    assert "missing required column 'unit'" in messages
    assert "missing required column 'lat'" in messages


def test_every_row_problem_is_reported_in_one_error(offers_frame):
    offers = offers_frame(
        dict(unit="ton"),
        dict(quantity=-2.0),
        dict(material="unobtainium"),
        dict(ewc_code="99 99 99"),
        dict(lat=math.nan),
        dict(frequency="daily"),
        dict(current_route="river"),
        dict(ref="o1"),  # duplicates row 2's (organisation, ref)? no: other organisation
        dict(ref="o1", organisation="Firm offer1"),
    )
    with pytest.raises(ValidationError) as caught:
        validate_offers(offers)
    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {
        (2, "unit"),
        (3, "quantity"),
        (4, "material"),
        (5, "ewc_code"),
        (6, "lat"),
        (7, "frequency"),
        (8, "current_route"),
        (10, "ref"),
    }
    messages = {p.column: p.message for p in caught.value.problems}
    assert messages["unit"] == "unit 'ton' is not one of t, kg, m3, MWh, pcs"
    assert messages["quantity"] == "quantity -2.0 is not a positive number"
    assert "first on row 2" in messages["ref"]


def test_need_specific_columns_are_checked(needs_frame):
    needs = needs_frame(
        dict(max_distance_km=0.0),
        dict(accepted_ewc_codes=("17 04 05", "nonsense")),
        dict(current_source="recycled"),
        dict(current_source_km=-1.0),
        dict(available_from=dt.date(2025, 5, 1), available_until=dt.date(2025, 4, 1)),
        dict(committed_quantity=-1.0),
    )
    with pytest.raises(ValidationError) as caught:
        validate_needs(needs)
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (2, "max_distance_km"),
        (3, "accepted_ewc_codes"),
        (4, "current_source"),
        (5, "current_source_km"),
        (6, "available_until"),
        (7, "committed_quantity"),
    }


def test_one_ref_may_not_name_an_offer_and_a_need_of_one_organisation(offers_frame, needs_frame):
    offers = offers_frame(dict(ref="x", organisation="A"), dict(quantity=0.0))
    needs = needs_frame(dict(ref="x", organisation="A"))
    with pytest.raises(ValidationError) as caught:
        validate_listings(offers, needs)
    assert caught.value.problems == [
        Problem("quantity 0.0 is not a positive number", row=3, column="quantity"),
        Problem(
            "need ref 'x' of organisation 'A' is also used by an offer; each "
            "(organisation, ref) must name one listing",
            row=2,
            column="ref",
        ),
    ]


def test_rows_are_numbered_from_two_when_the_frame_has_no_row_column(offers_frame):
    offers = offers_frame(dict(), dict(unit="lb")).drop(columns=["row"])
    assert [p.row for p in listing_problems(offers, side="offer")] == [3]


def test_side_must_be_offer_or_need(offers_frame):
    with pytest.raises(ValueError, match="side 'both' is not one of"):
        listing_problems(offers_frame(dict()), side="both")  # type: ignore[arg-type]
