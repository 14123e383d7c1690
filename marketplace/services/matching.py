"""Run the engine on the database and keep its proposals as matches.

A run stores its parameters, timings, counts and totals (:class:`EngineRun`). Open
proposals still in the new optimum are updated in place; open proposals that dropped
out are marked ``superseded``; agreed, active and completed matches are never touched
(their quantities are subtracted before the engine runs, so it fills what is left).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from flows import Params, propose
from flows.errors import FlowsError
from flows.listing_file import split_offers_needs
from marketplace.adapters import existing_exchanges_frame, listings_frame
from marketplace.errors import InvalidInput, PermissionDenied
from marketplace.extensions import db
from marketplace.models import Delivery, EngineRun, Match, User
from marketplace.models.match import OPEN_STATUSES
from marketplace.services.permissions import can_manage_organisation

Progress = Callable[[str, float], None]

BREAKDOWN_COLUMNS = (
    "avoided_production_co2e_kg",
    "avoided_disposal_co2e_kg",
    "transport_co2e_kg",
    "avoided_transport_co2e_kg",
    "avoided_co2e_kg",
    "net_co2e_kg",
    "mass_t_per_year",
    "tonne_km",
    "tonne_km_saved",
    "production_factor_key",
    "disposal_factor_key",
    "material",
    "need_material",
)


#: Match statuses as users read them.
MATCH_STATUS_LABELS = {
    "proposed": _l("proposed"),
    "agreed": _l("agreed"),
    "active": _l("active"),
    "completed": _l("completed"),
    "declined": _l("declined"),
    "superseded": _l("superseded"),
}

COUNT_KEYS = (
    "offers",
    "needs",
    "offers_with_quantity_left",
    "needs_with_quantity_left",
    "candidates",
    "edges_solved",
    "components",
    "proposals",
    "loops",
    "proposals_closing_loops",
)
TOTAL_KEYS = (
    "exchanged_per_unit",
    "mass_t_per_year",
    "net_co2e_kg",
    "tonne_km",
    "tonne_km_saved",
    "loops",
    "quantity_resolution",
    "cost_error_bound",
)


def engine_params(**overrides: Any) -> Params:
    """Engine parameters from the app configuration, with ``overrides`` applied."""
    config = current_app.config
    values: dict[str, Any] = {
        "default_max_distance_km": config["DEFAULT_MAX_DISTANCE_KM"],
        "circuity": config["ROAD_CIRCUITY"],
        "top_k": config["ENGINE_TOP_K"],
    }
    if config.get("ROAD_GRAPHML"):
        values["road_network"] = _road_network(str(config["ROAD_GRAPHML"]))
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Params(**values)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(str(exc)) from None


@functools.cache
def _road_network(path: str) -> Any:
    """The configured road network, loaded once per process."""
    from geo.distance import RoadNetwork

    return RoadNetwork.from_graphml(path)


def start_run(params: Params, *, started_by: User | None = None) -> EngineRun:
    run = EngineRun(
        status="running",
        params={
            "objective": params.objective,
            "solver": params.solver,
            "default_max_distance_km": params.default_max_distance_km,
            "circuity": params.circuity,
            "top_k": params.top_k,
        },
        started_by_id=started_by.id if started_by else None,
        progress=0.0,
    )
    db.session.add(run)
    db.session.flush()
    return run


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
    return value


def execute_run(run: EngineRun, params: Params, *, progress: Progress | None = None) -> EngineRun:
    """Run the engine for ``run`` and store its proposals; flushes, the caller commits."""
    report = progress or (lambda _phase, _share: None)
    try:
        report("loading", 0.05)
        frame = listings_frame()
        if frame.empty:
            offers, needs = frame, frame
            proposals = None
        else:
            offers, needs = split_offers_needs(frame)
            report("solving", 0.2)
            proposals = propose(offers, needs, params, existing=existing_exchanges_frame())
        report("storing", 0.8)
        counts = {"offers": len(offers), "needs": len(needs)}
        if proposals is None:
            counts.update(proposals=0, candidates=0)
            stored = {"created": 0, "updated": 0, "superseded": _supersede_all_open()}
            run.totals = {"net_co2e_kg": 0.0, "exchanged_per_unit": {}, "loops": 0}
            run.timings_s = {}
        else:
            stored = store_proposals(run, proposals.frame)
            summary = {k: _clean(v) for k, v in proposals.summary.items()}
            counts.update({k: summary[k] for k in COUNT_KEYS if k in summary})
            run.totals = {k: summary[k] for k in TOTAL_KEYS if k in summary}
            run.timings_s = {k: round(float(v), 4) for k, v in proposals.timings_s.items()}
        counts.update(stored)
        run.counts = counts
        run.status = "succeeded"
    except FlowsError as exc:
        run.status = "failed"
        run.error = str(exc)
    run.progress = 1.0
    run.finished_at = datetime.now(UTC)
    report("done", 1.0)
    db.session.flush()
    return run


def _supersede_all_open() -> int:
    result = db.session.execute(
        sa.update(Match).where(Match.status.in_(OPEN_STATUSES)).values(status="superseded")
    )
    return int(result.rowcount or 0)


def _neutral_reason(text: str, rec: dict[str, Any], *, lang: str) -> str:
    """The engine's reason without the firms' keys (``org-17``).

    Both firms read the reason while either may still be anonymous to the other; a key
    would let them tell anonymous listings of one firm apart from another's.
    """
    offer_key, need_key = rec.get("offer_organisation"), rec.get("need_organisation")
    if lang == "nl":
        pairs = [
            (f"{offer_key} biedt ", "Het ene bedrijf biedt "),
            (f" aan en {need_key} zoekt ", " aan en een ander bedrijf zoekt "),
        ]
    else:
        pairs = [
            (f"{offer_key} offers ", "One firm offers "),
            (f" and {need_key} needs ", " and another firm needs "),
        ]
    for old, new in pairs:
        text = text.replace(old, new, 1)
    return text


def store_proposals(run: EngineRun, frame: pd.DataFrame) -> dict[str, int]:
    """Replace the open proposals by ``frame``'s; keep every accepted match as it is."""
    open_matches = {
        (m.offer_id, m.need_id): m
        for m in db.session.scalars(sa.select(Match).where(Match.status.in_(OPEN_STATUSES)))
    }
    created = updated = 0
    seen: set[tuple[int, int]] = set()
    for rec in frame.to_dict("records"):
        key = (int(rec["offer_listing_id"]), int(rec["need_listing_id"]))
        seen.add(key)
        values = {
            "engine_run_id": run.id,
            "quantity_per_year": float(rec["quantity_per_year"]),
            "unit": str(rec["unit"]),
            "quantity_flow_unit": float(rec["quantity_flow_unit"]),
            "flow_unit": str(rec["flow_unit"]),
            "distance_km": float(rec["distance_km"]),
            "road_km": float(rec["road_km"]),
            "mass_t_per_year": _clean(float(rec["mass_t_per_year"])),
            "tonne_km_saved": _clean(float(rec["tonne_km_saved"])),
            "avoided_production_co2e_kg": float(rec["avoided_production_co2e_kg"]),
            "avoided_disposal_co2e_kg": float(rec["avoided_disposal_co2e_kg"]),
            "transport_co2e_kg": float(rec["transport_co2e_kg"]),
            "avoided_transport_co2e_kg": float(rec["avoided_transport_co2e_kg"]),
            "net_co2e_kg": float(rec["net_co2e_kg"]),
            "loop_id": rec["loop_id"] if isinstance(rec["loop_id"], str) else None,
            "rule": str(rec["rule"]),
            "reason": _neutral_reason(str(rec["reason"]), rec, lang="en"),
            "reason_nl": _neutral_reason(str(rec["reason_nl"]), rec, lang="nl"),
            "breakdown": {c: _clean(rec[c]) for c in BREAKDOWN_COLUMNS if c in rec},
        }
        match = open_matches.get(key)
        if match is None:
            match = Match(offer_id=key[0], need_id=key[1], status="proposed", **values)
            db.session.add(match)
            created += 1
        else:
            changed = match.unit != values["unit"] or not math.isclose(
                match.quantity_per_year, values["quantity_per_year"], rel_tol=1e-9
            )
            for name, value in values.items():
                setattr(match, name, value)
            if changed:
                # A changed proposal needs fresh consent from both firms; an unchanged one
                # keeps the consent already given, or a nightly run would erase it.
                match.offer_accepted_at = match.need_accepted_at = None
            updated += 1
    superseded = 0
    for key, match in open_matches.items():
        if key not in seen:
            match.status = "superseded"
            superseded += 1
    db.session.flush()
    return {"created": created, "updated": updated, "superseded": superseded}


