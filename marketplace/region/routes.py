"""The region: the landing page's figures, the dashboards and the coordinators' map."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.accounts.decorators import role_required
from marketplace.region.dashboard import dashboard_for
from marketplace.region.figures import exchange_figures, region_figures
from marketplace.region.services import exchange_network, municipality_figures

bp = Blueprint("region", __name__)


@bp.get("/")
def home() -> str:
    """Show the region's headline figures."""
    return render_template(
        "region/home.html", figures=region_figures(), exchange_figures=exchange_figures()
    )


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """Show the home page of the current user's role."""
    return render_template(
        "region/dashboard.html",
        dash=dashboard_for(current_user),
        exchange_figures=exchange_figures(),
    )


@bp.get("/region/")
@role_required("coordinator", "admin")
def overview() -> str:
    """Show the region's figures per municipality and the map of exchanges and loops."""
    return render_template(
        "region/overview.html",
        figures=region_figures(),
        municipalities=municipality_figures(),
    )


@bp.get("/region/exchanges.json")
@role_required("coordinator", "admin")
def exchanges() -> Response:
    """Proposed and agreed exchanges as GeoJSON lines."""
    return jsonify(exchange_network())
