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
