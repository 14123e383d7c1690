"""Quantity conservation: agreements and stored proposals never promise more than a listing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.core.vocabulary import COMMITTED_STATUSES, OPEN_STATUSES
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs import services as runs
from tests.marketplace.helpers import login, make_user
from tests.marketplace.region_world import Region, firm_at, matches, need, run


def promised(listing: Listing, statuses: tuple[str, ...]) -> float:
    return float(
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Match.quantity_flow_unit), 0.0)).where(
                Match.status.in_(statuses),
                sa.or_(Match.offer_id == listing.id, Match.need_id == listing.id),
            )
        )
    )


@pytest.fixture
def two_farms(region: Region) -> Region:
    """500 t of spent grain, two farms of 300 t each: the engine splits it 300 + 200."""
    region.feed.quantity = 300.0
    other = firm_at("7201", "Varkenshouderij Zutphen")
    need(other, 300.0, material="organics.animal_feed", max_distance_km=30.0)
    db.session.commit()
    return region


def test_a_run_clips_its_proposals_to_what_agreements_left(two_farms: Region) -> None:
    run()
    first, second = sorted(matches(), key=lambda m: -m.quantity_per_year)
    assert (first.quantity_per_year, second.quantity_per_year) == (300.0, 200.0)
    # Between two runs the firms agree on the smaller one at the full 300 t (terms).
    for user in (make_user(organisation=second.offer.organisation),):
        matching.propose_terms(user, second, quantity_per_year=300.0)
    matching.respond_to_terms(make_user(organisation=second.need.organisation), second, accept=True)
    db.session.commit()
    assert second.status == "agreed"
    # A stale optimum (computed before the agreement) is stored now: it is cut to fit.
    engine_run = runs.start_run(runs.engine_params())
    frame = _frame_like(first, second)
    counts = runs.store_proposals(engine_run, frame)
    db.session.commit()
    assert counts["skipped_committed"] == 1
    assert counts["clipped"] == 1
    grain = two_farms.grain
    assert promised(grain, COMMITTED_STATUSES) == pytest.approx(300.0)
    assert promised(grain, OPEN_STATUSES) == pytest.approx(200.0)
    assert promised(grain, (*COMMITTED_STATUSES, *OPEN_STATUSES)) <= 500.0 + 1e-9


def _frame_like(*proposals: Match):  # type: ignore[no-untyped-def]
    import pandas as pd

    rows = []
    for m in proposals:
        rows.append(
            {
                "offer_listing_id": m.offer_id,
                "need_listing_id": m.need_id,
                "quantity_per_year": m.engine_quantity_per_year or m.quantity_per_year,
                "unit": m.unit,
                "quantity_flow_unit": m.engine_quantity_per_year or m.quantity_per_year,
                "flow_unit": m.flow_unit,
                "distance_km": m.distance_km,
                "road_km": m.road_km,
                "mass_t_per_year": m.engine_quantity_per_year or m.quantity_per_year,
                "tonne_km_saved": 0.0,
                "avoided_production_co2e_kg": 1000.0,
                "avoided_disposal_co2e_kg": 0.0,
                "transport_co2e_kg": 0.0,
                "avoided_transport_co2e_kg": 0.0,
                "net_co2e_kg": 1000.0,
                "loop_id": None,
                "rule": "same",
                "reason": "r",
                "reason_nl": "r",
            }
        )
    return pd.DataFrame(rows)


def test_an_agreement_beyond_the_listing_offers_the_rest_as_a_partial_agreement(
    client: FlaskClient, two_farms: Region
) -> None:
    run()
    first, second = sorted(matches(), key=lambda m: -m.quantity_per_year)
    brewer = make_user(organisation=two_farms.brewery, locale="en")
    # The second farm agrees on 300 t instead of 200 t, leaving 200 t of the 500 t of grain.
    matching.propose_terms(brewer, second, quantity_per_year=300.0)
    matching.respond_to_terms(make_user(organisation=second.need.organisation), second, accept=True)
    matching.accept(make_user(organisation=first.need.organisation), first)
    db.session.commit()
    assert matching.available_quantity(first) == pytest.approx(200.0)
    login(client, brewer)
    response = client.post(f"/matches/{first.public_id}/accept")
    assert response.status_code == 302
    assert "propose_quantity=200" in response.headers["Location"]
    assert db.session.get(Match, first.id).status == "accepted"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only 200 t per year of this listing is still free" in page
    assert "quantity_per_year" in page, page[page.find("terms") :][:3000]
    assert 'value="200' in page  # the terms form offers the rest
    # The partial agreement: the brewer proposes 150 t, the farm confirms.
    assert (
        client.post(
            f"/matches/{first.public_id}/terms", data={"quantity_per_year": "150"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    matching.respond_to_terms(
        make_user(organisation=first.need.organisation),
        db.session.get(Match, first.id),
        accept=True,
    )
    db.session.commit()
    after = db.session.get(Match, first.id)
    assert (after.status, after.quantity_per_year, after.engine_quantity_per_year) == (
        "agreed",
        150.0,
        300.0,
    )
    assert promised(two_farms.grain, COMMITTED_STATUSES) == pytest.approx(450.0)


def test_terms_above_what_is_left_are_refused(two_farms: Region) -> None:
    run()
    proposal = matches()[0]
    with pytest.raises(Exception) as refused:
        matching.propose_terms(
            make_user(organisation=proposal.offer.organisation),
            proposal,
            quantity_per_year=10_000.0,
        )
    assert "quantity_per_year" in refused.value.errors  # type: ignore[attr-defined]