def run_engine(
    *, started_by: User | None = None, progress: Progress | None = None, **overrides: Any
) -> EngineRun:
    params = engine_params(**overrides)
    run = start_run(params, started_by=started_by)
    return execute_run(run, params, progress=progress)


# --- the match workflow ---------------------------------------------------------------------


def _sides(user: Any, match: Match) -> set[str]:
    sides = set()
    if can_manage_organisation(user, match.offer.organisation_id):
        sides.add("offer")
    if can_manage_organisation(user, match.need.organisation_id):
        sides.add("need")
    return sides


def can_see_match(user: Any, match: Match) -> bool:
    return bool(_sides(user, match))


def accept(user: User, match: Match) -> Match:
    """Accept a proposal for the user's side(s); both sides accepted makes it an agreement."""
    sides = _sides(user, match)
    if not sides:
        raise PermissionDenied()
    if match.status != "proposed":
        raise InvalidInput(
            _(
                "Only a proposed match can be accepted; this one is %(status)s.",
                status=MATCH_STATUS_LABELS[match.status],
            )
        )
    now = datetime.now(UTC)
    if "offer" in sides and match.offer_accepted_at is None:
        match.offer_accepted_at = now
    if "need" in sides and match.need_accepted_at is None:
        match.need_accepted_at = now
    if match.offer_accepted_at and match.need_accepted_at:
        match.status = "agreed"
        match.agreed_at = now
    db.session.flush()
    return match


