"""Every Redis key, stream and channel name the processes share, in one place.

Bot and api agree on these and on nothing else about Redis; changing a name
here changes it everywhere. All names start with ``hotline:`` so a shared
Redis can be inspected (and flushed) safely.
"""

from __future__ import annotations

PREFIX = "hotline:"

# Flows -----------------------------------------------------------------------
#: Pub/sub channel; the api publishes the new bundle ETag after every publish.
FLOWS_PUBLISHED_CHANNEL = PREFIX + "flows:published"
#: The ETag of the bundle currently published (set by the api on publish).
FLOWS_ETAG = PREFIX + "flows:etag"
#: The bot's last good bundle (JSON) and its ETag, so a restart works while the api is down.
BOT_BUNDLE = PREFIX + "bot:bundle"
BOT_BUNDLE_ETAG = PREFIX + "bot:bundle:etag"

# Streams (consumer groups; acknowledged after the work is done) ---------------
#: Handoff tickets, from the bot (and the Rasa actions) to the advisor side.
HANDOFF_STREAM = PREFIX + "handoff:tickets"
#: Conversation events (message in/out, erase), from the bot to the api's recorder.
EVENTS_STREAM = PREFIX + "events"
#: Outgoing Telegram messages, from anyone to the bot's single sender.
OUTBOX_STREAM = PREFIX + "outbox"

# Bot: one person's short-lived keys, named by pseudonym (never a Telegram id) ---
# The braces are a Redis Cluster hash tag: a person's keys share a slot, so the
# bot's intake script and /forget touch them in one call.


def bot_conversation(pseudonym: str) -> str:
    """The person's conversation record (engine state, language, privacy choices)."""
    return f"{PREFIX}bot:{{{pseudonym}}}:conv"


def bot_seen(pseudonym: str) -> str:
    """Sorted set of the person's recent update ids: a redelivered update is dropped."""
    return f"{PREFIX}bot:{{{pseudonym}}}:seen"


def bot_flood(pseudonym: str) -> str:
    """The person's message counter for the current flood-control window."""
    return f"{PREFIX}bot:{{{pseudonym}}}:flood"


#: + update id: updates that come from no person (channel posts) are deduplicated here.
BOT_SEEN_ANON = PREFIX + "bot:seen:"
#: + pseudonym of a group chat: the "I only work in private" note was sent there.
BOT_GROUP_NOTICE = PREFIX + "bot:group-noticed:"

# Outbox: the single sender's bookkeeping (handoff/outbox.py, bot/sender.py) -------
# These keys hold raw Telegram chat ids — Redis only, never PostgreSQL — and all
# of them expire.
#: Consumer group of the sender replicas on OUTBOX_STREAM.
OUTBOX_GROUP = "sender"
#: Entries the sender gave up on (permanent errors, malformed, retries exhausted).
OUTBOX_DEAD_STREAM = PREFIX + "outbox:dead"
#: Sorted set "chat:message_id" → when the message must be deleted (delete_after).
OUTBOX_DELETE_DUE = PREFIX + "outbox:delete-due"
#: Shared rate-limit state (GCRA theoretical arrival time) for the whole bot.
OUTBOX_RATE_GLOBAL = PREFIX + "outbox:rate"
#: Set while Telegram asked the whole bot to wait (a 429 that was not one chat's fault).
OUTBOX_PAUSE_GLOBAL = PREFIX + "outbox:pause"
#: Sorted set of the bot's actual send times in the last second (the global window's log).
OUTBOX_RATE_WINDOW = PREFIX + "outbox:rate-window"


def outbox_enqueued(message_id: str) -> str:
    """Idempotency marker of an enqueued outgoing message (SET NX with a TTL)."""
    return f"{PREFIX}outbox:enqueued:{message_id}"


def outbox_done(message_id: str) -> str:
    """The outcome of an outgoing message ("sent:<telegram id>", "failed", …): no resend."""
    return f"{PREFIX}outbox:done:{message_id}"


def outbox_chat(chat_id: int) -> str:
    """Hash {next, done}: per-chat sequence numbers; replicas send a chat's messages in order."""
    return f"{PREFIX}outbox:chat:{chat_id}"


def outbox_chat_lock(chat_id: int) -> str:
    """The one sender working on this chat right now (a lease with a TTL)."""
    return f"{PREFIX}outbox:chat-lock:{chat_id}"


def outbox_chat_rate(chat_id: int) -> str:
    """Per-chat rate-limit state (GCRA theoretical arrival time)."""
    return f"{PREFIX}outbox:chat-rate:{chat_id}"


def outbox_chat_pause(chat_id: int) -> str:
    """Set while Telegram told us to wait (429 retry_after) for this chat."""
    return f"{PREFIX}outbox:chat-pause:{chat_id}"


def outbox_blocked(chat_id: int) -> str:
    """Set when the person blocked the bot (403); queued messages to them are dropped."""
    return f"{PREFIX}outbox:blocked:{chat_id}"


def outbox_messages(chat_id: int) -> str:
    """Sorted set of message ids in this chat by time, kept 48 h: what /forget can delete."""
    return f"{PREFIX}outbox:messages:{chat_id}"

