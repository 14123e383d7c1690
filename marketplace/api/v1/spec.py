"""The OpenAPI 3.1 document of ``/api/v1``, built from one place: the route declarations.

Every endpoint is declared with :func:`operation`, which registers the Flask view on the
v1 blueprint *and* records its OpenAPI operation (summary, parameters, request body,
responses) right next to the code that answers it. :func:`openapi_document` assembles
the document from those records and the shared :data:`COMPONENTS`; a test checks that
every ``/api/v1`` rule of the app has an operation, so an endpoint cannot go
undocumented. (No apispec: it would add a dependency and still need these dicts.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint

F = TypeVar("F", bound=Callable[..., Any])

#: (flask rule, method) -> OpenAPI operation object, in declaration order.
OPERATIONS: dict[tuple[str, str], dict[str, Any]] = {}

#: Who may call an operation: anyone (the answer depends on who), or logged-in users.
PUBLIC = "public"
AUTHENTICATED = "authenticated"
COORDINATORS = "coordinators"

_SECURITY = {
    PUBLIC: [{}, {"bearerAuth": []}, {"cookieAuth": []}],
    AUTHENTICATED: [{"bearerAuth": []}, {"cookieAuth": []}],
    COORDINATORS: [{"bearerAuth": []}, {"cookieAuth": []}],
}

#: Error answers every operation may give; operations add their own.
_COMMON_ERRORS = {
    PUBLIC: (400, 404, 405, 429),
    AUTHENTICATED: (400, 401, 403, 404, 405, 429),
    COORDINATORS: (400, 401, 403, 404, 405, 429),
}

_ERROR_DESCRIPTIONS = {
    400: "The request could not be understood (bad JSON, a missing CSRF token)",
    401: "No valid token or session",
    403: "The user may not do this",
    404: "No such object, or not one the user may see",
    405: "Method not allowed",
    409: "The object changed state meanwhile",
    413: "The body is too large",
    415: "The body is not of an accepted content type",
    422: "Invalid input; `fields` names every problem",
    429: "Too many requests",
}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of :data:`COMPONENTS`."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""
    return {"anyOf": [schema, {"type": "null"}]}


def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


PAGE_PARAMETERS = [
    query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1"),
    query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 200, "default": 25},
        "Items per page (at most 200)",
    ),
]


def json_body(schema: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_PATH_PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: ``/x/<pid:public_id>`` -> ``/x/{public_id}``."""
    return _PATH_PARAMETER.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    out = []
    for m in _PATH_PARAMETER.finditer(rule):
        schema: dict[str, Any] = {"type": "string"}
        if m.group("converter") == "pid":
            schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{12}$"}
        elif m.group("converter") == "int":
            schema = {"type": "integer", "minimum": 0}
        out.append({"name": m.group("name"), "in": "path", "required": True, "schema": schema})
    return out


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    access: str,
    responses: dict[int, dict[str, Any]],
    tag: str,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (),
    description: str | None = None,
) -> Callable[[F], F]:
    """Register a view on ``bp`` for ``method rule`` and record its OpenAPI operation."""

    def decorator(view: F) -> F:
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        codes = sorted({*_COMMON_ERRORS[access], *errors} - set(responses))
        doc: dict[str, Any] = {
            "operationId": view.__name__,
            "summary": summary,
            "tags": [tag],
            "security": _SECURITY[access],
            "parameters": _path_parameters(rule) + list(parameters or []),
            "responses": {
                **{str(code): spec for code, spec in responses.items()},
                **{
                    str(code): {
                        "description": _ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref("Error")}},
                    }
                    for code in codes
                },
            },
        }
        if description or view.__doc__:
            doc["description"] = description or (view.__doc__ or "").strip()
        if access == COORDINATORS:
            doc["description"] = doc.get("description", "") + "\n\nCoordinators and admins only."
        if body is not None:
            doc["requestBody"] = body
        OPERATIONS[(bp.url_prefix or "") + rule, method.upper()] = doc
        return view

    return decorator


def openapi_document(components: dict[str, Any], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation."""
    paths: dict[str, dict[str, Any]] = {}
    for (rule, method), doc in OPERATIONS.items():
        paths.setdefault(openapi_path(rule.removeprefix("/api/v1")), {})[method.lower()] = doc
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Reststroom API",
            "version": version,
            "description": (
                "The circular material-flow marketplace of the Cleantech Regio. Authenticate "
                "with a personal API token (`Authorization: Bearer rst_...`, created on the "
                "account page or with `flask --app wsgi tokens create EMAIL --name NAME`); a "
                "token acts with its user's role and organisation. Errors are always "
                '`{"error": {"code", "message", "fields"}}`. Anonymous listings keep their '
                "firm hidden: `organisation` is `null` and `lon`/`lat` is a point inside the "
                "municipality."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": components,
    }
