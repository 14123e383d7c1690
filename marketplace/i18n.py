"""Locale selection: the user's choice, then the language switch, then Dutch."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


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
