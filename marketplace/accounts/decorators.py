"""Server-side role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.vocabulary import ROLES
from marketplace.errors import PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    """Let only logged-in users with one of ``roles`` through; administrators always pass.

    Anonymous users are sent to the login page (with ``next``), users with another role
    get 403.

    Examples
    --------
    >>> @bp.get("/region")  # doctest: +SKIP
    ... @role_required("coordinator")
    ... def overview(): ...
    """
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        raise ValueError(f"role_required{roles!r}: roles must be one or more of {', '.join(ROLES)}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if current_user.role not in roles and not current_user.is_admin:
                raise PermissionDenied(_("You do not have access to this page."))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
