"""Landing page, dashboards and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.extensions import db
from marketplace.services.figures import region_figures

bp = Blueprint("main", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only follow relative redirects within this site."""
    if not target or "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        # Browsers read "/\\evil.example" as "//evil.example": refuse backslashes outright.
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.get("/")
def index() -> str:
    """Show the region's headline figures."""
    return render_template("main/index.html", figures=region_figures())


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    """Show the home page of the current user's role."""
    from marketplace.services.dashboard import dashboard_for

    return render_template("main/dashboard.html", dash=dashboard_for(current_user))


@bp.post("/language")
def set_language() -> Response:
    """Switch the interface language (and remember it for a logged-in user)."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))
