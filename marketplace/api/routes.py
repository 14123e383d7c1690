"""JSON endpoints: the EWC picker, listings as GeoJSON for the map, the region's outline."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.core.reference_data import search_waste_codes
from marketplace.errors import json_error
from marketplace.i18n import current_language
from marketplace.listings.forms import search_filters, search_form
from marketplace.listings.search import feature_collection, search_listings
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
    return jsonify(feature_collection(search_listings(current_user, filters, current_language())))


@bp.get("/region")
def region() -> Response:
    """The eight municipal boundaries of the Cleantech Regio, as GeoJSON."""
    response = jsonify(region_outline())
    response.cache_control.max_age = 3600
    response.cache_control.public = True
    return response
