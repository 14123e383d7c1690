"""Outgoing e-mail as a job: queued with the request's commit, sent by a worker."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.mail import deliver_outbox_message
from marketplace.accounts.models import OutboxMessage
from marketplace.core import jobs
from marketplace.extensions import db
from tests import factories
from tests.marketplace.helpers import count
from tests.marketplace.job_queue import needs_redis, work_off_the_queue


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """The mail server: records what it is given (To, Subject, body)."""
    sent: list[tuple[str, str, str]] = []

    class RecordingSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            assert (host, port) == ("mail.example", 25)

        def __enter__(self) -> RecordingSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def send_message(self, message: Any) -> None:
            sent.append((message["To"], message["Subject"], message.get_content()))

    monkeypatch.setattr("marketplace.accounts.mail.smtplib.SMTP", RecordingSMTP)
    monkeypatch.setitem(app.config, "SMTP_HOST", "mail.example")
    return sent


@needs_redis
def test_a_reset_mail_is_queued_with_the_request_and_sent_by_the_worker(
    redis_app: Flask, client: FlaskClient, smtp: list[tuple[str, str, str]]
) -> None:
    factories.user(email="piet@example.nl", locale="en")
    db.session.commit()
    response = client.post("/password/forgot", data={"email": "piet@example.nl"})
    assert response.status_code == 302
    assert smtp == []  # the request did not wait for the mail server
    assert count(OutboxMessage) == 1
    assert jobs.get_queue().count == 1

    work_off_the_queue()

    [(to, subject, body)] = smtp
    assert (to, subject) == ("piet@example.nl", "Reset your Reststroom password")
    assert "/password/reset/" in body
    assert count(OutboxMessage) == 0  # sent, so not kept


@needs_redis
def test_a_mail_whose_request_rolls_back_is_never_sent(
    redis_app: Flask, smtp: list[tuple[str, str, str]]
) -> None:
    from marketplace.accounts.mail import send_mail

    assert send_mail(recipient="a@example.nl", subject="Nooit", body="x") is None
    db.session.rollback()
    assert jobs.get_queue().count == 0
    assert count(OutboxMessage) == 0


@needs_redis
def test_a_mail_the_server_refuses_stays_in_the_outbox(
    redis_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.accounts.mail import send_mail

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr("marketplace.accounts.mail.smtplib.SMTP", refuse)
    monkeypatch.setitem(redis_app.config, "SMTP_HOST", "mail.example")
    send_mail(recipient="b@example.nl", subject="Bewaard", body="x")
    db.session.commit()
    work_off_the_queue()
    kept = db.session.scalars(sa.select(OutboxMessage)).one()
    assert (kept.recipient, kept.subject, kept.sent_at) == ("b@example.nl", "Bewaard", None)


def test_without_redis_the_mail_is_sent_during_the_request(
    app: Flask, db_session: Any, smtp: list[tuple[str, str, str]]
) -> None:
    from marketplace.accounts.mail import send_mail

    assert send_mail(recipient="c@example.nl", subject="Nu", body="meteen") is None
    assert smtp == [("c@example.nl", "Nu", "meteen\n")]
    assert count(OutboxMessage) == 0


def test_delivering_a_message_that_is_gone_does_nothing(
    app: Flask, db_session: Any, smtp: list[tuple[str, str, str]]
) -> None:
    assert deliver_outbox_message(987654) is False
    assert smtp == []
