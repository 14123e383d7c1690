"""Domain errors and the one edge where every error becomes a page or JSON."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException

from marketplace.extensions import db
from marketplace.request_log import request_id


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


class SpecificBadRequest(BadRequest):
    """A 400 whose description is a translated message for the user."""


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


#: The ``code`` of a JSON error for each HTTP status.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
}


def json_error(
    status: int,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    code: str | None = None,
) -> Any:
    """The JSON answer of every error: ``{"error": {"code", "message", "fields"}}``."""
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message,
            "fields": {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()},
        }
    }
    response = jsonify(body)
    response.status_code = status
    response.headers["X-Request-Id"] = request_id()
    return response


def _error_response(status: int, message: str, **extra: Any) -> Any:
    if wants_json():
        return json_error(status, message, **extra)
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

    @app.errorhandler(InvalidInput)
    def _invalid_input(exc: InvalidInput) -> Any:
        # Pages catch their form's errors themselves; this is the JSON edge (and a 400
        # page for anything that slipped through, never a 500).
        db.session.rollback()
        if wants_json():
            return json_error(422, str(exc), fields=exc.errors)
        return _error_response(400, str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        messages = {
            400: _("The request could not be understood."),
            401: _("Please log in to see this page."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist."),
            405: _("This action is not allowed here."),
            413: _("The file is too large."),
            415: _("This type of content is not accepted here."),
            429: _("Too many attempts. Please wait a while and try again."),
        }
        status = exc.code or 500
        if isinstance(exc, SpecificBadRequest):
            # A guard said precisely what was wrong (e.g. a NUL byte): say it.
            message = str(exc.description)
        else:
            message = messages.get(status, exc.description or "")
        response = _error_response(status, message)
        if wants_json():
            # Keep the headers the exception carries (Allow on 405); a 429 gets its
            # Retry-After from Flask-Limiter (RATELIMIT_HEADERS_ENABLED).
            for name, value in exc.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _server_error(exc: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error (request id %s): %s", request_id(), exc)
        if app.config.get("TESTING") and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        response = _error_response(500, _("Something went wrong on our side. Please try again."))
        if not wants_json():
            response = app.make_response(response)
            response.headers["X-Request-Id"] = request_id()
        return response
