"""The circularity map in Chromium: a coordinator opens it, sees the municipalities,
aggregated flows and clusters, toggles a layer, filters by category, opens a popup and a
loop; a screenshot is kept as a test artefact.

How fast the map is usable with the national demo is measured by ``bench/region.py`` (the
same Chromium through Playwright, against a database with the national demo), not by a
timed assertion here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import LiveServer, log_in
from tests.marketplace.region.map_world import MapWorld, build_world

pytestmark = pytest.mark.browser

MAP = "#circularity-map"
#: A title that would turn into markup if any popup used innerHTML.
HOSTILE_TITLE = '<b id="injected">Houtkrullen</b> & "co"'


@pytest.fixture
def map_world(db_session: Any) -> MapWorld:
    world = build_world(db_session)
    world.wood.title = HOSTILE_TITLE
    db_session.commit()
    return world


def wait_ready(page: Page) -> None:
    expect(page.locator(f'{MAP}[data-ready="1"]')).to_have_count(1)


def test_a_coordinator_reads_the_map(
    page: Page, live_server: LiveServer, map_world: MapWorld
) -> None:
    log_in(page, map_world.coordinator)
    page.goto("/region/map")
    wait_ready(page)
    # Municipal boundaries of the whole country (no tiles in tests) and the 8 of the region.
    expect(page.locator(f"{MAP}")).to_have_attribute("data-municipalities", "8")
    assert page.locator(".leaflet-boundaries-pane path").count() >= 345
    # Aggregated flows between municipalities, with arrowheads, and listing clusters.
    expect(page.locator(f"{MAP}")).to_have_attribute("data-level", "municipality")
    assert page.locator("path.flow-arc").count() >= 3
    expect(page.locator(".listing-cluster")).to_have_count(3)
    expect(page.locator("#map-legend")).to_contain_text("Legenda")

    # Toggle the listings layer off and on in the layer control.
    toggle = page.locator(".leaflet-control-layers-overlays label", has_text="Open aanbod en vraag")
    toggle.locator("input").uncheck()
    expect(page.locator(".listing-cluster")).to_have_count(0)
    toggle.locator("input").check()
    expect(page.locator(".listing-cluster")).to_have_count(3)
    firms = page.locator(".leaflet-control-layers-overlays label", has_text="Organisaties")
    expect(page.locator(".org-cluster")).to_have_count(0)
    firms.locator("input").check()
    expect(page.locator(".org-cluster")).to_have_count(3)
    firms.locator("input").uncheck()

    # Filter by category: few enough for single listings and exchanges; shared in the URL.
    page.locator("#filter-category").select_option("organics.wood")
    expect(page).to_have_url(re.compile(r"category=organics.wood"))
    wait_ready(page)
    expect(page.locator("path.listing-point")).to_have_count(2)
    expect(page.locator("path.exchange-arc")).to_have_count(1)

    # A popup shows the text as text: the hostile title stays inert.
    popup = page.locator(".leaflet-popup-content").last  # a closing popup may still fade out
    texts = []
    for i in range(2):
        page.locator("path.listing-point").nth(i).dispatch_event("click")
        expect(popup).to_be_visible()
        texts.append(popup.text_content() or "")
        if HOSTILE_TITLE in texts[-1]:
            break
    assert any(HOSTILE_TITLE in t for t in texts), texts
    expect(popup).to_contain_text(HOSTILE_TITLE)
    expect(page.locator("#injected")).to_have_count(0)

    # Clicking a loop lists its members in the side panel.
    page.goto("/region/map")
    wait_ready(page)
    page.locator("path.loop-arc").first.dispatch_event("click")
    expect(page.locator("#loop-members li")).to_have_count(2)
    expect(page.locator("#map-panel")).to_contain_text("L1")

    # A choropleth of a chosen figure, with its classes in the legend.
    page.locator("#filter-figure").select_option("exchanged_t")
    expect(page).to_have_url(re.compile(r"figure=exchanged_t"))
    expect(page.locator("#map-legend")).to_contain_text("Ton uitgewisseld per jaar")
    assert page.locator(".leaflet-boundaries-pane path[fill='#006d2c']").count() >= 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "region_map_coordinator.png"
    page.screenshot(path=shot, full_page=True)
    print(f"map screenshot: {shot}")
    assert shot.stat().st_size > 10_000


def test_a_firm_sees_its_own_map(page: Page, live_server: LiveServer, map_world: MapWorld) -> None:
    log_in(page, map_world.member_b)
    page.goto("/region/map")
    wait_ready(page)
    # Its two listings one by one, the others' offers as anonymous clusters.
    expect(page.locator("path.listing-point")).to_have_count(2)
    assert page.locator(".listing-cluster").count() >= 1
    expect(page.locator(".org-cluster")).to_have_count(0)
    assert "Houtkrullen" not in page.content()
