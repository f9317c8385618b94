"""Validation finds every kind of problem, at a pointer an admin can act on, all at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from flows.problems import Problem, format_problems
from flows.schema import BUTTON_LABEL_LIMIT, TELEGRAM_TEXT_LIMIT, Flow, PackManifest
from flows.validate import validate_flow, validate_pack
from tests.flows import packs

Docs = dict[str, Any]
Mutation = Callable[[Docs, Docs], None]


def run(mutate: Mutation | None = None, **kwargs: Any) -> list[Problem]:
    """Validate the test pack after ``mutate(manifest, {file: flow})``."""
    man = packs.manifest()
    docs = dict(packs.flows())
    if mutate is not None:
        mutate(man, docs)
    kwargs.setdefault("today", packs.TODAY)
    return validate_pack(man, list(docs.items()), **kwargs)


def found(problems: list[Problem]) -> set[tuple[str, str, str]]:
    return {(p.severity, p.code, p.location) for p in problems}


def leave(docs: Docs) -> Docs:
    return docs["leave.yaml"]["steps"]


def test_the_valid_pack_has_no_problems() -> None:
    assert run() == []


def test_a_pack_of_models_is_accepted_too() -> None:
    man = PackManifest.model_validate(packs.manifest())
    flows = [(name, Flow.model_validate(doc)) for name, doc in packs.flows()]
    assert validate_pack(man, flows, today=packs.TODAY) == []


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets ``value`` at a /-separated path in the leave flow."""
    def mutate(_man: Docs, docs: Docs) -> None:
        *parents, last = path.split("/")
        node: Any = docs["leave.yaml"]
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[int(last) if isinstance(node, list) else last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


_DELETE = object()
LONG_LABEL = "x" * (BUTTON_LABEL_LIMIT + 1)

CASES: list[tuple[str, Mutation, str, str, str]] = [
    # schema errors, at the pointer of the value as written (no pydantic union tags)
    ("wrong type", _set("steps/intro/text/en", 5), "error", "schema.string_type",
     "leave.yaml#/steps/intro/text/en"),
    ("wrong type of step", _set("steps/georgia", ["a", "list"]), "error",
     "schema.model_attributes_type", "leave.yaml#/steps/georgia"),
    ("missing field", _set("steps/ask/next", _DELETE), "error", "schema.missing",
     "leave.yaml#/steps/ask/next"),
    ("extra field", _set("steps/facts/colour", "red"), "error", "schema.extra_forbidden",
     "leave.yaml#/steps/facts/colour"),
    ("field named like the step type", _set("steps/facts/message", "x"), "error",
     "schema.extra_forbidden", "leave.yaml#/steps/facts/message"),
    ("unknown language", _set("title/xx", "?"), "error", "schema.enum", "leave.yaml#/title/xx"),
    ("unknown step type", _set("steps/georgia/type", "video"), "error",
     "schema.union_tag_invalid", "leave.yaml#/steps/georgia"),
    ("bad step id", _set("steps/Bad Id", {"type": "end"}), "error",
     "schema.string_pattern_mismatch", "leave.yaml#/steps/Bad Id"),
    ("bad date", _set("steps/facts/as_of", "2025-13-01"), "error",
     "schema.date_from_datetime_parsing", "leave.yaml#/steps/facts/as_of"),
    # targets
    ("start is not a step", _set("start", "nowhere"), "error", "step.unknown_target",
     "leave.yaml#/start"),
    ("next is not a step", _set("steps/facts/next", "nowhere"), "error", "step.unknown_target",
     "leave.yaml#/steps/facts/next"),
    ("option target", _set("steps/intro/options/1/next", "nowhere"), "error",
     "step.unknown_target", "leave.yaml#/steps/intro/options/1/next"),
    ("branch target", _set("steps/check/branches/0/next", "nowhere"), "error",
     "step.unknown_target", "leave.yaml#/steps/check/branches/0/next"),
    ("default target", _set("steps/check/default", "nowhere"), "error", "step.unknown_target",
     "leave.yaml#/steps/check/default"),
    ("goto unknown flow", _set("steps/more/flow", "nowhere"), "error", "goto.unknown_flow",
     "leave.yaml#/steps/more/flow"),
    ("goto unknown step", _set("steps/more/step", "nowhere"), "error", "goto.unknown_step",
     "leave.yaml#/steps/more/step"),
    # graph
    ("unreachable step", _set("steps/orphan", {"type": "end"}), "error", "step.unreachable",
     "leave.yaml#/steps/orphan"),
    # translations and lengths
    ("missing text translation", _set("steps/intro/text/en", _DELETE), "error",
     "text.missing_translation", "leave.yaml#/steps/intro/text/en"),
    ("missing label translation", _set("steps/intro/options/0/label/ru", _DELETE), "error",
     "label.missing_translation", "leave.yaml#/steps/intro/options/0/label/ru"),
    ("missing title translation", _set("title/ru", _DELETE), "error",
     "label.missing_translation", "leave.yaml#/title/ru"),
    ("blank text", _set("steps/done/text/ru", " \n\t"), "error", "text.empty",
     "leave.yaml#/steps/done/text/ru"),
    ("blank label", _set("steps/intro/options/2/label/en", ""), "error", "label.empty",
     "leave.yaml#/steps/intro/options/2/label/en"),
    ("huge text", _set("steps/georgia/text/en", "x" * 100_000), "error", "text.too_long",
     "leave.yaml#/steps/georgia/text/en"),
    ("long label", _set("steps/intro/options/0/label/en", LONG_LABEL), "error",
     "label.too_long", "leave.yaml#/steps/intro/options/0/label/en"),
    ("long title", _set("title/en", LONG_LABEL), "error", "label.too_long",
     "leave.yaml#/title/en"),
    # honesty
    ("factual without as_of", _set("steps/facts/as_of", _DELETE), "error",
     "factual.missing_as_of", "leave.yaml#/steps/facts/as_of"),
    ("factual without sources", _set("steps/facts/sources", []), "error",
     "factual.missing_sources", "leave.yaml#/steps/facts/sources"),
    ("as_of without sources", _set("steps/georgia/as_of", packs.AS_OF), "error",
     "step.as_of_without_sources", "leave.yaml#/steps/georgia/sources"),
    ("sources without as_of", _set("steps/georgia/sources", [{"title": "RFE/RL"}]), "error",
     "step.sources_without_as_of", "leave.yaml#/steps/georgia/as_of"),
    ("as_of in the future", _set("steps/facts/as_of", dt.date(2025, 10, 2)), "error",
     "as_of.future", "leave.yaml#/steps/facts/as_of"),
    ("stale as_of", _set("steps/facts/as_of", dt.date(2025, 4, 3)), "warning", "as_of.stale",
     "leave.yaml#/steps/facts/as_of"),
    ("source from the future", _set("steps/facts/sources/0/date", dt.date(2026, 1, 1)),
     "error", "source.date_future", "leave.yaml#/steps/facts/sources/0/date"),
    ("source link", _set("steps/facts/sources/0/url", "javascript:alert(1)"), "error",
     "source.url_scheme", "leave.yaml#/steps/facts/sources/0/url"),
    # conditions and intents
    ("condition slot never set", _set("steps/check/slot", "age"), "warning",
     "condition.slot_never_set", "leave.yaml#/steps/check/slot"),
    ("intent twice in a flow", _set("intents", ["leave_country", "leave_country"]), "warning",
     "intent.repeated", "leave.yaml#/intents/1"),
]


@pytest.mark.parametrize(
    ("mutate", "severity", "code", "location"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_kind_of_problem_is_found_where_it_is(
    mutate: Mutation, severity: str, code: str, location: str
) -> None:
    problems = run(mutate)
    assert (severity, code, location) in found(problems), format_problems(problems)


def test_a_loop_without_exit_is_reported_for_each_step_of_it() -> None:
    def mutate(_man: Docs, docs: Docs) -> None:
        steps = leave(docs)
        steps["intro"]["options"].append({"label": packs.t("Loop"), "next": "a"})
        steps["a"] = {"type": "message", "text": packs.t("a"), "next": "b"}
        steps["b"] = {"type": "choice", "text": packs.t("b"),
                      "options": [{"label": packs.t("again"), "next": "a"}]}

    problems = run(mutate)
    assert {(p.code, p.path) for p in problems} == {
        ("step.no_exit", "/steps/a"), ("step.no_exit", "/steps/b")
    }


def test_a_loop_with_one_way_out_is_fine() -> None:
    def mutate(_man: Docs, docs: Docs) -> None:
        steps = leave(docs)
        steps["intro"]["options"].append({"label": packs.t("Loop"), "next": "a"})
        steps["a"] = {"type": "message", "text": packs.t("a"), "next": "b"}
        steps["b"] = {"type": "choice", "text": packs.t("b"), "options": [
            {"label": packs.t("again"), "next": "a"}, {"label": packs.t("out"), "next": "done"}
        ]}

    assert run(mutate) == []


def test_a_factual_text_that_fits_alone_can_overflow_with_its_footer() -> None:
    footer_free = _set("steps/georgia/text/en", "x" * TELEGRAM_TEXT_LIMIT)
    assert run(footer_free) == []
    problems = run(_set("steps/facts/text/en", "x" * (TELEGRAM_TEXT_LIMIT - 50)))
    assert [(p.code, p.path) for p in problems] == [("text.too_long", "/steps/facts/text/en")]
    assert "footer" in problems[0].message


def test_length_counts_utf16_units_like_telegram() -> None:
    emoji = "🙂" * (BUTTON_LABEL_LIMIT // 2)
    assert run(_set("steps/intro/options/0/label/en", emoji)) == []
    problems = run(_set("steps/intro/options/0/label/en", emoji + "x"))
    assert [p.code for p in problems] == ["label.too_long"]


def test_age_limit_is_inclusive_and_configurable() -> None:
    day = _set("steps/facts/as_of", packs.TODAY - dt.timedelta(days=180))
    assert run(day) == []
    assert [p.code for p in run(day, max_age_days=179)] == ["as_of.stale"]
    assert run(_set("steps/facts/as_of", packs.TODAY)) == []


def test_manifest_problems() -> None:
    def mutate(man: Docs, _docs: Docs) -> None:
        del man["ui"]["which_one"]
        del man["ui"]["back"]["en"]
        man["ui"]["main_menu"]["en"] = LONG_LABEL
        man["ui"]["as_of"] = {"ru": "Актуально.", "en": "As of {day}: {date}"}
        man["ui"]["sources"] = {"ru": "Источники: {sources", "en": "Sources:"}

    assert found(run(mutate)) == {
        ("error", "ui.missing_key", "pack.yaml#/ui/which_one"),
        ("error", "label.missing_translation", "pack.yaml#/ui/back/en"),
        ("error", "label.too_long", "pack.yaml#/ui/main_menu/en"),
        ("error", "ui.placeholder_missing", "pack.yaml#/ui/as_of/ru"),
        ("error", "ui.placeholder_unknown", "pack.yaml#/ui/as_of/en"),
        ("error", "ui.placeholder_syntax", "pack.yaml#/ui/sources/ru"),
        ("error", "ui.placeholder_missing", "pack.yaml#/ui/sources/en"),
    }


def test_default_language_must_be_required() -> None:
    def mutate(man: Docs, _docs: Docs) -> None:
        man["default_language"] = "de"

    assert ("error", "manifest.default_language", "pack.yaml#/default_language") in found(
        run(mutate)
    )


def test_pack_level_clashes() -> None:
    def mutate(_man: Docs, docs: Docs) -> None:
        copy = packs.summons_flow()
        copy["menu_order"] = 1
        docs["copy.yaml"] = copy
        docs["pack2.yaml"] = {**packs.summons_flow(), "id": "pack", "intents": ["leave_country"]}

    assert found(run(mutate)) >= {
        ("error", "flow.duplicate_id", "summons.yaml#/id"),
        ("error", "flow.duplicate_id", "copy.yaml#/id"),
        ("warning", "file.name_mismatch", "copy.yaml#/id"),
        ("error", "intent.duplicate", "summons.yaml#/intents/0"),
        ("error", "intent.duplicate", "copy.yaml#/intents/0"),
        ("error", "intent.duplicate", "leave.yaml#/intents/0"),
        ("error", "intent.duplicate", "pack2.yaml#/intents/0"),
        ("error", "flow.reserved_id", "pack2.yaml#/id"),
        ("warning", "menu.duplicate_order", "leave.yaml#/menu_order"),
        ("warning", "menu.duplicate_order", "copy.yaml#/menu_order"),
    }


def test_unknown_intents_only_when_a_list_is_given() -> None:
    assert run(known_intents=None) == []
    problems = run(known_intents={"summons"})
    assert found(problems) == {("error", "intent.unknown", "leave.yaml#/intents/0")}


def test_every_problem_is_reported_at_once() -> None:
    def mutate(man: Docs, docs: Docs) -> None:
        del man["ui"]["disclaimer"]
        steps = leave(docs)
        steps["intro"]["text"]["en"] = 7  # schema error in one step ...
        steps["facts"]["text"]["en"] = ""  # ... does not hide the others
        del steps["facts"]["as_of"]
        steps["ask"]["next"] = "nowhere"
        steps["more"]["flow"] = "nowhere"
        steps["check"]["slot"] = "age"
        steps["georgia"]["text"]["ru"] = "y" * 5000
        docs["summons.yaml"]["start"] = "nowhere"
        del docs["summons.yaml"]["title"]["ru"]

    codes = {p.code for p in run(mutate)}
    assert codes >= {
        "ui.missing_key", "schema.string_type", "text.empty", "factual.missing_as_of",
        "step.unknown_target", "goto.unknown_flow", "condition.slot_never_set",
        "text.too_long", "label.missing_translation",
    }


def test_a_broken_step_does_not_make_others_look_unreachable() -> None:
    problems = run(_set("steps/intro/options", "not a list"))
    assert {p.code for p in problems} == {"schema.list_type"}


def test_a_broken_manifest_still_lets_flows_be_checked() -> None:
    def mutate(man: Docs, docs: Docs) -> None:
        man["languages"] = ["ru", "en", "klingon"]
        del leave(docs)["done"]["text"]["en"]

    assert found(run(mutate)) == {
        ("error", "schema.enum", "pack.yaml#/languages/2"),
        ("error", "text.missing_translation", "leave.yaml#/steps/done/text/en"),
    }


def test_no_manifest_skips_language_checks() -> None:
    docs = dict(packs.flows())
    del docs["leave.yaml"]["steps"]["done"]["text"]["en"]
    assert validate_pack(None, list(docs.items()), today=packs.TODAY) == []


def test_documents_of_the_wrong_shape() -> None:
    not_a_manifest: Any = ["not", "a", "manifest"]
    problems = validate_pack(not_a_manifest, [("a.yaml", "text"), ("b.yaml", None)],
                             today=packs.TODAY)
    assert found(problems) == {
        ("error", "schema.model_type", "pack.yaml#"),
        ("error", "schema.model_type", "a.yaml#"),
        ("error", "schema.model_type", "b.yaml#"),
    }


# --- one flow, as the API checks it when an admin saves -------------------------------


def _check_one(flow: Any, **kwargs: Any) -> list[Problem]:
    kwargs.setdefault("known_flow_ids", {"summons": ["start", "bye"]})
    return validate_flow(flow, packs.manifest(), today=packs.TODAY, **kwargs)


def test_validate_flow_accepts_a_valid_flow_as_dict_or_model() -> None:
    assert _check_one(packs.leave_flow()) == []
    assert _check_one(Flow.model_validate(packs.leave_flow())) == []


def test_validate_flow_reports_relative_pointers() -> None:
    flow = packs.leave_flow()
    flow["steps"]["more"]["step"] = "nowhere"
    del flow["steps"]["intro"]["text"]["en"]
    problems = _check_one(flow)
    assert {(p.code, p.location) for p in problems} == {
        ("goto.unknown_step", "/steps/more/step"),
        ("text.missing_translation", "/steps/intro/text/en"),
    }
    assert all(p.file == "" for p in problems)


def test_validate_flow_with_only_flow_ids_checks_the_flow_not_the_step() -> None:
    flow = packs.leave_flow()
    flow["steps"]["more"]["step"] = "nowhere"
    assert _check_one(flow, known_flow_ids={"summons"}) == []
    assert [p.code for p in _check_one(flow, known_flow_ids=set())] == ["goto.unknown_flow"]


def test_validate_flow_checks_intents_claimed_elsewhere() -> None:
    owners = {"leave_country": "other", "summons": "summons"}
    problems = _check_one(packs.leave_flow(), intent_owners=owners)
    assert [(p.code, p.path) for p in problems] == [("intent.duplicate", "/intents/0")]
    assert _check_one(packs.leave_flow(), intent_owners={"leave_country": "leave"}) == []


@pytest.mark.parametrize("body", [None, "flow", 42, [], {"id": 5}])
def test_validate_flow_survives_any_body(body: Any) -> None:
    problems = _check_one(body)
    assert problems and all(p.code.startswith("schema.") for p in problems)


def test_format_problems_is_readable() -> None:
    assert format_problems([]) == "No problems found."
    text = format_problems(run(_set("steps/facts/as_of", dt.date(2025, 1, 1))))
    assert "WARNING leave.yaml#/steps/facts/as_of  [as_of.stale]" in text
    assert text.endswith("0 errors, 1 warning")


def test_a_broken_ui_string_is_reported_once() -> None:
    def mutate(man: Docs, _docs: Docs) -> None:
        man["ui"]["back"] = "◀️"

    assert found(run(mutate)) == {("error", "schema.dict_type", "pack.yaml#/ui/back")}


def test_unreadable_steps_are_reported_once() -> None:
    problems = run(lambda _man, docs: docs["summons.yaml"].update(steps="start: here"))
    assert found(problems) == {("error", "schema.dict_type", "summons.yaml#/steps")}
