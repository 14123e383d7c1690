"""Load benchmark of the web app under Gunicorn on PostgreSQL, driven by Locust (headless).

Run from the repository root (``make bench-load BENCH_ARGS="..."`` installs the ``bench``
extra first)::

    python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1/wt_bench \\
        --demo region --load-demo --users 50,200 --duration-s 30

Without ``--url`` it starts Gunicorn itself (``marketplace.gunicorn_config``, production
settings, a throw-away ``SECRET_KEY``) against ``--database-url``; with ``--load-demo`` it
first loads the demo (``flask demo load --size ... --replace``) and runs the engine
(``flask flows run``) in that database. With ``--url`` it drives a server that is already
running. Only 127.0.0.1 / localhost / ::1 are accepted as targets.

For each number of users it runs, against the same server and one after the other:

1. the *reference*: every user fetches one static file of about the size of the pages,
   served by the same Gunicorn workers (Flask's static route), as fast as it can;
2. the *mix*: anonymous visitors browse the market page, search, open listings, load the
   map's GeoJSON (``/api/listings``) and the region outline (``/api/region``); a firm's
   member (the demo login) opens its matches, a match, and accepts proposals.

Users do not pause between requests (a closed loop), so requests/s is what the server
can do with that many concurrent clients. Each phase ramps up, waits ``--warmup-s``,
resets the statistics and measures for ``--duration-s``; the run stops by itself.
Locust and the server share this machine's cores, in both phases alike.

``--single-user`` also times the five pages of the issue one request at a time
(``--single-repeats`` each): market page, a search, a listing, the firm's matches and
``/api/listings``.

The firm's session: the member logs in once (scrypt costs a quarter of a second per
login, which would otherwise dominate a ramp-up of 200 users); every firm user then
sends that session cookie and its CSRF token.
"""

# ruff: noqa: I001 - Locust must patch the standard library for gevent before anything uses it.
from __future__ import annotations

import locust
from locust import FastHttpUser, constant, events, task
from locust.env import Environment

import argparse
import json
import os
import platform
import random
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import gevent

ROOT = Path(__file__).resolve().parents[1]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
MEMBER_EMAIL = "firma@demo.reststroom.nl"
DEMO_PASSWORD = "reststroom-demo"  # noqa: S105 - the demo's public password
SEARCH_TERMS = ("hout", "staal", "bostel", "plastic", "warmte", "glas", "papier", "beton", "olie")
STATIC_CANDIDATES = (
    "/static/style.css",
    "/static/map.js",
    "/vendor/leaflet/leaflet.css",
    "/vendor/leaflet/leaflet.js",
)
_CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|value="([^"]+)" name="csrf_token"'
)
_MATCH_LINK = re.compile(r'href="/matches/([A-Za-z0-9_-]{12})"')


# --- the shared state the users read ------------------------------------------------------


@dataclass
class Target:
    """What the users need to know about the server, found once before the load starts."""

    base_url: str
    listing_ids: list[str] = field(default_factory=list)
    match_ids: list[str] = field(default_factory=list)
    member_cookie: str = ""
    csrf_token: str = ""
    static_path: str = ""
    static_bytes: int = 0
    page_bytes: dict[str, int] = field(default_factory=dict)


TARGET: Target | None = None


def _target() -> Target:
    assert TARGET is not None, "discover() first"
    return TARGET


class StaticReference(FastHttpUser):
    """Fetches one static file of page size from the same server, without pause."""

    wait_time = constant(0)

    @task
    def static_file(self) -> None:
        self.client.get(_target().static_path, name="static file")


class Visitor(FastHttpUser):
    """An anonymous visitor: market page, searches, listings, the map's data."""

    wait_time = constant(0)
    weight = 3

    @task(4)
    def market(self) -> None:
        self.client.get("/listings/", name="market /listings/")

    @task(3)
    def search(self) -> None:
        term = random.choice(SEARCH_TERMS)
        page = random.choice((1, 1, 1, 2))
        self.client.get(f"/listings/?q={term}&page={page}", name="search /listings/?q=")

    @task(4)
    def listing(self) -> None:
        listing_id = random.choice(_target().listing_ids)
        self.client.get(f"/listings/{listing_id}", name="listing /listings/<id>")

    @task(1)
    def map_geojson(self) -> None:
        self.client.get("/api/listings", name="map /api/listings")

    @task(1)
    def region_json(self) -> None:
        self.client.get("/api/region", name="region /api/region")