def decline(user: User, match: Match) -> Match:
    if not _sides(user, match):
        raise PermissionDenied()
    if match.status != "proposed":
        raise InvalidInput(
            _(
                "Only a proposed match can be declined; this one is %(status)s.",
                status=MATCH_STATUS_LABELS[match.status],
            )
        )
    match.status = "declined"
    db.session.flush()
    return match


def record_delivery(
    user: User, match: Match, *, delivered_on: Any, quantity: float, unit: str, note: str | None
) -> Delivery:
    if not _sides(user, match):
        raise PermissionDenied()
    if match.status not in ("agreed", "active"):
        raise InvalidInput(_("Deliveries can be recorded for agreed or active matches only."))
    if not quantity or quantity <= 0:
        raise InvalidInput(
            _("The delivered quantity must be greater than 0."),
            {"quantity": [_("The delivered quantity must be greater than 0.")]},
        )
    delivery = Delivery(
        match=match,
        delivered_on=delivered_on,
        quantity=float(quantity),
        unit=unit,
        note=note or None,
        created_by_id=user.id,
    )
    db.session.add(delivery)
    match.status = "active"
    db.session.flush()
    return delivery


def complete(user: User, match: Match) -> Match:
    if not _sides(user, match):
        raise PermissionDenied()
    if match.status not in ("agreed", "active"):
        raise InvalidInput(_("Only an agreed or active match can be completed."))
    match.status = "completed"
    db.session.flush()
    return match
