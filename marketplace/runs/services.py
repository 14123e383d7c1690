"""Run the engine on the database and keep its proposals as matches.

A run stores its parameters, timings, counts and totals (:class:`EngineRun`). Open
proposals still in the new optimum are updated in place; open proposals that dropped
out are marked ``superseded``; agreed, active and completed matches are never touched
(their quantities are subtracted before the engine runs, so it fills what is left).
A pair a firm declined is not proposed again for
:data:`~marketplace.exchanges.services.DECLINE_MEMORY_DAYS`.

Only one run works at a time; a run that never finished (its worker died) stops
blocking new runs after :data:`RUN_TIMEOUT`. Whatever goes wrong inside a run, it ends
``failed`` with the error, never ``running``.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app

from flows import Params, propose
from flows.errors import FlowsError
from flows.listing_file import split_offers_needs
from flows.schema import DEFAULT_TRANSPORT_MODE
from marketplace.accounts.models import User
from marketplace.adapters import existing_exchanges_frame, listings_frame
from marketplace.core import jobs
from marketplace.core.disclosure import neutral_reason
from marketplace.core.vocabulary import COMMITTED_STATUSES, OPEN_STATUSES, TRANSPORT_MODES
from marketplace.errors import InvalidInput, MarketplaceError
from marketplace.exchanges.locking import lock_listings, lock_matches
from marketplace.exchanges.models import Match
from marketplace.exchanges.review import moderate_new_proposals
from marketplace.exchanges.services import (
    capacities_per_year,
    committed_flows,
    declined_pairs,
    notify_new_proposals,
    scale_quantities,
    supersede,
    supersede_all_open,
)
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs.history import record_snapshot
from marketplace.runs.models import EngineRun

logger = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

#: A run still ``running`` this long after it started is taken for dead (the thread or
#: process that ran it stopped): starting a new run marks it ``failed`` instead of waiting.
#: The region's engine run takes seconds, so this leaves a wide margin.
RUN_TIMEOUT = timedelta(minutes=15)

#: Key of the PostgreSQL advisory lock that lets one run start at a time (any constant
#: that no other part of the app uses; the bytes spell "RSRN").
RUN_START_LOCK_KEY = 0x5253524E

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


class RunInProgress(MarketplaceError):
    """Another engine run is working; ``run`` is that run."""

    def __init__(self, run: EngineRun) -> None:
        super().__init__(f"engine run {run.id} is still running")
        self.run = run


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored moment is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def lock_run_starts(connection: sa.Connection) -> None:
    """Take, until ``connection``'s transaction ends, the lock that one run start holds.

    A row lock (``SELECT ... FOR UPDATE`` on the running run) would not do: when no run
    is running there is no row to lock, and two coordinators clicking at once would both
    insert one. PostgreSQL takes a transaction-scoped advisory lock instead; SQLite lets
    one transaction write at a time, and its first write (here one that changes no row)
    holds that write lock until commit.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(RUN_START_LOCK_KEY)))
    else:
        table = EngineRun.__table__
        connection.execute(sa.update(table).where(sa.false()).values(status=table.c.status))


def run_job_id(run_id: int) -> str:
    """The id of the queue job that executes engine run ``run_id``."""
    return f"engine-run-{run_id}"


