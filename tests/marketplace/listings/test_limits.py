"""Limits on quantity, price and distance: the form refuses beyond, accepts at the limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from marketplace.extensions import db
from marketplace.listings import limits
from marketplace.listings.models import Listing
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.region_world import (
    Region,
)

# Security review: limits, failing runs, stale runs, concurrent starts (H4, Low) -------------------

LISTING_FORM = {
    "kind": "offer",
    "title": "Bierbostel",
    "material": "organics.spent_grain",
    "ewc_code": "02 07 02",
    "quantity": "20",
    "unit": "t",
    "frequency": "week",
    "location_mode": "site",
    "price_terms": "negotiable",
    "visibility": "public",
    "publish": "1",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "1e308"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "10000000.5"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "1e400"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "Infinity"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "NaN"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"quantity": "sNaN"}, "quantity", limits.QUANTITY_LIMIT_MESSAGE),
        ({"price_eur_per_unit": "1e400"}, "price", limits.PRICE_LIMIT_MESSAGE),
        ({"price_eur_per_unit": "1000000.01"}, "price", limits.PRICE_LIMIT_MESSAGE),
        (
            {"kind": "need", "ewc_code": "", "max_distance_km": "1000.1"},
            "max_distance_km",
            limits.DISTANCE_LIMIT_MESSAGE,
        ),
        (
            {"kind": "need", "ewc_code": "", "current_source_km": "inf"},
            "current_source_km",
            limits.DISTANCE_LIMIT_MESSAGE,
        ),
    ],
)
def test_the_listing_form_refuses_numbers_beyond_the_limits(
    client: FlaskClient, region: Region, changes: dict[str, str], field: str, message: Any
) -> None:
    login(client, make_user(organisation=region.brewery))
    response = client.post("/listings/new", data={**LISTING_FORM, **changes})
    assert response.status_code == 422
    assert str(message) in response.get_data(as_text=True)
    assert count(Listing) == 3  # the region's


def test_the_listing_form_accepts_numbers_at_the_limits(
    client: FlaskClient, region: Region
) -> None:
    login(client, make_user(organisation=region.brewery))
    data = {**LISTING_FORM, "quantity": "10000000", "price_eur_per_unit": "1000000"}
    assert client.post("/listings/new", data=data).status_code == 302
    created = db.session.scalars(sa.select(Listing).order_by(Listing.id.desc())).first()
    assert created is not None
    assert (created.quantity, created.price_eur_per_unit) == (1e7, 1e6)


def test_check_listing_limits_names_every_field_beyond_its_limit(app: Flask) -> None:
    values = {
        "quantity": 1e308,
        "price_eur_per_unit": float("inf"),
        "max_distance_km": float("nan"),
        "current_source_km": Decimal("sNaN"),
        "title": "ignored",
    }
    with app.test_request_context():
        assert limits.check_listing_limits(values) == {
            "quantity": [str(limits.QUANTITY_LIMIT_MESSAGE)],
            "price_eur_per_unit": [str(limits.PRICE_LIMIT_MESSAGE)],
            "max_distance_km": [str(limits.DISTANCE_LIMIT_MESSAGE)],
            "current_source_km": [str(limits.DISTANCE_LIMIT_MESSAGE)],
        }
        at_limits = {
            "quantity": limits.MAX_QUANTITY_PER_UNIT,
            "price_eur_per_unit": Decimal("1000000"),
            "max_distance_km": limits.MAX_DISTANCE_KM,
            "current_source_km": None,
        }
        assert limits.check_listing_limits(at_limits) == {}


def test_the_limit_messages_state_the_limits(app: Flask) -> None:
    with app.test_request_context(), force_locale("en"):
        for limit, message in limits.LIMITS.values():
            assert f"{limit:,.0f}" in str(message)
