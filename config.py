"""Configuration classes, read from the environment once when the app is created.

``RESTSTROOM_CONFIG`` chooses the class (``development``, ``testing``, ``production``).
Without it the app fails closed: it runs as production whenever ``DATABASE_URL`` is set,
and as development only on the embedded SQLite default. ``DATABASE_URL``, ``SECRET_KEY``
and ``RESTSTROOM_BASE_URL`` are required in production, which refuses to start without
them and names the missing variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused by ProductionConfig


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than 0")
    return value


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than 0")
    return value


def _service_area(
    environ: Mapping[str, str], default: str, default_buffer_km: float
) -> dict[str, Any]:
    """The service area settings, checked now so that a bad value stops the start."""
    from geo import service_area
    from geo.errors import InvalidArgument

    name = (environ.get("RESTSTROOM_SERVICE_AREA") or "").strip() or default
    raw_km = (environ.get("RESTSTROOM_SERVICE_AREA_BUFFER_KM") or "").strip()
    try:
        buffer_km = float(raw_km) if raw_km else default_buffer_km
    except ValueError:
        raise ConfigError(
            f"RESTSTROOM_SERVICE_AREA_BUFFER_KM={raw_km!r} is not a number of km"
        ) from None
    if not (buffer_km >= 0 and buffer_km != float("inf")):
        raise ConfigError(f"RESTSTROOM_SERVICE_AREA_BUFFER_KM={raw_km!r} must be 0 km or more")
    try:
        service_area(name, buffer_km=buffer_km)
    except InvalidArgument as error:
        raise ConfigError(f"RESTSTROOM_SERVICE_AREA={name!r}: {error}") from None
    return {"SERVICE_AREA": name, "SERVICE_AREA_BUFFER_KM": buffer_km}


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs say postgres://; SQLAlchemy 2 wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class Config:
    """Settings shared by every environment."""

    NAME: ClassVar[str] = "base"
    DEBUG = False
    TESTING = False
    SECRET_KEY: str | None = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True}
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # "remember me" lasts at most this long
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False  # ... from the login, not the last visit
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES: ClassVar[tuple[str, ...]] = ("nl", "en")
    MAIL_SENDER = "Reststroom <no-reply@reststroom.localhost>"
    # Links in e-mails are built from this, never from the request's Host header.
    BASE_URL: str | None = None
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    PASSWORD_RESET_MAX_AGE_S = 3600
    # Engine defaults.
    DEFAULT_MAX_DISTANCE_KM = 50.0
    ROAD_CIRCUITY = 1.3
    ENGINE_TOP_K: int | None = None
    ROAD_GRAPHML: str | None = None  # GraphML road network (OSMnx) for true road distances
    # Where sites and listings may lie (geo.service_area): a name or a lon/lat box, plus km.
    SERVICE_AREA = "NL"
    SERVICE_AREA_BUFFER_KM = 50.0
    # Imports.
    IMPORT_MAX_BYTES = 5_000_000
    IMPORT_MAX_ROWS = 10_000
    MAX_CONTENT_LENGTH = 6_000_000
    LISTINGS_PER_PAGE = 25
    # Serving: a Redis URL turns on the job queue and the Redis check of /readyz.
    REDIS_URL: str | None = None
    # One JSON line per request on the "reststroom.request" logger.
    REQUEST_LOG = False
    # Exchanges: open proposals older than this expire (``flask matches expire``); firms are
    # told this many days before.
    PROPOSAL_MAX_AGE_DAYS = 60
    PROPOSAL_EXPIRY_WARNING_DAYS = 7
    # Moderated mode: new proposals of an engine run wait for a coordinator's review.
    RESTSTROOM_MODERATED_PROPOSALS = False
    # Rate limits (Flask-Limiter): Redis when REDIS_URL is set, else this process's memory.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a 429
    RATELIMIT_STRATEGY = "moving-window"
    #: Failed logins, per account and per address.
    LOGIN_FAILURE_LIMIT = "10 per 15 minutes"
    REGISTRATION_LIMIT = "10 per hour"
    PASSWORD_RESET_LIMIT = "5 per 15 minutes"  # noqa: S105 - a rate, not a password
    #: Requests with an API token, per token; failed token checks per address.
    API_TOKEN_LIMIT = "300 per minute"  # noqa: S105 - a rate, not a token
    API_TOKEN_FAILURE_LIMIT = "10 per 15 minutes"  # noqa: S105 - a rate, not a token
    # Map tiles ({z}/{x}/{y}); ``RESTSTROOM_TILE_URL=none`` draws the map from the shipped
    # boundaries only. The CSP allows images from this host only while it is configured.
    TILE_URL: str | None = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Return this class's settings with the environment applied, read once."""
        env = os.environ if environ is None else environ
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        if env.get("SECRET_KEY"):
            settings["SECRET_KEY"] = env["SECRET_KEY"]
        if env.get("DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(env["DATABASE_URL"])
        if env.get("RESTSTROOM_BASE_URL"):
            settings["BASE_URL"] = env["RESTSTROOM_BASE_URL"].rstrip("/")
        if env.get("REDIS_URL"):
            settings["REDIS_URL"] = env["REDIS_URL"]
            settings["RATELIMIT_STORAGE_URI"] = env["REDIS_URL"]
        if env.get("SMTP_HOST"):
            settings["SMTP_HOST"] = env["SMTP_HOST"]
            settings["SMTP_PORT"] = _int(env, "SMTP_PORT", 25)
        settings["DEFAULT_MAX_DISTANCE_KM"] = _float(
            env, "RESTSTROOM_DEFAULT_MAX_DISTANCE_KM", cls.DEFAULT_MAX_DISTANCE_KM
        )
        settings["ROAD_CIRCUITY"] = _float(env, "RESTSTROOM_ROAD_CIRCUITY", cls.ROAD_CIRCUITY)
        if env.get("RESTSTROOM_ROAD_GRAPHML"):
            settings["ROAD_GRAPHML"] = env["RESTSTROOM_ROAD_GRAPHML"]
        if env.get("RESTSTROOM_ENGINE_TOP_K"):
            settings["ENGINE_TOP_K"] = _int(env, "RESTSTROOM_ENGINE_TOP_K", 1)
        settings["IMPORT_MAX_BYTES"] = _int(
            env, "RESTSTROOM_IMPORT_MAX_BYTES", cls.IMPORT_MAX_BYTES
        )
        settings["IMPORT_MAX_ROWS"] = _int(env, "RESTSTROOM_IMPORT_MAX_ROWS", cls.IMPORT_MAX_ROWS)
        settings["MAX_CONTENT_LENGTH"] = settings["IMPORT_MAX_BYTES"] + 1_000_000
        settings.update(_service_area(env, cls.SERVICE_AREA, cls.SERVICE_AREA_BUFFER_KM))
        settings["PROPOSAL_MAX_AGE_DAYS"] = _int(
            env, "RESTSTROOM_PROPOSAL_MAX_AGE_DAYS", cls.PROPOSAL_MAX_AGE_DAYS
        )
        moderated = env.get("RESTSTROOM_MODERATED_PROPOSALS", "").strip().lower()
        if moderated:
            if moderated not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                raise ConfigError(
                    f"RESTSTROOM_MODERATED_PROPOSALS={moderated!r} is not one of "
                    "1, true, yes, on, 0, false, no, off"
                )
            settings["RESTSTROOM_MODERATED_PROPOSALS"] = moderated in ("1", "true", "yes", "on")
        if "RESTSTROOM_TILE_URL" in env:
            raw = env["RESTSTROOM_TILE_URL"].strip()
            settings["TILE_URL"] = None if raw.lower() in ("", "none", "off") else raw
        if env.get("RESTSTROOM_TILE_ATTRIBUTION"):
            settings["TILE_ATTRIBUTION"] = env["RESTSTROOM_TILE_ATTRIBUTION"]
        cls.check(settings, env)
        return settings

    @classmethod
    def check(cls, settings: dict[str, Any], environ: Mapping[str, str]) -> None:
        """Refuse settings that must not run in this environment."""


class DevelopmentConfig(Config):
    NAME = "development"
    DEBUG = True


class TestingConfig(Config):
    NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False  # individual tests switch it back on to prove CSRF rejection
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PASSWORD_RESET_MAX_AGE_S = 60
    # Wide limits for the suite (every test logs in from one address); the throttling
    # tests set the production limits on the app's config.
    LOGIN_FAILURE_LIMIT = REGISTRATION_LIMIT = "100000 per minute"
    PASSWORD_RESET_LIMIT = API_TOKEN_LIMIT = API_TOKEN_FAILURE_LIMIT = "100000 per minute"  # noqa: S105 - rates, not secrets
    TILE_URL = None  # tests never leave 127.0.0.1

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
        env = dict(os.environ if environ is None else environ)
        # Tests choose their database with TEST_DATABASE_URL, never DATABASE_URL.
        env.pop("DATABASE_URL", None)
        settings = super().from_environ(env)
        if env.get("TEST_DATABASE_URL"):
            settings["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(env["TEST_DATABASE_URL"])
        return settings


class ProductionConfig(Config):
    NAME = "production"
    SECRET_KEY = None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    REQUEST_LOG = True

    @classmethod
    def check(cls, settings: dict[str, Any], environ: Mapping[str, str]) -> None:
        required = ("SECRET_KEY", "DATABASE_URL", "RESTSTROOM_BASE_URL")
        missing = [name for name in required if not environ.get(name)]
        if missing:
            raise ConfigError(
                "production configuration needs the environment variable(s) "
                + ", ".join(missing)
                + "; set them before starting the app"
            )
        key = environ["SECRET_KEY"]
        if key == DEV_SECRET_KEY or len(key.strip()) < 16 or len(set(key)) < 8:
            raise ConfigError(
                "SECRET_KEY is the development default, shorter than 16 characters or too "
                "repetitive; "
                "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
            )


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(
    name: str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Pick the config class by name or ``RESTSTROOM_CONFIG`` and read the environment once."""
    env = os.environ if environ is None else environ
    # Fail closed: a configured database means a deployment, unless said otherwise.
    default = "production" if env.get("DATABASE_URL") else "development"
    chosen = name or env.get("RESTSTROOM_CONFIG") or default
    try:
        cls = CONFIGS[chosen]
    except KeyError:
        raise ConfigError(
            f"RESTSTROOM_CONFIG={chosen!r} is not one of {', '.join(sorted(CONFIGS))}"
        ) from None
    return cls.from_environ(env)
