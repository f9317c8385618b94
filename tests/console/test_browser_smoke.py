"""Smoke: the page loads in Chromium under its CSP, with no script error, and shows the login."""

from __future__ import annotations

from playwright.async_api import expect

from tests.console.conftest import OpenPage, needs_chromium

pytestmark = needs_chromium


async def test_page_loads_and_offers_login(open_page: OpenPage) -> None:
    page = await open_page()
    await expect(page.locator("#login")).to_be_visible()
    await expect(page.get_by_label("Staff token")).to_be_focused()
    await expect(page.locator("#app")).to_be_hidden()
    await expect(page.locator("#error")).to_be_hidden()  # not being logged in is no error
    await expect(page.locator("#urgent-banner")).to_be_hidden()
    assert await page.evaluate("document.documentElement.lang") == "en"
