"""The web chat's JSON frames for bot messages, shared by the WebSocket and the relay.

Kept apart from bot/webchat.py so the relay and the queue notifier (which
publish to an open tab through Redis) need not import the web application.
"""

from __future__ import annotations

from typing import Any

from bot.dialogue import BotButton, Message
from bot.refs import Refs


def button_data(button: BotButton) -> str:
    if button.action is not None:
        k, f, s, i = Refs.compact(button.action)
        return f"a:{k}:{f}:{s}:{'' if i is None else i}"
    if button.lang is not None:
        return f"l:{button.lang.value}"
    if button.data is not None:
        return button.data
    if button.handoff is not None:
        return f"h:{button.handoff}"
    return f"x:{int(bool(button.forget))}"


def frame(message: Message) -> dict[str, Any]:
    return {"type": "message", "text": message.text, "protect": message.protect,
            "buttons": [{"label": b.label, "data": button_data(b)} for b in message.buttons]}


def advisor_frame(message: Message, kind: str) -> dict[str, Any]:
    """A message from the advisor side (or about the queue), pushed to the tab unasked: the
    page shows it like any other; ``from`` lets it style it (never an advisor's name)."""
    return {**frame(message), "from": "service", "kind": kind}
