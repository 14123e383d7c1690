"""Request-level guards against input no view should ever see.

- A NUL byte in the path, a query or form parameter (name or value) or a JSON body is
  a 400: PostgreSQL refuses NUL in text and SQLite truncates at it, so it can only end
  in a 500 or a lie.
- ``<int:...>`` route parameters stop at the largest value of a 32-bit integer column
  (PostgreSQL's ``integer``): a larger number is a 404 instead of a database error.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from marketplace.errors import SpecificBadRequest

#: The largest id an ``Integer`` column holds on PostgreSQL (and well within SQLite's).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:name>`` limited to 1 .. MAX_ROW_ID, unless the route gives its own bounds."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


def _nul_message() -> str:
    return _("The request contains a NUL character, which is never valid here.")


def _has_nul(value: object) -> bool:
    """Whether a text, or any key or value of a JSON value, holds a NUL character.

    Walks the value with a stack, not recursion: a body nested as deeply as the JSON
    parser allows must not end in a RecursionError (a 500).
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


def refuse_nul_bytes() -> None:
    """Answer 400 when the path, any query/form parameter or the JSON body holds a NUL byte."""
    if "\x00" in request.path:
        raise SpecificBadRequest(_nul_message())
    sources = [request.args]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form)
    for source in sources:
        for key, value in source.items(multi=True):
            if _has_nul(key) or _has_nul(value):
                raise SpecificBadRequest(_nul_message())
    # Parsed, not searched as bytes: a JSON text may spell NUL as an escape, in any of the
    # encodings JSON allows. Flask keeps the parsed body for the view.
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # nested deeper than the parser goes: not a 500
            raise SpecificBadRequest(_("The body is not valid JSON.")) from None
        if _has_nul(body):
            raise SpecificBadRequest(_nul_message())
