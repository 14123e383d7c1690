"""Browser fixtures: the session's app on a local port, and Chromium pages that drive it.

``live_server`` serves the ``app`` fixture (so every browser test runs once per configured
database) from a background thread. The server's request threads use their own database
sessions, so a test that needs rows creates them with the factories and *commits*; the
``db_session`` fixture deletes them afterwards. While a browser test runs, CSRF protection
is on, as in production, and ``SERVER_NAME`` names the live host so that external URLs the
app builds (e.g. password-reset links) point at the server the browser talks to.

``page`` is a fresh browser context per test (no cookies carried over). A test fails when
the page raised a JavaScript error, asked for anything outside the live server (the app
must work offline: Leaflet is vendored, the map has no tiles), or the server raised. On
failure, a full-page screenshot and the page's HTML go to ``tests/browser/artifacts/``.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from tests.browser.helpers import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",  # the tests may run as root, where Chromium's sandbox refuses to start
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium keeps trying to reach Google's servers on a closed network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: Upper bound for a page to reach an expected state: generous, because a loaded CI machine
#: can take seconds for the first map or the first password hash. Never a timing assertion.
TIMEOUT_MS = 15_000

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item, so that ``page`` knows whether the test failed.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


# --- live server --------------------------------------------------------------------------


class _QuietRequestHandler(WSGIRequestHandler):
    """Print no access log line per request; errors surface through ``live_server``."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="session")
def _wsgi_server(app: Flask) -> Iterator[BaseWSGIServer]:
    """One server thread per session app (per database), on a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def live_server(
    app: Flask, db_session: object, _wsgi_server: BaseWSGIServer
) -> Iterator[LiveServer]:
    """The live server, set up as production is for the length of one test.

    Depends on ``db_session``, so its cleanup runs after the browser context is closed,
    when no request of the test can still be running.
    """
    server = LiveServer(app=app, host=_wsgi_server.host, port=_wsgi_server.port)
    saved = {name: app.config[name] for name in ("SERVER_NAME", "WTF_CSRF_ENABLED")}

    def record(_sender: Flask, exception: BaseException, **_extra: Any) -> None:
        server.errors.append("".join(traceback.format_exception(exception)))

    app.config.update(SERVER_NAME=f"{server.host}:{server.port}", WTF_CSRF_ENABLED=True)
    try:
        with got_request_exception.connected_to(record, app):
            yield server
    finally:
        app.config.update(saved)
    if server.errors:
        pytest.fail(
            f"the server raised {len(server.errors)} time(s) during the test:\n"
            + "\n".join(server.errors),
            pytrace=False,
        )


# --- browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; the browser tests are skipped loudly without it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            "\n" + "#" * 78 + f"\n# BROWSER TESTS SKIPPED: {CHROMIUM} is missing.\n"
            "# Install Debian's Chromium with:  sudo apt-get install -y chromium\n"
            "# (Playwright's own browser download is not used.)\n" + "#" * 78
        )
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _artifact_stem(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")[:150]


@pytest.fixture
def page(
    browser: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A page in a fresh browser context whose relative URLs go to the live server."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    own_origin = live_server.url + "/"

    def refuse(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(own_origin), refuse)
    js_errors: list[str] = []
    new_page = context.new_page()
    new_page.on("pageerror", lambda exc: js_errors.append(f"{exc.name}: {exc.message}"))
    try:
        yield new_page
    finally:
        call = request.node.stash.get(_REPORTS, {}).get("call")
        if call is not None and call.failed:
            _save_artifacts(new_page, _artifact_stem(request.node.nodeid))
        context.close()
    problems = [f"JavaScript error: {e}" for e in js_errors]
    problems += [f"request outside the live server (refused): {u}" for u in outside]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _save_artifacts(page: Page, stem: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except PlaywrightError as exc:  # a crashed page must not hide the test's own failure
        print(f"could not save the failure artifacts of {stem}: {exc}", file=sys.stderr)
    else:
        print(f"failure artifacts: {ARTIFACTS / stem}.png and .html", file=sys.stderr)
