"""Outgoing e-mail: through SMTP when ``SMTP_HOST`` is configured, else the outbox and the log.

Without SMTP (development, tests, demos) every message becomes an :class:`OutboxMessage`
row and an INFO log line, so that a developer can follow a password-reset link without a
mail server. With SMTP the message is sent at once and not kept; if the server refuses it,
the message falls back to the outbox (and an ERROR log line) rather than being lost.

With SMTP and the job queue (``REDIS_URL``) the request does not wait for the mail server:
the message is written to the outbox and a job (:func:`deliver_outbox_message`) sends it
once the request's transaction commits, then deletes it; refused, it stays in the outbox.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from marketplace.accounts.models import OutboxMessage
from marketplace.core import jobs
from marketplace.extensions import db


def send_mail(*, recipient: str, subject: str, body: str) -> OutboxMessage | None:
    """Send a plain-text message; return the outbox row when it was kept instead of sent.

    Flushes the outbox row; the caller commits.
    """
    host = current_app.config.get("SMTP_HOST")
    if host and jobs.redis_url():
        queued = OutboxMessage(recipient=recipient, subject=subject, body=body)
        db.session.add(queued)
        db.session.flush()
        jobs.submit_after_commit(
            "marketplace.accounts.mail:deliver_outbox_message",
            queued.id,
            description=f"mail {queued.id}",
        )
        return None
    if host:
        try:
            _send_smtp(host=host, recipient=recipient, subject=subject, body=body)
        except (OSError, smtplib.SMTPException):
            # Keep the message so that an administrator can resend it; never lose a reset link.
            current_app.logger.exception(
                "SMTP server %s refused the message to %s; kept in the outbox", host, recipient
            )
        else:
            current_app.logger.info("mail sent to %s: %s", recipient, subject)
            return None
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    if current_app.debug or current_app.testing:
        # Development has no mail server: the log is where a developer reads the link.
        current_app.logger.info(
            "mail to %s kept in the outbox (no SMTP_HOST): %s\n%s", recipient, subject, body
        )
    else:
        # Bodies can hold reset links: never write them to a production log.
        current_app.logger.info(
            "mail to %s kept in the outbox (no SMTP_HOST): %s", recipient, subject
        )
    return message


def _send_smtp(*, host: str, recipient: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(host, int(current_app.config.get("SMTP_PORT", 25)), timeout=10) as smtp:
        smtp.send_message(message)


def deliver_outbox_message(message_id: int) -> bool:
    """Send outbox message ``message_id`` over SMTP and delete it (the mail job's body).

    Returns whether it was sent. A refused message stays in the outbox, as in
    :func:`send_mail`, so that an administrator can resend it.
    """
    message = db.session.get(OutboxMessage, message_id)
    host = current_app.config.get("SMTP_HOST")
    if message is None or message.sent_at is not None or not host:
        return False
    try:
        _send_smtp(
            host=host, recipient=message.recipient, subject=message.subject, body=message.body
        )
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception(
            "SMTP server %s refused the message to %s; kept in the outbox", host, message.recipient
        )
        return False
    current_app.logger.info("mail sent to %s: %s", message.recipient, message.subject)
    db.session.delete(message)
    db.session.commit()
    return True
