"""A small pack in all five languages for the bot tests: every text names its flow and step.

Texts read ``[flow/step lang]`` so a test asserts where a message came from
without depending on the wording of the real content. Ids are long on
purpose: callback data must stay within Telegram's 64 bytes anyway.
"""

from __future__ import annotations

from typing import Any

from flows.schema import REQUIRED_UI_KEYS, Pack

LANGS = ("ru", "uk", "be", "en", "de")
#: 64 characters, the longest id the schema allows.
LONG_FLOW = "leave_country_routes_documents_and_borders_for_people_without_x"
LONG_STEP = "choose_the_route_that_fits_your_documents_and_the_border_nearby"


def t(marker: str) -> dict[str, str]:
    return {lang: f"[{marker} {lang}]" for lang in LANGS}


def message(flow: str, step: str, nxt: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"type": "message", "text": t(f"{flow}/{step}")}
    if nxt:
        doc["next"] = nxt
    return doc


def flow(fid: str, intents: list[str], steps: dict[str, Any], start: str,
         menu: int | None = None, title: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": fid, "intents": intents, "title": t(f"t {title or fid}"),
                           "start": start, "steps": steps}
    if menu is not None:
        doc["menu_order"] = menu
    return doc


def pack_doc() -> dict[str, Any]:
    ui = {key: t(f"ui {key}") for key in REQUIRED_UI_KEYS}
    ui["as_of"] = {lang: "as of {date}" for lang in LANGS}
    ui["sources"] = {lang: "sources: {sources}" for lang in LANGS}
    ui["next"] = t("ui next")
    leave = flow(LONG_FLOW, ["leave_country"], {
        LONG_STEP: {"type": "choice", "text": t("leave/choose"), "options": [
            {"label": t("opt borders"), "next": "borders"},
            {"label": t("opt passport"), "next": "passport"},
        ]},
        "borders": {**message("leave", "borders"), "factual": True, "as_of": "2025-09-30",
                    "sources": [{"title": "Border Guard", "url": "https://example.org"}]},
        "passport": message("leave", "passport"),
    }, LONG_STEP, menu=1, title="leave")
    return {
        "manifest": {"schema_version": 1, "name": "bot-test", "languages": list(LANGS),
                     "default_language": "ru", "ui": ui, "needs_review": True},
        "flows": [
            flow("greet", ["greet"], {"hello": message("greet", "hello")}, "hello"),
            leave,
            flow("summons", ["summons"], {"start": message("summons", "start")}, "start",
                 menu=2),
            flow("protection", ["protection_status"],
                 {"start": message("protection", "start")}, "start", menu=3),
            flow("privacy", ["privacy"], {"start": message("privacy", "start")}, "start",
                 menu=4),
            flow("change_language", ["change_language"],
                 {"choose": message("change_language", "choose")}, "choose"),
            flow("talk_to_human", ["talk_to_human"], {
                "triage": {"type": "choice", "text": t("human/triage"), "options": [
                    {"label": t("opt danger"), "next": "urgent"},
                    {"label": t("opt other"), "next": "normal"},
                ]},
                "urgent": {"type": "handoff", "priority": "urgent", "reason": "danger",
                           "text": t("human/urgent")},
                "normal": {"type": "handoff", "priority": "normal", "reason": "asked",
                           "text": t("human/normal")},
            }, "triage", menu=9),
            flow("urgent_danger", ["urgent_danger"], {
                "safety": message("urgent", "safety", "queue"),
                "queue": {"type": "handoff", "priority": "urgent", "reason": "danger now"},
            }, "safety"),
            flow("out_of_scope", ["out_of_scope"], {"note": message("scope", "note")}, "note"),
            flow("goodbye", ["goodbye_thanks"], {"bye": message("goodbye", "bye")}, "bye"),
        ],
    }


def make_pack(marker: str = "") -> Pack:
    """The pack; ``marker`` is appended to the greeting, to tell two versions apart."""
    doc = pack_doc()
    if marker:
        doc["flows"][0]["steps"]["hello"]["text"] = t(f"greet/hello {marker}")
    return Pack.model_validate(doc)


#: The flows the main menu lists, in ``menu_order``.
MENU_TITLES = ("leave", "summons", "protection", "privacy", "talk_to_human")


def menu_labels(lang: str, *, back: bool = False) -> list[str]:
    """The labels of the main menu's buttons in ``lang`` (and "back" when there is history)."""
    return [f"[t {title} {lang}]" for title in MENU_TITLES] + ([f"[ui back {lang}]"] if back
                                                                else [])


def after(first: str, lang: str) -> str:
    """``first`` as one bubble with the menu prompt that follows it (bot.dialogue.coalesce)."""
    return f"{first}\n\n[ui menu_prompt {lang}]"
