"""Personal API tokens: create (shown once), find the user of a bearer token, revoke.

A token is ``rst_`` followed by 43 characters of ``secrets.token_urlsafe(32)`` (256 random
bits). The database keeps its first :data:`PREFIX_LENGTH` characters (to find the row and
to tell tokens apart on the account page) and the SHA-256 hash of the whole token; a
fast hash is enough for a secret of 256 random bits, and a stolen table gives no token.
Functions flush; the caller commits once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import ApiToken, User
from marketplace.core.models import utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.extensions import db

TOKEN_PREFIX = "rst_"  # noqa: S105 - a label, not a secret
#: Characters of the token kept in clear: ``rst_`` and 8 of the random part.
PREFIX_LENGTH = 12
TOKEN_NAME_MAX_LENGTH = 80
#: At most this many live tokens per user: enough for every system a firm connects.
MAX_TOKENS_PER_USER = 20
_TOKEN_SHAPE = re.compile(r"rst_[A-Za-z0-9_-]{43}", re.ASCII)
#: Writing ``last_used_at`` on every request would make every read a write.
LAST_USED_RESOLUTION_S = 60


def hash_token(token: str) -> str:
    """The SHA-256 hex digest a token is stored as."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def live_tokens(user: User) -> list[ApiToken]:
    """The user's tokens that are not revoked, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def create_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """Create a token named ``name`` for ``user``; return the row and the token (shown once)."""
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    live = live_tokens(user)
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the system that will use it.")]
    elif len(name) > TOKEN_NAME_MAX_LENGTH:
        errors["name"] = [
            _("The name is too long (at most %(n)d characters).", n=TOKEN_NAME_MAX_LENGTH)
        ]
    elif any(t.name == name for t in live):
        errors["name"] = [_("You already have a token named %(name)s.", name=repr(name))]
    elif len(live) >= MAX_TOKENS_PER_USER:
        errors["name"] = [
            _("You have %(n)d tokens; revoke one before creating another.", n=len(live))
        ]
    if not user.active:
        errors.setdefault("", []).append(_("This account is not active."))
    if errors:
        raise InvalidInput(_("The token was not created."), errors)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user=user, name=name, prefix=token[:PREFIX_LENGTH], token_hash=hash_token(token))
    db.session.add(row)
    db.session.flush()
    return row, token


def user_for_token(token: str, *, now: datetime | None = None) -> tuple[User, ApiToken] | None:
    """The active user of a live token, or None (unknown, revoked, inactive user)."""
    if not isinstance(token, str) or _TOKEN_SHAPE.fullmatch(token) is None:
        return None
    digest = hash_token(token)
    candidates = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.prefix == token[:PREFIX_LENGTH])
    )
    for row in candidates:
        if hmac.compare_digest(row.token_hash, digest):
            if row.revoked_at is not None or not row.user.active:
                return None
            now = now or utcnow()
            last = row.last_used_at
            if last is None or (now - _aware(last)).total_seconds() > LAST_USED_RESOLUTION_S:
                row.last_used_at = now
            return row.user, row
    return None


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def find_token(user: User | None, key: str | int) -> ApiToken:
    """A live token by id or name: ``user``'s own, or anybody's when ``user`` is None (CLI)."""
    stmt = sa.select(ApiToken).where(ApiToken.revoked_at.is_(None))
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    text = str(key).strip()
    if text.isdigit() and len(text) < 10:
        found = db.session.scalar(stmt.where(ApiToken.id == int(text)))
        if found is not None:
            return found
    if user is None:
        raise NotFound(_("No live token with id %(key)s.", key=repr(text)))
    found = db.session.scalar(stmt.where(ApiToken.name == text))
    if found is None:
        raise NotFound(_("You have no live token named %(name)s.", name=repr(text)))
    return found


def revoke_token(token: ApiToken, *, now: datetime | None = None) -> ApiToken:
    """Revoke ``token``: from now on it answers 401."""
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        db.session.flush()
    return token
