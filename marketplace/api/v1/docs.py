"""The OpenAPI document and its browsable docs (Swagger UI from the ``flask-swagger-ui``
package's bundled files: no CDN, and no inline script under the site's CSP)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import flask_swagger_ui
from flask import abort, render_template, send_from_directory, url_for

from marketplace.api.v1 import bp
from marketplace.api.v1.schemas import components
from marketplace.api.v1.spec import openapi_document

#: Swagger UI's files, as the package ships them.
SWAGGER_UI_DIR = Path(flask_swagger_ui.__file__).parent / "dist"
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js")


@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3.1 document of this API."""
    return openapi_document(components(), version=version("reststroom"))


@bp.get("/docs")
def docs_page() -> str:
    """Browsable API docs (Swagger UI)."""
    return render_template("api/docs.html", spec_url=url_for("api_v1.openapi_json"))


@bp.get("/docs/assets/<path:name>")
def docs_asset(name: str) -> Any:
    """Swagger UI's script and style, from the installed package."""
    if name not in SWAGGER_UI_FILES:
        abort(404)
    response = send_from_directory(SWAGGER_UI_DIR, name, max_age=86_400)
    return response
