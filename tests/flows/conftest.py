"""Fixtures for the engine tests: listing frames placed on a kilometre grid.

Positions are given in kilometres east and north of a point near Deventer in RD New
(EPSG:28992), where the engine measures, so straight distances between test firms are
exact Euclidean distances of the grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from pyproj import Transformer

#: RD New coordinates (metres) of the grid origin, near Deventer.
ORIGIN_X_M = 205_000.0
ORIGIN_Y_M = 474_000.0
_TO_LONLAT = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)

ListingFactory = Callable[..., pd.DataFrame]


def lonlat_at(x_km: float, y_km: float) -> tuple[float, float]:
    """WGS84 (lon, lat) of the grid point ``x_km`` east and ``y_km`` north of the origin."""
    lon, lat = _TO_LONLAT.transform(ORIGIN_X_M + x_km * 1000.0, ORIGIN_Y_M + y_km * 1000.0)
    return float(lon), float(lat)


def _frame(rows: list[dict[str, Any]], *, kind: str) -> pd.DataFrame:
    records = []
    for n, row in enumerate(rows):
        row = dict(row)
        x_km, y_km = row.pop("at", (0.0, 0.0))
        lon, lat = lonlat_at(x_km, y_km)
        record: dict[str, Any] = {
            "row": n + 2,
            "ref": f"{kind[0]}{n + 1}",
            "organisation": f"Firm {kind}{n + 1}",
            "kind": kind,
            "title": f"{kind} {n + 1}",
            "material": "metals",
            "ewc_code": None,
            "accepted_ewc_codes": (),
            "quantity": 10.0,
            "unit": "t",
            "frequency": "year",
            "postcode": None,
            "lat": lat,
            "lon": lon,
            "max_distance_km": math.nan,
            "available_from": None,
            "available_until": None,
            "current_route": "landfill" if kind == "offer" else None,
            "current_source": None,
            "current_source_km": math.nan,
            "visibility": "public",
            "description": "",
        }
        record.update(row)
        records.append(record)
    return pd.DataFrame.from_records(records)


@pytest.fixture(scope="session")
def offers_frame() -> ListingFactory:
    """Build an offers frame: ``offers_frame(dict(organisation="A", at=(0, 0)), ...)``."""

    def build(*rows: dict[str, Any]) -> pd.DataFrame:
        return _frame(list(rows), kind="offer")

    return build


@pytest.fixture(scope="session")
def needs_frame() -> ListingFactory:
    """Build a needs frame: ``needs_frame(dict(organisation="B", at=(3, 4)), ...)``."""

    def build(*rows: dict[str, Any]) -> pd.DataFrame:
        return _frame(list(rows), kind="need")

    return build
