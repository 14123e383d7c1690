"""The coordinators' circularity map of the region."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from werkzeug.wrappers import Response

from marketplace.auth.decorators import role_required
from marketplace.services.figures import region_figures
from marketplace.services.region import exchange_network, municipality_figures

bp = Blueprint("coordinator", __name__, url_prefix="/region")


@bp.get("/")
@role_required("coordinator", "admin")
def overview() -> str:
    """Show the region's figures per municipality and the map of exchanges and loops."""
    return render_template(
        "coordinator/overview.html",
        figures=region_figures(),
        municipalities=municipality_figures(),
    )


@bp.get("/exchanges.json")
@role_required("coordinator", "admin")
def exchanges() -> Response:
    """Proposed and agreed exchanges as GeoJSON lines."""
    return jsonify(exchange_network())
