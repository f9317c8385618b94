"""The advisor console in Chromium against the real api: what an advisor at 2 a.m. relies on.

Tickets are queued the way the bot's handoff does (on the handoff stream, read
by the api's intake, or directly with ``HandoffQueue.enqueue``),
transcripts recorded the way the bot records them (sealed events on the
events stream, stored by the api's own recorder), and what the advisor sends
is read where the bot would pick it up (``TO_PERSON_STREAM``). Every wait is
on something the page or Redis shows, never on time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import ConversationMessage, Role
from handoff.events import EventType
from handoff.relay import RelayKind
from handoff.tickets import Language, Priority
from tests.api.conftest import StaffFactory
from tests.api.factories import unique
from tests.console.conftest import LiveServer, OpenPage, needs_chromium
from tests.console.ui import go_online, log_in, to_person, transcript, waiting

pytestmark = needs_chromium

PERSON = EventType.message_in
BOT = EventType.message_out


def conversation_id() -> str:
    return unique("conv").replace(":", "_")


async def recorded(sessions: async_sessionmaker[AsyncSession], conversation: str,
                   count: int) -> None:
    """Wait until the api's recorder stored ``count`` messages of ``conversation``."""
    stored = 0
    for _ in range(1000):  # up to ~10 s
        async with sessions() as session:
            stored = await session.scalar(
                select(func.count()).select_from(ConversationMessage)
                .where(ConversationMessage.pseudonym == conversation)) or 0
        if stored >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the recorder stored {stored} of {count} messages")


