"""A firm lists a residual stream in the browser, and the market finds it; anonymity holds.

Selectors use element names and ids, not visible text, so the tests read the same in
Dutch and English; visible text is only checked where the user typed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, Response, expect

from marketplace.extensions import db
from marketplace.listings.models import Listing
from tests import factories
from tests.browser.helpers import LiveServer, committed_member, log_in

pytestmark = pytest.mark.browser

TITLE = "Bierbostel van Brouwerij Test"
DETAIL_URL = re.compile(r"/listings/([A-Za-z0-9_-]{12})$")


def ewc_lookup_of(query: str) -> Callable[[Response], bool]:
    """Whether a response answers the EWC picker's lookup of exactly ``query``."""
    return lambda response: response.url.endswith(f"/api/ewc?q={quote(query)}")


def pick_ewc_code(page: Page, code: str) -> None:
    """Type ``code`` into the EWC picker and wait until its lookup has filled the list.

    Waiting matters: a lookup still running when the form is submitted would be cut off.
    """
    with page.expect_response(ewc_lookup_of(code)):
        page.locator("#listing-form input[name=ewc_code]").fill(code)
    expect(page.locator("#ewc-options option")).to_have_count(1)
    expect(page.locator("#ewc-options option")).to_have_attribute("value", code)


def fill_spent_grain_offer(page: Page, *, quantity: str) -> None:
    """Fill in the brewery's spent-grain offer from the organisation's site (not its EWC code)."""
    form = page.locator("#listing-form")
    form.locator("input[name=kind][value=offer]").check()
    form.locator("input[name=title]").fill(TITLE)
    spent_grain = form.locator("select[name=material] option[value='organics.spent_grain']")
    expect(spent_grain).to_have_count(1)
    form.locator("select[name=material]").select_option(value="organics.spent_grain")
    form.locator("input[name=quantity]").fill(quantity)
    form.locator("select[name=unit]").select_option(value="t")
    form.locator("select[name=frequency]").select_option(value="week")
    form.locator("input[name=location_mode][value=site]").check()


def test_a_member_publishes_an_offer_that_the_market_then_finds_in_the_table_and_on_the_map(
    page: Page, live_server: LiveServer
) -> None:
    member = committed_member()
    log_in(page, member)

    page.goto("/listings/new")
    form = page.locator("#listing-form")
    fill_spent_grain_offer(page, quantity="12")
    # The EWC picker offers the codes /api/ewc finds while the user types.
    ewc = form.locator("input[name=ewc_code]")
    with page.expect_response(ewc_lookup_of("02 07")) as lookup:
        ewc.press_sequentially("02 07")
    assert lookup.value.ok
    found = [hit["code"] for hit in lookup.value.json()["results"]]
    assert found == ["02 07 01", "02 07 02", "02 07 03", "02 07 04", "02 07 05", "02 07 99"]
    expect(page.locator("#ewc-options option")).to_have_count(len(found))
    expect(page.locator("#ewc-options option[value='02 07 02']")).to_have_count(1)
    with page.expect_response(ewc_lookup_of("02 07 02")):
        ewc.press_sequentially(" 02")
    # A code the picker has already shown is explained under the field at once.
    expect(page.locator("#ewc-chosen")).to_contain_text("02 07 02")
    expect(page.locator("#ewc-options option")).to_have_count(1)
    form.locator("input[name=publish]").click()

    expect(page).to_have_url(DETAIL_URL)
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator(".flash-success")).to_be_visible()
    match = DETAIL_URL.search(page.url)
    assert match is not None
    listing = db.session.scalars(sa.select(Listing)).one()
    assert (listing.public_id, listing.title, listing.kind, listing.status) == (
        match.group(1),
        TITLE,
        "offer",
        "active",
    )
    assert (listing.material, listing.ewc_code) == ("organics.spent_grain", "02 07 02")
    assert (listing.quantity, listing.unit, listing.frequency) == (12.0, "t", "week")
    # "Our organisation's site": the firm's point in Deventer (see the factories).
    assert (listing.lon, listing.lat) == factories.DEVENTER_LONLAT
    assert (listing.postcode, listing.municipality_code) == ("7411 AB", "GM0150")
    assert listing.organisation_id == member.organisation_id

    page.locator("header nav a[href='/listings/']").click()
    page.locator("form[role=search] input[name=q]").fill("Bierbostel")
    page.locator("form[role=search] button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/listings/\?(.+&)?q=Bierbostel"))
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name=TITLE)).to_have_attribute(
        "href", f"/listings/{listing.public_id}"
    )
    expect(page.locator("#map")).to_have_attribute("data-loaded", "1")