class FirmMember(FastHttpUser):
    """The demo firm's member: its matches, one match, an accept now and then."""

    wait_time = constant(0)
    weight = 1

    def _headers(self) -> dict[str, str]:
        return {"Cookie": _target().member_cookie}

    @task(4)
    def matches(self) -> None:
        self.client.get("/matches/?status=all", name="matches /matches/", headers=self._headers())

    @task(2)
    def match(self) -> None:
        match_id = random.choice(_target().match_ids)
        self.client.get(f"/matches/{match_id}", name="match /matches/<id>", headers=self._headers())

    @task(1)
    def accept(self) -> None:
        target = _target()
        match_id = random.choice(target.match_ids)
        with self.client.post(
            f"/matches/{match_id}/accept",
            data=f"csrf_token={urllib.parse.quote(target.csrf_token)}",
            headers={**self._headers(), "Content-Type": "application/x-www-form-urlencoded"},
            name="accept POST /matches/<id>/accept",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Accepting redirects to the match (a repeated accept says so in a flash).
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"accept answered {response.status_code}")


# --- discovery (plain urllib, before the load) ----------------------------------------------


def _request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with opener.open(request, timeout=60) as response:
            status, raw_headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, raw_headers, body = exc.code, exc.headers, exc.read()
    merged: dict[str, list[str]] = {}
    for name, value in raw_headers.items():
        merged.setdefault(name.lower(), []).append(value)
    return status, merged, body


def _session_cookie(headers: dict[str, list[str]], previous: str) -> str:
    for raw in headers.get("set-cookie", []):
        cookie = SimpleCookie()
        cookie.load(raw)
        if "session" in cookie:
            return f"session={cookie['session'].value}"
    return previous


def discover(base_url: str) -> Target:
    """Find listing and match ids, log the member in once, pick the static reference file."""
    target = Target(base_url=base_url)
    status, _h, body = _request(f"{base_url}/api/listings")
    if status != 200:
        raise SystemExit(f"GET /api/listings answered {status}: is the demo loaded?")
    target.page_bytes["/api/listings"] = len(body)
    target.listing_ids = [f["properties"]["id"] for f in json.loads(body)["features"]]
    if not target.listing_ids:
        raise SystemExit("no active listings: load a demo first (--load-demo)")
    for path in ("/listings/", "/listings/?q=hout", f"/listings/{target.listing_ids[0]}"):
        status, _h, body = _request(base_url + path)
        target.page_bytes[path] = len(body)

    status, headers, _b = _request(f"{base_url}/login")
    cookie = _session_cookie(headers, "")
    status, _h, body = _request(f"{base_url}/login", headers={"Cookie": cookie})
    token = _csrf_token(body)
    form = urllib.parse.urlencode(
        {"email": MEMBER_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token}
    ).encode()
    status, headers, _b = _request(
        f"{base_url}/login",
        data=form,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 302:
        raise SystemExit(f"the demo member {MEMBER_EMAIL} could not log in (status {status})")
    cookie = _session_cookie(headers, cookie)
    status, headers, body = _request(f"{base_url}/matches/?status=all", headers={"Cookie": cookie})
    cookie = _session_cookie(headers, cookie)
    target.page_bytes["/matches/?status=all"] = len(body)
    target.match_ids = sorted(set(_MATCH_LINK.findall(body.decode())))
    if not target.match_ids:
        raise SystemExit("the demo firm has no matches: run the engine first (--load-demo)")
    status, headers, body = _request(
        f"{base_url}/matches/{target.match_ids[0]}", headers={"Cookie": cookie}
    )
    target.member_cookie = _session_cookie(headers, cookie)
    target.csrf_token = _csrf_token(body)

    html_sizes = sorted(v for k, v in target.page_bytes.items() if not k.startswith("/api"))
    median_page = html_sizes[len(html_sizes) // 2]
    sizes = {}
    for path in STATIC_CANDIDATES:
        status, _h, body = _request(base_url + path)
        if status == 200:
            sizes[path] = len(body)
    target.static_path = min(sizes, key=lambda p: abs(sizes[p] - median_page))
    target.static_bytes = sizes[target.static_path]
    return target


def _csrf_token(body: bytes) -> str:
    found = _CSRF.search(body.decode())
    if not found:
        raise SystemExit("no CSRF token in the page")
    return found.group(1) or found.group(2)


# --- phases ---------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    users: int
    phase: str
    duration_s: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    by_name: dict[str, dict[str, float]]
    errors: dict[str, int]


def run_phase(
    base_url: str,
    user_classes: list[type[FastHttpUser]],
    *,
    users: int,
    phase: str,
    duration_s: float,
    warmup_s: float,
) -> PhaseResult:
    """Ramp ``users`` up, wait ``warmup_s``, then measure for ``duration_s`` seconds."""
    env = Environment(user_classes=user_classes, host=base_url, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 2, 1))
    deadline = time.monotonic() + 30
    while runner.user_count < users and time.monotonic() < deadline:
        gevent.sleep(0.2)
    gevent.sleep(warmup_s)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(duration_s)
    measured_s = time.monotonic() - started
    # Snapshot before stopping: requests cut off by the stop are not errors of the server.
    total = env.stats.total
    by_name = {
        f"{entry.method} {name}" if entry.method == "POST" else name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "avg_bytes": round(entry.avg_content_length),
        }
        for (name, _method), entry in sorted(env.stats.entries.items())
    }
    result = PhaseResult(
        users=users,
        phase=phase,
        duration_s=round(measured_s, 1),
        requests=total.num_requests,
        failures=total.num_failures,
        rps=round(total.num_requests / measured_s, 1),
        p50_ms=total.get_response_time_percentile(0.5),
        p95_ms=total.get_response_time_percentile(0.95),
        p99_ms=total.get_response_time_percentile(0.99),
        by_name=by_name,
        errors={str(err.error)[:200]: err.occurrences for err in env.stats.errors.values()},
    )
    runner.quit()
    return result


