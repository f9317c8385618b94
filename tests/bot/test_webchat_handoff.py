"""The web chat during a handoff: one queue note, silence while held, the advisor's words pushed
to the open tab."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.app import make_desk
from bot.relay import PersonRelay
from bot.texts import T, text
from bot.webchat import Inboxes, Sender
from flows.schema import Lang
from handoff import keys
from handoff.advisors import AdvisorPresence, Advisors
from handoff.intake import TicketIntake
from handoff.ownership import HolderKind, holder
from handoff.queue import HandoffQueue
from handoff.relay import PersonMessage, RelayKind, relay
from handoff.tickets import Language
from hotline.crypto import Pseudonymizer, Sealer
from tests.bot.conftest import SECRET, bot_settings
from tests.bot.pack import after, menu_labels
from tests.bot.test_webchat import open_tab, server  # noqa: F401 - the fixture

pseudonymize = Pseudonymizer(SECRET)


async def take_in(redis: Redis) -> None:
    intake = TicketIntake(redis, HandoffQueue(redis), consumer="web-test")
    await intake.ensure_group()
    await intake.read_new(block_ms=0)


async def test_queued_note_then_held_silence_and_advisor_words_arrive(
    server: str, redis: Redis,  # noqa: F811
) -> None:
    ws, tab, session = await open_tab(server, lang="en")
    who = pseudonymize("web", session)
    async with ws:
        await tab.send(type="command", command="advisor")
        # the handoff note and the triage question after it are one bubble
        assert [f["text"] for f in await tab.until_quiet()] == [
            text(T.handoff_web, Lang.en) + "\n\n[human/triage en]"]
        await take_in(redis)
        assert (await holder(redis, who)).kind is HolderKind.queued
        await tab.send(type="text", text="are you there?")
        (note,) = await tab.until_quiet()
        assert note["text"].startswith(text(T.queue_saved, Lang.en))
        assert text(T.queue_position, Lang.en, position=1) in note["text"]
        assert note["buttons"] == [{"label": text(T.queue_withdraw, Lang.en),
                                    "data": "h:withdraw"}]
        await tab.send(type="text", text="hello?")
        assert await tab.until_quiet() == []  # one note, not one per message
        # an advisor takes it: silence from the bot, and their words arrive unasked
        await Advisors(redis).register(AdvisorPresence(id="adv_w", languages=frozenset(
            {Language.en}), capacity=2))
        ticket_id = (await redis.get(keys.handoff_open(who))).decode()
        ticket = await HandoffQueue(redis).claim(ticket_id, "adv_w")
        await tab.send(type="text", text="I was detained at the border right now")
        assert await tab.until_quiet() == []
        await tab.send(type="button", data="a:o:x:y:1")
        assert await tab.until_quiet() == []
        reader = PersonRelay(redis, chat_sealer=Sealer(SECRET, "chat"),
                             desk=make_desk(redis, bot_settings()), consumer="web-relay")
        await relay(redis, PersonMessage.for_ticket(ticket, RelayKind.advisor_text,
                                                    "We are here. Are you safe?"))
        await reader.ensure_group()
        await reader.read_new(block_ms=0)
        pushed = await tab.recv()
        assert pushed["text"] == (text(T.relay_advisor, Lang.en, service="Hotline")
                                  + "\nWe are here. Are you safe?")
        assert pushed["from"] == "service" and "adv_w" not in str(pushed)
        # /menu asks before leaving the advisor; leaving hands the chat back to the bot
        await tab.send(type="command", command="menu")
        (question,) = await tab.until_quiet()
        assert question["text"] == text(T.leave_confirm_held, Lang.en)
        await tab.send(type="button", data=question["buttons"][0]["data"])
        (back,) = await tab.until_quiet()
        # the notice is joined to the menu, whose buttons it carries
        assert back["text"] == after(text(T.left_advisor, Lang.en), "en")
        assert [b["label"] for b in back["buttons"]] == menu_labels("en", back=True)
        assert (await holder(redis, who)).kind is HolderKind.bot


async def test_withdraw_and_forget_on_the_web(server: str, redis: Redis) -> None:  # noqa: F811
    ws, tab, session = await open_tab(server, lang="de")
    who = pseudonymize("web", session)
    async with ws:
        await tab.send(type="command", command="advisor")
        await tab.until_quiet()
        await take_in(redis)
        await tab.send(type="button", data="h:withdraw")
        (back,) = await tab.until_quiet()
        assert back["text"] == after(text(T.withdrawn, Lang.de), "de")
        assert [b["label"] for b in back["buttons"]] == menu_labels("de", back=True)
        assert (await holder(redis, who)).kind is HolderKind.bot
        await tab.send(type="button", data="h:withdraw")  # an old button
        assert (await tab.until_quiet())[0]["text"] == text(T.withdraw_late, Lang.de)
        await tab.send(type="command", command="advisor")
        await tab.until_quiet()
        await take_in(redis)
        await tab.send(type="button", data="x:1")
        await tab.until_quiet()
        assert await redis.get(keys.handoff_holder(who)) is None
        assert await redis.get(keys.handoff_open(who)) is None
        await tab.send(type="button", data="s:forged")
        assert (await tab.until_quiet())[0]["text"] == text(T.survey_stale, Lang.de)


async def test_pushed_messages_reach_only_their_tab(server: str, redis: Redis) -> None:  # noqa: F811
    ws1, tab1, s1 = await open_tab(server, lang="en")
    ws2, tab2, s2 = await open_tab(server, lang="en")
    async with ws1, ws2:
        await tab2.send(type="command", command="advisor")  # the conversation exists
        await tab2.until_quiet()
        reader = PersonRelay(redis, chat_sealer=Sealer(SECRET, "chat"),
                             desk=make_desk(redis, bot_settings()), consumer="web-relay")
        await relay(redis, PersonMessage(kind=RelayKind.claimed, ticket="w-2", channel="web",
                                         conversation=pseudonymize("web", s2), language="en"))
        await reader.ensure_group()
        await reader.read_new(block_ms=0)
        got = await tab2.recv()
        assert got["text"] == text(T.relay_claimed, Lang.en, service="Hotline")
        await tab1.send(type="command", command="help")
        assert [f["text"] for f in await tab1.until_quiet()] == [text(T.help, Lang.en)]


class FakeSocket:
    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send_text(self, data: str) -> None:
        self.frames.append(data)


async def test_one_subscription_per_process_from_the_first_tab_to_the_last(redis: Redis) -> None:
    inboxes = Inboxes(redis)
    a, b = FakeSocket(), FakeSocket()
    async with inboxes.open("conversation-a", Sender(a)):  # type: ignore[arg-type]
        first = inboxes._task
        async with inboxes.open("conversation-b", Sender(b)):  # type: ignore[arg-type]
            assert inboxes._task is first is not None
            await redis.publish(keys.webchat_inbox("conversation-b"), '{"type": "message"}')
            for _ in range(200):
                if b.frames:
                    break
                await asyncio.sleep(0.025)
        assert b.frames == ['{"type": "message"}'] and a.frames == []
        assert inboxes._task is first
    assert inboxes._task is None and first.done()
