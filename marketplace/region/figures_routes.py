"""Coordinators' regional figures, their CSV/XLSX/GeoJSON exports and the printable report."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from flask_login import current_user, login_required

from marketplace.accounts.decorators import role_required
from marketplace.i18n import current_language
from marketplace.region.exports import exchanges_geojson, listings_geojson, workbook_bytes
from marketplace.region.report import report_html, report_page
from marketplace.region.tables import TABLES, table_csv

bp = Blueprint("figures", __name__, url_prefix="/region")

GEOJSON = "application/geo+json"


def _download(body: str | bytes, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/figures")
@role_required("coordinator", "admin")
def dashboard() -> str:
    """Show the regional figures, charts and tables."""
    return render_template("region/figures.html", page=report_page())


@bp.get("/figures/<key>.csv")
@role_required("coordinator", "admin")
def table_csv_download(key: str) -> Response:
    """Download one table of the figures as CSV."""
    if key not in TABLES:
        abort(404)
    page = report_page()
    return _download(table_csv(page.tables[key]), "text/csv", f"reststroom-{key}.csv")


@bp.get("/figures/report.xlsx")
@role_required("coordinator", "admin")
def workbook() -> Response:
    """Download the regional report as an XLSX workbook."""
    page = report_page()
    return _download(
        workbook_bytes(page.tables, page.notes),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"reststroom-region-{page.day.isoformat()}.xlsx",
    )


@bp.get("/report")
@role_required("coordinator", "admin")
def report() -> str:
    """Show the printable regional report."""
    return report_html(report_page(), back_url=url_for("figures.dashboard"))


@bp.get("/export/listings.geojson")
@login_required
def listings_geojson_download() -> Response:
    """Active listings as GeoJSON points, as the current user may see them."""
    response = jsonify(listings_geojson(current_user, current_language()))
    response.mimetype = GEOJSON
    return response


@bp.get("/export/exchanges.geojson")
@role_required("coordinator", "admin")
def exchanges_geojson_download() -> Response:
    """Proposed and agreed exchanges as GeoJSON lines (coordinators only)."""
    response = jsonify(exchanges_geojson(current_user))
    response.mimetype = GEOJSON
    return response
