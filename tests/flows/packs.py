"""Small packs for the flow tests: one valid pack, built fresh for each test to mutate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

from flows.schema import REQUIRED_UI_KEYS

TODAY = dt.date(2025, 10, 1)
AS_OF = dt.date(2025, 9, 30)


def t(text: str) -> dict[str, str]:
    """A text in both languages of the test pack."""
    return {"ru": f"{text} (ru)", "en": text}


def manifest() -> dict[str, Any]:
    ui = {key: t(key) for key in REQUIRED_UI_KEYS}
    ui["as_of"] = {"ru": "Актуально на {date}.", "en": "As of {date}."}
    ui["sources"] = {"ru": "Источники: {sources}", "en": "Sources: {sources}"}
    return {
        "schema_version": 1,
        "name": "test-pack",
        "languages": ["ru", "en"],
        "default_language": "ru",
        "fallback": {"de": ["en"]},
        "ui": ui,
    }


def leave_flow() -> dict[str, Any]:
    """Every step type, a factual answer, a question feeding a condition, a goto."""
    return {
        "id": "leave",
        "intents": ["leave_country"],
        "title": t("Leaving"),
        "menu_order": 1,
        "start": "intro",
        "steps": {
            "intro": {
                "type": "choice",
                "text": t("What do you want to know?"),
                "options": [
                    {"label": t("Borders"), "next": "facts"},
                    {"label": t("A person"), "next": "human"},
                    {"label": t("Summons"), "next": "more"},
                ],
            },
            "facts": {
                "type": "message",
                "text": t("Finland closed its land border."),
                "factual": True,
                "as_of": AS_OF,
                "sources": [{"title": "Finnish Border Guard", "url": "https://raja.fi"}],
                "next": "ask",
            },
            "ask": {"type": "question", "text": t("Where are you?"), "slot": "country",
                    "next": "check"},
            "check": {
                "type": "condition",
                "slot": "country",
                "branches": [{"values": ["georgia"], "next": "georgia"}],
                "default": "done",
            },
            "georgia": {"type": "message", "text": t("Georgia: long visa-free stay.")},
            "human": {"type": "handoff", "priority": "high", "reason": "asked for a person"},
            "more": {"type": "goto", "flow": "summons", "step": "start"},
            "done": {"type": "end", "text": t("Take care.")},
        },
    }


def summons_flow() -> dict[str, Any]:
    return {
        "id": "summons",
        "intents": ["summons"],
        "title": t("Summons"),
        "start": "start",
        "steps": {
            "start": {"type": "message", "text": t("A summons..."), "next": "bye"},
            "bye": {"type": "end"},
        },
    }


def flows() -> list[tuple[str, dict[str, Any]]]:
    return [("leave.yaml", leave_flow()), ("summons.yaml", summons_flow())]


def write(root: Path, name: str, doc: Any) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def write_pack(root: Path, man: Any = None, docs: list[tuple[str, Any]] | None = None) -> Path:
    write(root, "pack.yaml", manifest() if man is None else man)
    for name, doc in flows() if docs is None else docs:
        write(root, name, doc)
    return root