# Handoff queue and ownership (handoff/queue.py, handoff/ownership.py) ---------
# The queue's Lua scripts derive a ticket's keys (its conversation, its advisor)
# inside the script, so the queue needs one Redis server, not a Cluster.
#: Consumer group of the ticket intake on HANDOFF_STREAM.
HANDOFF_GROUP = "queue"
#: Ticket requests the intake could not read (malformed), with the reason.
HANDOFF_DEAD_STREAM = PREFIX + "handoff:dead"
#: Closed tickets with their outcome label, for the api to record durably.
HANDOFF_CLOSED_STREAM = PREFIX + "handoff:closed"
#: Consumer group of the api's closure recorder on HANDOFF_CLOSED_STREAM.
HANDOFF_CLOSED_GROUP = "api"
#: Pub/sub channel: one JSON message per queue change, so consoles update live.
QUEUE_CHANGED = PREFIX + "handoff:changed"
#: Sorted set ticket id → when its "unclaimed too long" alert is due (ms); popped once.
HANDOFF_ALERTS = PREFIX + "handoff:alerts"
#: Sorted set advisor id → when their presence expires (ms): the reaper's index.
HANDOFF_ADVISORS = PREFIX + "handoff:advisors"
#: Prefixes (the scripts append an id); use the functions below from Python.
HANDOFF_TICKET = PREFIX + "handoff:ticket:"
HANDOFF_WAITING = PREFIX + "handoff:waiting:"
HANDOFF_OPEN = PREFIX + "handoff:open:"
HANDOFF_HOLDER = PREFIX + "handoff:holder:"
HANDOFF_SEEN = PREFIX + "handoff:seen:"
HANDOFF_ADVISOR = PREFIX + "handoff:advisor:"
HANDOFF_ADVISOR_CHATS = PREFIX + "handoff:advisor-chats:"
HANDOFF_WAITS = PREFIX + "handoff:waits:"


def handoff_ticket(ticket_id: str) -> str:
    """Hash: one ticket (conversation, language, priority, state, advisor, times)."""
    return HANDOFF_TICKET + ticket_id


def handoff_waiting(language: str) -> str:
    """Sorted set of waiting ticket ids in one language; score = priority band + created ms."""
    return HANDOFF_WAITING + language


def handoff_open(conversation: str) -> str:
    """The conversation's open ticket id (queued or held); absent when it is with the bot."""
    return HANDOFF_OPEN + conversation


def handoff_holder(conversation: str) -> str:
    """Who holds the conversation: "queued" or "advisor:<id>"; absent means the bot."""
    return HANDOFF_HOLDER + conversation


def handoff_seen(request_id: str) -> str:
    """Idempotency marker of a ticket request id (SET NX with a TTL)."""
    return HANDOFF_SEEN + request_id


def handoff_advisor(advisor_id: str) -> str:
    """Hash {languages, capacity}: the advisor's presence, expiring unless refreshed."""
    return HANDOFF_ADVISOR + advisor_id


def handoff_advisor_chats(advisor_id: str) -> str:
    """Set of ticket ids the advisor holds (outlives the presence, for the reaper)."""
    return HANDOFF_ADVISOR_CHATS + advisor_id


def handoff_waits(language: str) -> str:
    """Capped list "claimed_ms:waited_ms" of recent claims in one language (wait estimates)."""
    return HANDOFF_WAITS + language

# From the advisor side to the person (handoff/relay.py) ------------------------
#: Messages for a person from the advisor side (replies, claimed/closed notices, the
#: satisfaction question): the api writes, the bot delivers in the person's channel.
TO_PERSON_STREAM = PREFIX + "handoff:to-person"
#: Consumer group of the bot's relay on TO_PERSON_STREAM.
TO_PERSON_GROUP = "relay"
#: Entries the relay could not deliver (malformed, unknown chat), without their text.
TO_PERSON_DEAD_STREAM = PREFIX + "handoff:to-person:dead"
#: The person's one-tap satisfaction answers, from the bot to the api.
FEEDBACK_STREAM = PREFIX + "handoff:feedback"
#: Consumer group of the api on FEEDBACK_STREAM.
FEEDBACK_GROUP = "api"
#: Pub/sub channel: the recorder publishes {"conversation": …} after it stored new
#: messages, so a console showing that chat fetches them at once.
CONVERSATION_RECORDED = PREFIX + "conversation:recorded"
#: Pub/sub channel: the api publishes one JSON ticket summary (id, priority, language; never
#: the conversation) per overdue ticket, so every replica's consoles raise the alert.
HANDOFF_ALERT_CHANNEL = PREFIX + "handoff:alert"
#: Hash conversation → "position:minutes" last told to a waiting person (bot's notifier).
HANDOFF_TOLD = PREFIX + "handoff:told"


def feedback_given(ticket_id: str) -> str:
    """Marker (SET NX, expiring) that the closing question of this ticket was answered once."""
    return f"{PREFIX}handoff:feedback-given:{ticket_id}"


def relay_delivered(message_id: str) -> str:
    """Marker (SET NX, expiring) that a web chat relay message was published once."""
    return f"{PREFIX}handoff:relayed:{message_id}"


def webchat_inbox(conversation: str) -> str:
    """Pub/sub channel of one open web chat: the relay publishes advisor messages there."""
    return f"{PREFIX}webchat:{conversation}"


# Conversation record (api/recorder.py) ------------------------------------------
#: Consumer group of the api's recorder on EVENTS_STREAM.
EVENTS_GROUP = "recorder"
#: Event entries the recorder could not read (malformed), with the reason; no plain text.
EVENTS_DEAD_STREAM = PREFIX + "events:dead"
