"""``/api/v1/stats``: the regional figures of the coordinators' dashboard as JSON."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from marketplace.api.v1 import bp
from marketplace.api.v1.auth import coordinator_required
from marketplace.api.v1.spec import COORDINATORS, json_response, operation
from marketplace.region.stats_data import region_report
from marketplace.region.tables import all_tables

TABLE = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "columns": {"type": "array", "items": {"type": "string"}},
        "rows": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "columns", "rows"],
}
STATS = {
    "type": "object",
    "properties": {
        "headline": {"type": "object", "description": "Every headline figure by name"},
        "tables": {"type": "object", "additionalProperties": TABLE},
    },
    "required": ["headline", "tables"],
}


@operation(
    bp,
    "/stats",
    "GET",
    summary="The region's figures: headline, per family, distances, months, "
    "municipalities, sectors and the gas factors",
    access=COORDINATORS,
    tag="stats",
    responses={200: json_response("The regional figures", STATS)},
)
@coordinator_required
def stats() -> Any:
    """The regional figures (the dashboard's numbers; definitions in its method note)."""
    report = region_report()
    tables = all_tables(report)
    return {
        "headline": asdict(report.headline),
        "tables": {
            key: {"title": str(table.title), "columns": table.keys, "rows": table.rows}
            for key, table in tables.items()
        },
    }
