"""Domain errors and the one edge where every error becomes a page or JSON."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db


class MarketplaceError(Exception):
    """Base of the errors the services raise on purpose."""


class PermissionDenied(MarketplaceError):
    """The current user may not touch this object."""


class NotFound(MarketplaceError):
    """The object does not exist (or must look as if it did not)."""


class InvalidInput(MarketplaceError):
    """Input failed validation; ``errors`` maps field names to messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Conflict(InvalidInput):
    """The object changed since the user saw it (another user acted first): HTTP 409.

    A subclass of :class:`InvalidInput`, so that pages show it like any refused input.
    """


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def _error_response(status: int, message: str, **extra: Any) -> Any:
    if wants_json():
        return jsonify({"error": message, "status": status, **extra}), status
    template = (
        f"errors/{status}.html" if status in (400, 403, 404, 413, 500) else "errors/generic.html"
    )
    return render_template(template, status=status, message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(PermissionDenied)
    def _permission_denied(exc: PermissionDenied) -> Any:
        return _error_response(403, str(exc) or _("You do not have access to this page."))

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> Any:
        db.session.rollback()
        return _error_response(409, str(exc), fields=exc.errors)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Any:
        return _error_response(404, str(exc) or _("This page does not exist."))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        messages = {
            400: _("The request could not be understood."),
            401: _("Please log in to see this page."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
            413: _("The file is too large."),
        }
        status = exc.code or 500
        return _error_response(status, messages.get(status, exc.description or ""))

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error: %s", exc)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        return _error_response(500, _("Something went wrong on our side. Please try again."))
