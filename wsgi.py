"""WSGI entry point: ``flask --app wsgi ...`` and production servers import ``app`` from here.

A WSGI server (``gunicorn wsgi:app``) never serves with the development secret key: the
key signs sessions and reset links, and it is in the source. ``flask run`` and the other
``flask`` commands (which set ``FLASK_RUN_FROM_CLI``) and the test configuration may.
"""

import os

from config import DEV_SECRET_KEY, ConfigError
from marketplace import create_app

app = create_app()

if (
    app.config.get("SECRET_KEY") in (None, "", DEV_SECRET_KEY)
    and os.environ.get("FLASK_RUN_FROM_CLI") != "true"
    and not app.testing
):
    raise ConfigError(
        "refusing to serve with the development SECRET_KEY: set RESTSTROOM_CONFIG=production "
        "with SECRET_KEY (generate one with: python -c 'import secrets; "
        "print(secrets.token_hex(32))'), DATABASE_URL and RESTSTROOM_BASE_URL; for local "
        "development use `flask --app wsgi run` instead"
    )