async def test_advisor_takes_a_live_ticket_reads_replies_and_hands_back(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    advisor, token = await make_staff(Role.advisor)
    _, admin_token = await make_staff(Role.admin)
    async with live_server.http(admin_token) as http:
        created = await http.post("/api/v1/canned", json={
            "language": "ru", "title": "Greeting", "text": "Здравствуйте, я консультант."})
        assert created.status_code == 201, created.text
    conversation = conversation_id()
    await live_server.say(conversation, (PERSON, "Мне пришла повестка, что делать?"),
                          (BOT, "Вот что можно сделать: …"),
                          (PERSON, "Хочу поговорить с человеком"))
    await recorded(sessions, conversation, 3)

    page = await open_page()
    await log_in(page, token)
    await expect(page.locator("#me-name")).to_have_text(advisor.name)
    await go_online(page, "ru", "en", capacity=2)
    await expect(page.locator("#waiting-empty")).to_be_visible()

    queue_reads: list[str] = []
    page.on("request", lambda r: queue_reads.append(r.url) if "/console/queue" in r.url else None)
    # As the bot asks for a person: a ticket on the handoff stream, read by the api's intake.
    ticket = await live_server.request_handoff(conversation, reason="asked for a person")

    # Live: the ticket appears with no reload and no polling of GET /queue.
    item = waiting(page, ticket)
    await expect(item).to_be_visible()
    await expect(item).to_contain_text("asked for a person")
    await expect(item).to_contain_text("ru")
    assert queue_reads == []
    await expect(page).to_have_title(re.compile(r"^\(1\) Hotline console$"))

    await item.get_by_role("button", name=re.compile("^Claim")).click()
    await expect(page.locator("#chat-body")).to_be_visible()
    await expect(page.locator("#reply")).to_be_focused()
    await expect(page.locator(f'#mine-list li[data-ticket="{ticket}"]')).to_be_visible()
    await expect(item).to_have_count(0)
    claimed = await to_person(live_server.redis, ticket, RelayKind.claimed)
    assert len(claimed) == 1

    # The whole transcript, each author distinguishable.
    await expect(transcript(page)).to_have_count(3)
    await expect(transcript(page, "person")).to_have_count(2)
    await expect(transcript(page, "bot")).to_have_text(re.compile("Вот что можно сделать"))
    await expect(transcript(page, "person").first.locator(".msg-author")).to_have_text("Person")
    await expect(transcript(page, "bot").locator(".msg-author")).to_have_text("Bot")
    await expect(transcript(page).first).to_contain_text("Мне пришла повестка")

    # A new message from the person arrives live in the open chat.
    await live_server.say(conversation, (PERSON, "Вы здесь?"))
    await expect(transcript(page, "person").last).to_contain_text("Вы здесь?")
    await expect(transcript(page)).to_have_count(4)

    # A canned answer goes into the reply box; the counter follows; Ctrl+Enter sends.
    await page.get_by_label("Canned response").select_option(label="Greeting")
    await page.get_by_role("button", name="Insert").click()
    reply = page.get_by_label("Reply to the person")
    await expect(reply).to_have_value("Здравствуйте, я консультант.")
    await reply.press("End")
    await reply.press_sequentially(" Чем помочь?")
    words = "Здравствуйте, я консультант. Чем помочь?"
    await expect(page.locator("#reply-count")).to_have_text(f"{len(words)} / 4096")
    await reply.press("Control+Enter")
    await expect(reply).to_have_value("")

    sent = await to_person(live_server.redis, ticket, RelayKind.advisor_text)
    assert [m.text for m in sent] == [words]
    assert sent[0].conversation == conversation and sent[0].chat == "sealed-chat-ref"
    # Shown once, as the advisor's, and no longer "sending…" once the recorder has it.
    mine = transcript(page, "advisor")
    await expect(mine).to_have_count(1)
    await expect(mine).to_contain_text(words)
    await expect(mine.locator(".msg-pending")).to_have_count(0)
    await expect(mine.locator(".msg-author")).to_have_text("Advisor")

    # A private note.
    await page.get_by_text(re.compile("^Private notes")).click()
    await page.get_by_label("New note").fill("called back tomorrow 10:00")
    await page.get_by_role("button", name="Add note").click()
    await expect(page.locator("#notes li")).to_have_count(1)
    await expect(page.locator("#notes li")).to_contain_text("called back tomorrow 10:00")
    await expect(page.locator("#notes li")).to_contain_text(advisor.name)
    await expect(page.locator("#notes-count")).to_have_text("1")

    # Hand back to the bot: the chat leaves the screen and the person is told.
    await page.get_by_role("button", name="Hand back to the bot").click()
    await expect(page.locator("#chat-body")).to_be_hidden()
    await expect(page.locator("#notice")).to_contain_text("Handed back")
    await expect(page.locator("#mine-list li")).to_have_count(0)
    assert len(await to_person(live_server.redis, ticket, RelayKind.handed_back)) == 1
    assert await live_server.queue.ticket(ticket) is None


async def test_take_next_and_close_with_an_outcome_and_the_survey(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "uk", capacity=1)
    older = await live_server.enqueue(language=Language.uk, reason="first in line")
    newer = await live_server.enqueue(language=Language.uk, reason="second in line")
    await expect(waiting(page, newer)).to_be_visible()

    await page.get_by_role("button", name="Take next").click()
    await expect(page.locator(f'#mine-list li[data-ticket="{older}"]')).to_be_visible()
    await expect(page.locator("#chat-meta")).to_contain_text("first in line")
    # At capacity: nothing more can be claimed until this chat ends.
    await expect(page.get_by_role("button", name="Take next")).to_be_disabled()
    await expect(waiting(page, newer).get_by_role("button")).to_be_disabled()

    await page.get_by_label("Outcome").select_option("information_given")
    await expect(page.get_by_label("Ask the person if it helped")).to_be_checked()
    await page.get_by_role("button", name="Close chat").click()
    await expect(page.locator("#chat-body")).to_be_hidden()
    await expect(page.locator("#notice")).to_contain_text("Chat closed")
    assert len(await to_person(live_server.redis, older, RelayKind.closed)) == 1
    assert len(await to_person(live_server.redis, older, RelayKind.survey)) == 1
    # The keyboard lands on "Take next": Enter takes the next person.
    await expect(page.get_by_role("button", name="Take next")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#chat-meta")).to_contain_text("second in line")

    # The next one, closed without the question.
    await page.get_by_label("Outcome").select_option("no_reply")
    await page.get_by_label("Ask the person if it helped").uncheck()
    await page.get_by_role("button", name="Close chat").click()
    await expect(page.locator("#chat-body")).to_be_hidden()
    assert len(await to_person(live_server.redis, newer, RelayKind.closed)) == 1
    entries = await live_server.redis.xrange("hotline:handoff:to-person")
    assert not any(b"survey" in v and newer.encode() in v
                   for _, fields in entries for v in fields.values())

    # Nothing left: "take next" says so instead of failing.
    await page.get_by_role("button", name="Take next").click()
    await expect(page.locator("#notice")).to_contain_text("Nobody is waiting")


async def test_urgent_ticket_is_unmistakable_and_clears_when_taken(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    other, other_token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "ru")
    await expect(page.locator("#urgent-banner")).to_be_hidden()

    normal = await live_server.enqueue(reason="general question")
    urgent = await live_server.enqueue(priority=Priority.urgent, reason="threatened at the border",
                                       intent="danger")
    banner = page.locator("#urgent-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("URGENT — someone may be in danger")
    await expect(banner).to_have_attribute("role", "alert")
    item = waiting(page, urgent)
    await expect(item).to_have_class(re.compile(r"\burgent\b"))
    await expect(item.locator(".badge.priority-urgent")).to_have_text("URGENT")
    # Urgent first, whatever the order they came in.
    await expect(page.locator("#waiting-list li").first).to_have_attribute("data-ticket", urgent)
    await expect(waiting(page, normal)).to_be_visible()
    # The tab's title flashes (a page may not evaluate strings: the CSP forbids eval).
    await expect(page).to_have_title(re.compile("URGENT"))
    await expect(page).not_to_have_title(re.compile("URGENT"))
    await expect(page).to_have_title(re.compile("URGENT"))

    # Someone else takes it: the banner goes, live.
    async with live_server.http(other_token) as http:
        online = await http.put("/api/v1/console/presence",
                                json={"languages": ["ru"], "capacity": 1})
        assert online.status_code == 200, online.text
        taken = await http.post(f"/api/v1/console/tickets/{urgent}/claim")
        assert taken.status_code == 200, taken.text
        assert taken.json()["advisor"] == other.name
    await expect(banner).to_be_hidden()
    await expect(item).to_have_count(0)
    await expect(page).to_have_title("(1) Hotline console")  # flashing stopped


async def test_overdue_ticket_is_marked(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "de")
    ticket = await live_server.enqueue(language=Language.de, priority=Priority.high,
                                       waited=dt.timedelta(hours=3))
    item = waiting(page, ticket)
    await expect(item.locator(".badge.overdue")).to_have_text("OVERDUE")
    await expect(item).to_have_class(re.compile(r"\bis-overdue\b"))
    await expect(item.locator(".waited")).to_contain_text(re.compile(r"\d+ (h|min)"))
    # The api's overdue watcher alerts the consoles once.
    await expect(page.locator("#notice")).to_contain_text("waited too long: High, de")


async def test_hostile_text_is_shown_as_text(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, token = await make_staff(Role.advisor)
    conversation = conversation_id()
    script = "<script>window.__pwned = 'script'</script>"
    image = "<img src=x onerror=\"window.__pwned = 'img'\">"
    link = "<a href=\"javascript:window.__pwned='link'\" id=\"evil\">click</a>"
    await live_server.say(conversation, (PERSON, script), (PERSON, image), (BOT, link))
    await recorded(sessions, conversation, 3)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "ru")
    ticket = await live_server.enqueue(conversation=conversation, reason="<b>bold</b> & <i>it</i>")
    item = waiting(page, ticket)
    await expect(item.locator(".ticket-reason")).to_have_text("<b>bold</b> & <i>it</i>")
    await item.get_by_role("button", name=re.compile("^Claim")).click()

    texts = page.locator("#transcript .msg-text")
    await expect(texts).to_have_text([script, image, link])
    # Also live, and in notes and replies.
    await live_server.say(conversation, (PERSON, "<svg onload=\"window.__pwned='svg'\"></svg>"))
    await expect(texts.last).to_have_text("<svg onload=\"window.__pwned='svg'\"></svg>")
    await page.get_by_text(re.compile("^Private notes")).click()
    await page.get_by_label("New note").fill(image)
    await page.get_by_role("button", name="Add note").click()
    await expect(page.locator("#notes .msg-text")).to_have_text(image)
    await page.get_by_label("Reply to the person").fill(script)
    await page.get_by_role("button", name="Send").click()
    await expect(transcript(page, "advisor").locator(".msg-text")).to_have_text(script)

    for selector in ("#transcript script", "#transcript img", "#transcript a", "#transcript svg",
                     "#notes img", "#waiting-list b", "#chat-meta b", "#evil"):
        assert await page.locator(selector).count() == 0, selector
    assert await page.evaluate("window.__pwned") is None


async def test_wrong_token_and_wrong_role_are_refused_with_the_servers_reason(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, editor_token = await make_staff(Role.editor)
    async with live_server.http() as http:
        unknown = await http.post("/api/v1/console/session", json={"token": "not-a-token"},
                                  headers={"X-Hotline-Console": "1"})
        wrong_role = await http.post("/api/v1/console/session", json={"token": editor_token},
                                     headers={"X-Hotline-Console": "1"})
    assert unknown.status_code == 401 and wrong_role.status_code == 403

    page = await open_page()
    await page.get_by_label("Staff token").fill("not-a-token")
    await page.get_by_label("Staff token").press("Enter")  # the keyboard submits too
    error = page.locator("#error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text(unknown.json()["detail"])
    await expect(page.locator("#app")).to_be_hidden()

    await page.get_by_label("Staff token").fill(editor_token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_contain_text(wrong_role.json()["detail"])
    await expect(page.locator("#app")).to_be_hidden()

    # Bad input to a form is answered from the page, not sent.
    await page.get_by_label("Staff token").fill("   ")
    await page.get_by_role("button", name="Sign in").click()
    await expect(error).to_contain_text("Enter your staff token")


async def test_transfer_to_another_advisor_arrives_live_on_their_screen(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, anna_token = await make_staff(Role.advisor)
    boris, boris_token = await make_staff(Role.advisor)
    anna = await open_page()
    await log_in(anna, anna_token)
    await go_online(anna, "ru")
    boris_page = await open_page()
    await log_in(boris_page, boris_token)
    await go_online(boris_page, "ru")
    ticket = await live_server.enqueue(reason="needs a lawyer")
    await waiting(anna, ticket).get_by_role("button", name=re.compile("^Claim")).click()
    await expect(anna.locator("#chat-body")).to_be_visible()
    await expect(waiting(boris_page, ticket)).to_have_count(0)  # taken: gone for Boris too

    # A name that is no advisor: the server's reason is shown, the chat stays.
    await anna.get_by_label("To advisor (name)").fill("nobody-by-this-name")
    await anna.get_by_role("button", name="Transfer").click()
    await expect(anna.locator("#error")).to_be_visible()
    assert (await anna.locator("#error-text").text_content() or "").strip()
    await expect(anna.locator("#chat-body")).to_be_visible()
    # Both a name and a language: the page asks for one.
    await anna.get_by_label("or back to the queue in").select_option("uk")
    await anna.get_by_role("button", name="Transfer").click()
    await expect(anna.locator("#error")).to_contain_text("not both")

    await anna.get_by_label("or back to the queue in").select_option("")
    await anna.get_by_label("To advisor (name)").fill(boris.name)
    await anna.get_by_role("button", name="Transfer").click()
    await expect(anna.locator("#chat-body")).to_be_hidden()
    await expect(anna.locator("#notice")).to_contain_text(f"Transferred to {boris.name}")
    await expect(anna.locator("#mine-list li")).to_have_count(0)
    held = boris_page.locator(f'#mine-list li[data-ticket="{ticket}"]')
    await expect(held).to_be_visible()
    await held.get_by_role("button").click()
    await expect(boris_page.locator("#chat-meta")).to_contain_text("needs a lawyer")

    # Boris sends it to the Ukrainian queue: it leaves him, and waits there.
    await boris_page.get_by_label("or back to the queue in").select_option("uk")
    await boris_page.get_by_role("button", name="Transfer").click()
    await expect(boris_page.locator("#chat-body")).to_be_hidden()
    queued = await live_server.queue.ticket(ticket)
    assert queued is not None and queued.language is Language.uk and queued.advisor is None


async def test_log_out_ends_the_session_and_signs_off(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "be")
    # A reload keeps the session (the cookie) and needs no new login.
    await page.reload()
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#presence-state")).to_contain_text("Online")
    await expect(page.locator('#presence-form input[value="be"]')).to_be_checked()
    # Going offline: nobody is offered any more, nothing can be taken.
    await page.get_by_role("button", name="Go offline").click()
    await expect(page.locator("#presence-state")).to_contain_text("Offline")
    await expect(page.get_by_role("button", name="Take next")).to_be_disabled()
    await expect(page.locator("#load")).to_contain_text("offline")
    # Going online with no language is refused by the page, not sent.
    await page.locator('#presence-form input[value="be"]').uncheck()
    await page.get_by_role("button", name="Go online").click()
    await expect(page.locator("#error")).to_contain_text("at least one language")
    await go_online(page, "be")

    await page.get_by_role("button", name="Log out").click()
    await expect(page.locator("#login")).to_be_visible()
    await expect(page.locator("#app")).to_be_hidden()
    cookies = await page.context.cookies()
    assert [c for c in cookies if c["name"] == "hotline_console"] == []
    await page.reload()
    await expect(page.locator("#login")).to_be_visible()
    async with live_server.http(token) as http:
        me = await http.get("/api/v1/console/me")
    assert me.json()["presence"] is None


async def test_phone_layout_is_usable(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    page: Page = await open_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                 has_touch=True)
    await log_in(page, token)
    await go_online(page, "ru")
    ticket = await live_server.enqueue(reason="from a phone")
    await waiting(page, ticket).get_by_role("button", name=re.compile("^Claim")).click()
    await expect(page.get_by_label("Reply to the person")).to_be_visible()
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # A wall of text stops at Telegram's limit, and the counter says so.
    await page.get_by_label("Reply to the person").fill("я" * 5000)
    await expect(page.locator("#reply-count")).to_have_text("4096 / 4096")
    await expect(page.locator("#reply-count")).to_have_class(re.compile(r"\bnear\b"))
    await page.get_by_label("Reply to the person").fill("hello from a phone")
    await page.get_by_role("button", name="Send").click()
    sent = await to_person(live_server.redis, ticket, RelayKind.advisor_text)
    assert [m.text for m in sent] == ["hello from a phone"]


# Dropping live sockets from the server side can leave the WebSocket library's stream
# writer to the garbage collector, which then warns "unclosed StreamWriter" at a random
# later moment; that is the library's cleanup, not the console's behaviour under test.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_the_console_reconnects_by_itself_and_flags_other_chats(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "ru", capacity=2)
    first_conv, second_conv = conversation_id(), conversation_id()
    first = await live_server.enqueue(conversation=first_conv, reason="first")
    second = await live_server.enqueue(conversation=second_conv, reason="second")
    for ticket in (first, second):
        await waiting(page, ticket).get_by_role("button", name=re.compile("^Claim")).click()
        await expect(page.locator(f'#mine-list li[data-ticket="{ticket}"]')).to_be_visible()
    await expect(page.locator("#chat-meta")).to_contain_text("second")
    # A draft stays with its chat: switching chats never carries words to another person.
    reply = page.get_by_label("Reply to the person")
    await reply.fill("for the second person only")
    await page.locator(f'#mine-list li[data-ticket="{first}"] button').click()
    await expect(page.locator("#chat-meta")).to_contain_text("first")
    await expect(reply).to_have_value("")
    await expect(page.locator("#reply-count")).to_have_text("0 / 4096")
    await page.locator(f'#mine-list li[data-ticket="{second}"] button').click()
    await expect(page.locator("#chat-meta")).to_contain_text("second")
    await expect(reply).to_have_value("for the second person only")

    # The server drops every console socket (a restart, a proxy timeout): the page says so,
    # comes back by itself, and what happened meanwhile is there without a reload.
    hub = live_server.app.state.console.hub
    assert hub.connections
    for conn in list(hub.connections):
        await conn.socket.close(code=1012)
    await expect(page.locator("#conn")).to_contain_text("reconnecting")
    await live_server.say(first_conv, (PERSON, "are you there?"))
    await recorded(sessions, first_conv, 1)
    await expect(page.locator("#conn")).to_have_text("Live")
    third = await live_server.enqueue(reason="after the reconnect")
    await expect(waiting(page, third)).to_be_visible()

    # A message in a held chat that is not open is flagged, and shown when it is opened.
    await live_server.say(first_conv, (PERSON, "hello?"))
    flagged = page.locator(f'#mine-list li[data-ticket="{first}"] .badge.unread')
    await expect(flagged).to_be_visible()
    await page.locator(f'#mine-list li[data-ticket="{first}"] button').click()
    await expect(page.locator("#chat-meta")).to_contain_text("first")
    await expect(transcript(page, "person").locator(".msg-text")).to_have_text(
        ["are you there?", "hello?"])
    await expect(flagged).to_have_count(0)


async def test_a_revoked_token_sends_the_advisor_back_to_the_login(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    advisor, token = await make_staff(Role.advisor)
    _, admin_token = await make_staff(Role.admin)
    page = await open_page()
    await log_in(page, token)
    async with live_server.http(admin_token) as http:
        revoked = await http.post(f"/api/v1/staff/{advisor.id}/revoke")
        assert revoked.status_code == 200, revoked.text
    # The live socket's next connection is refused (4401): the page asks for a login.
    for conn in list(live_server.app.state.console.hub.connections):
        await conn.socket.close(code=1012)
    await expect(page.locator("#login")).to_be_visible()
    await expect(page.locator("#error")).to_contain_text("session has ended")
    await expect(page.locator("#app")).to_be_hidden()


async def test_keyboard_focus_survives_live_updates(
    open_page: OpenPage, live_server: LiveServer, make_staff: StaffFactory,
) -> None:
    _, token = await make_staff(Role.advisor)
    page = await open_page()
    await log_in(page, token)
    await go_online(page, "en")
    first = await live_server.enqueue(language=Language.en, reason="the one I chose")
    claim = waiting(page, first).get_by_role("button")
    await claim.focus()
    second = await live_server.enqueue(language=Language.en, priority=Priority.high,
                                       reason="arrives while I decide")
    await expect(waiting(page, second)).to_be_visible()  # the list was rebuilt
    await expect(claim).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#chat-meta")).to_contain_text("the one I chose")
    await expect(page.get_by_label("Reply to the person")).to_be_focused()
