"""Rate limits on the doors an attacker knocks on: login, registration, reset, API tokens.

Failed logins count per account *and* per address: after ``LOGIN_FAILURE_LIMIT`` (10 in
15 minutes) either one answers 429 with ``Retry-After``, so that neither guessing one
account's password from many addresses nor many accounts from one address gets far.
Successful logins do not count. Limits and storage come from the config (Redis when
``REDIS_URL`` is set); the 429 page or JSON comes from :mod:`marketplace.errors`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from marketplace.extensions import limiter

_F = TypeVar("_F", bound=Callable[..., Any])


def _config(name: str) -> Callable[[], str]:
    return lambda: str(current_app.config[name])


def _digest(text: str) -> str:
    # Keys name no e-mail address or token in the limiter's storage.
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def account_key() -> str:
    """The account a login or reset names (the submitted e-mail address, normalised)."""
    email = (request.form.get("email") or "").strip().lower()
    return "account:" + _digest(email)


def address_key() -> str:
    return "address:" + (get_remote_address() or "unknown")


def token_key() -> str:
    """The API token a request carries (hashed), or the address without one."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return "token:" + _digest(header[7:].strip())
    return address_key()


def _failed_form(response: Response) -> bool:
    """A form answered with its errors (422): a failed attempt."""
    return response.status_code == 422


def _unauthorised(response: Response) -> bool:
    return response.status_code == 401


def login_limits(view: _F) -> _F:
    """Failed logins: at most LOGIN_FAILURE_LIMIT per account and per address."""
    for key_func, scope in ((address_key, "login-address"), (account_key, "login-account")):
        view = limiter.limit(
            _config("LOGIN_FAILURE_LIMIT"),
            key_func=key_func,
            scope=scope,
            methods=["POST"],
            deduct_when=_failed_form,
        )(view)
    return view


def registration_limit(view: _F) -> _F:
    """Registrations: REGISTRATION_LIMIT per address (every POST counts)."""
    return limiter.limit(
        _config("REGISTRATION_LIMIT"), key_func=address_key, scope="register", methods=["POST"]
    )(view)


def password_reset_limits(view: _F) -> _F:
    """Reset requests: PASSWORD_RESET_LIMIT per address and per account."""
    for key_func, scope in ((address_key, "reset-address"), (account_key, "reset-account")):
        view = limiter.limit(
            _config("PASSWORD_RESET_LIMIT"), key_func=key_func, scope=scope, methods=["POST"]
        )(view)
    return view


def api_token_limits(view: _F) -> _F:
    """For API views (or a whole blueprint): API_TOKEN_LIMIT per token, and
    API_TOKEN_FAILURE_LIMIT refused tokens (401) per address."""
    view = limiter.limit(_config("API_TOKEN_LIMIT"), key_func=token_key, scope="api-token")(view)
    return limiter.limit(
        _config("API_TOKEN_FAILURE_LIMIT"),
        key_func=address_key,
        scope="api-token-failure",
        deduct_when=_unauthorised,
    )(view)
