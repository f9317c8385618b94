"""The two custom actions a Rasa assistant calls: run our flows, and hand over to a person.

rasa-sdk style: an action reads the tracker, says things through the
collecting dispatcher and returns events; it never mutates the tracker. The
engine's state lives in the ``hotline_state`` slot between turns, so the
action server itself holds nothing per conversation and any number of
replicas can run. Domain errors (the api is down, a payload is forged) end
here as calm messages; nothing a person sends makes an action raise.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import codec, texts
from actions.api_client import ApiUnavailable
from actions.services import Services
from actions.turn import HANDOFF_SLOT, LANGUAGE_SLOT, STATE_SLOT, Turn, dump_state, read_turn
from flows.engine import Engine
from flows.outcome import Action as FlowAction
from flows.outcome import ActionKind, Command, CommandInput, Outcome, Reply
from flows.schema import Lang, Priority

log = logging.getLogger(__name__)

FLOW_ACTION: Final = "action_hotline_flow"
HANDOFF_ACTION: Final = "action_hotline_handoff"
CHANGE_LANGUAGE_INTENT: Final = "change_language"
HUMAN_INTENT: Final = "talk_to_human"


@dataclass(slots=True)
class Message:
    """One message for the dispatcher: a text and its buttons in Rasa's shape."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


def messages(replies: Sequence[Reply]) -> list[Message]:
    """The engine's replies as Rasa messages; each button's payload maps back to its action."""
    return [
        Message(text=reply.text, buttons=[
            {"title": b.label, "payload": codec.action_payload(b.action)} for b in reply.buttons
        ])
        for reply in replies
    ]


def utter(dispatcher: CollectingDispatcher, said: Sequence[Message]) -> None:
    for message in said:
        dispatcher.utter_message(text=message.text, buttons=message.buttons or None)


def _has_slot(domain: Any, slot: str) -> bool:
    """Whether the assistant's domain declares ``slot`` (Rasa complains about unknown slots)."""
    slots = domain.get("slots") if isinstance(domain, dict) else None
    return isinstance(slots, dict) and slot in slots


class ActionHotlineFlow(Action):
    """Runs our flow for the latest intent, a tap on one of our buttons, or an answer mid-flow."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def name(self) -> str:
        return FLOW_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
    ) -> list[EventType]:
        turn = read_turn(tracker)
        try:
            engine = await self._services.flows.engine()
        except ApiUnavailable as exc:
            log.warning("no flows to run: %s", exc.reason)
            dispatcher.utter_message(text=texts.say(texts.UNAVAILABLE, turn.lang))
            return []
        events: list[EventType] = []
        if isinstance(turn.tap, codec.LanguageChoice):
            state = turn.state.model_copy(update={"lang": turn.tap.lang})
            outcome = engine.handle(state, CommandInput(command=Command.menu))
            if _has_slot(domain, LANGUAGE_SLOT):
                events.append(SlotSet(LANGUAGE_SLOT, turn.tap.lang.value))
        else:
            outcome = engine.handle(turn.state, turn.engine_input())
        utter(dispatcher, self._with_languages(engine, turn, outcome))
        events.append(SlotSet(STATE_SLOT, dump_state(outcome.state)))
        if outcome.handoff is not None:
            request = outcome.handoff
            events += await _hand_over(
                self._services, dispatcher, tracker, turn, action=FLOW_ACTION,
                reason=request.reason, intent=request.intent or turn.intent,
                priority=request.priority, queued_text=None,
            )
        return events

    @staticmethod
    def _with_languages(engine: Engine, turn: Turn, outcome: Outcome) -> list[Message]:
        """The change-language flow's first message gets one button per language."""
        said = messages(outcome.replies)
        flow = engine.flow_for(CHANGE_LANGUAGE_INTENT)
        tap = turn.tap
        started = outcome.intent == CHANGE_LANGUAGE_INTENT or (
            flow is not None and isinstance(tap, FlowAction) and tap.kind is ActionKind.flow
            and tap.flow == flow)
        if started and said:
            said[0].buttons[:0] = [
                {"title": name, "payload": codec.language_payload(lang)}
                for lang, name in texts.LANGUAGE_NAMES.items()
            ]
        return said


class ActionHotlineHandoff(Action):
    """Queues the conversation for a person at the intent's priority, and says so honestly."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def name(self) -> str:
        return HANDOFF_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
    ) -> list[EventType]:
        turn = read_turn(tracker)
        intent = turn.intent or HUMAN_INTENT
        reason = "asked for a person" if intent == HUMAN_INTENT else intent
        return await _hand_over(
            self._services, dispatcher, tracker, turn, action=HANDOFF_ACTION, reason=reason,
            intent=intent, priority=Priority.normal, queued_text=texts.HANDOFF_QUEUED,
        )


async def _hand_over(
    services: Services, dispatcher: CollectingDispatcher, tracker: Tracker, turn: Turn, *,
    action: str, reason: str, intent: str | None, priority: Priority,
    queued_text: texts.Texts | None,
) -> list[EventType]:
    """Open the handoff; tell the person what happened; the handoff slot holds the ticket."""
    lang: Lang = turn.lang
    try:
        ticket = await services.open_handoff(
            sender_id=str(tracker.sender_id), turn=turn, action=action, reason=reason,
            intent=intent, priority=priority,
        )
    except ApiUnavailable as exc:
        log.warning("handoff not queued: %s", exc.reason)
        dispatcher.utter_message(text=texts.say(texts.HANDOFF_FAILED, lang))
        return [SlotSet(HANDOFF_SLOT, None)]
    if queued_text is not None:
        dispatcher.utter_message(text=texts.say(queued_text, lang))
    return [SlotSet(HANDOFF_SLOT, ticket)]
