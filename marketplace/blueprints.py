"""Every blueprint of the app, in registration order."""

from __future__ import annotations

from marketplace.auth.routes import bp as auth_bp
from marketplace.coordinator.routes import bp as coordinator_bp
from marketplace.health import bp as health_bp
from marketplace.listings.routes import api as api_bp
from marketplace.listings.routes import bp as listings_bp
from marketplace.main.routes import bp as main_bp
from marketplace.matches.routes import bp as matches_bp
from marketplace.organisations.routes import bp as organisations_bp

BLUEPRINTS = [main_bp, auth_bp, listings_bp, api_bp, matches_bp, coordinator_bp]
BLUEPRINTS.append(organisations_bp)
BLUEPRINTS.append(health_bp)
