"""A static SVG map of the region for the printed report and the PDF.

The eight Cleantech Regio municipalities (CBS/PDOK 2022 boundaries shipped in
``geo/data``), drawn in RD New (EPSG:28992) so that distances look right, with the
proposed and agreed exchanges aggregated per pair of municipalities as lines whose width
follows the tonnes per year. Flows from or to municipalities outside the region end at
the region's edge marker "outside". No tiles, no script: it prints and goes into a PDF.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from geo.regions import cleantech_regio
from marketplace.region.stats import ExchangeFact

OUTSIDE = "outside"


@dataclass(frozen=True)
class MunicipalityShape:
    code: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # RD New metres
    centre: tuple[float, float]


@functools.cache
def region_shapes() -> tuple[MunicipalityShape, ...]:
    frame = cleantech_regio().to_crs(28992)
    shapes = []
    for row in frame.itertuples():
        geometry = row.geometry
        polygons = getattr(geometry, "geoms", [geometry])
        rings = tuple(
            tuple((float(x), float(y)) for x, y in polygon.exterior.coords) for polygon in polygons
        )
        point = geometry.representative_point()
        shapes.append(
            MunicipalityShape(str(row.gemeente_code), str(row.name), rings, (point.x, point.y))
        )
    return tuple(shapes)


def flows_between_municipalities(
    exchanges: Iterable[ExchangeFact], region_codes: Iterable[str]
) -> dict[tuple[str, str], float]:
    """Tonnes per year of proposed and agreed exchanges per (from, to) municipality;
    municipalities outside the region become :data:`OUTSIDE`; exchanges within one
    municipality keep (code, code)."""
    regional = set(region_codes)
    flows: dict[tuple[str, str], float] = defaultdict(float)
    for e in exchanges:
        if not e.counted or not e.mass_t:
            continue
        a = e.offer_municipality_code if e.offer_municipality_code in regional else OUTSIDE
        b = e.need_municipality_code if e.need_municipality_code in regional else OUTSIDE
        if a == OUTSIDE and b == OUTSIDE:
            continue
        flows[(a, b)] += e.mass_t
    return dict(flows)


def region_map_svg(
    exchanges: Iterable[ExchangeFact], *, title: str, outside_label: str, width: int = 640
) -> Markup:
    shapes = region_shapes()
    xs = [x for s in shapes for ring in s.rings for x, _ in ring]
    ys = [y for s in shapes for ring in s.rings for _, y in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    pad = 50.0
    scale = (width - 2 * pad) / (max_x - min_x)
    height = int((max_y - min_y) * scale + 2 * pad)

    def px(x: float, y: float) -> tuple[float, float]:
        return pad + (x - min_x) * scale, pad + (max_y - y) * scale

    centres = {s.code: px(*s.centre) for s in shapes}
    centres[OUTSIDE] = (width - 18.0, 18.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="region-map" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for s in shapes:
        d = " ".join(
            "M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in (px(x, y) for x, y in ring)) + " Z"
            for ring in s.rings
        )
        parts.append(
            f'<path d="{d}" fill="#eef4ea" stroke="#6b8f5e" stroke-width="1">'
            f"<title>{escape(s.name)}</title></path>"
        )
    flows = flows_between_municipalities(exchanges, (s.code for s in shapes))
    peak = max(flows.values(), default=1.0)
    for (a, b), tonnes in sorted(flows.items(), key=lambda kv: kv[1]):
        (x1, y1), (x2, y2) = centres[a], centres[b]
        w = 1.0 + 9.0 * math.sqrt(tonnes / peak)
        label = f"{a} → {b}: {tonnes:,.0f} t/yr"
        if a == b:
            parts.append(
                f'<circle cx="{x1:.1f}" cy="{y1:.1f}" r="{4 + w:.1f}" fill="none" '
                f'stroke="#0072B2" stroke-opacity="0.7" stroke-width="{w / 2:.1f}">'
                f"<title>{escape(label)}</title></circle>"
            )
            continue
        # A gentle curve, bending to the right of the direction of travel.
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        cx, cy = mx + (y2 - y1) * 0.2, my - (x2 - x1) * 0.2
        parts.append(
            f'<path d="M{x1:.1f},{y1:.1f} Q{cx:.1f},{cy:.1f} {x2:.1f},{y2:.1f}" fill="none" '
            f'stroke="#0072B2" stroke-opacity="0.7" stroke-width="{w:.1f}" '
            f'stroke-linecap="round"><title>{escape(label)}</title></path>'
        )
    for s in shapes:
        x, y = centres[s.code]
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#333"/>')
        parts.append(f'<text x="{x + 5:.1f}" y="{y - 4:.1f}" fill="#222">{escape(s.name)}</text>')
    ox, oy = centres[OUTSIDE]
    parts.append(f'<circle cx="{ox:.1f}" cy="{oy:.1f}" r="5" fill="#D55E00"/>')
    parts.append(
        f'<text x="{ox - 8:.1f}" y="{oy + 4:.1f}" text-anchor="end" fill="#222">'
        f"{escape(outside_label)}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()
