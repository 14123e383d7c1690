"""Run history: what each engine run proposed, and how two runs differ.

A later run updates open proposals in place (``Match.engine_run_id`` moves on), so the
matches alone cannot say what an older run proposed. Each run therefore keeps a compact
snapshot of the proposals it left open (:class:`RunSnapshot`, written by
:func:`record_snapshot` right after storing). :func:`compare_proposals` is pure: it
takes two proposal sets and says what was added, dropped and changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, aliased, mapped_column

from marketplace.accounts.models import User
from marketplace.core.vocabulary import OPEN_STATUSES
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.listings.models import Listing
from marketplace.runs.models import EngineRun


class RunSnapshot(db.Model):
    """The proposals a run left open, one compact list per run."""

    __tablename__ = "engine_run_snapshot"

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engine_run.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``[[offer_public_id, need_public_id, quantity_per_year, unit, mass_t_per_year,
    #: net_co2e_kg, match_public_id], ...]``
    proposals: Mapped[list[list[Any]]] = mapped_column(sa.JSON, default=list)


@dataclass(frozen=True)
class Proposal:
    """One proposal of a run, keyed by its (offer, need) pair."""

    offer: str
    need: str
    quantity_per_year: float
    unit: str
    mass_t_per_year: float | None
    net_co2e_kg: float
    match: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.offer, self.need)


def record_snapshot(run: EngineRun) -> RunSnapshot:
    """Keep the open proposals ``run`` stored (call after storing; flushes)."""
    offer, need = aliased(Listing), aliased(Listing)
    rows = db.session.execute(
        sa.select(
            offer.public_id,
            need.public_id,
            Match.quantity_per_year,
            Match.unit,
            Match.mass_t_per_year,
            Match.net_co2e_kg,
            Match.public_id,
        )
        .join(offer, offer.id == Match.offer_id)
        .join(need, need.id == Match.need_id)
        .where(Match.engine_run_id == run.id, Match.status.in_(OPEN_STATUSES))
        .order_by(Match.id)
    ).all()
    snapshot = db.session.get(RunSnapshot, run.id) or RunSnapshot(run_id=run.id)
    snapshot.proposals = [
        [o, n, float(q), u, None if m is None else float(m), float(c), pid]
        for o, n, q, u, m, c, pid in rows
    ]
    db.session.add(snapshot)
    db.session.flush()
    return snapshot


def proposals_of(run: EngineRun) -> list[Proposal] | None:
    """The proposals ``run`` left open (None: the run kept no snapshot)."""
    snapshot = db.session.get(RunSnapshot, run.id)
    if snapshot is None:
        return None
    return [Proposal(*row) for row in snapshot.proposals]


@dataclass(frozen=True)
class Totals:
    proposals: int
    mass_t_per_year: float
    net_co2e_kg: float


def totals(proposals: Iterable[Proposal]) -> Totals:
    rows = list(proposals)
    return Totals(
        proposals=len(rows),
        mass_t_per_year=sum(p.mass_t_per_year or 0.0 for p in rows),
        net_co2e_kg=sum(p.net_co2e_kg for p in rows),
    )


@dataclass
class RunDiff:
    added: list[Proposal] = field(default_factory=list)
    dropped: list[Proposal] = field(default_factory=list)
    #: (before, after) pairs whose quantity, unit or CO2e changed.
    changed: list[tuple[Proposal, Proposal]] = field(default_factory=list)
    unchanged: int = 0
    before: Totals = field(default_factory=lambda: Totals(0, 0.0, 0.0))
    after: Totals = field(default_factory=lambda: Totals(0, 0.0, 0.0))


def compare_proposals(
    before: Iterable[Proposal], after: Iterable[Proposal], *, rel_tol: float = 1e-6
) -> RunDiff:
    """What changed from ``before`` to ``after``, pair by (offer, need) pair.

    A pair is *changed* when its unit differs or its quantity or net CO2e differ by more
    than ``rel_tol`` (relative). Lists are sorted by (offer, need).
    """
    old = {p.key: p for p in before}
    new = {p.key: p for p in after}
    diff = RunDiff(before=totals(old.values()), after=totals(new.values()))
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None and b is not None:
            diff.added.append(b)
        elif b is None and a is not None:
            diff.dropped.append(a)
        elif a is not None and b is not None:
            same = (
                a.unit == b.unit
                and math.isclose(a.quantity_per_year, b.quantity_per_year, rel_tol=rel_tol)
                and math.isclose(a.net_co2e_kg, b.net_co2e_kg, rel_tol=rel_tol, abs_tol=1e-9)
            )
            if same:
                diff.unchanged += 1
            else:
                diff.changed.append((a, b))
    return diff


@dataclass(frozen=True)
class RunRow:
    run: EngineRun
    started_by: str | None
    duration_s: float | None


def run_history(*, limit: int = 100) -> list[RunRow]:
    """The latest runs, newest first, with who started them and how long they took."""
    rows = db.session.execute(
        sa.select(EngineRun, User.name)
        .outerjoin(User, User.id == EngineRun.started_by_id)
        .order_by(EngineRun.id.desc())
        .limit(limit)
    ).all()
    return [RunRow(run, name, _duration(run.started_at, run.finished_at)) for run, name in rows]


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return (end - start).total_seconds()