def abandon_stale_runs(*, now: datetime | None = None) -> list[EngineRun]:
    """Mark ``failed`` the runs still ``running`` that will never finish.

    That is a run :data:`RUN_TIMEOUT` after its start and, with the job queue, a run
    whose job failed outside the run's own error handling or whose worker stopped
    (killed mid-run: :func:`marketplace.core.jobs.lost_job_reason`).
    """
    now = now or datetime.now(UTC)
    running = list(db.session.scalars(sa.select(EngineRun).where(EngineRun.status == "running")))
    minutes = int(RUN_TIMEOUT.total_seconds() // 60)
    stale = []
    for run in running:
        if _aware(run.started_at) < now - RUN_TIMEOUT:
            logger.warning(
                "engine run %s abandoned: still running after %d minutes", run.id, minutes
            )
            error = (
                f"abandoned: still running {minutes} minutes after it started "
                "(the process running it probably stopped)"
            )
        else:
            # Runs started here without the queue (`flask flows run`) have no job: only
            # a job that exists and is lost counts.
            lost = jobs.lost_job_reason(run_job_id(run.id), missing_is_lost=False)
            if lost is None:
                continue
            logger.warning("engine run %s abandoned: %s", run.id, lost)
            error = f"abandoned: {lost}"
        run.status = "failed"
        run.error = error
        run.progress = 1.0
        run.finished_at = now
        stale.append(run)
    db.session.flush()
    return stale


def start_run(params: Params, *, started_by: User | None = None) -> EngineRun:
    """Record a new run as ``running`` and **commit** it, unless another run is working.

    The check for a running run and the insert of the new one happen in one transaction
    under a lock (:func:`lock_run_starts`), so that two coordinators starting a
    run at the same moment get one run, not two. This commits, unlike the other
    services: the lock must be released at once, and the run must be visible (and
    stay recorded if the run fails and rolls back what it wrote).

    Raises
    ------
    RunInProgress
        When a run started less than :data:`RUN_TIMEOUT` ago is still ``running``.
    """
    lock_run_starts(db.session.connection())
    abandon_stale_runs()
    running = db.session.scalar(
        sa.select(EngineRun).where(EngineRun.status == "running").order_by(EngineRun.id)
    )
    if running is not None:
        db.session.commit()  # keeps the abandoned runs failed and releases the lock
        raise RunInProgress(running)
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
    db.session.commit()
    return run


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            return None
    return value


class _RunAbandoned(Exception):
    """The run was marked failed by a newer start while it worked."""


def execute_run(run: EngineRun, params: Params, *, progress: Progress | None = None) -> EngineRun:
    """Run the engine for ``run`` and store its proposals; flushes, the caller commits.

    Never leaves ``run`` running. On any error the session is rolled back, which drops
    whatever the run wrote since the last commit (a half-stored set of proposals), and
    the run is marked ``failed`` with the error: an engine error (:class:`FlowsError`)
    says what is wrong with the listings; anything else is a bug, logged with its
    traceback. The run row itself was committed by :func:`start_run`.
    """
    report = progress or (lambda _phase, _share: None)
    run_id = run.id
    try:
        report("loading", 0.05)
        frame = listings_frame()
        if frame.empty:
            offers, needs = frame, frame
            proposals = None
        else:
            offers, needs = split_offers_needs(frame)
            report("solving", 0.2)
            proposals = propose(
                offers,
                needs,
                params,
                existing=existing_exchanges_frame(),
                excluded=declined_pairs_frame(frame),
            )
        report("storing", 0.8)
        if db.session.scalar(sa.select(EngineRun.status).where(EngineRun.id == run_id)) != (
            "running"
        ):
            # Abandoned after RUN_TIMEOUT, and a newer run may be storing: keep out of its way.
            raise _RunAbandoned()
        counts = {"offers": len(offers), "needs": len(needs)}
        if proposals is None:
            counts.update(proposals=0, candidates=0)
            stored = {
                "created": 0,
                "updated": 0,
                "superseded": supersede_all_open(),
                "skipped_declined": 0,
            }
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
        record_snapshot(run)
        run.status = "succeeded"
    except _RunAbandoned:
        db.session.rollback()
        logger.warning("engine run %s finished after it was abandoned; nothing stored", run_id)
        return run
    except Exception as exc:
        db.session.rollback()
        if isinstance(exc, FlowsError):
            logger.warning("engine run %s failed: %s", run_id, exc)
            error = str(exc)
        else:
            logger.exception("engine run %s failed", run_id)
            error = f"{type(exc).__name__}: {exc}"
        db.session.add(run)  # a no-op unless the rollback dropped a run never committed
        run.status = "failed"
        run.error = error
    run.progress = 1.0
    run.finished_at = datetime.now(UTC)
    report("done", 1.0)
    db.session.flush()
    return run


def declined_pairs_frame(listings: pd.DataFrame) -> pd.DataFrame:
    """The declined pairs in the engine's terms, so that the optimum goes around them."""
    organisation_of = dict(zip(listings["listing_id"], listings["organisation"], strict=True))
    pairs = [
        (offer_id, need_id)
        for offer_id, need_id in sorted(declined_pairs())
        if offer_id in organisation_of and need_id in organisation_of
    ]
    return pd.DataFrame(
        {
            "offer_organisation": [organisation_of[o] for o, _ in pairs],
            "offer_ref": [str(o) for o, _ in pairs],
            "need_organisation": [organisation_of[n] for _, n in pairs],
            "need_ref": [str(n) for _, n in pairs],
        }
    )


def _transport_mode(value: object) -> str:
    """The proposal's transport mode; an engine frame without the column means truck."""
    return value if isinstance(value, str) and value in TRANSPORT_MODES else DEFAULT_TRANSPORT_MODE


def _lock_for_storing(
    frame: pd.DataFrame,
) -> tuple[dict[int, Listing], dict[tuple[int, int], Match]]:
    """Lock the listings of the new and the open proposals, then the open matches; return
    the listings by id and the open matches by pair, as they are under the locks.

    The same locks as every transition of a match (:mod:`marketplace.exchanges.locking`):
    an acceptance either finished before (and its commitment is read below) or waits.
    """
    open_rows = db.session.execute(
        sa.select(Match.id, Match.offer_id, Match.need_id).where(Match.status.in_(OPEN_STATUSES))
    ).all()
    listing_ids = {int(i) for i in frame["offer_listing_id"]} | {
        int(i) for i in frame["need_listing_id"]
    }
    listing_ids |= {int(i) for _, o, n in open_rows for i in (o, n)}
    listings = {listing.id: listing for listing in lock_listings(listing_ids)}
    open_matches = {
        (m.offer_id, m.need_id): m
        for m in lock_matches(row[0] for row in open_rows)
        if m.status in OPEN_STATUSES
    }
    return listings, open_matches


#: New proposals per multi-row ``INSERT ... RETURNING``.
INSERT_CHUNK = 5_000


def _insert_proposals(rows: list[dict[str, Any]]) -> list[Match]:
    """Insert new proposals in multi-row statements; return them as (session) matches."""
    created: list[Match] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        created.extend(
            db.session.scalars(
                sa.insert(Match).returning(Match),
                rows[start : start + INSERT_CHUNK],
                # NULLs as NULLs (not left out), so that every row fits one statement.
                execution_options={"render_nulls": True},
            )
        )
    # Without ``sort_by_parameter_order`` SQLite returns the rows in batches; id order
    # is insert order, and the order the firms are told in.
    return sorted(created, key=lambda match: match.id)


def store_proposals(run: EngineRun, frame: pd.DataFrame) -> dict[str, int]:
    """Replace the open proposals by ``frame``'s; keep every accepted match as it is.

    Stored under the locks of every listing involved and against the commitments as they
    are now, not as they were when the run started: a pair agreed meanwhile is not
    proposed again (``skipped_committed``), and a proposal is cut to what its listings
    have left (``clipped``) or dropped when nothing is left (``skipped_full``), so that
    for every listing committed + open proposed quantity never exceeds the listing.
    A pair declined in the last :data:`DECLINE_MEMORY_DAYS` is not proposed again
    (``skipped_declined``); :func:`execute_run` already excludes declined pairs from the
    optimisation (so their share goes elsewhere); this is the last guard.

    A fixed number of statements whatever the number of proposals (a national run stores
    ~74,000): the capacities and commitments of all listings at once, the new proposals
    in multi-row inserts, the firms told in bulk (:func:`notify_new_proposals`).
    """
    listings, open_matches = _lock_for_storing(frame)
    declined = declined_pairs()
    committed_pairs = {
        (int(o), int(n))
        for o, n in db.session.execute(
            sa.select(Match.offer_id, Match.need_id).where(Match.status.in_(COMMITTED_STATUSES))
        )
    }
    proposed_ids = {int(i) for c in ("offer_listing_id", "need_listing_id") for i in frame[c]}
    capacities = capacities_per_year(listings[i] for i in proposed_ids if i in listings)
    committed = committed_flows(proposed_ids)
    left: dict[int, float] = {
        listing_id: (
            capacities[listing_id] - committed[listing_id] if listing_id in listings else 0.0
        )
        for listing_id in proposed_ids
    }
    created = updated = skipped_declined = skipped_committed = skipped_full = clipped = 0
    new_rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    # Where commitments grew meanwhile, the proposals that avoid the most CO2e keep theirs.
    ordered = frame.sort_values("net_co2e_kg", ascending=False, kind="stable")
    for rec in ordered.to_dict("records"):
        key = (int(rec["offer_listing_id"]), int(rec["need_listing_id"]))
        if key in declined:
            skipped_declined += 1
            continue
        if key in committed_pairs:
            skipped_committed += 1
            continue
        values = _proposal_values(run, rec)
        room = min(left[key[0]], left[key[1]])
        if room <= values["quantity_flow_unit"] * 1e-6:
            skipped_full += 1
            continue
        if values["quantity_flow_unit"] > room:
            values = scale_quantities(values, room / values["quantity_flow_unit"])
            clipped += 1
        left[key[0]] -= values["quantity_flow_unit"]
        left[key[1]] -= values["quantity_flow_unit"]
        seen.add(key)
        match = open_matches.get(key)
        if match is None:
            new_rows.append(
                {
                    "offer_id": key[0],
                    "need_id": key[1],
                    "status": "proposed",
                    "engine_quantity_per_year": values["quantity_per_year"],
                    **values,
                }
            )
            created += 1
        else:
            changed = match.unit != values["unit"] or not math.isclose(
                match.quantity_per_year, values["quantity_per_year"], rel_tol=1e-9
            )
            for name, value in values.items():
                setattr(match, name, value)
            match.engine_quantity_per_year = values["quantity_per_year"]
            if changed:
                # A changed proposal needs fresh consent from both firms; an unchanged one
                # keeps the consent already given, or a nightly run would erase it.
                match.offer_accepted_at = match.need_accepted_at = None
                match.pending_terms = None
                match.status = "proposed"
            updated += 1
    superseded = 0
    for key, match in open_matches.items():
        if key not in seen:
            supersede(match)
            superseded += 1
    db.session.flush()
    new_matches = _insert_proposals(new_rows)
    notify_new_proposals(moderate_new_proposals(new_matches))
    return {
        "created": created,
        "updated": updated,
        "superseded": superseded,
        "skipped_declined": skipped_declined,
        "skipped_committed": skipped_committed,
        "skipped_full": skipped_full,
        "clipped": clipped,
    }


def _proposal_values(run: EngineRun, rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "engine_run_id": run.id,
        "quantity_per_year": float(rec["quantity_per_year"]),
        "unit": str(rec["unit"]),
        "quantity_flow_unit": float(rec["quantity_flow_unit"]),
        "flow_unit": str(rec["flow_unit"]),
        "distance_km": float(rec["distance_km"]),
        "road_km": float(rec["road_km"]),
        "transport_mode": _transport_mode(rec.get("transport_mode")),
        "mass_t_per_year": _clean(float(rec["mass_t_per_year"])),
        "tonne_km_saved": _clean(float(rec["tonne_km_saved"])),
        "avoided_production_co2e_kg": float(rec["avoided_production_co2e_kg"]),
        "avoided_disposal_co2e_kg": float(rec["avoided_disposal_co2e_kg"]),
        "transport_co2e_kg": float(rec["transport_co2e_kg"]),
        "avoided_transport_co2e_kg": float(rec["avoided_transport_co2e_kg"]),
        "net_co2e_kg": float(rec["net_co2e_kg"]),
        "loop_id": rec["loop_id"] if isinstance(rec["loop_id"], str) else None,
        "rule": str(rec["rule"]),
        "reason": neutral_reason(
            str(rec["reason"]),
            offer_key=rec.get("offer_organisation"),
            need_key=rec.get("need_organisation"),
            lang="en",
        ),
        "reason_nl": neutral_reason(
            str(rec["reason_nl"]),
            offer_key=rec.get("offer_organisation"),
            need_key=rec.get("need_organisation"),
            lang="nl",
        ),
        "breakdown": {c: _clean(rec[c]) for c in BREAKDOWN_COLUMNS if c in rec},
    }


def run_engine(
    *, started_by: User | None = None, progress: Progress | None = None, **overrides: Any
) -> EngineRun:
    params = engine_params(**overrides)
    run = start_run(params, started_by=started_by)
    return execute_run(run, params, progress=progress)
