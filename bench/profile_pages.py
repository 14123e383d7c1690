"""Where a page's time goes: SQL statements per request, wall time, and a pyinstrument profile.

Run from the repository root against a database with a demo loaded (``flask demo load``,
``flask flows run``)::

    python bench/profile_pages.py --database-url postgresql+psycopg://postgres@127.0.0.1/wt \\
        --repeats 5 --profile-dir instance/profiles

The app runs in this process with the production settings (a throw-away ``SECRET_KEY``)
and Flask's test client, so there is no HTTP server in the numbers. For each page it
prints the number of SQL statements of one request and the time they took, the median
wall time of ``--repeats`` requests, and writes a pyinstrument profile (text and HTML)
of one request when ``--profile-dir`` is given.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MEMBER_EMAIL = "firma@demo.reststroom.nl"
DEMO_PASSWORD = "reststroom-demo"  # noqa: S105 - the demo's public password


@contextmanager
def sql_counter(engine: sa.Engine) -> Iterator[dict[str, Any]]:
    """Count statements and their time on ``engine`` inside the block."""
    seen: dict[str, Any] = {"n": 0, "s": 0.0, "statements": []}

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info.setdefault("query_start", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen["n"] += 1
        seen["s"] += time.perf_counter() - conn.info["query_start"].pop()
        seen["statements"].append(" ".join(statement.split())[:160])

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile-dir", type=Path)
    parser.add_argument("--show-sql", action="store_true", help="print each page's statements")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url")
    os.environ.update(
        RESTSTROOM_CONFIG="production",
        DATABASE_URL=args.database_url,
        SECRET_KEY=secrets.token_hex(32),
        RESTSTROOM_BASE_URL="http://127.0.0.1",
    )
    os.environ.pop("REDIS_URL", None)
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app(REQUEST_LOG=False, SESSION_COOKIE_SECURE=False, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    response = client.post("/login", data={"email": MEMBER_EMAIL, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"{MEMBER_EMAIL} could not log in: is the demo loaded?")
    member = app.test_client()
    member.set_cookie("session", client.get_cookie("session").value)  # type: ignore[union-attr]
    anonymous = app.test_client()
    features = anonymous.get("/api/listings").get_json()["features"]
    listing_id = features[len(features) // 2]["properties"]["id"]
    matches_html = member.get("/matches/?status=all").get_data(as_text=True)
    match_ids = re.findall(r'href="/matches/(\d+)"', matches_html)
    pages = [
        ("market", anonymous, "/listings/"),
        ("market (member)", member, "/listings/"),
        ("search", anonymous, "/listings/?q=hout"),
        ("search nearest (member)", member, "/listings/?q=hout&sort=distance"),
        ("listing", anonymous, f"/listings/{listing_id}"),
        ("firm's matches", member, "/matches/"),
        ("match", member, f"/matches/{match_ids[0]}" if match_ids else "/matches/"),
        ("api/listings", anonymous, "/api/listings"),
        ("api/region", anonymous, "/api/region"),
        ("home", anonymous, "/"),
    ]
    with app.app_context():
        engine = db.engine
    print(f"{'page':<26} {'status':>6} {'SQL':>4} {'SQL ms':>7} {'median ms':>9} {'bytes':>8}")
    for name, who, path in pages:
        who.get(path)  # warm caches
        with sql_counter(engine) as sql:
            response = who.get(path)
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            who.get(path)
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"{name:<26} {response.status_code:>6} {sql['n']:>4} {sql['s'] * 1000:>7.1f} "
            f"{statistics.median(times):>9.1f} {len(response.data):>8}"
        )
        if args.show_sql:
            for statement in sql["statements"]:
                print("      ", statement)
        if args.profile_dir:
            from pyinstrument import Profiler

            args.profile_dir.mkdir(parents=True, exist_ok=True)
            profiler = Profiler(interval=0.0005)
            profiler.start()
            who.get(path)
            profiler.stop()
            stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
            (args.profile_dir / f"{stem}.txt").write_text(
                profiler.output_text(unicode=False, color=False, show_all=False)
            )
            (args.profile_dir / f"{stem}.html").write_text(profiler.output_html())


if __name__ == "__main__":
    main()
