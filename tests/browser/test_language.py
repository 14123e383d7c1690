"""The language switch in the header turns the interface English and back to Dutch.

The Dutch texts come from the compiled catalogue (``make translations``, run by ``make test``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import LiveServer, committed_member, log_in

pytestmark = pytest.mark.browser


def wait_until_the_map_is_loaded(page: Page) -> None:
    """Wait for the map's requests to finish before switching the language.

    An anonymous visitor's first /api/listings response rewrites the session cookie (Flask-Login
    marks the session non-fresh), so a switch racing it can be undone; reported to the lead.
    """
    expect(page.locator("#map")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))


def test_the_language_switch_turns_the_page_english_and_back_to_dutch_on_the_same_page(
    page: Page, live_server: LiveServer
) -> None:
    page.goto("/listings/")
    wait_until_the_map_is_loaded(page)
    html = page.locator("html")
    switch = page.locator("header form.lang-switch")
    market_link = page.locator("header nav a[href='/listings/']")
    login_link = page.locator("header a[href='/login']")
    expect(html).to_have_attribute("lang", "nl")
    expect(switch.locator("button[value=nl]")).to_have_attribute("aria-pressed", "true")
    expect(market_link).to_have_text("Markt")
    expect(login_link).to_have_text("Inloggen")

    switch.locator("button[value=en]").click()

    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/listings/\??$"))
    expect(switch.locator("button[value=en]")).to_have_attribute("aria-pressed", "true")
    expect(switch.locator("button[value=nl]")).not_to_have_attribute("aria-pressed", "true")
    expect(market_link).to_have_text("Market")
    expect(login_link).to_have_text("Log in")
    wait_until_the_map_is_loaded(page)

    switch.locator("button[value=nl]").click()

    expect(html).to_have_attribute("lang", "nl")
    expect(page).to_have_url(re.compile(r"/listings/\??$"))
    expect(switch.locator("button[value=nl]")).to_have_attribute("aria-pressed", "true")
    expect(market_link).to_have_text("Markt")
    expect(login_link).to_have_text("Inloggen")


def test_a_members_language_choice_is_kept_on_the_account_for_the_next_login_elsewhere(
    page: Page, live_server: LiveServer, browser: Browser
) -> None:
    member = committed_member(locale="nl")
    log_in(page, member)
    page.locator("header form.lang-switch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Another device: no cookies, so only the account can carry the choice.
    elsewhere = browser.new_context(base_url=live_server.url)
    try:
        other_page = elsewhere.new_page()
        log_in(other_page, member)
        expect(other_page.locator("html")).to_have_attribute("lang", "en")
    finally:
        elsewhere.close()
