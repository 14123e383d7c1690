"""Jinja helpers: number formatting in the user's locale, vendored static files, context."""

from __future__ import annotations

from typing import Any

import xstatic.pkg.leaflet as xstatic_leaflet
from flask import Blueprint, Flask, current_app
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# Leaflet comes from the xstatic-leaflet package, never from a CDN.
vendor = Blueprint(
    "vendor",
    __name__,
    static_folder=xstatic_leaflet.BASE_DIR,
    static_url_path="/vendor/leaflet",
)


def fmt_number(value: float | int | None, digits: int = 0) -> str:
    """Format a number for the current locale (``12.345,6`` in Dutch)."""
    if value is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=fmt))


def fmt_quantity(value: float | None, unit: str | None) -> str:
    if value is None:
        return "–"
    digits = 0 if abs(value) >= 100 else (1 if abs(value) >= 10 else 2)
    text = fmt_number(value, digits)
    if digits and text.rstrip("0").endswith((",", ".")):
        text = fmt_number(value, 0)
    return f"{text} {unit or ''}".strip()


#: Navigation: (endpoint, label, who sees it). Endpoints not (yet) registered are skipped.
NAV_ITEMS = (
    ("region.dashboard", _l("Dashboard"), "user"),
    ("listings.browse", _l("Market"), "all"),
    ("listings.mine", _l("My listings"), "member"),
    ("matches.index", _l("Matches"), "user"),
    ("matches.impact", _l("Impact"), "member"),
    ("region.overview", _l("Region"), "coordinator"),
    ("figures.dashboard", _l("Figures"), "coordinator"),
    ("region_map.page", _l("Map"), "user"),
    ("organisations.profile", _l("My organisation"), "member"),
)


def nav_items() -> list[tuple[str, str]]:
    """Navigation entries the current user may use."""
    items = []
    for endpoint, label, who in NAV_ITEMS:
        if endpoint not in current_app.view_functions:
            continue
        if who == "user" and not current_user.is_authenticated:
            continue
        if who == "member" and not (current_user.is_authenticated and current_user.organisation_id):
            continue
        if who == "coordinator" and not (
            current_user.is_authenticated and current_user.is_coordinator
        ):
            continue
        items.append((endpoint, str(label)))
    return items


def register(app: Flask) -> None:
    app.register_blueprint(vendor)
    app.jinja_env.filters["num"] = fmt_number
    app.jinja_env.filters["qty"] = fmt_quantity
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _context() -> dict[str, Any]:
        return {
            "current_locale": str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
            "languages": current_app.config["LANGUAGES"],
            "leaflet_version": xstatic_leaflet.VERSION,
            "nav_items": nav_items,
        }
