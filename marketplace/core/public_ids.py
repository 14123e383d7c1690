"""Opaque public identifiers: what URLs and JSON use instead of the database id.

Sequential ids tell a probing firm how many listings exist, which ones were made in one
batch (and so by one firm) and let it walk every object by counting. Listings, matches
and organisations therefore carry a random ``public_id`` (12 URL-safe characters, 72
random bits) and the database id never leaves the server.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.routing import BaseConverter

from marketplace.extensions import db

_M = TypeVar("_M")

#: 9 random bytes -> 12 characters of the URL-safe base64 alphabet.
PUBLIC_ID_BYTES = 9
PUBLIC_ID_LENGTH = 12
PUBLIC_ID_RE = re.compile(r"[A-Za-z0-9_-]{12}", re.ASCII)


def new_public_id() -> str:
    """A fresh random public id.

    Examples
    --------
    >>> pid = new_public_id()
    >>> len(pid), bool(PUBLIC_ID_RE.fullmatch(pid)), pid != new_public_id()
    (12, True, True)
    """
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def is_public_id(text: object) -> bool:
    """Whether ``text`` has the shape of a public id (says nothing about whether it exists)."""
    return isinstance(text, str) and PUBLIC_ID_RE.fullmatch(text) is not None


class PublicIdMixin:
    """A random, unique, indexed ``public_id`` column, filled on insert."""

    public_id: Mapped[str] = mapped_column(
        # Looked up at insert time (not bound here), so that tests can fix the next id.
        sa.String(PUBLIC_ID_LENGTH),
        unique=True,
        index=True,
        default=lambda: new_public_id(),
    )


class PublicIdConverter(BaseConverter):
    """``<pid:public_id>`` in a route: only strings shaped like a public id match.

    Anything else (a number, 20 digits beyond 64 bits, a NUL byte) is a plain 404.
    """

    regex = r"[A-Za-z0-9_-]{12}"


def by_public_id(model: type[_M], public_id: object, *options: Any) -> _M | None:
    """The row of ``model`` with ``public_id``, or None (also for a malformed id);
    ``options``: loader options for the query (what the page shows with it)."""
    if not is_public_id(public_id):
        return None
    stmt = sa.select(model).where(model.public_id == public_id).options(*options)  # type: ignore[attr-defined]
    return db.session.scalar(stmt)