def single_user(target: Target, repeats: int, warmup: int) -> dict[str, dict[str, float]]:
    """Time each page of the issue one request at a time (``repeats`` each, after ``warmup``)."""
    cookie = {"Cookie": target.member_cookie}
    pages = {
        "market /listings/": ("/listings/", {}),
        "search /listings/?q=hout": ("/listings/?q=hout", {}),
        "listing /listings/<id>": (
            f"/listings/{target.listing_ids[len(target.listing_ids) // 2]}",
            {},
        ),
        "firm's matches /matches/": ("/matches/", cookie),
        "map /api/listings": ("/api/listings", {}),
    }
    out = {}
    for name, (path, headers) in pages.items():
        for _ in range(warmup):
            _request(target.base_url + path, headers=headers)
        times_ms, size = [], 0
        for _ in range(repeats):
            started = time.perf_counter()
            status, _h, body = _request(target.base_url + path, headers=headers)
            times_ms.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            size = len(body)
        times_ms.sort()
        out[name] = {
            "median_ms": round(times_ms[len(times_ms) // 2], 1),
            "p95_ms": round(times_ms[min(len(times_ms) - 1, int(len(times_ms) * 0.95))], 1),
            "max_ms": round(times_ms[-1], 1),
            "bytes": size,
        }
    return out


# --- the server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flask(env: dict[str, str], *args: str) -> None:
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", *args]
    print("$", " ".join(["flask", "--app", "wsgi", *args]), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def load_demo(database_url: str, size: str) -> None:
    """Load the demo of ``size`` (replacing an earlier one) and run the engine over it."""
    env = {**os.environ, "DATABASE_URL": database_url, "RESTSTROOM_CONFIG": "development"}
    _flask(env, "db", "upgrade")
    _flask(env, "reference", "load")
    _flask(env, "demo", "load", "--size", size, "--replace")
    _flask(env, "flows", "run")


def start_server(
    database_url: str, workers: int | None, threads: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "RESTSTROOM_CONFIG": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "RESTSTROOM_BASE_URL": base_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_LOG_LEVEL": "warning",
    }
    env.pop("REDIS_URL", None)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    # Request logs would cost the server time and fill this terminal: off for the run.
    log = open(ROOT / "instance" / "bench-gunicorn.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(  # noqa: S603
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "python:marketplace.gunicorn_config",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"gunicorn exited with {server.returncode}; see instance/bench-gunicorn.log"
            )
        try:
            status, _h, _b = _request(f"{base_url}/readyz")
            if status == 200:
                return server, base_url
        except OSError:
            pass
        gevent.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not become ready in 120 s")


def _check_local(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in LOCAL_HOSTS and f"[{host}]" not in LOCAL_HOSTS:
        raise SystemExit(f"--url {url!r}: only this machine (127.0.0.1, localhost, ::1) is allowed")
    return url.rstrip("/")


# --- report ---------------------------------------------------------------------------------


def print_report(results: list[PhaseResult], single: dict[str, dict[str, float]] | None) -> None:
    print()
    header = ("users", "phase", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    print("{:>5} {:<10} {:>8} {:>8} {:>8} {:>8} {:>7}".format(*header))
    for r in results:
        print(
            f"{r.users:>5} {r.phase:<10} {r.rps:>8.1f} {r.p50_ms:>8.0f} {r.p95_ms:>8.0f} "
            f"{r.p99_ms:>8.0f} {r.failures:>7}"
        )
    by_users: dict[int, dict[str, PhaseResult]] = {}
    for r in results:
        by_users.setdefault(r.users, {})[r.phase] = r
    for users, phases in sorted(by_users.items()):
        if "static" in phases and "mix" in phases:
            share = phases["mix"].rps / phases["static"].rps if phases["static"].rps else 0
            print(f"{users} users: page throughput = {share:.0%} of the static file's")
    for r in results:
        if r.phase != "mix":
            continue
        print(f"\n{r.users} users, mix, per request:")
        print(f"  {'name':<36} {'n':>6} {'fail':>5} {'p50':>6} {'p95':>6} {'p99':>6} {'bytes':>8}")
        for name, s in r.by_name.items():
            print(
                f"  {name:<36} {s['requests']:>6} {s['failures']:>5} {s['p50_ms']:>6.0f} "
                f"{s['p95_ms']:>6.0f} {s['p99_ms']:>6.0f} {s['avg_bytes']:>8}"
            )
        for message, n in r.errors.items():
            print(f"  error x{n}: {message}")
    if single:
        print("\nsingle user, one request at a time:")
        for name, s in single.items():
            print(
                f"  {name:<28} median {s['median_ms']:>7.1f} ms  p95 {s['p95_ms']:>7.1f} ms  "
                f"max {s['max_ms']:>7.1f} ms  {s['bytes']:>8} bytes"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="drive this running server (127.0.0.1 only)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="PostgreSQL for the server this script starts (default $BENCH_DATABASE_URL)",
    )
    parser.add_argument("--demo", choices=("region", "national"), default="region")
    parser.add_argument(
        "--load-demo", action="store_true", help="load --demo and run the engine first"
    )
    parser.add_argument("--users", default="50,200", help="comma-separated user counts")
    parser.add_argument("--duration-s", type=float, default=30.0)
    parser.add_argument("--warmup-s", type=float, default=5.0)
    parser.add_argument("--workers", type=int, help="Gunicorn workers (default: its config)")
    parser.add_argument("--threads", type=int, default=1, help="threads per Gunicorn worker")
    parser.add_argument("--no-load", action="store_true", help="skip the Locust phases")
    parser.add_argument("--single-user", action="store_true", help="time the five pages one by one")
    parser.add_argument("--single-repeats", type=int, default=20)
    parser.add_argument(
        "--single-warmup",
        type=int,
        default=1,
        help="requests per page before timing (2 x workers warms every worker's caches)",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    global TARGET
    server = None
    if args.url:
        base_url = _check_local(args.url)
    else:
        if not args.database_url:
            raise SystemExit("give --database-url (PostgreSQL) or --url of a running server")
        if args.load_demo:
            load_demo(args.database_url, args.demo)
        (ROOT / "instance").mkdir(exist_ok=True)
        server, base_url = start_server(args.database_url, args.workers, args.threads)
    try:
        TARGET = discover(base_url)
        print(
            f"target {base_url}: {len(TARGET.listing_ids)} listings on the map, "
            f"{len(TARGET.match_ids)} matches of the firm; pages {TARGET.page_bytes}; "
            f"static reference {TARGET.static_path} ({TARGET.static_bytes} bytes)",
            flush=True,
        )
        results: list[PhaseResult] = []
        if not args.no_load:
            for users in (int(u) for u in args.users.split(",")):
                for phase, classes in (
                    ("static", [StaticReference]),
                    ("mix", [Visitor, FirmMember]),
                ):
                    print(f"{users} users, {phase}: {args.duration_s:.0f} s ...", flush=True)
                    results.append(
                        run_phase(
                            base_url,
                            classes,
                            users=users,
                            phase=phase,
                            duration_s=args.duration_s,
                            warmup_s=args.warmup_s,
                        )
                    )
        single = (
            single_user(TARGET, args.single_repeats, args.single_warmup)
            if args.single_user
            else None
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=60)
    print_report(results, single)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "when_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                    "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                    "locust": locust.__version__,
                    "demo": args.demo,
                    "target": {
                        k: v
                        for k, v in asdict(TARGET).items()
                        if k not in ("listing_ids", "match_ids", "member_cookie", "csrf_token")
                    },
                    "phases": [asdict(r) for r in results],
                    "single_user": single,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
