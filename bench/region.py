"""Benchmark of the circularity map: its GeoJSON endpoints and the page in Chromium.

For each database given (a demo loaded and its engine run stored), as the demo
coordinator:

- every GeoJSON endpoint the map calls on opening (the region view, zoom 10) and when
  zoomed out to the whole country (zoom 7): the first (cold) answer, then the median of
  ``--repeat`` warm answers, and the size in bytes; next to it, in the same process, the
  same app serving a static file of the same size (the reference, for a ratio);
- the page in Chromium (Debian's ``/usr/bin/chromium`` through Playwright): from
  navigation to "usable" (features drawn: the page's own ``data-ready-at`` timestamp, plus
  switching a layer off and on in the layer control), median of ``--repeat`` loads; and
  zooming out to the country until the national aggregates are drawn.

No test depends on these numbers; bench/README.md records them.

```console
$ .venv/bin/python bench/region.py \\
    --db region=sqlite:////tmp/region-demo.sqlite3 \\
    --db national=postgresql+psycopg://postgres@127.0.0.1:5432/wt_map_bench
```
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, send_from_directory

COORDINATOR = ("coordinator@demo.reststroom.nl", "reststroom-demo")
REGION_VIEW = {"bbox": "5.70,51.95,6.55,52.45", "zoom": "10"}
NATIONAL_VIEW = {"bbox": "3.0,50.6,7.4,53.7", "zoom": "7"}
CHROMIUM = "/usr/bin/chromium"


def make_app(url: str) -> Flask:
    from marketplace import create_app

    app = create_app(
        "development",
        SQLALCHEMY_DATABASE_URI=url,
        WTF_CSRF_ENABLED=False,
        TILE_URL=None,
        DEBUG=False,
        SECRET_KEY="bench-only-secret-key-0123456789",  # noqa: S106 - a local benchmark
    )
    reference_dir = Path(tempfile.mkdtemp(prefix="reststroom-bench-"))
    app.config["BENCH_REFERENCE_DIR"] = reference_dir

    @app.get("/bench-reference/<name>")
    def bench_reference(name: str) -> Any:
        return send_from_directory(reference_dir, name)

    return app


def timed_get(client: Any, path: str, params: dict[str, str] | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, query_string=params or {})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    return elapsed, len(response.data)


def measure_endpoints(app: Flask, repeat: int) -> list[dict[str, Any]]:
    client = app.test_client()
    response = client.post("/login", data={"email": COORDINATOR[0], "password": COORDINATOR[1]})
    assert response.status_code == 302, "the demo coordinator could not log in"
    calls = [
        ("municipalities", "/api/v1/map/municipalities.geojson", {}),
        ("listings (region)", "/api/v1/map/listings.geojson", REGION_VIEW),
        ("exchanges (region)", "/api/v1/map/exchanges.geojson", REGION_VIEW),
        ("loops", "/api/v1/map/exchanges.geojson", {"loops": "1"}),
        ("organisations (region)", "/api/v1/map/organisations.geojson", REGION_VIEW),
        ("listings (national)", "/api/v1/map/listings.geojson", NATIONAL_VIEW),
        ("exchanges (national)", "/api/v1/map/exchanges.geojson", NATIONAL_VIEW),
        ("organisations (national)", "/api/v1/map/organisations.geojson", NATIONAL_VIEW),
        ("choropleth figures (on request)", "/api/v1/map/municipalities.geojson", {"figures": "1"}),
    ]
    rows = []
    for name, path, params in calls:
        cold_s, size = timed_get(client, path, params)
        warm = [timed_get(client, path, params)[0] for _ in range(repeat)]
        reference = app.config["BENCH_REFERENCE_DIR"] / f"ref-{size}.json"
        reference.write_bytes(b"x" * size)
        ref = [timed_get(client, f"/bench-reference/{reference.name}")[0] for _ in range(repeat)]
        rows.append(
            {
                "name": name,
                "bytes": size,
                "cold_s": cold_s,
                "warm_s": statistics.median(warm),
                "reference_s": statistics.median(ref),
            }
        )
    return rows


def measure_browser(app: Flask, repeat: int) -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    loads, zoom_outs = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"]
            )
            context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            expect.set_options(timeout=30_000)
            page.goto("/login")
            page.locator("#main input[name=email]").fill(COORDINATOR[0])
            page.locator("#main input[name=password]").fill(COORDINATOR[1])
            page.locator("#main form button[type=submit]").click()
            page.wait_for_url("**/dashboard")
            ready = page.locator('#circularity-map[data-ready="1"]')
            for i in range(repeat + 1):
                page.goto("/region/map")
                expect(ready).to_have_count(1)
                assert page.locator("path.flow-arc, path.exchange-arc").count() > 0
                # Ready: features drawn, in ms since navigation (set by the page itself).
                ready_ms = float(page.locator("#circularity-map").get_attribute("data-ready-at"))
                # Controls respond: the listings layer off and on again, timed in the page.
                toggle_ms = page.evaluate(
                    """() => {
                      const t0 = performance.now();
                      const box = document.querySelectorAll(
                        '.leaflet-control-layers-overlays input[type=checkbox]')[3];
                      box.click();
                      const gone = document.querySelectorAll('.listing-cluster').length === 0;
                      box.click();
                      const back = document.querySelectorAll('.listing-cluster').length > 0;
                      if (!gone || !back) { throw new Error('the layer did not toggle'); }
                      return performance.now() - t0;
                    }"""
                )
                usable_s = (ready_ms + toggle_ms) / 1000
                t0 = page.evaluate(
                    "() => { const t = performance.now();"
                    " window.reststroomMap.map.setView([52.2, 5.3], 7, {animate: false});"
                    " return t; }"
                )
                page.wait_for_function(
                    "() => document.querySelector('#circularity-map').dataset.level === 'grid'"
                    " && document.querySelector('#circularity-map').dataset.ready === '1'",
                    polling=50,
                )
                zoom_ms = float(page.locator("#circularity-map").get_attribute("data-ready-at"))
                zoom_s = (zoom_ms - t0) / 1000
                if i:  # the first load warms the browser's and the server's caches
                    loads.append(usable_s)
                    zoom_outs.append(zoom_s)
            browser.close()
    finally:
        server.shutdown()
    return {
        "usable_s": statistics.median(loads),
        "usable_max_s": max(loads),
        "zoom_out_s": statistics.median(zoom_outs),
    }


def bulk_engine_run(app: Flask) -> None:
    """Run the engine on the database's listings and insert its proposals in bulk.

    For a national benchmark database only: ``flask flows run`` stores proposals one by one
    and tells every firm (tens of thousands of notifications), which takes far longer than
    the engine. This stores the same proposals (status ``proposed``, with the run) with
    one multi-row insert, no notifications, no capacity re-check (the database has no
    commitments yet). The run is recorded as succeeded with its counts.
    """
    import math

    import sqlalchemy as sa

    from flows import propose
    from flows.listing_file import split_offers_needs
    from marketplace.adapters import listings_frame
    from marketplace.core.public_ids import new_public_id
    from marketplace.exchanges.models import Match
    from marketplace.extensions import db
    from marketplace.runs.services import engine_params, start_run

    def clean(value: Any) -> Any:
        return None if isinstance(value, float) and math.isnan(value) else value

    with app.app_context():
        params = engine_params()
        run = start_run(params)
        started = time.perf_counter()
        offers, needs = split_offers_needs(listings_frame())
        result = propose(offers, needs, params)
        rows = []
        for rec in result.frame.to_dict("records"):
            rows.append(
                {
                    "public_id": new_public_id(),
                    "offer_id": int(rec["offer_listing_id"]),
                    "need_id": int(rec["need_listing_id"]),
                    "engine_run_id": run.id,
                    "status": "proposed",
                    "quantity_per_year": float(rec["quantity_per_year"]),
                    "engine_quantity_per_year": float(rec["quantity_per_year"]),
                    "unit": str(rec["unit"]),
                    "quantity_flow_unit": float(rec["quantity_flow_unit"]),
                    "flow_unit": str(rec["flow_unit"]),
                    "distance_km": float(rec["distance_km"]),
                    "road_km": float(rec["road_km"]),
                    "mass_t_per_year": clean(float(rec["mass_t_per_year"])),
                    "tonne_km_saved": clean(float(rec["tonne_km_saved"])),
                    "avoided_production_co2e_kg": float(rec["avoided_production_co2e_kg"]),
                    "avoided_disposal_co2e_kg": float(rec["avoided_disposal_co2e_kg"]),
                    "transport_co2e_kg": float(rec["transport_co2e_kg"]),
                    "avoided_transport_co2e_kg": float(rec["avoided_transport_co2e_kg"]),
                    "net_co2e_kg": float(rec["net_co2e_kg"]),
                    "loop_id": rec["loop_id"] if isinstance(rec["loop_id"], str) else None,
                    "rule": str(rec["rule"]),
                    "reason": str(rec["reason"]),
                    "reason_nl": str(rec["reason_nl"]),
                    "breakdown": {},
                }
            )
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(Match), rows[start : start + 5000])
        run.status = "succeeded"
        run.counts = {"offers": len(offers), "needs": len(needs), "created": len(rows)}
        run.finished_at = datetime.now(UTC)
        db.session.commit()
        print(
            f"bulk engine run {run.id}: {len(rows):,} proposals in "
            f"{time.perf_counter() - started:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        action="append",
        required=True,
        metavar="LABEL=URL",
        help="a database with a demo and its engine run (repeatable)",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--bulk-engine-run",
        action="store_true",
        help="first run the engine on each database and insert its proposals in bulk",
    )
    args = parser.parse_args()
    if args.bulk_engine_run:
        for item in args.db:
            bulk_engine_run(make_app(item.partition("=")[2]))
    for item in args.db:
        label, _, url = item.partition("=")
        app = make_app(url)
        with app.app_context():
            from sqlalchemy import func, select

            from marketplace.exchanges.models import Match
            from marketplace.extensions import db
            from marketplace.listings.models import Listing

            listings = db.session.scalar(select(func.count()).select_from(Listing))
            matches = db.session.scalar(select(func.count()).select_from(Match))
        print(f"\n## {label}: {listings:,} listings, {matches:,} matches\n")
        rows = measure_endpoints(app, args.repeat)
        print("| endpoint | size | first answer | warm (median) | static file, same size | ratio |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['name']} | {r['bytes'] / 1000:,.1f} kB | {r['cold_s'] * 1000:,.0f} ms "
                f"| {r['warm_s'] * 1000:,.0f} ms | {r['reference_s'] * 1000:,.1f} ms "
                f"| {r['warm_s'] / r['reference_s']:,.1f}x |"
            )
        if not args.no_browser:
            b = measure_browser(app, args.repeat)
            print(
                f"\nChromium: map usable after {b['usable_s']:.2f} s (median; max "
                f"{b['usable_max_s']:.2f} s); zoom out to the country and redrawn after "
                f"{b['zoom_out_s']:.2f} s"
            )


if __name__ == "__main__":
    main()
