"""/forget beyond the person's own keys: the queue, what the notifier told, pending entries.

The record, duplicate and flood keys go in the handler's transaction
(bot/store.py). This erases the rest that names the person's pseudonym in
Redis, now, for both channels:

- the open ticket and the holder (:meth:`HandoffQueue.forget`), and what the
  queue notifier last told them (:data:`handoff.keys.HANDOFF_TOLD`);
- entries not yet consumed that name them: conversation events the recorder
  has not stored yet, closed tickets the api has not recorded, advisor
  messages the relay has not delivered. Each of these streams is drained by
  its consumer, so it is short; the scan reads it in pages and is bounded.

What stays, by design: the ``erase`` event the handler queues right after this
(it must name the pseudonym, or the api could not delete the transcripts), and
the outbox's own per-chat bookkeeping until it expires (handoff/outbox.py).
"""

from __future__ import annotations

from redis.asyncio import Redis

from handoff import keys
from handoff.queue import HandoffQueue

#: Streams whose pending entries may name a person.
PURGED_STREAMS = (keys.EVENTS_STREAM, keys.HANDOFF_CLOSED_STREAM, keys.TO_PERSON_STREAM)
PAGE = 1000
#: Entries read per stream at most (a backlog beyond this is the consumer's to clear).
MAX_SCAN = 200_000


async def erase_handoff(redis: Redis, queue: HandoffQueue, pseudonym: str) -> bool:
    """Erase the person's queue state and pending entries; True if a ticket was open."""
    open_ticket = await redis.get(keys.handoff_open(pseudonym))
    had_ticket = await queue.forget(pseudonym)
    if open_ticket is not None:  # what the notifier told them is kept by ticket id
        await redis.hdel(keys.HANDOFF_TOLD, open_ticket)  # type: ignore[misc]
    for stream in PURGED_STREAMS:
        await purge_stream(redis, stream, pseudonym)
    return had_ticket


async def purge_stream(redis: Redis, stream: str, pseudonym: str) -> int:
    """XDEL every entry of ``stream`` with a field value containing the pseudonym."""
    needle = pseudonym.encode()
    start, seen, doomed = "-", 0, []
    while seen < MAX_SCAN:
        entries = await redis.xrange(stream, min=start, max="+", count=PAGE)
        if not entries:
            break
        for entry_id, fields in entries:
            values = fields.values()
            if any(needle in (v if isinstance(v, bytes) else str(v).encode()) for v in values):
                doomed.append(entry_id)
        seen += len(entries)
        if len(entries) < PAGE:
            break
        last = entries[-1][0]
        start = "(" + (last.decode() if isinstance(last, bytes) else str(last))
    for i in range(0, len(doomed), PAGE):
        await redis.xdel(stream, *doomed[i:i + PAGE])
    return len(doomed)
