"""The exchanges tests read the services' messages in English."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask_babel import force_locale


@pytest.fixture
def english_messages(db_session: Any) -> Iterator[None]:
    with force_locale("en"):
        yield
