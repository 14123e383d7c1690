"""``/api/v1``: the JSON API for firms' own systems, described by an OpenAPI 3.1 document.

One blueprint; each module registers its endpoints on it with
:func:`marketplace.api.v1.spec.operation` (route + OpenAPI operation in one place).
A new module of endpoints adds one import line below.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from marketplace.accounts.throttle import address_key, token_key
from marketplace.extensions import csrf, limiter

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

# The blueprint checks CSRF itself: on session-cookie writes only, not with a bearer token.
csrf.exempt(bp)

# Token use is rate-limited: API_TOKEN_LIMIT requests per token (per address without
# one), and API_TOKEN_FAILURE_LIMIT refused tokens (401) per address, then 429 with
# Retry-After.
limiter.limit(
    lambda: str(current_app.config["API_TOKEN_LIMIT"]), key_func=token_key, scope="api-token"
)(bp)
limiter.limit(
    lambda: str(current_app.config["API_TOKEN_FAILURE_LIMIT"]),
    key_func=address_key,
    scope="api-token-failure",
    deduct_when=lambda response: response.status_code == 401,
)(bp)

from marketplace.api.v1 import auth as _auth  # noqa: E402

bp.before_request(_auth.authenticate)
bp.after_request(_auth.keep_session_untouched)

# The endpoint modules: importing one registers its routes and OpenAPI operations.
from marketplace.api.v1 import docs, listings, matches, runs, stats  # noqa: E402, F401
from marketplace.api.v1 import map as _map  # noqa: E402, F401  (the circularity map's GeoJSON)
