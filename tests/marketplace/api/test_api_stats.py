"""``GET /api/v1/stats``: the dashboard's figures as JSON, for coordinators only."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from marketplace.region.stats_data import region_report
from marketplace.region.tables import TABLES
from tests.marketplace.api.conftest import Callers
from tests.marketplace.region_world import run


def test_stats_are_for_coordinators_only(client: FlaskClient, callers: Callers) -> None:
    statuses = {
        role: client.get("/api/v1/stats", headers=caller.headers).status_code
        for role, caller in callers
    }
    assert statuses == {
        "anonymous": 401,
        "firm_a": 403,
        "firm_b": 403,
        "coordinator": 200,
        "admin": 200,
    }


def test_stats_hold_the_headline_and_every_table(client: FlaskClient, callers: Callers) -> None:
    run()
    body = client.get("/api/v1/stats", headers=callers.coordinator.headers).get_json()
    expected = region_report().headline
    assert body["headline"]["proposed_exchanges"] == expected.proposed_exchanges == 1
    assert body["headline"]["proposed_t_per_year"] == pytest.approx(expected.proposed_t_per_year)
    assert set(body["tables"]) == set(TABLES)
    municipalities = body["tables"]["municipalities"]
    assert municipalities["columns"][:3] == ["code", "name", "in_region"]
    assert {row["code"] for row in municipalities["rows"] if row["in_region"]} >= {
        "GM0150",
        "GM0301",
    }


def test_stats_are_in_the_openapi_document(client: FlaskClient, callers: Callers) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/stats"]
