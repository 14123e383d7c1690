"""The circularity map page: coordinators see the whole region, a firm its own map."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from marketplace.region.map_page import map_page

bp = Blueprint("region_map", __name__)


@bp.get("/region/map")
@login_required
def page() -> str:
    """Show the map; its filters come from the query string, so a view can be shared."""
    return render_template("region/map.html", page=map_page(current_user, request.args))
