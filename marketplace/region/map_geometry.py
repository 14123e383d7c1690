"""The map's fixed geometry: simplified municipal boundaries, the region's outline and the
points that stand for a municipality or a grid cell when features are aggregated.

The boundaries come from the shipped CBS/PDOK data (``geo/data``). They are simplified once
per process in RD New (EPSG:28992), where the tolerance is in metres, and rounded to
4 decimals (about 10 m): the whole country then weighs a few hundred kB instead of 1 MB,
and the map still shows where it is when no tiles load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

import geopandas as gpd
import shapely

from geo.crs import RD_NEW, WGS84
from geo.regions import cleantech_regio, netherlands_municipalities
from marketplace.core.disclosure import municipality_points

#: Simplification tolerance (m, in RD New): country-wide boundaries and the region's own.
NATIONAL_TOLERANCE_M: Final = 250.0
REGION_TOLERANCE_M: Final = 40.0
#: Decimals kept of a degree (4: about 10 m, finer than the tolerance).
DECIMALS: Final = 4


def _rounded(geometry: Any) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(shapely.set_precision(geometry, 10**-DECIMALS)))


@cache
def boundary_features() -> tuple[dict[str, Any], ...]:
    """Every Dutch municipality (simplified) as a GeoJSON feature, plus the region outline.

    Properties: ``code``, ``name``, ``in_region``; the outline feature has ``outline: true``.
    """
    national = netherlands_municipalities().to_crs(RD_NEW)
    national["geometry"] = national.geometry.simplify(NATIONAL_TOLERANCE_M, preserve_topology=True)
    national = national.to_crs(WGS84)
    region = cleantech_regio().to_crs(RD_NEW)
    detailed = dict(
        zip(
            region["gemeente_code"],
            region.geometry.simplify(REGION_TOLERANCE_M, preserve_topology=True)
            .to_crs(WGS84)
            .tolist(),
            strict=True,
        )
    )
    outline = shapely.union_all(region.geometry.buffer(1.0)).simplify(REGION_TOLERANCE_M)
    # One polygon: the eight municipalities together (buffered 1 m to close slivers).
    outline_wgs = gpd.GeoSeries([outline], crs=RD_NEW).to_crs(WGS84).iloc[0]
    features = []
    for code, name, in_region, geometry in zip(
        national["gemeente_code"],
        national["name"],
        national["in_cleantech_regio"],
        national.geometry,
        strict=True,
    ):
        shape = detailed.get(code, geometry)
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(shape),
                "properties": {"code": str(code), "name": str(name), "in_region": bool(in_region)},
            }
        )
    features.append(
        {
            "type": "Feature",
            "geometry": _rounded(outline_wgs),
            "properties": {"code": None, "name": None, "in_region": True, "outline": True},
        }
    )
    return tuple(features)


@cache
def _to_rd() -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(WGS84, RD_NEW, always_xy=True)


@cache
def municipality_names() -> dict[str, str]:
    gdf = netherlands_municipalities()
    return {str(c): str(n) for c, n in zip(gdf["gemeente_code"], gdf["name"], strict=True)}


@dataclass(frozen=True)
class Node:
    """Where an aggregate is drawn: a municipality's point, or the mean point of a grid cell."""

    key: str
    lon: float
    lat: float
    name: str | None


@cache
def municipality_nodes() -> dict[str, Node]:
    names = municipality_names()
    return {
        code: Node(key=code, lon=round(lon, 5), lat=round(lat, 5), name=names.get(code))
        for code, (lon, lat) in municipality_points().items()
    }


@cache
def grid_nodes(cell_km: float) -> dict[str, Node]:
    """Municipality code -> the node of its grid cell (cells of ``cell_km`` in RD New).

    A cell's point is the mean of its municipalities' points, so it lies where they are.
    """
    to_rd = _to_rd()
    cells: dict[tuple[int, int], list[tuple[str, float, float]]] = {}
    for code, node in municipality_nodes().items():
        x, y = to_rd.transform(node.lon, node.lat)
        cell = (int(x // (cell_km * 1000)), int(y // (cell_km * 1000)))
        cells.setdefault(cell, []).append((code, node.lon, node.lat))
    out: dict[str, Node] = {}
    for (ix, iy), members in cells.items():
        lon = sum(m[1] for m in members) / len(members)
        lat = sum(m[2] for m in members) / len(members)
        node = Node(key=f"{cell_km:g}km:{ix}:{iy}", lon=round(lon, 5), lat=round(lat, 5), name=None)
        for code, _lon, _lat in members:
            out[code] = node
    return out
