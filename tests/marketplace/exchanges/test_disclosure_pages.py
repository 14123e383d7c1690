"""Before agreement the firms stay anonymous to each other everywhere; after it they see
each other's name, contact person and e-mail (core/disclosure.py decides)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.exchanges import services as matching
from marketplace.extensions import db
from tests.marketplace.helpers import login
from tests.marketplace.region_world import Parties, Region


@pytest.fixture
def anonymous_brewery(region: Region, parties: Parties) -> Parties:
    region.grain.visibility = "anonymous"
    parties.brewer.name = "Bea Brouwer"
    db.session.commit()
    # As if the engine had proposed after the listing went anonymous.
    parties.proposal.engine_run.started_at = datetime.now(UTC) + timedelta(seconds=1)
    db.session.commit()
    return parties


def pages(client: FlaskClient, match_id: str) -> dict[str, str]:
    return {
        "match page": client.get(f"/matches/{match_id}").get_data(as_text=True),
        "match list": client.get("/matches/?status=all").get_data(as_text=True),
        "impact page": client.get("/matches/impact").get_data(as_text=True),
        "impact csv": client.get("/matches/impact.csv").get_data(as_text=True),
        "notifications": client.get("/matches/notifications").get_data(as_text=True),
    }


def test_an_anonymous_firm_stays_hidden_until_both_agree(
    client: FlaskClient, app: Flask, region: Region, anonymous_brewery: Parties
) -> None:
    parties = anonymous_brewery
    matching.accept(parties.brewer, parties.proposal)
    db.session.commit()
    login(client, parties.farmer)
    for name, html in pages(client, parties.proposal.public_id).items():
        assert region.brewery.name not in html, name
        assert parties.brewer.email not in html, name
        assert "Bea Brouwer" not in html, name

    matching.accept(parties.farmer, parties.proposal)
    matching.record_delivery(
        parties.farmer, parties.proposal, delivered_on=date(2026, 3, 1), quantity=5.0, unit="t"
    )
    db.session.commit()
    after = pages(client, parties.proposal.public_id)
    assert region.brewery.name in after["match page"]
    assert parties.brewer.email in after["match page"]
    assert "Bea Brouwer" in after["match page"]  # the contact person who accepted
    assert region.brewery.name in after["match list"]
    assert region.brewery.name in after["impact page"]
    assert region.brewery.name in after["impact csv"]


def test_a_public_firms_contact_is_withheld_before_agreement(
    client: FlaskClient, parties: Parties
) -> None:
    login(client, parties.farmer)
    html = client.get(f"/matches/{parties.proposal.public_id}").get_data(as_text=True)
    assert parties.brewer.email not in html
    assert 'id="contacts"' not in html
    assert 'id="messages"' not in html


def test_a_third_firm_gets_no_page_csv_or_message_of_the_match(
    client: FlaskClient, parties: Parties
) -> None:
    matching.accept(parties.brewer, parties.proposal)
    matching.accept(parties.farmer, parties.proposal)
    db.session.commit()
    login(client, parties.outsider)
    assert client.get(f"/matches/{parties.proposal.public_id}").status_code == 404
    assert (
        client.post(
            f"/matches/{parties.proposal.public_id}/messages", data={"body": "hoi"}
        ).status_code
        == 404
    )
    assert parties.proposal.offer.organisation.name not in client.get(
        "/matches/impact.csv"
    ).get_data(as_text=True)
