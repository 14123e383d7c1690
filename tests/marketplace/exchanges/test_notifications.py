"""Being told: notifications in the app, e-mail per kind or as a daily digest; expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import OutboxMessage
from marketplace.exchanges import notifications
from marketplace.exchanges import services as matching
from marketplace.exchanges.models import Match, Notification
from marketplace.extensions import db
from tests.marketplace.helpers import count, login
from tests.marketplace.region_world import Parties, agree, reload


def kinds_of(user_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
    )


def mails_to(email: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == email))
    )


def test_a_new_proposal_notifies_both_firms(parties: Parties) -> None:
    # The engine run of the fixture created the proposal before the members existed;
    # the next new proposal reaches them.
    matching.notify_new_proposals([parties.proposal])
    db.session.commit()
    assert kinds_of(parties.brewer.id) == ["proposal"]
    assert kinds_of(parties.farmer.id) == ["proposal"]
    assert kinds_of(parties.outsider.id) == []
    [mail] = mails_to(parties.brewer.email)
    assert f"/matches/{parties.proposal.public_id}" in mail.body


def test_each_step_tells_the_other_side_only(parties: Parties) -> None:
    matching.accept(parties.brewer, parties.proposal)
    db.session.commit()
    assert kinds_of(parties.farmer.id) == ["accepted"]
    assert kinds_of(parties.brewer.id) == []
    matching.accept(parties.farmer, parties.proposal)
    matching.post_message(parties.farmer, parties.proposal, body="Wanneer kunnen we beginnen?")
    matching.record_delivery(
        parties.farmer,
        parties.proposal,
        delivered_on=datetime.now(UTC).date(),
        quantity=5.0,
        unit="t",
    )
    db.session.commit()
    assert kinds_of(parties.brewer.id) == ["agreed", "message", "delivery"]
    assert kinds_of(parties.farmer.id) == ["accepted"]


def test_a_kind_switched_off_is_shown_but_not_emailed(parties: Parties) -> None:
    notifications.update_settings(parties.farmer, email_off=["accepted"], daily_digest=False)
    matching.accept(parties.brewer, parties.proposal)
    db.session.commit()
    assert kinds_of(parties.farmer.id) == ["accepted"]
    assert mails_to(parties.farmer.email) == []
    matching.accept(parties.farmer, parties.proposal)
    db.session.commit()
    assert len(mails_to(parties.brewer.email)) == 1  # agreed: the brewer kept every kind


def test_the_daily_digest_sends_one_mail_with_the_days_events(parties: Parties) -> None:
    notifications.update_settings(parties.brewer, email_off=["delivery"], daily_digest=True)
    agree(parties.proposal)
    matching.post_message(parties.farmer, parties.proposal, body="Hallo")
    matching.record_delivery(
        parties.farmer,
        parties.proposal,
        delivered_on=datetime.now(UTC).date(),
        quantity=5.0,
        unit="t",
    )
    db.session.commit()
    assert mails_to(parties.brewer.email) == []
    assert notifications.send_digests() == 1
    db.session.commit()
    [mail] = mails_to(parties.brewer.email)
    assert mail.body.count(f"/matches/{parties.proposal.public_id}") == 2  # agreed + message
    assert notifications.send_digests() == 0


def test_the_account_page_switches_kinds_off(client: FlaskClient, parties: Parties) -> None:
    login(client, parties.farmer)
    response = client.post(
        "/matches/notifications", data={"email_on": ["message", "agreed"], "daily_digest": "y"}
    )
    assert response.status_code == 302
    setting = notifications.setting_for(parties.farmer)
    assert set(setting.email_off) == {"proposal", "accepted", "terms", "delivery", "expiring"}
    assert setting.daily_digest is True


def test_the_header_counts_unread_messages_until_the_match_is_opened(
    client: FlaskClient, parties: Parties
) -> None:
    agree(parties.proposal)
    matching.post_message(parties.farmer, parties.proposal, body="<b>Hallo</b>")
    db.session.commit()
    login(client, parties.brewer)
    html = client.get("/matches/").get_data(as_text=True)
    assert 'id="unread-messages">1<' in html
    page = client.get(f"/matches/{parties.proposal.public_id}").get_data(as_text=True)
    assert "&lt;b&gt;Hallo&lt;/b&gt;" in page and "<b>Hallo</b>" not in page
    assert 'id="unread-messages"' not in client.get("/matches/").get_data(as_text=True)


def test_old_proposals_expire_and_young_ones_warn_once(app: Flask, parties: Parties) -> None:
    young = Match(
        **{
            c.name: getattr(parties.proposal, c.name)
            for c in Match.__table__.columns
            if c.name not in ("id", "public_id", "created_at", "updated_at")
        }
    )
    db.session.add(young)
    now = datetime.now(UTC)
    parties.proposal.created_at = now - timedelta(days=61)
    young.created_at = now - timedelta(days=55)
    db.session.commit()
    assert matching.expire_proposals(now=now) == {"expired": 1, "warned": 1}
    db.session.commit()
    assert reload(parties.proposal).status == "expired"
    assert reload(young).status == "proposed"
    assert kinds_of(parties.brewer.id) == ["expiring"]
    assert matching.expire_proposals(now=now) == {"expired": 0, "warned": 0}


def test_the_expire_and_digest_commands_run_for_cron(app: Flask, parties: Parties) -> None:
    parties.proposal.created_at = datetime.now(UTC) - timedelta(days=100)
    db.session.commit()
    result: Result = app.test_cli_runner().invoke(args=["matches", "expire"])
    assert result.exit_code == 0, result.output
    assert "1 proposals expired" in result.output
    assert reload(parties.proposal).status == "expired"
    result = app.test_cli_runner().invoke(args=["notifications", "digest"])
    assert (result.exit_code, result.output.strip()) == (0, "0 digest e-mails sent")


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_matches_list_filters_by_status(app: Flask, parties: Parties, fmt: str) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["matches", "list", "--status", "proposed", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert parties.proposal.offer.organisation.name in result.output
    result = runner.invoke(args=["matches", "list", "--status", "agreed", "--format", fmt])
    assert parties.proposal.offer.organisation.name not in result.output
    assert count(Match) == 1
