"""Every blueprint of the app, in registration order."""

from __future__ import annotations

from marketplace.auth.routes import bp as auth_bp
from marketplace.main.routes import bp as main_bp

BLUEPRINTS = [main_bp, auth_bp]
