"""Helpers of every v1 endpoint: the JSON body, query parameters, pages of items."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import UnsupportedMediaType

from marketplace.errors import InvalidInput
from marketplace.extensions import db

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 25


def lang() -> str:
    return str(get_locale() or "nl")


def json_object(*, allowed: Sequence[str] | None = None) -> dict[str, Any]:
    """The request's JSON object: 415 if not JSON, 400 if unreadable, 422 if not an object
    or (with ``allowed``) when it carries fields the endpoint does not know."""
    if not request.is_json:
        raise UnsupportedMediaType(_("Send the body as JSON (Content-Type: application/json)."))
    data = request.get_json(silent=True)
    if data is None:
        raise InvalidInput(
            _("The body is not valid JSON."), {"": [_("The body is not valid JSON.")]}
        )
    if not isinstance(data, dict):
        raise InvalidInput(
            _("The body must be a JSON object."), {"": [_("The body must be a JSON object.")]}
        )
    if allowed is not None:
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise InvalidInput(
                _("Unknown fields: %(fields)s.", fields=", ".join(unknown)),
                {name: [_("This field is unknown.")] for name in unknown},
            )
    return data


def int_arg(name: str, *, default: int, minimum: int, maximum: int | None = None) -> int:
    """A whole-number query parameter within bounds, else 422 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}..{maximum}" if maximum is not None else f">= {minimum}"
        message = _(
            "%(name)s=%(value)s is not a whole number in %(bound)s.",
            name=name,
            value=repr(raw[:40]),
            bound=bound,
        )
        raise InvalidInput(message, {name: [message]})
    return value


def page_args() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1 to :data:`MAX_PER_PAGE`) of the query string."""
    errors: dict[str, list[str]] = {}
    values = []
    for name, default, maximum in (
        ("page", 1, 1_000_000),
        ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    ):
        try:
            values.append(int_arg(name, default=default, minimum=1, maximum=maximum))
        except InvalidInput as exc:
            errors.update(exc.errors)
            values.append(default)
    if errors:
        raise InvalidInput(_("Invalid page parameters."), errors)
    return values[0], values[1]


def page_of(items: list[Any], *, total: int, page: int, per_page: int) -> dict[str, Any]:
    """The answer of every list endpoint."""
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def paginate_select(
    stmt: sa.Select[Any], serialize: Callable[[Any], dict[str, Any]], *, page: int, per_page: int
) -> dict[str, Any]:
    """One page of the rows of ``stmt`` (ordered by the caller), serialized."""
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return page_of(
        [serialize(r) for r in rows], total=int(total or 0), page=page, per_page=per_page
    )
