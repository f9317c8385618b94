"""What the actions share, built once per server: the api client, the flows, the pseudonymizer.

Also the one way this channel opens a handoff, so the flow action and the
handoff action queue alike: the conversation is named by a keyed hash of
Rasa's sender id (the raw id never leaves this process), the priority is never
lower than the topic warrants, and a turn Rasa retries is not queued twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from actions.api_client import HandoffCreate, HotlineApi
from actions.flow_source import FlowSource
from actions.turn import Turn
from flows.schema import Priority
from hotline.crypto import Pseudonymizer

log = logging.getLogger(__name__)

#: The pseudonym namespace of Rasa conversations (the bot uses its own for Telegram).
CHANNEL: Final = "rasa"
#: Priority a topic needs at least, whatever the flow asked for.
INTENT_PRIORITY: Final[Mapping[str, Priority]] = {
    "urgent_danger": Priority.urgent,
    "serving_soldier": Priority.urgent,
    "summons": Priority.high,
}
_RANK: Final = {Priority.urgent: 0, Priority.high: 1, Priority.normal: 2}
_INTENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_REASON_CHARS: Final = 200


def priority_for(intent: str | None, requested: Priority = Priority.normal) -> Priority:
    """The more urgent of ``requested`` and what the intent needs."""
    needed = INTENT_PRIORITY.get(intent or "", Priority.normal)
    return needed if _RANK[needed] < _RANK[requested] else requested


@dataclass(frozen=True, slots=True)
class Services:
    api: HotlineApi
    flows: FlowSource
    pseudonymize: Pseudonymizer

    def conversation_id(self, sender_id: str) -> str:
        """The pseudonymous id of a Rasa conversation: stable, irreversible without the key."""
        return self.pseudonymize(CHANNEL, sender_id)

    async def open_handoff(
        self, *, sender_id: str, turn: Turn, action: str, reason: str, intent: str | None,
        priority: Priority,
    ) -> str:
        """Queue the conversation for an advisor and return the ticket id.

        Raises :class:`~actions.api_client.ApiUnavailable`. The idempotency key
        is a keyed hash of the action, the sender and Rasa's message id, so
        a retry of the same turn yields the same ticket and says nothing.
        """
        key = None
        if turn.message_id:
            key = self.pseudonymize(f"{CHANNEL}-turn", f"{action}:{sender_id}:{turn.message_id}")
        request = HandoffCreate(
            conversation=self.conversation_id(sender_id),
            language=turn.lang,
            intent=intent if intent and _INTENT_NAME.fullmatch(intent) else None,
            reason=(reason.replace("\x00", "").strip() or "asked for a person")[:MAX_REASON_CHARS],
            priority=priority_for(intent, priority),
        )
        ticket = await self.api.open_handoff(request, idempotency_key=key)
        log.info("handoff queued (priority %s)", request.priority.value)
        return ticket