def test_a_rejected_listing_form_shows_the_error_and_keeps_everything_the_user_typed(
    page: Page, live_server: LiveServer
) -> None:
    log_in(page, committed_member())
    page.goto("/listings/new")
    fill_spent_grain_offer(page, quantity="0")
    pick_ewc_code(page, "02 07 02")
    form = page.locator("#listing-form")
    form.locator("textarea[name=description]").fill("Vers, ca. 22 % droge stof.")

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.locator("input[name=publish]").click()

    assert posted.value.status == 422
    expect(page).to_have_url(re.compile(r"/listings/new$"))
    quantity_field = page.locator(".field.has-error", has=page.locator("input[name=quantity]"))
    expect(quantity_field.locator("ul.errors li")).not_to_have_count(0)
    expect(page.locator("input[name=quantity]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("input[name=title]")).to_have_value(TITLE)
    expect(form.locator("input[name=kind][value=offer]")).to_be_checked()
    expect(form.locator("select[name=material]")).to_have_value("organics.spent_grain")
    expect(form.locator("input[name=ewc_code]")).to_have_value("02 07 02")
    expect(form.locator("input[name=quantity]")).to_have_value("0")
    expect(form.locator("select[name=unit]")).to_have_value("t")
    expect(form.locator("select[name=frequency]")).to_have_value("week")
    expect(form.locator("input[name=location_mode][value=site]")).to_be_checked()
    expect(form.locator("textarea[name=description]")).to_have_value("Vers, ca. 22 % droge stof.")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_an_anonymous_listing_never_shows_its_firm_in_the_market_table_map_or_detail_page(
    page: Page, live_server: LiveServer
) -> None:
    hidden_firm = factories.organisation(name="Brouwerij Zwijgzaam BV")
    secret = factories.listing(
        organisation=hidden_firm, title="Anonieme bostel", visibility="anonymous"
    )
    # A public listing elsewhere (Zutphen) proves the checks below can see firm names at all.
    open_firm = factories.organisation(
        name="Open Brouwerij BV",
        postcode="7201 AA",
        city="Zutphen",
        lon=6.1960,
        lat=52.1410,
        municipality_code="GM0301",
    )
    factories.listing(organisation=open_firm, title="Openbare bostel")
    secret_id = secret.public_id
    db.session.commit()

    page.goto("/listings/")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Openbare bostel")).to_contain_text("Open Brouwerij BV")
    secret_row = rows.filter(has_text="Anonieme bostel")
    expect(secret_row.locator("em.muted")).to_have_count(1)  # the "anonymous firm" placeholder
    expect(page.locator("#map")).to_have_attribute("data-loaded", "2")
    assert "Open Brouwerij BV" in page.content()
    assert "Zwijgzaam" not in page.content()

    # Offer markers are filled blue; the anonymous one is dashed, as it stands at a point
    # inside its municipality rather than at the firm.
    offer_markers = page.locator("#map path.leaflet-interactive[fill='#1e4f8a']")
    popup = page.locator("#map .leaflet-popup")
    offer_markers.and_(page.locator(":not([stroke-dasharray])")).click()
    expect(popup).to_contain_text("Open Brouwerij BV")
    # A fresh map for the other marker: an open popup may cover it.
    page.reload()
    expect(page.locator("#map")).to_have_attribute("data-loaded", "2")
    offer_markers.and_(page.locator("[stroke-dasharray='2']")).click()
    expect(popup).to_contain_text("Anonieme bostel")
    assert "Zwijgzaam" not in popup.inner_html()
    feed = page.request.get("/api/listings")
    assert feed.ok
    assert "Anonieme bostel" in feed.text()
    assert "Zwijgzaam" not in feed.text()

    page.goto(f"/listings/{secret_id}")
    expect(page.locator("h1")).to_contain_text("Anonieme bostel")
    assert "Zwijgzaam" not in page.content()
