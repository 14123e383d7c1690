"""The shared schemas (``components``) of the OpenAPI document: JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

from marketplace.api.v1.spec import nullable, ref
from marketplace.core.vocabulary import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    KINDS,
    LISTING_STATUSES,
    MATCH_SIDES,
    MATCH_STATUSES,
    PRICE_TERMS,
    UNITS,
    VISIBILITIES,
)

STRING = {"type": "string"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
PUBLIC_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{12}$"}


def enum(values: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def obj(properties: dict[str, Any], *, required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


#: Run statuses as the API reports them (the stored ``succeeded`` reads ``done``).
API_RUN_STATUSES = ("queued", "running", "done", "failed")

ERROR = obj(
    {
        "error": obj(
            {
                "code": STRING,
                "message": STRING,
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": STRING},
                    "description": "Field name -> every problem of that field ('' = the body)",
                },
            }
        )
    }
)

LISTING = obj(
    {
        "id": {**PUBLIC_ID, "description": "The listing's public id"},
        "ref": {**nullable(STRING), "description": "The firm's own reference (its own only)"},
        "kind": enum(KINDS),
        "status": enum(LISTING_STATUSES),
        "visibility": enum(VISIBILITIES),
        "title": STRING,
        "description": nullable(STRING),
        "material": {**STRING, "description": "Taxonomy key of the material category"},
        "material_name": STRING,
        "ewc_code": nullable(STRING),
        "hazardous": BOOLEAN,
        "accepted_ewc_codes": {"type": "array", "items": STRING},
        "quantity": NUMBER,
        "unit": enum(UNITS),
        "frequency": enum(FREQUENCIES),
        "quantity_per_year": {**NUMBER, "description": "quantity x periods per year"},
        "organisation": {
            **nullable(STRING),
            "description": "The firm's name; null for an anonymous listing of another firm",
        },
        "municipality": nullable(STRING),
        "postcode": nullable(STRING),
        "lon": {
            **nullable(NUMBER),
            "description": "Shown point (WGS84): the site, or a "
            "point inside the municipality for an anonymous listing",
        },
        "lat": nullable(NUMBER),
        "exact_location": BOOLEAN,
        "distance_km": {**nullable(NUMBER), "description": "From the caller's site, where shown"},
        "distance_text": nullable(STRING),
        "available_from": nullable(DATE),
        "available_until": nullable(DATE),
        "max_distance_km": nullable(NUMBER),
        "current_route": nullable(enum(CURRENT_ROUTES)),
        "current_source": nullable(enum(CURRENT_SOURCES)),
        "current_source_km": nullable(NUMBER),
        "price_terms": enum(PRICE_TERMS),
        "price_eur_per_unit": nullable(NUMBER),
        "created_at": {**STRING, "description": "Date-time, or the date only when hidden"},
        "updated_at": STRING,
        "can_manage": BOOLEAN,
    }
)

_LISTING_FIELDS: dict[str, Any] = {
    "ref": {"type": "string", "maxLength": 100},
    "kind": enum(KINDS),
    "title": {"type": "string", "maxLength": 200},
    "description": nullable({"type": "string", "maxLength": 5000}),
    "material": STRING,
    "ewc_code": nullable({"type": "string", "maxLength": 12}),
    "accepted_ewc_codes": {
        "anyOf": [{"type": "array", "items": STRING}, {"type": "string"}, {"type": "null"}]
    },
    "quantity": NUMBER,
    "unit": enum(UNITS),
    "frequency": enum(FREQUENCIES),
    "available_from": nullable(DATE),
    "available_until": nullable(DATE),
    "postcode": nullable({"type": "string", "maxLength": 8}),
    "lon": nullable(NUMBER),
    "lat": nullable(NUMBER),
    "max_distance_km": nullable(NUMBER),
    "current_route": nullable(enum(CURRENT_ROUTES)),
    "current_source": nullable(enum(CURRENT_SOURCES)),
    "current_source_km": nullable(NUMBER),
    "price_terms": enum(PRICE_TERMS),
    "price_eur_per_unit": nullable(NUMBER),
    "visibility": enum(VISIBILITIES),
    "status": enum(LISTING_STATUSES),
    "organisation": {
        "type": "string",
        "description": "Coordinators: the firm's exact name or KvK number",
    },
}

LISTING_INPUT = {
    "type": "object",
    "properties": _LISTING_FIELDS,
    "required": ["kind", "title", "material", "quantity", "unit"],
    "description": "The columns of the listing file. Location: lat+lon, else postcode, else "
    "the firm's site. status: draft or active (default active).",
}
LISTING_PATCH = {
    "type": "object",
    "properties": _LISTING_FIELDS,
    "description": "Any of the listing's fields; the listing is checked again as a whole.",
}

MATCH = obj(
    {
        "id": PUBLIC_ID,
        "status": enum(MATCH_STATUSES),
        "offer_id": PUBLIC_ID,
        "need_id": PUBLIC_ID,
        "quantity_per_year": NUMBER,
        "unit": enum(UNITS),
        "road_km": {**nullable(NUMBER), "description": "null while the distance is hidden"},
        "road_band": {**STRING, "description": "The road distance as shown: km or a band"},
        "net_co2e_kg": {**NUMBER, "description": "Net CO2e avoided per year (kg)"},
        "realised_net_co2e_kg": {
            **NUMBER,
            "description": "net_co2e_kg x delivered share of the yearly quantity",
        },
        "delivered_quantity": NUMBER,
        "offer_accepted": BOOLEAN,
        "need_accepted": BOOLEAN,
        "your_sides": {"type": "array", "items": enum(MATCH_SIDES)},
        "offer_organisation": nullable(STRING),
        "need_organisation": nullable(STRING),
        "counterpart_organisation": {
            **nullable(STRING),
            "description": "null before agreement when the counterpart is anonymous",
        },
        "created_at": STRING,
        "updated_at": STRING,
    }
)

DELIVERY = obj(
    {
        "delivered_on": DATE,
        "quantity": NUMBER,
        "unit": enum(UNITS),
        "note": nullable(STRING),
        "document_number": nullable(STRING),
    }
)

RUN = obj(
    {
        "id": {"type": "integer"},
        "status": enum(API_RUN_STATUSES),
        "progress": NUMBER,
        "params": {"type": "object"},
        "counts": {"type": "object"},
        "totals": {"type": "object"},
        "error": nullable(STRING),
        "started_at": DATE_TIME,
        "finished_at": nullable(DATE_TIME),
    }
)


def page(item: str) -> dict[str, Any]:
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "total": {"type": "integer", "minimum": 0},
        }
    )


def components() -> dict[str, Any]:
    """Every shared schema and the two ways to authenticate."""
    return {
        "schemas": {
            "Error": ERROR,
            "Listing": LISTING,
            "ListingInput": LISTING_INPUT,
            "ListingPatch": LISTING_PATCH,
            "ListingPage": page("Listing"),
            "Match": MATCH,
            "MatchPage": page("Match"),
            "Delivery": DELIVERY,
            "Run": RUN,
        },
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "A personal API token (rst_...), from the account page or "
                "`flask tokens create`",
            },
            "cookieAuth": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The site's session; writes need the X-CSRFToken header",
            },
        },
    }
