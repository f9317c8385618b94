"""Putting a test person in the advisors' queue and in an advisor's hands, the real way:
/advisor through the dispatcher, the real ticket intake, a real claim."""

from __future__ import annotations

from handoff import keys
from handoff.advisors import AdvisorPresence, Advisors
from handoff.intake import TicketIntake
from handoff.queue import HandoffQueue
from handoff.tickets import Language, Ticket
from tests.bot.conftest import BotEnv
from tests.fakes import make_message_update

ADVISOR = "anna_k"


async def take_in(env: BotEnv) -> int:
    """Run the ticket intake once over what the bot wrote."""
    intake = TicketIntake(env.redis, HandoffQueue(env.redis), consumer="test-intake")
    await intake.ensure_group()
    return await intake.read_new(block_ms=0)


async def queue_person(env: BotEnv, chat: int, *, language_code: str = "ru") -> str:
    """/advisor, taken into the queue; returns the open ticket id (outbox and events cleared)."""
    await env.feed(make_message_update(env.next_id(), chat, "/advisor",
                                       language_code=language_code))
    await take_in(env)
    ticket_id = await env.redis.get(keys.handoff_open(env.pseudonym(chat)))
    assert ticket_id is not None
    await env.take()
    await env.events()
    return ticket_id.decode()


async def hold(env: BotEnv, chat: int, *, advisor: str = ADVISOR) -> Ticket:
    """Queue the person and let ``advisor`` claim the ticket."""
    ticket_id = await queue_person(env, chat)
    await Advisors(env.redis).register(AdvisorPresence(
        id=advisor, languages=frozenset(Language), capacity=5))
    return await HandoffQueue(env.redis).claim(ticket_id, advisor)
