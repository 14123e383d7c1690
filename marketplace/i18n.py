"""Locale selection (the user's choice, then the language switch, then Dutch) and the switch."""

from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, redirect, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.core.urls import safe_next
from marketplace.extensions import db

bp = Blueprint("i18n", __name__)


def current_language() -> str:
    """The language of this request's answer (``nl`` or ``en``; ``nl`` outside a request)."""
    return str(get_locale() or "nl")


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and scripts: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get("lang")
    if chosen in languages:
        return str(chosen)
    # An explicit ?lang= (e.g. from a link in an e-mail) wins over the browser.
    requested = request.args.get("lang")
    if requested in languages:
        return str(requested)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@bp.post("/language")
def set_language() -> Response:
    """Switch the interface language (and remember it for a logged-in user)."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("region.home")))
