"""What an advisor does on the page, as Playwright steps the tests share.

Steps wait on what the page shows (Playwright's ``expect``), never on time.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Page, expect
from redis.asyncio import Redis

from handoff import keys
from handoff.relay import PersonMessage, RelayKind


async def log_in(page: Page, token: str) -> None:
    await page.get_by_label("Staff token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#conn")).to_have_text("Live")


async def go_online(page: Page, *languages: str, capacity: int = 2) -> None:
    """Pick languages and capacity, go online, and wait for the queue read that follows."""
    for language in languages:
        await page.locator(f'#presence-form input[name="lang"][value="{language}"]').check()
    await page.get_by_label("Chats at once").fill(str(capacity))
    async with page.expect_response(lambda r: r.url.endswith("/api/v1/console/queue")):
        await page.get_by_role("button", name="Go online").click()
    await expect(page.locator("#presence-state")).to_contain_text("Online")
    await expect(page.locator("#load")).to_contain_text(f"of {capacity} chats open")


def waiting(page: Page, ticket: str) -> Any:
    return page.locator(f'#waiting-list li[data-ticket="{ticket}"]')


def transcript(page: Page, author: str | None = None) -> Any:
    return page.locator("#transcript li" + (f".msg-{author}" if author else ""))


async def to_person(redis: Redis, ticket: str, kind: RelayKind) -> list[PersonMessage]:
    """Messages of this kind for the person of ``ticket`` on the relay stream (waits for one)."""
    found: list[PersonMessage] = []

    async def check() -> bool:
        found.clear()
        for _, fields in await redis.xrange(keys.TO_PERSON_STREAM):
            message = PersonMessage.from_fields(fields)
            if message.ticket == ticket and message.kind is kind:
                found.append(message)
        return bool(found)

    for _ in range(1000):  # up to ~10 s: the api writes it while handling the click
        if await check():
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {kind.value} message for the person of {ticket}")
