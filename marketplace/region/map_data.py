"""The circularity map's data: listings, organisations, exchanges and municipalities as
GeoJSON (RFC 7946: WGS84 lon/lat, FeatureCollections), readable at every zoom.

At regional and national zoom the features are aggregated here, on the server: listings
and organisations into clusters (one per municipality, or per grid cell at national zoom)
with their counts, exchanges into flows between those nodes with summed quantities, one
flow per direction and status. Each aggregate's figures are the exact sums of the
exchanges (or listings) it stands for. From street-level zoom (with a bounding box), or
when the filters leave few enough, the individual features come instead.

What a viewer sees of a listing or a match is decided by :mod:`marketplace.core.disclosure`:
an anonymous listing sits at the point shown for its municipality and carries no firm
name; a firm sees the counterpart of its own match only once both agreed. Aggregates only
use municipalities, which every viewer may see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, Final

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from flows import taxonomy
from flows.schema import PER_YEAR
from marketplace.accounts.models import Organisation
from marketplace.core.disclosure import counterpart_revealed, reveals, shown_point
from marketplace.core.vocabulary import (
    AGREED_STATUSES,
    COMMITTED_STATUSES,
    MARKET_LISTING_STATUSES,
    OPEN_STATUSES,
)
from marketplace.errors import InvalidInput
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.region.map_geometry import (
    Node,
    boundary_features,
    grid_nodes,
    municipality_names,
    municipality_nodes,
)

#: The exchange layers of the map; ``proposed`` stands for every open status.
EXCHANGE_LAYERS: Final = ("proposed", *AGREED_STATUSES)
#: From this zoom on (with a bounding box) the map shows individual features.
STREET_ZOOM: Final = 12
#: Below this zoom, aggregates are per grid cell instead of per municipality.
MUNICIPALITY_ZOOM: Final = 9
#: Grid cells (km) below :data:`MUNICIPALITY_ZOOM`: coarse for the whole country, finer at
#: provincial zoom, so that clusters do not overlap.
GRID_CELL_KM: Final = 20.0
COUNTRY_GRID_CELL_KM: Final = 40.0
COUNTRY_ZOOM: Final = 7
#: Individual features are sent when at most this many match the filters.
MAX_INDIVIDUAL: Final = 500
#: The material families: the taxonomy's top-level categories.
FAMILIES: Final = tuple(k for k in taxonomy.CATEGORIES if "." not in k)
#: The figures a choropleth can show per municipality.
CHOROPLETH_FIGURES: Final = (
    "exchanged_t",
    "co2e_estimated_t",
    "co2e_realised_t",
    "unmatched_supply_t",
    "active_firms",
)
_MASS_T: Final = {"t": 1.0, "kg": 0.001}
_LOOP_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,16}")


@dataclass(frozen=True, kw_only=True)
class MapFilters:
    family: str | None = None
    category: str | None = None
    statuses: tuple[str, ...] = EXCHANGE_LAYERS
    municipality: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    #: (west, south, east, north) in degrees.
    bbox: tuple[float, float, float, float] | None = None
    zoom: int | None = None
    loop: str | None = None
    mine: bool = False
    kind: str | None = None

    @property
    def narrowed(self) -> bool:
        """Whether a filter other than the view (bbox, zoom) applies."""
        return bool(
            self.family or self.category or self.municipality or self.loop or self.date_from
        ) or bool(self.date_to)

    @property
    def street_level(self) -> bool:
        return self.bbox is not None and (self.zoom or 0) >= STREET_ZOOM

    def materials(self) -> tuple[str, ...] | None:
        """The taxonomy keys the material filters allow (None: all)."""
        if self.category:
            return taxonomy.descendants(self.category)
        if self.family:
            return taxonomy.descendants(self.family)
        return None

    def nodes(self) -> dict[str, Node]:
        if self.zoom is not None and self.zoom <= COUNTRY_ZOOM:
            return grid_nodes(COUNTRY_GRID_CELL_KM)
        if self.zoom is not None and self.zoom < MUNICIPALITY_ZOOM:
            return grid_nodes(GRID_CELL_KM)
        return municipality_nodes()


# --- parsing --------------------------------------------------------------------------------


def _date(args: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("%(value)s is not a date (YYYY-MM-DD).", value=repr(raw[:20]))]
        return None


def _bbox(raw: str, errors: dict[str, list[str]]) -> tuple[float, float, float, float] | None:
    if not raw.strip():
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        west = south = east = north = float("nan")
    ok = (
        -180 <= west < east <= 180
        and -90 <= south < north <= 90
        and all(v == v for v in (west, south, east, north))
    )
    if not ok:
        errors["bbox"] = [
            _(
                "bbox=%(value)s is not west,south,east,north in degrees (west < east, "
                "south < north).",
                value=repr(raw[:60]),
            )
        ]
        return None
    return west, south, east, north


def _statuses(values: Iterable[str], errors: dict[str, list[str]]) -> tuple[str, ...]:
    wanted = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    if not wanted:
        return EXCHANGE_LAYERS
    unknown = [v for v in wanted if v not in EXCHANGE_LAYERS]
    if unknown:
        errors["status"] = [
            _(
                "status %(value)s is not one of %(allowed)s.",
                value=repr(unknown[0][:20]),
                allowed=", ".join(EXCHANGE_LAYERS),
            )
        ]
    return tuple(v for v in EXCHANGE_LAYERS if v in wanted)


def parse_filters(args: Any) -> MapFilters:
    """The map's filters from a query string (a werkzeug ``MultiDict``); 422 naming each
    bad parameter."""
    errors: dict[str, list[str]] = {}
    family = (args.get("family") or "").strip() or None
    if family is not None and family not in FAMILIES:
        errors["family"] = [_("Unknown material family %(value)s.", value=repr(family[:40]))]
        family = None
    category = (args.get("category") or "").strip() or None
    if category is not None and not taxonomy.is_category(category):
        errors["category"] = [_("Unknown material category %(value)s.", value=repr(category[:40]))]
        category = None
    municipality = (args.get("municipality") or "").strip() or None
    if municipality is not None and municipality not in municipality_names():
        errors["municipality"] = [
            _("Unknown municipality code %(value)s.", value=repr(municipality[:20]))
        ]
        municipality = None
    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in ("offer", "need"):
        errors["kind"] = [_("kind must be offer or need.")]
        kind = None
    zoom = None
    raw_zoom = (args.get("zoom") or "").strip()
    if raw_zoom:
        if raw_zoom.isdigit() and int(raw_zoom) <= 22:
            zoom = int(raw_zoom)
        else:
            errors["zoom"] = [_("zoom must be a whole number from 0 to 22.")]
    statuses = _statuses(args.getlist("status") if hasattr(args, "getlist") else [], errors)
    date_from = _date(args, "from", errors)
    date_to = _date(args, "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = [_("The end date lies before the start date.")]
    bbox = _bbox(args.get("bbox") or "", errors)
    loop = (args.get("loop") or "").strip() or None
    if loop is not None and not _LOOP_ID.fullmatch(loop):
        errors["loop"] = [_("loop must be a loop id (letters, digits, - and _).")]
        loop = None
    if errors:
        raise InvalidInput(_("Invalid map filters."), errors)
    return MapFilters(
        family=family,
        category=category,
        statuses=statuses,
        municipality=municipality,
        date_from=date_from,
        date_to=date_to,
        bbox=bbox,
        zoom=zoom,
        loop=loop,
        mine=(args.get("mine") or "") not in ("", "0", "false"),
        kind=kind,
    )


# --- helpers --------------------------------------------------------------------------------


def collection(features: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    """A FeatureCollection; ``meta`` (e.g. ``level``) goes in a foreign member ``reststroom``."""
    return {"type": "FeatureCollection", "features": features, "reststroom": meta}


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}


def _in_bbox(lon: float | None, lat: float | None, bbox: tuple[float, ...] | None) -> bool:
    if bbox is None:
        return True
    if lon is None or lat is None:
        return False
    return bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3]


def _grown(bbox: tuple[float, float, float, float], share: float) -> tuple[float, ...]:
    dx, dy = (bbox[2] - bbox[0]) * share, (bbox[3] - bbox[1]) * share
    return bbox[0] - dx, bbox[1] - dy, bbox[2] + dx, bbox[3] + dy


def _family(material: str) -> str:
    try:
        return taxonomy.root(material)
    except KeyError:
        return "other"


def _is_coordinator(viewer: Any) -> bool:
    return bool(getattr(viewer, "is_authenticated", False) and viewer.is_coordinator)


def _own_org(viewer: Any) -> int | None:
    if not getattr(viewer, "is_authenticated", False):
        return None
    return getattr(viewer, "organisation_id", None)


def layer_of(status: str) -> str:
    """The map layer of a match status: every open status counts as proposed."""
    return "proposed" if status in OPEN_STATUSES else status


def _statuses_of(layers: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for layer in layers:
        out.extend(OPEN_STATUSES if layer == "proposed" else (layer,))
    return tuple(out)


def _created_between(column: Any, filters: MapFilters) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if filters.date_from:
        conditions.append(column >= datetime.combine(filters.date_from, time()))
    if filters.date_to:
        conditions.append(column < datetime.combine(filters.date_to + timedelta(days=1), time()))
    return conditions


# --- listings ----------------------------------------------------------------------------


def _listing_conditions(filters: MapFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [Listing.status.in_(MARKET_LISTING_STATUSES)]
    materials = filters.materials()
    if materials is not None:
        conditions.append(Listing.material.in_(materials))
    if filters.municipality:
        conditions.append(Listing.municipality_code == filters.municipality)
    if filters.kind:
        conditions.append(Listing.kind == filters.kind)
    conditions += _created_between(Listing.created_at, filters)
    return conditions


def _listing_clusters(
    conditions: list[sa.ColumnElement[bool]], filters: MapFilters
) -> list[dict[str, Any]]:
    """One feature per node: counts per kind and family, and the yearly tonnes."""
    nodes = filters.nodes()
    per_year = sa.case(
        *((Listing.frequency == f, Listing.quantity * factor) for f, factor in PER_YEAR.items()),
        else_=Listing.quantity,
    )
    mass_t = sa.case(
        *((Listing.unit == u, per_year * factor) for u, factor in _MASS_T.items()), else_=0.0
    )
    rows = db.session.execute(
        sa.select(
            Listing.municipality_code,
            Listing.kind,
            Listing.material,
            sa.func.count(),
            sa.func.sum(mass_t),
        )
        .where(*conditions)
        .group_by(Listing.municipality_code, Listing.kind, Listing.material)
    ).all()
    clusters: dict[str, dict[str, Any]] = {}
    for code, kind, material, count, tonnes in rows:
        node = nodes.get(code or "")
        if node is None:
            continue
        props = clusters.get(node.key)
        if props is None:
            props = clusters[node.key] = {
                "cluster": True,
                "node": node,
                "count": 0,
                "offer": 0,
                "need": 0,
                "mass_t_per_year": 0.0,
                "families": {},
            }
        props["count"] += count
        props[kind] += count
        props["mass_t_per_year"] += float(tonnes or 0.0)
        family = _family(material)
        props["families"][family] = props["families"].get(family, 0) + count
    features = []
    grown = _grown(filters.bbox, 0.25) if filters.bbox and filters.zoom else None
    for props in clusters.values():
        node = props.pop("node")
        nearby = grown is None or (filters.zoom or 0) < MUNICIPALITY_ZOOM
        if not nearby and not _in_bbox(node.lon, node.lat, grown):
            continue
        props["name"] = node.name
        props["mass_t_per_year"] = round(props["mass_t_per_year"], 1)
        props["family"] = max(props["families"], key=props["families"].get)
        features.append(
            {"type": "Feature", "geometry": _point(node.lon, node.lat), "properties": props}
        )
    return features


def _bbox_condition(viewer: Any, bbox: tuple[float, float, float, float]) -> sa.ColumnElement[bool]:
    """Listings shown inside ``bbox``: exact sites where revealed, else the municipality's
    point (a condition on the hidden site would give it away)."""
    exact = sa.and_(Listing.lon.between(bbox[0], bbox[2]), Listing.lat.between(bbox[1], bbox[3]))
    if _is_coordinator(viewer):
        return exact
    codes = [
        code for code, node in municipality_nodes().items() if _in_bbox(node.lon, node.lat, bbox)
    ]
    revealed = Listing.visibility == "public"
    own = _own_org(viewer)
    if own is not None:
        revealed = sa.or_(revealed, Listing.organisation_id == own)
    return sa.or_(
        sa.and_(revealed, exact), sa.and_(sa.not_(revealed), Listing.municipality_code.in_(codes))
    )


def _listing_feature(row: Any, viewer: Any, lang: str) -> dict[str, Any] | None:
    revealed = reveals(viewer, organisation_id=row.organisation_id, visibility=row.visibility)
    lon, lat = shown_point(
        revealed=revealed, lon=row.lon, lat=row.lat, municipality_code=row.municipality_code
    )
    if lon is None or lat is None:
        return None
    per_year = row.quantity * PER_YEAR.get(row.frequency, 1.0)
    try:
        category = taxonomy.category(row.material)
        material_name = category.name(lang if lang in ("nl", "en") else "nl")
    except KeyError:
        material_name = row.material
    return {
        "type": "Feature",
        "geometry": _point(lon, lat),
        "properties": {
            "id": row.public_id,
            "kind": row.kind,
            "title": row.title,
            "material": row.material,
            "material_name": material_name,
            "family": _family(row.material),
            "quantity": row.quantity,
            "unit": row.unit,
            "frequency": row.frequency,
            "quantity_per_year": round(per_year, 3),
            "municipality": municipality_names().get(row.municipality_code or ""),
            "organisation": row.organisation_name if revealed else None,
            "exact_location": revealed,
            "own": row.organisation_id == _own_org(viewer),
            "url": url_for("listings.detail", public_id=row.public_id),
        },
    }


def _listing_rows(conditions: list[sa.ColumnElement[bool]], *, limit: int) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(
                Listing.public_id,
                Listing.organisation_id,
                Listing.visibility,
                Listing.kind,
                Listing.title,
                Listing.material,
                Listing.quantity,
                Listing.unit,
                Listing.frequency,
                Listing.lon,
                Listing.lat,
                Listing.municipality_code,
                Organisation.name.label("organisation_name"),
            )
            .join(Organisation, Organisation.id == Listing.organisation_id)
            .where(*conditions)
            .order_by(Listing.public_id)
            .limit(limit)
        )
    )


def listing_collection(viewer: Any, filters: MapFilters, *, lang: str) -> dict[str, Any]:
    """Open offers and needs for ``viewer``: clusters, or individual listings.

    With ``mine`` a firm gets its own listings one by one and the other firms' offers as
    clusters (anonymised: counts per municipality, no firm, no site).
    """
    conditions = _listing_conditions(filters)
    own = _own_org(viewer)
    if filters.mine and own is not None:
        own_rows = _listing_rows([*conditions, Listing.organisation_id == own], limit=5000)
        others = [*conditions, Listing.organisation_id != own, Listing.kind == "offer"]
        features = [f for r in own_rows if (f := _listing_feature(r, viewer, lang))]
        features += _listing_clusters(others, filters)
        return collection(features, level="mine")
    individual = filters.street_level
    if filters.bbox is not None and filters.street_level:
        conditions.append(_bbox_condition(viewer, filters.bbox))
    if not individual and filters.narrowed:
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(Listing).where(*conditions)
        )
        individual = int(total or 0) <= MAX_INDIVIDUAL
    if individual:
        rows = _listing_rows(conditions, limit=MAX_INDIVIDUAL * 4 + 1)
        if len(rows) <= MAX_INDIVIDUAL * 4:
            features = [f for r in rows if (f := _listing_feature(r, viewer, lang))]
            return collection(features, level="listing")
    return collection(_listing_clusters(conditions, filters), level=_level(filters))


def _level(filters: MapFilters) -> str:
    return (
        "grid" if filters.zoom is not None and filters.zoom < MUNICIPALITY_ZOOM else "municipality"
    )


# --- organisations -----------------------------------------------------------------------


def organisation_collection(filters: MapFilters) -> dict[str, Any]:
    """Firms with an open listing (coordinators only): clusters, or one point per firm."""
    active = (
        sa.select(Listing.organisation_id)
        .where(*_listing_conditions(filters))
        .distinct()
        .subquery()
    )
    base = sa.select(Organisation).where(Organisation.id.in_(sa.select(active.c.organisation_id)))
    if filters.street_level and filters.bbox is not None:
        west, south, east, north = filters.bbox
        orgs = db.session.scalars(
            base.where(
                Organisation.lon.between(west, east), Organisation.lat.between(south, north)
            ).limit(MAX_INDIVIDUAL * 4)
        ).all()
        features = [
            {
                "type": "Feature",
                "geometry": _point(o.lon, o.lat),
                "properties": {
                    "id": o.public_id,
                    "name": o.name,
                    "municipality": municipality_names().get(o.municipality_code or ""),
                    "url": url_for("organisations.view", public_id=o.public_id),
                },
            }
            for o in orgs
            if o.lon is not None and o.lat is not None
        ]
        return collection(features, level="organisation")
    nodes = filters.nodes()
    counts: dict[str, list[Any]] = {}
    for code, n in db.session.execute(
        sa.select(Organisation.municipality_code, sa.func.count())
        .where(Organisation.id.in_(sa.select(active.c.organisation_id)))
        .group_by(Organisation.municipality_code)
    ):
        node = nodes.get(code or "")
        if node is not None:
            counts.setdefault(node.key, [node, 0])[1] += n
    features = [
        {
            "type": "Feature",
            "geometry": _point(node.lon, node.lat),
            "properties": {"cluster": True, "count": n, "name": node.name},
        }
        for node, n in counts.values()
    ]
    return collection(features, level=_level(filters))


# --- exchanges ---------------------------------------------------------------------------


@dataclass
class Flow:
    """Exchanges of one status layer from one node to another, summed."""

    source: Node
    target: Node
    status: str
    count: int = 0
    mass_t: float = 0.0
    energy_mwh: float = 0.0
    net_co2e_kg: float = 0.0
    loops: int = 0

    def feature(self) -> dict[str, Any]:
        internal = self.source.key == self.target.key
        geometry = (
            _point(self.source.lon, self.source.lat)
            if internal
            else {
                "type": "LineString",
                "coordinates": [
                    [self.source.lon, self.source.lat],
                    [self.target.lon, self.target.lat],
                ],
            }
        )
        return {
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "aggregate": True,
                "status": self.status,
                "from": self.source.name,
                "to": self.target.name,
                "internal": internal,
                "count": self.count,
                "mass_t": round(self.mass_t, 3),
                "energy_mwh": round(self.energy_mwh, 3),
                "net_co2e_kg": round(self.net_co2e_kg, 1),
                "loops": self.loops,
            },
        }


def _exchange_conditions(viewer: Any, filters: MapFilters, offer: Any, need: Any) -> list[Any]:
    conditions: list[Any] = [Match.status.in_(_statuses_of(filters.statuses))]
    if not _is_coordinator(viewer):
        own = _own_org(viewer)
        conditions.append(sa.or_(offer.organisation_id == own, need.organisation_id == own))
    materials = filters.materials()
    if materials is not None:
        conditions.append(offer.material.in_(materials))
    if filters.municipality:
        conditions.append(
            sa.or_(
                offer.municipality_code == filters.municipality,
                need.municipality_code == filters.municipality,
            )
        )
    if filters.loop:
        conditions.append(Match.loop_id == filters.loop)
        if not _is_coordinator(viewer):
            # A loop id is a link between firms: only shown once the exchange is agreed.
            conditions.append(Match.status.in_(AGREED_STATUSES))
    conditions += _created_between(Match.created_at, filters)
    return conditions


def _flows(conditions: list[Any], offer: Any, need: Any, filters: MapFilters) -> list[Flow]:
    rows = db.session.execute(
        sa.select(
            offer.municipality_code,
            need.municipality_code,
            Match.status,
            sa.func.count(),
            sa.func.sum(sa.func.coalesce(Match.mass_t_per_year, 0.0)),
            sa.func.sum(sa.case((Match.unit == "MWh", Match.quantity_per_year), else_=0.0)),
            sa.func.sum(Match.net_co2e_kg),
            sa.func.count(Match.loop_id),
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(*conditions)
        .group_by(offer.municipality_code, need.municipality_code, Match.status)
    ).all()
    nodes = filters.nodes()
    flows: dict[tuple[str, str, str], Flow] = {}
    for source_code, target_code, status, n, mass_t, mwh, net, loops in rows:
        source, target = nodes.get(source_code or ""), nodes.get(target_code or "")
        if source is None or target is None:
            continue
        layer = layer_of(status)
        key = (source.key, target.key, layer)
        flow = flows.get(key)
        if flow is None:
            flow = flows[key] = Flow(source=source, target=target, status=layer)
        flow.count += n
        flow.mass_t += float(mass_t or 0.0)
        flow.energy_mwh += float(mwh or 0.0)
        flow.net_co2e_kg += float(net or 0.0)
        flow.loops += loops
    return list(flows.values())


def _codes_near(bbox: tuple[float, float, float, float], share: float) -> list[str]:
    """Municipalities whose point lies in ``bbox`` grown by ``share`` on each side."""
    grown = _grown(bbox, share)
    return [c for c, node in municipality_nodes().items() if _in_bbox(node.lon, node.lat, grown)]


def _exchange_rows(conditions: list[Any], offer: Any, need: Any, *, limit: int) -> list[Any]:
    offer_org = sa.orm.aliased(Organisation)
    need_org = sa.orm.aliased(Organisation)
    return list(
        db.session.execute(
            sa.select(
                Match.public_id,
                Match.status,
                Match.quantity_per_year,
                Match.unit,
                Match.mass_t_per_year,
                Match.net_co2e_kg,
                Match.loop_id,
                offer.public_id.label("offer_id"),
                offer.title.label("offer_title"),
                offer.material.label("material"),
                offer.organisation_id.label("offer_org_id"),
                offer.visibility.label("offer_visibility"),
                offer.lon.label("offer_lon"),
                offer.lat.label("offer_lat"),
                offer.municipality_code.label("offer_municipality"),
                offer_org.name.label("offer_org"),
                need.public_id.label("need_id"),
                need.title.label("need_title"),
                need.organisation_id.label("need_org_id"),
                need.visibility.label("need_visibility"),
                need.lon.label("need_lon"),
                need.lat.label("need_lat"),
                need.municipality_code.label("need_municipality"),
                need_org.name.label("need_org"),
            )
            .join(offer, offer.id == Match.offer_id)
            .join(need, need.id == Match.need_id)
            .join(offer_org, offer_org.id == offer.organisation_id)
            .join(need_org, need_org.id == need.organisation_id)
            .where(*conditions)
            .order_by(Match.net_co2e_kg.desc(), Match.public_id)
            .limit(limit)
        )
    )


def _side(row: Any, side: str, viewer: Any) -> tuple[float | None, float | None, str | None]:
    """The shown point and firm name of one side of a match row, for ``viewer``."""
    org_id = getattr(row, f"{side}_org_id")
    # A firm sees the other firm of its match only once both agreed (disclosure rules).
    revealed = _is_coordinator(viewer) or org_id == _own_org(viewer)
    if not revealed and counterpart_revealed(row.status):
        revealed = True
    if not revealed:
        revealed = getattr(row, f"{side}_visibility") == "public"
    lon, lat = shown_point(
        revealed=revealed,
        lon=getattr(row, f"{side}_lon"),
        lat=getattr(row, f"{side}_lat"),
        municipality_code=getattr(row, f"{side}_municipality"),
    )
    named = revealed and (
        _is_coordinator(viewer) or org_id == _own_org(viewer) or counterpart_revealed(row.status)
    )
    return lon, lat, getattr(row, f"{side}_org") if named else None


def _exchange_feature(row: Any, viewer: Any) -> dict[str, Any] | None:
    offer_lon, offer_lat, offer_org = _side(row, "offer", viewer)
    need_lon, need_lat, need_org = _side(row, "need", viewer)
    if None in (offer_lon, offer_lat, need_lon, need_lat):
        return None
    loop_visible = _is_coordinator(viewer) or counterpart_revealed(row.status)
    return {
        "type": "Feature",
        "geometry": {
            "type": "LineString",
            "coordinates": [
                [round(offer_lon, 5), round(offer_lat, 5)],
                [round(need_lon, 5), round(need_lat, 5)],
            ],
        },
        "properties": {
            "id": row.public_id,
            "status": layer_of(row.status),
            "match_status": row.status,
            "quantity_per_year": round(row.quantity_per_year, 3),
            "unit": row.unit,
            "mass_t": round(row.mass_t_per_year or 0.0, 3),
            "energy_mwh": round(row.quantity_per_year, 3) if row.unit == "MWh" else 0.0,
            "net_co2e_kg": round(row.net_co2e_kg, 1),
            "loop_id": row.loop_id if loop_visible else None,
            "family": _family(row.material),
            "offer_title": row.offer_title,
            "need_title": row.need_title,
            "offer_organisation": offer_org,
            "need_organisation": need_org,
            "from": municipality_names().get(row.offer_municipality or ""),
            "to": municipality_names().get(row.need_municipality or ""),
            "url": url_for("matches.detail", public_id=row.public_id),
            "offer_url": url_for("listings.detail", public_id=row.offer_id),
            "need_url": url_for("listings.detail", public_id=row.need_id),
        },
    }


def exchange_collection(viewer: Any, filters: MapFilters) -> dict[str, Any]:
    """Exchanges ``viewer`` may see (coordinators: all; a firm: its own) as flows or lines."""
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    conditions = _exchange_conditions(viewer, filters, offer, need)
    individual = filters.street_level or bool(filters.loop)
    if filters.street_level and filters.bbox is not None and _is_coordinator(viewer):
        west, south, east, north = filters.bbox
        conditions.append(
            sa.or_(
                sa.and_(offer.lon.between(west, east), offer.lat.between(south, north)),
                sa.and_(need.lon.between(west, east), need.lat.between(south, north)),
            )
        )
    if not individual and (filters.narrowed or not _is_coordinator(viewer)):
        total = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Match)
            .join(offer, offer.id == Match.offer_id)
            .join(need, need.id == Match.need_id)
            .where(*conditions)
        )
        individual = int(total or 0) <= MAX_INDIVIDUAL
    if individual:
        rows = _exchange_rows(conditions, offer, need, limit=MAX_INDIVIDUAL * 4 + 1)
        if len(rows) <= MAX_INDIVIDUAL * 4:
            features = [f for r in rows if (f := _exchange_feature(r, viewer))]
            if filters.bbox is not None and filters.street_level:
                features = [
                    f
                    for f in features
                    if any(_in_bbox(*c, filters.bbox) for c in f["geometry"]["coordinates"])
                ]
            return collection(features, level="exchange")
    if filters.bbox is not None and (filters.zoom or 0) >= MUNICIPALITY_ZOOM:
        # Only flows that touch the view (municipalities are public: no disclosure issue).
        codes = _codes_near(filters.bbox, 0.25)
        conditions.append(
            sa.or_(offer.municipality_code.in_(codes), need.municipality_code.in_(codes))
        )
    flows = _flows(conditions, offer, need, filters)
    return collection([f.feature() for f in flows], level=_level(filters))


def loop_collection(viewer: Any, filters: MapFilters) -> dict[str, Any]:
    """Closed loops, one feature each: its exchanges drawn between their municipalities
    (a MultiLineString; a Point when all of them stay inside one), with their sums."""
    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    conditions = _exchange_conditions(viewer, filters, offer, need)
    conditions.append(Match.loop_id.is_not(None))
    if not _is_coordinator(viewer):
        conditions.append(Match.status.in_(AGREED_STATUSES))
    if filters.bbox is not None and (filters.zoom or 0) >= MUNICIPALITY_ZOOM:
        codes = _codes_near(filters.bbox, 0.25)
        conditions.append(
            sa.or_(offer.municipality_code.in_(codes), need.municipality_code.in_(codes))
        )
    rows = db.session.execute(
        sa.select(
            Match.loop_id,
            offer.municipality_code,
            need.municipality_code,
            sa.func.count(),
            sa.func.sum(sa.func.coalesce(Match.mass_t_per_year, 0.0)),
            sa.func.sum(Match.net_co2e_kg),
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(*conditions)
        .group_by(Match.loop_id, offer.municipality_code, need.municipality_code)
    ).all()
    nodes = municipality_nodes()
    loops: dict[str, dict[str, Any]] = {}
    for loop_id, source_code, target_code, n, mass_t, net in rows:
        source, target = nodes.get(source_code or ""), nodes.get(target_code or "")
        if source is None or target is None:
            continue
        loop = loops.setdefault(
            loop_id,
            {"lines": [], "point": source, "count": 0, "mass_t": 0.0, "net_co2e_kg": 0.0},
        )
        if source.key != target.key:
            loop["lines"].append([[source.lon, source.lat], [target.lon, target.lat]])
        loop["count"] += n
        loop["mass_t"] += float(mass_t or 0.0)
        loop["net_co2e_kg"] += float(net or 0.0)
    features = []
    for loop_id, loop in loops.items():
        geometry = (
            {"type": "MultiLineString", "coordinates": loop["lines"]}
            if loop["lines"]
            else _point(loop["point"].lon, loop["point"].lat)
        )
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "loop_id": loop_id,
                    "count": loop["count"],
                    "mass_t": round(loop["mass_t"], 3),
                    "net_co2e_kg": round(loop["net_co2e_kg"], 1),
                },
            }
        )
    return collection(features, level="loop")


# --- municipalities ----------------------------------------------------------------------


def municipality_geojson(viewer: Any, *, figures: bool = False) -> str:
    """Every municipality's boundary and the region's outline, as GeoJSON text; for
    coordinators who ask (``figures``) with the choropleth's figures per municipality.

    The simplified geometries are serialised once per process: only the properties are
    written per request.
    """
    figures = municipality_map_figures() if figures and _is_coordinator(viewer) else {}
    parts = []
    for props, geometry in boundary_texts():
        code = props.get("code")
        if figures and code:
            props = {**props, **figures.get(code, dict.fromkeys(CHOROPLETH_FIGURES, 0))}
        parts.append(
            '{"type":"Feature","geometry":'
            + geometry
            + ',"properties":'
            + json.dumps(props, separators=(",", ":"))
            + "}"
        )
    meta = json.dumps({"figures": list(CHOROPLETH_FIGURES) if figures else []})
    return (
        '{"type":"FeatureCollection","features":['
        + ",".join(parts)
        + '],"reststroom":'
        + meta
        + "}"
    )


@cache
def boundary_texts() -> tuple[tuple[dict[str, Any], str], ...]:
    return tuple(
        (f["properties"], json.dumps(f["geometry"], separators=(",", ":")))
        for f in boundary_features()
    )


def municipality_map_figures() -> dict[str, dict[str, float]]:
    """Per municipality code: the choropleth's figures.

    An exchange counts half at each end (tonnes, CO2e), so the municipalities add up to
    the region's total; unmatched supply is the yearly tonnes of open offers that no live
    exchange takes, at the offer's municipality.
    """
    from marketplace.exchanges.impact import realised

    out: dict[str, dict[str, float]] = {}

    def add(code: str | None, name: str, value: float) -> None:
        if code:
            row = out.setdefault(code, dict.fromkeys(CHOROPLETH_FIGURES, 0.0))
            row[name] += value

    offer = sa.orm.aliased(Listing)
    need = sa.orm.aliased(Listing)
    estimate = sa.func.coalesce(Match.agreed_net_co2e_kg, Match.net_co2e_kg)
    for a, b, mass_t, net in db.session.execute(
        sa.select(
            offer.municipality_code,
            need.municipality_code,
            sa.func.sum(sa.func.coalesce(Match.mass_t_per_year, 0.0)),
            sa.func.sum(estimate),
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.status.in_(AGREED_STATUSES))
        .group_by(offer.municipality_code, need.municipality_code)
    ):
        for code in (a, b):
            add(code, "exchanged_t", float(mass_t or 0.0) / 2)
            add(code, "co2e_estimated_t", float(net or 0.0) / 2000)
    delivered = db.session.scalars(
        sa.select(Match)
        .where(Match.status.in_(AGREED_STATUSES), Match.deliveries.any())
        .options(
            sa.orm.selectinload(Match.deliveries),
            sa.orm.selectinload(Match.offer),
            sa.orm.selectinload(Match.need),
        )
    )
    for match in delivered:
        net = realised(match).net_co2e_kg
        for code in (match.offer.municipality_code, match.need.municipality_code):
            add(code, "co2e_realised_t", net / 2000)
    per_year = sa.case(
        *((Listing.frequency == f, Listing.quantity * k) for f, k in PER_YEAR.items()),
        else_=Listing.quantity,
    )
    mass = sa.case(*((Listing.unit == u, per_year * k) for u, k in _MASS_T.items()), else_=0.0)
    taken = (
        sa.select(
            Match.offer_id, sa.func.sum(sa.func.coalesce(Match.mass_t_per_year, 0.0)).label("t")
        )
        .where(Match.status.in_((*OPEN_STATUSES, *COMMITTED_STATUSES)))
        .group_by(Match.offer_id)
        .subquery()
    )
    left = sa.func.greatest if db.engine.dialect.name == "postgresql" else sa.func.max
    for code, tonnes in db.session.execute(
        sa.select(
            Listing.municipality_code,
            sa.func.sum(left(mass - sa.func.coalesce(taken.c.t, 0.0), 0.0)),
        )
        .outerjoin(taken, taken.c.offer_id == Listing.id)
        .where(Listing.status.in_(MARKET_LISTING_STATUSES), Listing.kind == "offer")
        .group_by(Listing.municipality_code)
    ):
        add(code, "unmatched_supply_t", float(tonnes or 0.0))
    for code, n in db.session.execute(
        sa.select(Listing.municipality_code, sa.func.count(sa.distinct(Listing.organisation_id)))
        .where(Listing.status.in_(MARKET_LISTING_STATUSES))
        .group_by(Listing.municipality_code)
    ):
        add(code, "active_firms", float(n))
    return {
        code: {k: round(v, 1) if k != "active_firms" else int(v) for k, v in row.items()}
        for code, row in out.items()
    }
