"""What the map page needs besides its GeoJSON: filter choices, labels, endpoints, tiles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _

from flows import taxonomy
from marketplace.core.vocabulary import label
from marketplace.errors import InvalidInput
from marketplace.i18n import current_language
from marketplace.listings.views import material_choices
from marketplace.region.map_data import (
    CHOROPLETH_FIGURES,
    EXCHANGE_LAYERS,
    FAMILIES,
    MapFilters,
    parse_filters,
)
from marketplace.region.map_geometry import municipality_names


@dataclass
class MapPage:
    filters: MapFilters
    errors: dict[str, list[str]]
    coordinator: bool
    mine: bool
    families: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    municipalities: list[tuple[str, str]]
    figures: list[tuple[str, str]]
    config: dict[str, Any]


def figure_labels() -> dict[str, str]:
    return {
        "exchanged_t": _("Tonnes exchanged per year (agreed)"),
        "co2e_estimated_t": _("t CO2e avoided per year (estimated)"),
        "co2e_realised_t": _("t CO2e avoided (realised)"),
        "unmatched_supply_t": _("Unmatched supply (t per year)"),
        "active_firms": _("Active firms"),
    }


def js_labels() -> dict[str, str]:
    """Every text the map's script shows, translated here (the script has no catalogue)."""
    return {
        "municipalities": _("Municipalities of the region"),
        "boundaries": _("Municipal boundaries"),
        "organisations": _("Organisations"),
        "listings": _("Open offers and needs"),
        "loops": _("Closed loops"),
        "choropleth": _("Choropleth"),
        "offer": _("Offer"),
        "need": _("Need"),
        "offers": _("offers"),
        "needs": _("needs"),
        "firms": _("firms"),
        "listings_count": _("listings"),
        "exchanges_count": _("exchanges"),
        "anonymous": _("Anonymous firm"),
        "approx": _("Location shown at the municipality"),
        "per_year": _("per year"),
        "co2": _("kg CO2e avoided per year"),
        "loop": _("Closed loop"),
        "loop_members": _("Exchanges in this loop"),
        "legend": _("Legend"),
        "width": _("Line width: tonnes or MWh per year"),
        "cluster_hint": _("Circles: number of listings; zoom in for single listings"),
        "flow_hint": _("Arcs: exchanges between municipalities, summed"),
        "none": _("none"),
        "error": _("The map data could not be loaded."),
        "click_hint": _("Click a circle, an arc or a loop for its details."),
        "no_tiles": _("No background map: the municipal boundaries show where you are."),
        "family": _("Material family"),
        **{f"status_{s}": label(s, "match_status") for s in EXCHANGE_LAYERS},
        **{f"figure_{k}": v for k, v in figure_labels().items()},
        **{f"family_{k}": v for k, v in family_names().items()},
    }


def family_names() -> dict[str, str]:
    lang = current_language()
    return {key: taxonomy.category(key).name("en" if lang == "en" else "nl") for key in FAMILIES}


def map_page(viewer: Any, args: Any) -> MapPage:
    """The page's state from the query string; bad filters are shown, never a 500."""
    errors: dict[str, list[str]] = {}
    try:
        filters = parse_filters(args)
    except InvalidInput as exc:
        errors = exc.errors
        filters = MapFilters()
    coordinator = bool(viewer.is_coordinator)
    mine = not coordinator or filters.mine
    lang = current_language()
    config = {
        "municipalities": url_for("api_v1.map_municipalities"),
        "listings": url_for("api_v1.map_listings"),
        "exchanges": url_for("api_v1.map_exchanges"),
        "organisations": url_for("api_v1.map_organisations") if coordinator else None,
        "tiles": current_app.config.get("TILE_URL"),
        "attribution": current_app.config.get("TILE_ATTRIBUTION") or "",
        "data_attribution": "CBS / PDOK (CC BY 4.0)",
        "coordinator": coordinator,
        "mine": mine,
        "labels": js_labels(),
    }
    names = municipality_names()
    return MapPage(
        filters=filters,
        errors=errors,
        coordinator=coordinator,
        mine=mine,
        families=list(family_names().items()),
        categories=material_choices(lang),
        statuses=[(s, label(s, "match_status")) for s in EXCHANGE_LAYERS],
        municipalities=sorted(names.items(), key=lambda kv: kv[1].casefold()),
        figures=[(k, figure_labels()[k]) for k in CHOROPLETH_FIGURES],
        config=config,
    )
