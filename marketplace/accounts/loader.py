"""Flask-Login user loader."""

from __future__ import annotations

from marketplace.accounts.models import User
from marketplace.extensions import db


def load_user(user_id: str) -> User | None:
    """Load the user of a session id ``"<id>:<session_version>"``; stale versions log out."""
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or user.session_version != version or not user.active:
        return None
    return user
