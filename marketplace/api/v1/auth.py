"""Who calls the API: a bearer token, or the site's session cookie (with CSRF on writes).

``Authorization: Bearer <token>`` acts as the token's user, with that user's role and
organisation; the request then writes no session. A token that is unknown, revoked or
belongs to an inactive user answers 401, even if a session cookie came along.
Without a token the session cookie counts, and a write needs the page's CSRF token in
the ``X-CSRFToken`` header, as every form of the site does: the v1 blueprint is exempt
from the global CSRF check, and :func:`authenticate` applies it itself unless a valid
bearer token is present (a cross-site page cannot send that header).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request, session
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from marketplace.accounts.tokens import user_for_token
from marketplace.errors import PermissionDenied, json_error

F = TypeVar("F", bound=Callable[..., Any])

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _unauthorized(message: str) -> Any:
    response = json_error(401, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="reststroom"'
    return response


def authenticate() -> Any:
    """Before every v1 request: resolve a bearer token, or check CSRF for a session write."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized(_("Send the token as 'Authorization: Bearer <token>'."))
        found = user_for_token(token.strip())
        if found is None:
            return _unauthorized(_("This token is not valid (unknown, revoked or inactive)."))
        user, api_token = found
        # Flask-Login reads the current user from here first: the session stays untouched.
        g._login_user = user
        g.api_token = api_token
        return None
    if (
        request.method not in SAFE_METHODS
        and current_user.is_authenticated
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token")
        try:
            validate_csrf(token)
        except ValidationError:  # missing, expired or another session's token
            return json_error(
                400,
                _("A write with the session cookie needs the CSRF token (X-CSRFToken)."),
                code="csrf_failed",
            )
    return None


def by_token() -> bool:
    """Whether the current request authenticated with a bearer token."""
    return "api_token" in g


def keep_session_untouched(response: Any) -> Any:
    """After a token request: never send a session cookie back."""
    if by_token():
        session.modified = False
    return response


def login_required(view: F) -> F:
    """401 JSON for anonymous callers."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _unauthorized(_("Log in or send an API token."))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def coordinator_required(view: F) -> F:
    """401 for anonymous callers, 403 for everyone but coordinators and admins."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _unauthorized(_("Log in or send an API token."))
        if not current_user.is_coordinator:
            raise PermissionDenied(_("Only coordinators may do this."))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
