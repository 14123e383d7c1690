"""Two firms in two browsers take a proposal to an agreement, talk, deliver, and both see
their impact change.

Selectors use ids and data attributes, not visible text, so the test reads the same in
Dutch and English; visible text is only checked where a user typed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import TIMEOUT_MS
from tests.browser.helpers import LiveServer, log_in
from tests.marketplace.region_world import Parties, parties, region  # noqa: F401

pytestmark = pytest.mark.browser

MESSAGE = "Zullen we dinsdag de eerste vracht bierbostel brengen?"


@pytest.fixture
def two_contexts(browser: Browser, live_server: LiveServer) -> Iterator[list[BrowserContext]]:
    contexts = []
    for _ in range(2):
        context = browser.new_context(
            base_url=live_server.url, locale="nl-NL", timezone_id="Europe/Amsterdam"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
    try:
        yield contexts
    finally:
        for context in contexts:
            context.close()


def figure(page: Page, name: str) -> str:
    return page.locator(f'[data-figure="{name}"]').inner_text().strip()


def test_two_firms_agree_talk_deliver_and_see_their_impact(
    two_contexts: list[BrowserContext],
    parties: Parties,  # noqa: F811
) -> None:
    brewer_page, farmer_page = (context.new_page() for context in two_contexts)
    log_in(brewer_page, parties.brewer)
    log_in(farmer_page, parties.farmer)
    match_url = f"/matches/{parties.proposal.public_id}"

    for page in (brewer_page, farmer_page):
        page.goto("/matches/impact")
        assert figure(page, "realised_net_co2e_kg") == "0"

    # Both accept the same proposal.
    for page in (brewer_page, farmer_page):
        page.goto(match_url)
        page.locator("#accept").click()
        expect(page).to_have_url(re.compile(match_url + "$"))
    expect(farmer_page.locator("h1 .badge.status-agreed")).to_be_visible()
    brewer_page.reload()
    expect(brewer_page.locator("h1 .badge.status-agreed")).to_be_visible()
    # They see each other's contact details now.
    expect(brewer_page.locator("#contacts")).to_contain_text(parties.farmer.email)
    expect(farmer_page.locator("#contacts")).to_contain_text(parties.brewer.email)

    # The brewer writes; the farmer is told in the header and reads it on the match page.
    brewer_page.locator("#messages textarea[name=body]").fill(MESSAGE)
    brewer_page.locator("#send-message").click()
    expect(brewer_page.locator("#messages")).to_contain_text(MESSAGE)
    farmer_page.goto("/matches/")
    expect(farmer_page.locator("#unread-messages")).to_have_text("1")
    farmer_page.goto(match_url)
    expect(farmer_page.locator("#messages")).to_contain_text(MESSAGE)

    # The farmer logs a delivery.
    form = farmer_page.locator("#delivery-form")
    form.locator("input[name=delivered_on]").fill((date.today() - timedelta(days=3)).isoformat())
    form.locator("input[name=quantity]").fill("25")
    form.locator("select[name=unit]").select_option("t")
    form.locator("input[name=document_number]").fill("VB-2026-0042")
    farmer_page.locator("#record-delivery").click()
    expect(farmer_page.locator("#deliveries")).to_contain_text("VB-2026-0042")
    expect(farmer_page.locator("h1 .badge.status-active")).to_be_visible()

    # Both see their impact change.
    brewer_page.goto("/matches/impact")
    farmer_page.goto("/matches/impact")
    # The users read English (25.0); in Dutch it would read 25,0.
    assert figure(brewer_page, "supplied_t") in ("25.0", "25,0")
    assert figure(farmer_page, "received_t") in ("25.0", "25,0")
    for page in (brewer_page, farmer_page):
        assert figure(page, "realised_net_co2e_kg") not in ("0", "")
        assert figure(page, "agreed_matches") == "1"
