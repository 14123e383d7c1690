"""Normalisation: remaining quantity, yearly rate in the family base unit, windows."""

from __future__ import annotations

import datetime as dt

import pytest

from flows.normalise import OPEN_END_DAY, OPEN_START_DAY, normalise, normalise_listings


def test_kilograms_a_month_minus_committed_become_tonnes_a_year(offers_frame):
    offers = offers_frame(
        dict(quantity=500.0, unit="kg", frequency="month", committed_quantity=100.0)
    )
    out = normalise_listings(offers)
    # (500 - 100) kg x 12 months = 4,800 kg = 4.8 t a year.
    assert out["quantity_per_year"].tolist() == pytest.approx([4.8])
    assert out["flow_unit"].tolist() == ["t"]
    assert out["own_unit"].tolist() == ["t"]


@pytest.mark.parametrize(
    ("frequency", "expected"), [("week", 520.0), ("month", 120.0), ("year", 10.0), ("once", 10.0)]
)
def test_frequencies_count_their_occurrences_a_year(offers_frame, frequency, expected):
    out = normalise_listings(offers_frame(dict(quantity=10.0, frequency=frequency)))
    assert out["quantity_per_year"].tolist() == [expected]
    assert out["once"].tolist() == [frequency == "once"]


def test_listings_with_nothing_left_are_dropped(offers_frame, needs_frame):
    offers = offers_frame(
        dict(quantity=5.0, committed_quantity=5.0), dict(quantity=5.0, committed_quantity=1.0)
    )
    result = normalise(offers, needs_frame(dict(quantity=3.0, committed_quantity=4.0)))
    assert result.offers["ref"].tolist() == ["o2"]
    assert result.offers["source_position"].tolist() == [1]
    assert result.offers["quantity_per_year"].tolist() == [4.0]
    assert (result.dropped_offers, result.dropped_needs) == (1, 1)
    assert result.needs.empty


def test_volumes_with_a_density_hint_are_matched_by_mass(offers_frame):
    out = normalise_listings(
        offers_frame(
            dict(material="minerals.sand", unit="m3", quantity=10.0),  # 1.42 t/m3
            dict(material="minerals.gypsum", unit="m3", quantity=10.0),  # no hint
        )
    )
    assert out["family"].tolist() == ["mass", "volume"]
    assert out["quantity_per_year"].tolist() == pytest.approx([14.2, 10.0])
    assert out["to_flow_unit"].tolist() == pytest.approx([1.42, 1.0])
    assert out["own_unit"].tolist() == ["m3", "m3"]


def test_other_families_keep_their_base_unit(offers_frame):
    out = normalise_listings(
        offers_frame(
            dict(material="energy.heat", unit="MWh"), dict(material="packaging", unit="pcs")
        )
    )
    assert out["flow_unit"].tolist() == ["MWh", "pcs"]
    assert out["family"].tolist() == ["energy", "count"]


def test_windows_become_day_numbers_and_missing_dates_stay_open(offers_frame):
    out = normalise_listings(
        offers_frame(dict(available_from=dt.date(1970, 1, 11)), dict(available_until="1970-02-01"))
    )
    assert out["start_day"].tolist() == [10, OPEN_START_DAY]
    assert out["end_day"].tolist() == [OPEN_END_DAY, 31]
