"""JSON endpoints: the EWC picker, listings as GeoJSON for the map, the region's outline."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.core.reference_data import search_waste_codes
from marketplace.errors import json_error
from marketplace.i18n import current_language
from marketplace.listings.forms import search_filters, search_form
from marketplace.listings.search import map_json
from marketplace.region.services import region_outline

bp = Blueprint("api", __name__, url_prefix="/api")

#: The map draws at most this many listings of one search.
MAP_LISTINGS_LIMIT = 500


@bp.get("/ewc")
def ewc_lookup() -> tuple[Response, int] | Response:
    """Search the European List of Waste for the searchable EWC picker."""
    q = request.args.get("q", "").strip()
    if len(q) > 100:
        message = _("The search text is too long (at most 100 characters).")
        return json_error(400, message, fields={"q": [message]})
    return jsonify({"query": q, "results": search_waste_codes(q, current_language())})


@bp.get("/listings")
def listings_geojson() -> tuple[Response, int] | Response:
    """Active listings matching the search, as GeoJSON for the map (anonymity respected)."""
    form = search_form(request.args, current_language())
    if not form.validate():
        return json_error(400, _("Invalid search."), fields=form.errors)
    filters = search_filters(form, per_page=MAP_LISTINGS_LIMIT)
    body = map_json(current_user, filters, current_language())
    return _conditional(Response(body, mimetype="application/json"), private=True)


@bp.get("/region")
def region() -> Response:
    """The eight municipal boundaries of the Cleantech Regio, as GeoJSON."""
    response = _conditional(Response(_region_outline_json(), mimetype="application/json"))
    response.cache_control.max_age = 3600
    response.cache_control.public = True
    return response


@cache
def _region_outline_json() -> bytes:
    """The outline never changes while the app runs (it ships with the code)."""
    return current_app.json.dumps(region_outline(), separators=(",", ":")).encode()


def _conditional(response: Response, *, private: bool = False) -> Response:
    """An ``ETag`` from the body; a request that sends it back gets 304 and no body."""
    response.add_etag()
    if private:
        # Per viewer (anonymity): browsers may keep it, shared caches may not.
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response.make_conditional(request)
