"""Reststroom web application: the marketplace on top of the ``flows`` engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Create the app; ``config_name`` picks a config class, ``overrides`` win over it."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    app.config.update(load_config(config_name))
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        db_file = Path(app.instance_path) / "reststroom.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"

    register_extensions(app)
    register_request_log(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_session_guard(app)
    register_input_guard(app)
    register_security_headers(app)
    register_template_helpers(app)
    register_commands(app)
    register_jobs(app)
    return app


def register_extensions(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from marketplace.blueprints import import_models
    from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate
    from marketplace.i18n import select_locale

    import_models()
    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = _l("Please log in to see this page.")

    from marketplace.accounts.loader import load_user

    login_manager.user_loader(load_user)
    _enable_sqlite_foreign_keys(app)


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    import sqlalchemy as sa

    from marketplace.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite" and not sa.event.contains(
        engine, "connect", _sqlite_foreign_keys_on
    ):
        sa.event.listen(engine, "connect", _sqlite_foreign_keys_on)


def _sqlite_foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def register_request_log(app: Flask) -> None:
    from marketplace.request_log import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from marketplace.blueprints import blueprints
    from marketplace.core.public_ids import PublicIdConverter
    from marketplace.guards import RowIdConverter

    # ``<pid:public_id>``: routes name objects by their opaque public id, never the row id.
    app.url_map.converters["pid"] = PublicIdConverter
    # ``<int:...>`` stops at the largest id a database column holds: 404, never a 500.
    app.url_map.converters["int"] = RowIdConverter

    for blueprint in blueprints():
        app.register_blueprint(blueprint)


def register_session_guard(app: Flask) -> None:
    """Read-only API requests never write the session cookie.

    The map's background ``GET /api/...`` calls would otherwise send back the session
    as it was when they started (Flask-Login marks it on a first visit) and could undo a
    concurrent change, such as the language switch.
    """
    from flask import request, session

    @app.after_request
    def _keep_session(response):  # type: ignore[no-untyped-def]
        if request.method in ("GET", "HEAD") and request.path.startswith("/api/"):
            session.modified = False
        return response


def register_input_guard(app: Flask) -> None:
    from marketplace.guards import refuse_nul_bytes

    app.before_request(refuse_nul_bytes)


#: Every script and style comes from this site (Leaflet from the xstatic package); no
#: inline scripts. Leaflet positions its panes with inline styles, hence 'unsafe-inline'
#: for styles only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def content_security_policy(tile_url: str | None) -> str:
    """The CSP; images may also come from the map's tile host when one is configured."""
    if not tile_url:
        return CONTENT_SECURITY_POLICY
    from urllib.parse import urlsplit

    parts = urlsplit(tile_url.replace("{s}.", "subdomain."))
    host = parts.netloc.replace("subdomain.", "*.")
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {parts.scheme}://{host}"
    )


def register_security_headers(app: Flask) -> None:
    """Headers against clickjacking, MIME sniffing and content from elsewhere."""
    policy = content_security_policy(app.config.get("TILE_URL"))

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def register_errorhandlers(app: Flask) -> None:
    from marketplace.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from marketplace import templating
    from marketplace.core import vocabulary

    templating.register(app)
    vocabulary.register(app)


def register_jobs(app: Flask) -> None:
    from marketplace.core.jobs import register

    register(app)


def register_commands(app: Flask) -> None:
    from marketplace.blueprints import commands

    for command in commands():
        app.cli.add_command(command)
