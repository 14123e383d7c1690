"""``/api/v1/map/*.geojson``: the circularity map's layers as GeoJSON (RFC 7946, lon/lat).

Thin views: parse the filters, ask :mod:`marketplace.region.map_data` (which asks the
disclosure rules), answer. Aggregates at regional and national zoom, individual features
from street-level zoom (``zoom`` >= 12 with a ``bbox``) or when the filters leave few.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.api.v1 import bp
from marketplace.api.v1.auth import coordinator_required, login_required
from marketplace.api.v1.common import lang
from marketplace.api.v1.spec import AUTHENTICATED, COORDINATORS, PUBLIC, operation, query
from marketplace.region import map_data

TAG = "map"

_GEOJSON = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "geometry": {"type": "object"},
                    "properties": {"type": "object"},
                },
            },
        },
        "reststroom": {"type": "object", "description": "The aggregation level and options"},
    },
}


def _geojson_response(description: str) -> dict[int, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {"application/geo+json": {"schema": _GEOJSON}},
        }
    }


_STRING = {"type": "string"}
_FILTERS = [
    query("family", {"type": "string", "enum": list(map_data.FAMILIES)}, "Material family"),
    query("category", _STRING, "Material category (taxonomy key), with its subcategories"),
    query("municipality", _STRING, "CBS municipality code (GM0150)"),
    query("from", {"type": "string", "format": "date"}, "Created on or after this date"),
    query("to", {"type": "string", "format": "date"}, "Created on or before this date"),
    query("bbox", _STRING, "west,south,east,north in degrees (the map's view)"),
    query("zoom", {"type": "integer", "minimum": 0, "maximum": 22}, "The map's zoom level"),
]


def _geojson(data: dict[str, Any]) -> Response:
    response = jsonify(data)
    response.mimetype = "application/geo+json"
    response.headers["Cache-Control"] = "private, max-age=30"
    return response


@operation(
    bp,
    "/map/municipalities.geojson",
    "GET",
    summary="Municipal boundaries and the region's outline",
    access=PUBLIC,
    tag=TAG,
    parameters=[
        query(
            "figures",
            {"type": "string", "enum": ["0", "1"]},
            "Coordinators: add the choropleth's figures",
        )
    ],
    responses=_geojson_response("Every Dutch municipality (simplified) and the region outline"),
    errors=(422,),
)
def map_municipalities() -> Response:
    """Boundaries for orientation (no tiles needed); with ``figures=1`` coordinators also
    get the choropleth's figures per municipality (tonnes exchanged, CO2e avoided estimated
    and realised, unmatched supply, active firms)."""
    figures = request.args.get("figures") == "1"
    text = map_data.municipality_geojson(current_user, figures=figures)
    response = Response(text, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@operation(
    bp,
    "/map/listings.geojson",
    "GET",
    summary="Open offers and needs: clusters, or listings at street level",
    access=PUBLIC,
    tag=TAG,
    parameters=[
        *_FILTERS,
        query("kind", {"type": "string", "enum": ["offer", "need"]}, "Offers or needs"),
        query("mine", {"type": "string", "enum": ["0", "1"]}, "A firm's own map"),
    ],
    responses=_geojson_response("Listings or clusters with counts"),
    errors=(422,),
)
def map_listings() -> Response:
    """Anonymous listings sit at their municipality's point and name no firm."""
    filters = map_data.parse_filters(request.args)
    return _geojson(map_data.listing_collection(current_user, filters, lang=lang()))


@operation(
    bp,
    "/map/exchanges.geojson",
    "GET",
    summary="Exchanges: flows between municipalities, or single exchanges",
    access=AUTHENTICATED,
    tag=TAG,
    parameters=[
        *_FILTERS,
        query("status", _STRING, "Comma-separated: proposed, agreed, active, completed"),
        query("loop", _STRING, "Only the exchanges of this closed loop"),
        query("loops", {"type": "string", "enum": ["0", "1"]}, "One feature per closed loop"),
    ],
    responses=_geojson_response("Aggregated flows (summed quantities) or exchanges"),
    errors=(422,),
)
@login_required
def map_exchanges() -> Response:
    """Coordinators see every exchange; a firm the exchanges of its own listings."""
    filters = map_data.parse_filters(request.args)
    if request.args.get("loops") == "1":
        return _geojson(map_data.loop_collection(current_user, filters))
    return _geojson(map_data.exchange_collection(current_user, filters))


@operation(
    bp,
    "/map/organisations.geojson",
    "GET",
    summary="Firms with open listings: clusters, or firms at street level",
    access=COORDINATORS,
    tag=TAG,
    parameters=_FILTERS,
    responses=_geojson_response("Firms or clusters with counts"),
    errors=(422,),
)
@coordinator_required
def map_organisations() -> Response:
    """Where the active firms are."""
    return _geojson(map_data.organisation_collection(map_data.parse_filters(request.args)))
