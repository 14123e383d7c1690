"""Benchmark of storing an engine run's proposals (``store_proposals``), phase by phase.

On a database with a demo loaded (``flask demo load --size region|national``), this runs
the engine once (as :func:`marketplace.runs.services.execute_run` does), then stores its
proposals with :func:`~marketplace.runs.services.store_proposals` while counting the SQL
statements (a SQLAlchemy ``before_cursor_execute`` listener) and timing each phase (the
helpers ``store_proposals`` calls, wrapped for the measurement). ``--limit N`` stores only
the first N proposals (by avoided CO2e), to extrapolate when the whole set takes too long.
Everything stored is rolled back at the end (the engine run row too), so the database can
be measured again.

No test depends on these numbers; bench/README.md records them.

```console
$ .venv/bin/python bench/runs_store.py \\
    --db postgresql+psycopg://postgres@127.0.0.1:5432/wt_storeperf_bench --limit 5000
```
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

#: Helpers of the storing path, timed when ``marketplace.runs.services`` uses them.
PHASES = (
    "_lock_for_storing",
    "declined_pairs",
    "committed_flow",
    "committed_flows",
    "capacity_per_year",
    "capacities_per_year",
    "notify_new_proposals",
    "moderate_new_proposals",
    "record_snapshot",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a demo database")
    parser.add_argument("--limit", type=int, default=None, help="store only N proposals")
    args = parser.parse_args()

    from marketplace import create_app

    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.db)
    with app.app_context():
        measure(args.limit)


def measure(limit: int | None) -> None:
    from flows import propose
    from flows.listing_file import split_offers_needs
    from marketplace.adapters import existing_exchanges_frame, listings_frame
    from marketplace.extensions import db
    from marketplace.runs import services
    from marketplace.runs.models import EngineRun

    params = services.engine_params()
    started = time.perf_counter()
    frame = listings_frame()
    offers, needs = split_offers_needs(frame)
    proposals = propose(
        offers,
        needs,
        params,
        existing=existing_exchanges_frame(),
        excluded=services.declined_pairs_frame(frame),
    )
    engine_s = time.perf_counter() - started
    stored = proposals.frame
    if limit is not None:
        stored = stored.sort_values("net_co2e_kg", ascending=False, kind="stable").head(limit)
    print(f"listings {len(frame)}, proposals {len(proposals.frame)}, storing {len(stored)}")
    print(f"engine (load + propose): {engine_s:.1f} s")

    run = EngineRun(status="running", params={}, progress=0.0)
    db.session.add(run)
    db.session.flush()

    statements = {"n": 0}
    phase_stack: list[str] = []
    phase_s: dict[str, float] = defaultdict(float)
    phase_statements: dict[str, int] = defaultdict(int)
    phase_calls: dict[str, int] = defaultdict(int)

    def count(*_args: Any) -> None:
        statements["n"] += 1
        if phase_stack:
            phase_statements[phase_stack[0]] += 1

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            phase_calls[name] += 1
            outer = not phase_stack
            phase_stack.append(name)
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phase_stack.pop()
                if outer:
                    phase_s[name] += time.perf_counter() - t0

        return wrapper

    originals = {name: getattr(services, name) for name in PHASES if hasattr(services, name)}
    for name, fn in originals.items():
        setattr(services, name, timed(name, fn))
    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        t0 = time.perf_counter()
        result = services.store_proposals(run, stored)
        db.session.flush()
        total_s = time.perf_counter() - t0
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
        for name, fn in originals.items():
            setattr(services, name, fn)
        db.session.rollback()
    print(f"store_proposals: {total_s:.2f} s, {statements['n']} statements; {result}")
    rest_s = total_s - sum(phase_s.values())
    rest_n = statements["n"] - sum(phase_statements.values())
    for name in originals:
        if phase_calls[name]:
            print(
                f"  {name:<24} {phase_s[name]:8.2f} s {phase_statements[name]:8d} statements"
                f" {phase_calls[name]:8d} calls"
            )
    print(f"  {'(the rest: loop, flush)':<24} {rest_s:8.2f} s {rest_n:8d} statements")


if __name__ == "__main__":
    main()
