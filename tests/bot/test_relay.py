"""The relay: advisor side → person, in their language and channel, once, under the service's
name; the closing question's answer back as Feedback."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from bot.app import make_desk
from bot.callbacks import ForgetCb, SurveyCb
from bot.conversation import Conversation
from bot.relay import PersonRelay
from bot.texts import T, text
from flows.schema import Lang
from handoff import keys
from handoff.relay import Feedback, PersonMessage, RelayKind, Score, relay
from hotline.crypto import Sealer
from tests.bot.conftest import SECRET, BotEnv, bot_settings
from tests.bot.queue_helpers import ADVISOR, hold
from tests.fakes import make_callback_update

CHAT = 7201
SERVICE = "Линия Тест"
ADVISOR_WORDS = "Здравствуйте. Вы можете рассказать, когда пришла повестка?"


def make_relay(redis: Redis, chat_sealer: Sealer) -> PersonRelay:
    desk = make_desk(redis, bot_settings(HOTLINE_SERVICE_NAME=SERVICE))
    return PersonRelay(redis, chat_sealer=chat_sealer, desk=desk, consumer="test-relay",
                       block_ms=0)


def message(env: BotEnv, kind: RelayKind, lang: str, *, chat: int = CHAT,
            words: str | None = None, ticket: str = "t-1", id: str | None = None,
            channel: str = "telegram") -> PersonMessage:
    pseudonym = env.pseudonym(chat)
    data = {"kind": kind, "ticket": ticket, "conversation": pseudonym, "language": lang,
            "channel": channel, "text": words}
    if channel == "telegram":
        data["chat"] = env.chat_sealer.seal(str(chat), context=pseudonym)
    if id is not None:
        data["id"] = id
    return PersonMessage.model_validate(data)


async def known(env: BotEnv, m: PersonMessage) -> None:
    """The person's record, as the bot keeps it while they talk (in the ticket's language)."""
    key = keys.bot_conversation(m.conversation)
    if not await env.redis.exists(key):
        record = Conversation().with_language(Lang(m.language.value), chosen=False)
        await env.redis.set(key, record.dump())


async def deliver(env: BotEnv, relay_: PersonRelay, *messages: PersonMessage,
                  record: bool = True) -> None:
    for m in messages:
        if record:
            await known(env, m)
        await relay(env.redis, m)
    await relay_.ensure_group()
    await relay_.read_new(block_ms=0)


@pytest.mark.parametrize("lang", list(Lang))
async def test_every_kind_in_the_persons_language_under_the_service_name(
    bot_env: BotEnv, lang: Lang,
) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    kinds = [RelayKind.claimed, RelayKind.advisor_text, RelayKind.requeued,
             RelayKind.handed_back, RelayKind.closed, RelayKind.survey]
    await deliver(bot_env, relay_, *[
        message(bot_env, k, lang.value, words=ADVISOR_WORDS if k is RelayKind.advisor_text
                else None) for k in kinds])
    out = await bot_env.take()
    assert all(r.chat_id == CHAT and r.method == "sendMessage" for r in out)
    texts = [r.text or "" for r in out]
    assert texts[0] == text(T.relay_claimed, lang, service=SERVICE)
    assert texts[1] == text(T.relay_advisor, lang, service=SERVICE) + "\n" + ADVISOR_WORDS
    assert out[1].protect  # an advisor's words cannot be forwarded
    assert texts[2:5] == [text(T.relay_requeued, lang), text(T.relay_handed_back, lang),
                          text(T.relay_closed, lang)]
    assert texts[5] == text(T.survey_question, lang)
    assert [label for label, _ in out[5].buttons] == [text(T.survey_yes, lang),
                                                      text(T.survey_no, lang)]
    assert all(ADVISOR not in t for t in texts)
    # acknowledged and deleted once queued
    assert await bot_env.redis.xlen(keys.TO_PERSON_STREAM) == 0
    assert (await bot_env.redis.xpending(keys.TO_PERSON_STREAM, keys.TO_PERSON_GROUP))[
        "pending"] == 0


async def test_the_persons_current_language_and_auto_delete_choice_win(bot_env: BotEnv) -> None:
    await hold(bot_env, CHAT)  # ticket in Russian
    record = await bot_env.redis.get(keys.bot_conversation(bot_env.pseudonym(CHAT)))
    changed = json.loads(record)
    changed["state"]["lang"] = "de"
    changed["autodelete_hours"] = 12
    await bot_env.redis.set(keys.bot_conversation(bot_env.pseudonym(CHAT)), json.dumps(changed))
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    await deliver(bot_env, relay_, message(bot_env, RelayKind.advisor_text, "ru", words="Hallo"))
    (out,) = await bot_env.take()
    assert out.text == text(T.relay_advisor, Lang.de, service=SERVICE) + "\nHallo"
    assert out.delete_after == 12 * 3600


async def test_a_redelivered_entry_is_not_sent_twice(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    once = message(bot_env, RelayKind.advisor_text, "ru", words="раз", id="adv:fixed-1")
    await deliver(bot_env, relay_, once)
    # the same message again (a crash before the acknowledgement, an api retry)
    await deliver(bot_env, relay_, once)
    await relay_.handle("0-1", once.fields())
    assert [r.text for r in await bot_env.take()] == [
        text(T.relay_advisor, Lang.ru, service=SERVICE) + "\nраз"]


async def test_a_wall_of_advisor_text_is_sent_whole_after_the_header(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    wall = "ж" * 4096
    await deliver(bot_env, relay_, message(bot_env, RelayKind.advisor_text, "ru", words=wall))
    out = await bot_env.take()
    assert [r.text for r in out] == [text(T.relay_advisor, Lang.ru, service=SERVICE), wall]


async def test_malformed_entries_are_dead_lettered_without_their_text(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    secret_words = "совершенно секретно"
    other = Sealer(SECRET + "x", "chat").seal(str(CHAT), context=bot_env.pseudonym(CHAT))
    bad_chat = message(bot_env, RelayKind.advisor_text, "ru", words=secret_words)
    bad_chat = bad_chat.model_copy(update={"chat": other})
    no_text = message(bot_env, RelayKind.advisor_text, "ru", words="   ")
    await bot_env.redis.xadd(keys.TO_PERSON_STREAM, {"msg": "{not json " + secret_words})
    await bot_env.redis.xadd(keys.TO_PERSON_STREAM, {"other": secret_words})
    await bot_env.redis.xadd(keys.TO_PERSON_STREAM, {"msg": json.dumps(
        {"kind": "advisor_text", "ticket": "t", "conversation": "../../x", "language": "ru",
         "text": secret_words})})
    await bot_env.redis.xadd(keys.TO_PERSON_STREAM, {"msg": b"\xff\xfe"})
    await deliver(bot_env, relay_, bad_chat, no_text)
    # a conversation without a record (erased, expired, never existed)
    await deliver(bot_env, relay_, message(bot_env, RelayKind.advisor_text, "ru",
                                           chat=CHAT + 5, words=secret_words), record=False)
    dead = await bot_env.redis.xrange(keys.TO_PERSON_DEAD_STREAM)
    assert len(dead) == 7
    assert all(secret_words.encode() not in b"".join(f.values()) for _, f in dead)
    assert await bot_env.take() == []
    assert await bot_env.redis.xlen(keys.TO_PERSON_STREAM) == 0


async def test_survey_answer_becomes_feedback_once(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    await deliver(bot_env, relay_, message(bot_env, RelayKind.survey, "en", ticket="tk-42"))
    (survey,) = await bot_env.take()
    helped = survey.data(text(T.survey_yes, Lang.en))
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, helped, language_code="en"))
    assert [r.text for r in await bot_env.take()] == [text(T.survey_thanks, Lang.en)]
    entries = await bot_env.redis.xrange(keys.FEEDBACK_STREAM)
    assert [Feedback.from_fields(f) for _, f in entries] == [
        Feedback(ticket="tk-42", score=Score.helped)]
    assert set(entries[0][1]) == {b"ticket", b"score"}  # nothing that names the person
    # a second tap, or the other button afterwards: no second score
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            survey.data(text(T.survey_no, Lang.en)),
                                            language_code="en"))
    assert [r.text for r in await bot_env.take()] == [text(T.survey_stale, Lang.en)]
    assert await bot_env.redis.xlen(keys.FEEDBACK_STREAM) == 1


async def test_forged_or_foreign_survey_answers_count_for_nothing(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    await deliver(bot_env, relay_, message(bot_env, RelayKind.survey, "ru", ticket="tk-7"))
    (survey,) = await bot_env.take()
    genuine = SurveyCb.unpack(survey.data(text(T.survey_yes, Lang.ru)))
    forged = [
        SurveyCb(t="tk-8", v="y", m=genuine.m).pack(),  # another ticket, same MAC
        SurveyCb(t="tk-7", v="y", m="A" * 12).pack(),  # a made-up MAC
        SurveyCb(t="tk-7", v="maybe", m=genuine.m).pack(),  # an unknown score
        "s:tk-7",  # truncated
    ]
    for data in forged:
        await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, data))
    # someone else pressing a copy of the genuine button
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT + 1, genuine.pack()))
    assert await bot_env.redis.xlen(keys.FEEDBACK_STREAM) == 0
    replies = await bot_env.take()
    assert text(T.survey_stale, Lang.ru) in [r.text for r in replies]
    # the genuine answer still counts afterwards
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT, genuine.pack()))
    assert await bot_env.redis.xlen(keys.FEEDBACK_STREAM) == 1


async def test_web_messages_are_published_to_the_open_tab_once(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    web_person = bot_env.pseudonymize("web", "some-session-id-1234567890")
    pubsub = bot_env.redis.pubsub()
    await pubsub.subscribe(keys.webchat_inbox(web_person))
    msg = PersonMessage(kind=RelayKind.advisor_text, ticket="w-1", conversation=web_person,
                        channel="web", language="uk", text="Привіт", id="adv:web-1")
    await deliver(bot_env, relay_, msg)
    await relay_.handle("0-1", msg.fields())  # redelivered
    frames = []
    for _ in range(50):
        got = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if got is not None:
            frames.append(json.loads(got["data"]))
        elif frames:
            break
    await pubsub.aclose()
    assert len(frames) == 1
    assert frames[0]["text"] == text(T.relay_advisor, Lang.uk, service=SERVICE) + "\nПривіт"
    assert frames[0]["type"] == "message" and frames[0]["from"] == "service"
    assert await bot_env.take() == []  # nothing for Telegram


async def test_the_relay_task_stops_cleanly(bot_env: BotEnv) -> None:
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    relay_.block_ms = 50
    stop = asyncio.Event()
    task = asyncio.create_task(relay_.run(stop))
    claimed = message(bot_env, RelayKind.claimed, "ru")
    await known(bot_env, claimed)
    await relay(bot_env.redis, claimed)
    for _ in range(400):
        if await bot_env.redis.xlen(keys.OUTBOX_STREAM):
            break
        await asyncio.sleep(0.025)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert [r.text for r in await bot_env.take()] == [
        text(T.relay_claimed, Lang.ru, service=SERVICE)]


async def test_nothing_reaches_a_person_after_forget(bot_env: BotEnv) -> None:
    ticket = await hold(bot_env, CHAT)
    relay_ = make_relay(bot_env.redis, bot_env.chat_sealer)
    pending = PersonMessage.for_ticket(ticket, RelayKind.advisor_text, "ещё вопрос")
    await relay(bot_env.redis, pending)
    await bot_env.feed(make_callback_update(bot_env.next_id(), CHAT,
                                            ForgetCb(confirm=True).pack()))
    await bot_env.take()
    # the pending entry was dropped by /forget; a late one from a stale console is refused
    assert await bot_env.redis.xlen(keys.TO_PERSON_STREAM) == 0
    await deliver(bot_env, relay_, PersonMessage.for_ticket(
        ticket, RelayKind.advisor_text, "поздний ответ"), record=False)
    assert await bot_env.take() == []
    dead = await bot_env.redis.xrange(keys.TO_PERSON_DEAD_STREAM)
    assert [f[b"error"] for _, f in dead] == [b"the conversation was erased or has expired"]
