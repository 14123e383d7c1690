"""Telling firms what happened to their matches: in the app, and by e-mail through the outbox.

Every notification is shown in the app. By e-mail it goes out at once, unless the user
switched that kind off (then never) or chose the daily digest (then
:func:`send_digests`, run by ``flask notifications digest``, sends one e-mail a day).
Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.mail import send_mail
from marketplace.accounts.models import User
from marketplace.core.vocabulary import NOTIFICATION_KINDS, label
from marketplace.errors import InvalidInput
from marketplace.exchanges.models import Match, Notification, NotificationSetting
from marketplace.extensions import db


def setting_for(user: User, *, create: bool = False) -> NotificationSetting:
    """The user's e-mail choices (defaults: every kind, one e-mail per event).

    Reading never writes (two transactions notifying one user at once must not both
    insert their row); ``create`` adds the row for :func:`update_settings`.
    """
    setting = db.session.get(NotificationSetting, user.id)
    if setting is None:
        setting = NotificationSetting(user_id=user.id, email_off=[], daily_digest=False)
        if create:
            db.session.add(setting)
            db.session.flush()
    return setting


def update_settings(user: User, *, email_off: Iterable[str], daily_digest: bool) -> None:
    """Switch e-mail off for the kinds in ``email_off``; choose the daily digest or not."""
    kinds = sorted(set(email_off))
    unknown = [k for k in kinds if k not in NOTIFICATION_KINDS]
    if unknown:
        raise InvalidInput(
            f"notification kind {unknown[0]!r} is not one of {', '.join(NOTIFICATION_KINDS)}"
        )
    setting = setting_for(user, create=True)
    setting.email_off = kinds
    setting.daily_digest = bool(daily_digest)
    db.session.flush()


def match_link(public_id: str) -> str:
    """An absolute link to a match page, from ``BASE_URL`` (never the request's host)."""
    base_url = current_app.config.get("BASE_URL")
    path = url_for("matches.detail", public_id=public_id, _external=False) if _has_url() else ""
    if not path:
        path = f"/matches/{public_id}"
    return (str(base_url).rstrip("/") if base_url else "http://127.0.0.1:5000") + path


def _has_url() -> bool:
    from flask import has_request_context

    return has_request_context() or bool(current_app.config.get("SERVER_NAME"))


def describe(kind: str, match: Match | None) -> str:
    """One line saying what happened, in the current language."""
    texts = {
        "proposal": _("There is a new proposal for one of your listings."),
        "accepted": _("The other firm accepted a proposal; it waits for your answer."),
        "terms": _("The other firm proposed new terms for a proposal."),
        "agreed": _("An exchange was agreed: you can now see each other's contact details."),
        "message": _("You have a new message about an exchange."),
        "delivery": _("The other firm logged a delivery."),
        "expiring": _("A proposal expires soon unless both firms accept it."),
    }
    line = texts[kind]
    if match is not None:
        line += " " + _(
            "Match %(id)s: %(offer)s → %(need)s.",
            id=match.id,
            offer=match.offer.title,
            need=match.need.title,
        )
    return line


def notify(users: Iterable[User], kind: str, match: Match | None) -> list[Notification]:
    """Notify each of ``users`` (each once) about ``match``; e-mail those who want it now."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"notification kind {kind!r} is not one of {NOTIFICATION_KINDS}")
    created = []
    seen: set[int] = set()
    now = datetime.now(UTC)
    for user in users:
        if user.id in seen or not user.active:
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, kind=kind, match_id=match.id if match else None)
        db.session.add(note)
        setting = setting_for(user)
        if kind not in (setting.email_off or []) and not setting.daily_digest:
            with force_locale(user.locale):
                send_mail(
                    recipient=user.email,
                    subject=_("Reststroom: %(what)s", what=label(kind, "notification_kind")),
                    body=_email_body(user, [(kind, match)]),
                )
            note.emailed_at = now
        created.append(note)
    db.session.flush()
    return created


#: Ids per ``IN (...)`` list (PostgreSQL takes at most 65,535 parameters per statement).
_CHUNK = 10_000


def _settings_of(user_ids: Iterable[int]) -> dict[int, NotificationSetting]:
    """The stored e-mail choices of ``user_ids`` (a user without a row has the defaults)."""
    ids = sorted(set(user_ids))
    settings: dict[int, NotificationSetting] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        settings.update(
            (s.user_id, s)
            for s in db.session.scalars(
                sa.select(NotificationSetting).where(NotificationSetting.user_id.in_(chunk))
            )
        )
    return settings


def notify_many(items: Iterable[tuple[Match, Iterable[User]]], kind: str) -> int:
    """:func:`notify` for many matches at once; return how many notifications were made.

    For each ``(match, users)`` every active user of ``users`` is notified once about the
    match, as :func:`notify` does, with the same e-mail choices per kind; but in a fixed
    number of statements: the users' settings in one query, the notifications in one
    multi-row insert, and one e-mail per user (through :func:`send_mail`) that lists every
    match that user is told of now, instead of one e-mail per match.
    """
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"notification kind {kind!r} is not one of {NOTIFICATION_KINDS}")
    pairs: list[tuple[Match, User]] = []
    users: dict[int, User] = {}
    for match, recipients in items:
        seen: set[int] = set()
        for user in recipients:
            if user.id in seen or not user.active:
                continue
            seen.add(user.id)
            users[user.id] = user
            pairs.append((match, user))
    if not pairs:
        return 0
    settings = _settings_of(users)
    emailed = {
        user_id
        for user_id in users
        if user_id not in settings
        or (kind not in (settings[user_id].email_off or []) and not settings[user_id].daily_digest)
    }
    now = datetime.now(UTC)
    db.session.execute(
        sa.insert(Notification),
        [
            {
                "user_id": user.id,
                "kind": kind,
                "match_id": match.id,
                "emailed_at": now if user.id in emailed else None,
            }
            for match, user in pairs
        ],
    )
    matches_of: dict[int, list[Match]] = {}
    for match, user in pairs:
        if user.id in emailed:
            matches_of.setdefault(user.id, []).append(match)
    for user_id, matches in matches_of.items():
        user = users[user_id]
        with force_locale(user.locale):
            send_mail(
                recipient=user.email,
                subject=_("Reststroom: %(what)s", what=label(kind, "notification_kind")),
                body=_email_body(user, [(kind, match) for match in matches]),
            )
    db.session.flush()
    return len(pairs)


def _email_body(user: User, items: list[tuple[str, Match | None]]) -> str:
    lines = [_("Hello %(name)s,", name=user.name), ""]
    for kind, match in items:
        lines.append("- " + describe(kind, match))
        if match is not None:
            lines.append("  " + match_link(match.public_id))
    lines += [
        "",
        _("You can choose which e-mails you receive on your notifications page."),
    ]
    return "\n".join(lines) + "\n"


def send_digests(*, now: datetime | None = None) -> int:
    """One e-mail per digest user with the notifications not e-mailed yet; return how many."""
    now = now or datetime.now(UTC)
    sent = 0
    settings = db.session.scalars(
        sa.select(NotificationSetting).where(NotificationSetting.daily_digest.is_(True))
    )
    for setting in list(settings):
        user = db.session.get(User, setting.user_id)
        if user is None or not user.active:
            continue
        pending = list(
            db.session.scalars(
                sa.select(Notification)
                .where(Notification.user_id == user.id, Notification.emailed_at.is_(None))
                .order_by(Notification.id)
            )
        )
        wanted = [n for n in pending if n.kind not in (setting.email_off or [])]
        if wanted:
            with force_locale(user.locale):
                send_mail(
                    recipient=user.email,
                    subject=_("Reststroom: your daily summary (%(n)d)", n=len(wanted)),
                    body=_email_body(user, [(n.kind, n.match) for n in wanted]),
                )
            sent += 1
        for note in pending:
            note.emailed_at = now
        setting.last_digest_at = now
    db.session.flush()
    return sent


def unread_counts(user: User) -> dict[str, int]:
    """Unread notifications of ``user``: ``{"messages": n, "all": n}``."""
    rows = db.session.execute(
        sa.select(Notification.kind, sa.func.count())
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .group_by(Notification.kind)
    ).all()
    by_kind = {kind: int(n) for kind, n in rows}
    return {"messages": by_kind.get("message", 0), "all": sum(by_kind.values())}


def mark_read(user: User, *, match: Match | None = None) -> int:
    """Mark ``user``'s notifications (about ``match``, or all) read; return how many."""
    stmt = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if match is not None:
        stmt = stmt.where(Notification.match_id == match.id)
    result = db.session.execute(stmt.values(read_at=datetime.now(UTC)))
    return int(result.rowcount or 0)


def recent_notifications(user: User, *, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
