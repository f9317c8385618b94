"""Small hand-built packs for the engine tests, and helpers to drive the engine.

Kept in a ``test_engine*`` module so the engine's tests own all their data;
the one test here makes sure the main pack is content the validator accepts
(apart from the loops built on purpose into :func:`looping_flows`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flows.engine import Engine
from flows.outcome import (
    Action,
    ActionKind,
    ButtonInput,
    Command,
    CommandInput,
    ConversationState,
    Outcome,
    Position,
    TextInput,
    Understanding,
)
from flows.schema import REQUIRED_UI_KEYS, Lang, Pack
from flows.validate import validate_pack

AS_OF = dt.date(2025, 9, 30)
SOURCE_DATE = dt.date(2024, 7, 22)
TODAY = dt.date(2025, 10, 1)

Doc = dict[str, Any]


def t(text: str) -> dict[str, str]:
    """A text in the two languages of the test pack, told apart by a prefix."""
    return {"ru": f"ru:{text}", "en": f"en:{text}"}


def manifest() -> Doc:
    ui = {key: t(key) for key in REQUIRED_UI_KEYS}
    ui["as_of"] = {"ru": "Актуально на {date}.", "en": "As of {date}."}
    ui["sources"] = {"ru": "Источники: {sources}", "en": "Sources: {sources}"}
    return {
        "name": "engine-test",
        "languages": ["ru", "en"],
        "default_language": "ru",
        "fallback": {"be": ["ru"], "uk": ["ru"], "de": ["en"]},
        "ui": ui,
    }


def leave() -> Doc:
    """A choice leading to facts, a question feeding a condition, and a goto into another flow."""
    return {
        "id": "leave", "intents": ["leave_country"], "title": t("Leaving"), "menu_order": 1,
        "start": "intro",
        "steps": {
            "intro": {"type": "choice", "text": t("What do you want to know?"), "options": [
                {"label": t("Borders"), "next": "facts"},
                {"label": t("Where I am"), "next": "ask"},
                {"label": t("Summons"), "next": "to_summons"},
            ]},
            "facts": {
                "type": "message", "text": t("Finland closed its land border."),
                "factual": True, "as_of": AS_OF, "protect_content": True,
                "sources": [{"title": "Finnish Border Guard", "url": "https://raja.fi",
                             "date": SOURCE_DATE}, {"title": "DW"}],
                "next": "after",
            },
            "after": {"type": "message", "text": t("Anything else?")},
            "ask": {"type": "question", "text": t("Where are you?"), "slot": "country",
                    "next": "check"},
            "check": {"type": "condition", "slot": "country", "branches": [
                {"values": ["Georgia", "Грузия"], "next": "georgia"},
                {"values": ["armenia"], "next": "armenia"},
            ], "default": "elsewhere"},
            "georgia": {"type": "message", "text": t("Georgia: long visa-free stay.")},
            "armenia": {"type": "message", "text": t("Armenia: 180 days."), "next": "bye"},
            "elsewhere": {"type": "end", "text": t("Ask a person about your country.")},
            "bye": {"type": "end"},
            "to_summons": {"type": "goto", "flow": "summons", "step": "deadline"},
        },
    }


def summons() -> Doc:
    return {
        "id": "summons", "intents": ["summons"], "title": t("Summons"), "menu_order": 2,
        "start": "start",
        "steps": {
            "start": {"type": "message", "text": t("A summons..."), "next": "deadline"},
            "deadline": {"type": "choice", "text": t("Is there a deadline?"), "options": [
                {"label": t("Yes"), "next": "soon"}, {"label": t("No"), "next": "bye"},
            ]},
            "soon": {"type": "handoff", "priority": "high", "reason": "summons deadline"},
            "bye": {"type": "end", "text": t("Take care.")},
        },
    }


def human() -> Doc:
    return {
        "id": "talk_to_human", "intents": ["talk_to_human"], "title": t("A person"),
        "menu_order": 9, "start": "triage",
        "steps": {
            "triage": {"type": "choice", "text": t("I'll get a person. Urgent?"), "options": [
                {"label": t("Danger now"), "next": "to_urgent"},
                {"label": t("Something else"), "next": "queue"},
            ]},
            "to_urgent": {"type": "goto", "flow": "urgent"},
            "queue": {"type": "handoff", "reason": "asked for a person", "text": t("Queued.")},
        },
    }


def urgent() -> Doc:
    return {
        "id": "urgent", "intents": ["urgent_danger"], "title": t("Danger"), "menu_order": 8,
        "start": "safety",
        "steps": {
            "safety": {"type": "message", "text": t("Stay safe."), "protect_content": True,
                       "next": "queue"},
            "queue": {"type": "handoff", "priority": "urgent", "reason": "immediate danger",
                      "text": t("A person is on the way."), "protect_content": True},
        },
    }


def greet() -> Doc:
    return {
        "id": "greet", "intents": ["greet"], "title": t("Hello"), "start": "hello",
        "steps": {"hello": {"type": "message", "text": t("Hello!"), "next": "done"},
                  "done": {"type": "end"}},
    }


def chain(length: int = 6, then: Doc | None = None) -> Doc:
    """``length`` messages in a row, then a choice (or the step ``then``)."""
    steps: Doc = {
        f"m{i}": {"type": "message", "text": t(f"part {i}"), "next": f"m{i + 1}"}
        for i in range(1, length + 1)
    }
    steps[f"m{length + 1}"] = then or {"type": "choice", "text": t("Pick"), "options": [
        {"label": t("Done"), "next": "done"}]}
    steps["done"] = {"type": "end"}
    return {"id": "chain", "intents": ["out_of_scope"], "title": t("Chain"), "menu_order": 5,
            "start": "m1", "steps": steps}


def looping_flows() -> list[Doc]:
    """Two flows jumping to each other for ever, and a condition that returns to itself."""
    return [
        {"id": "loop_a", "intents": ["privacy"], "title": t("Loop A"), "start": "say",
         "steps": {"say": {"type": "message", "text": t("loop a"), "next": "jump"},
                   "jump": {"type": "goto", "flow": "loop_b"}}},
        {"id": "loop_b", "title": t("Loop B"), "start": "jump",
         "steps": {"jump": {"type": "goto", "flow": "loop_a", "step": "jump"}}},
        {"id": "spin", "intents": ["goodbye_thanks"], "title": t("Spin"), "start": "check",
         "steps": {"check": {"type": "condition", "slot": "never", "branches": [
             {"values": ["x"], "next": "out"}], "default": "check"},
             "out": {"type": "end"}}},
    ]


def flow_docs() -> list[Doc]:
    return [leave(), summons(), human(), urgent(), greet(), chain()]


def pack(*flows: Doc, man: Doc | None = None) -> Pack:
    docs = list(flows) if flows else flow_docs()
    return Pack.model_validate({"manifest": man or manifest(), "flows": docs})


def engine(*flows: Doc) -> Engine:
    return Engine(pack(*flows))


def state(flow: str | None = None, step: str | None = None, **kw: Any) -> ConversationState:
    position = Position(flow=flow, step=step) if flow is not None and step is not None else None
    kw.setdefault("lang", Lang.en)
    return ConversationState(position=position, **kw)


def cmd(command: Command) -> CommandInput:
    return CommandInput(command=command)


def press(kind: ActionKind, flow: str | None = None, step: str | None = None,
          index: int | None = None) -> ButtonInput:
    return ButtonInput(action=Action(kind=kind, flow=flow, step=step, index=index))


def say(text: str, intent: str | None = None, *, uncertain: bool = False,
        alternatives: list[tuple[str, float]] | None = None) -> TextInput:
    if intent is None:
        return TextInput(text=text)
    understood = Understanding(intent=intent, confidence=0.4 if uncertain else 0.9,
                               uncertain=uncertain, alternatives=alternatives or [])
    return TextInput(text=text, understanding=understood)


def texts(outcome: Outcome) -> list[str]:
    return [r.text for r in outcome.replies]


def labels(outcome: Outcome) -> list[str]:
    return [b.label for b in outcome.replies[-1].buttons]


def actions(outcome: Outcome) -> list[Action]:
    return [b.action for b in outcome.replies[-1].buttons]


def test_the_main_test_pack_is_valid_content() -> None:
    man = manifest()
    docs = [(f"{d['id']}.yaml", d) for d in flow_docs()]
    assert validate_pack(man, docs, today=TODAY) == []
