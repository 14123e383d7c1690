"""A coordinator opens the regional figures: the charts render, the report is one click away."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.helpers import LiveServer, committed_member, log_in

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def test_a_coordinator_sees_the_charts_and_opens_the_report(
    page: Page, live_server: LiveServer
) -> None:
    farm = factories.organisation(name="Boerderij Veld", municipality_code="GM0301")
    factories.listing(kind="offer", quantity=100.0, frequency="year")
    factories.listing(organisation=farm, kind="need", quantity=80.0, frequency="year")
    coordinator = committed_member(role="coordinator", organisation=None)
    log_in(page, coordinator)
    page.goto("/region/figures")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(6)
    families = page.locator("#section-families svg.chart")
    box = families.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    expect(families.locator("rect >> nth=0")).to_be_attached()
    page.locator("#section-families summary").click()
    expect(page.locator("#table-families")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "figures-dashboard.png"), full_page=True)
    page.locator("a[href='/region/report']").click()
    expect(page.locator("svg.region-map")).to_be_visible()
    assert page.locator("svg.region-map path").count() >= 8
