"""Hypothesis: whatever a form or a file holds, bad input is refused with a message and
nothing is written; what is written obeys the listing rules."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.marketplace.helpers import count, login, make_user
from tests.marketplace.listings.test_import_export import HEADER, problems_of, upload
from tests.marketplace.listings.test_listings import OFFER

FIXTURES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Numbers as people (and attackers) type them.
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "1e309", "-0", "0", "1,5", "1.000,5", "NaN", "inf", "٣", "1_000"]),
)
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=300,
)


@pytest.fixture
def member(db_session: Any) -> User:
    org = factories.organisation(name="Brouwerij Eigen", lon=6.16, lat=52.25, postcode="7411 AA")
    user = make_user(organisation=org)
    db_session.commit()
    return user


@pytest.fixture(autouse=True)
def _uploads_in_tmp(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))


def _stored_listings_obey_the_rules() -> None:
    for listing in db.session.scalars(sa.select(Listing)):
        assert math.isfinite(listing.quantity) and listing.quantity > 0
        assert listing.title.strip()
        if listing.max_distance_km is not None:
            assert listing.max_distance_km % 5 == 0 and listing.max_distance_km > 0


@FIXTURES
@given(
    quantity=NUMBERS,
    title=TEXT,
    max_km=NUMBERS,
    kind=st.sampled_from(["offer", "need", "", "vraag", "x" * 50]),
    unit=st.sampled_from(["t", "kg", "m3", "", "tonnes", "pcs"]),
)
def test_the_listing_form_writes_valid_listings_or_nothing(
    client: FlaskClient, member: User, quantity: str, title: str, max_km: str, kind: str, unit: str
) -> None:
    login(client, member)
    before = count(Listing)
    data = OFFER | {
        "kind": kind,
        "title": title,
        "quantity": quantity,
        "unit": unit,
        "max_distance_km": max_km,
    }
    if kind == "need":
        data |= {"material": "organics.animal_feed", "ewc_code": ""}
    response = client.post("/listings/new", data=data)
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        assert count(Listing) == before
        assert 'class="errors"' in response.get_data(as_text=True)
    else:
        assert count(Listing) == before + 1
    _stored_listings_obey_the_rules()
    db.session.execute(sa.delete(Listing))
    db.session.commit()


# Files may hold anything, NUL bytes included (the request guard only sees form fields).
CELL = st.one_of(TEXT.map(lambda t: t[:40]), NUMBERS, st.sampled_from(["\x00", "a\x00b", "=1+1"]))


@FIXTURES
@given(rows=st.lists(st.lists(CELL, min_size=len(HEADER), max_size=len(HEADER)), max_size=5))
def test_an_upload_is_previewed_or_refused_with_every_problem_and_never_written(
    client: FlaskClient, member: User, rows: list[list[str]]
) -> None:
    login(client, member)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    response = upload(client, buffer.getvalue().encode("utf-8"), "lijst.csv")
    assert response.status_code in (200, 422), response.status_code
    html = response.get_data(as_text=True)
    if response.status_code == 422:
        assert problems_of(html) or "problem" in html.lower() or "probleem" in html.lower()
    assert count(Listing) == 0  # a preview writes nothing
