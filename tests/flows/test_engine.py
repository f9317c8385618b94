"""The engine walks flows: every step type, the factual footer, the reply cap, gotos, languages."""

from __future__ import annotations

from flows.engine import Engine
from flows.outcome import Action, ActionKind, Command, ConversationState, Input, Position
from flows.render import format_date, split_text
from flows.schema import TELEGRAM_TEXT_LIMIT, Lang, Priority
from flows.texts import text_length
from flows.walk import MAX_REPLIES
from tests.flows.test_engine_packs import (
    AS_OF,
    SOURCE_DATE,
    actions,
    chain,
    cmd,
    engine,
    greet,
    labels,
    leave,
    looping_flows,
    press,
    say,
    state,
    summons,
    t,
    texts,
)

MENU = ["en:Leaving", "en:Summons", "en:Chain", "en:Danger", "en:A person"]


def test_start_greets_then_shows_the_menu_in_menu_order() -> None:
    out = engine().handle(state(), cmd(Command.start))
    assert texts(out) == ["en:Hello!", "en:menu_prompt"]
    assert labels(out) == MENU
    assert actions(out)[0] == Action(kind=ActionKind.flow, flow="leave")
    assert out.state.position is None and not out.misunderstood and out.handoff is None


def test_start_without_a_greet_flow_shows_only_the_menu_and_forgets_the_past() -> None:
    old = state("leave", "intro", slots={"country": "x"},
                history=[Position(flow="summons", step="deadline")], lang=Lang.de)
    out = engine(leave(), summons()).handle(old, cmd(Command.start))
    assert texts(out) == ["en:menu_prompt"]
    assert out.state == ConversationState(lang=Lang.de)


def test_a_choice_shows_its_options_pinned_to_the_step_and_the_navigation() -> None:
    out = engine().handle(state(), press(ActionKind.flow, "leave"))
    assert texts(out) == ["en:What do you want to know?"]
    assert labels(out) == ["en:Borders", "en:Where I am", "en:Summons", "en:main_menu",
                           "en:talk_to_human"]
    assert actions(out)[1] == Action(kind=ActionKind.option, flow="leave", step="intro", index=1)
    assert actions(out)[-2:] == [Action(kind=ActionKind.menu), Action(kind=ActionKind.human)]
    assert out.state.position == Position(flow="leave", step="intro")
    assert out.state.history == []


def test_a_factual_answer_has_its_date_sources_disclaimer_and_a_person() -> None:
    out = engine().handle(state("leave", "intro"), press(ActionKind.option, "leave", "intro", 0))
    fact, more, menu = out.replies
    assert fact.text == (
        "en:Finland closed its land border.\n\n"
        "As of 2025-09-30.\n"
        "Sources: Finnish Border Guard, 2024-07-22 https://raja.fi; DW\n"
        "en:disclaimer"
    )
    assert fact.protect_content and not more.protect_content
    assert [b.action.kind for b in fact.buttons] == [ActionKind.human]
    assert more.text == "en:Anything else?" and more.buttons == []
    assert menu.text == "en:menu_prompt"
    assert menu.buttons[-1].action == Action(kind=ActionKind.back)
    assert out.state.position is None
    assert out.state.history == [Position(flow="leave", step="intro")]


def test_dates_are_written_as_each_language_writes_them() -> None:
    out = engine().handle(state("leave", "intro", lang=Lang.ru),
                          press(ActionKind.option, "leave", "intro", 0))
    assert "Актуально на 30.09.2025." in out.replies[0].text
    assert "Finnish Border Guard, 22.07.2024" in out.replies[0].text
    assert format_date(AS_OF, Lang.de) == "30.09.2025"
    assert format_date(SOURCE_DATE, Lang.en) == "2024-07-22"
    assert {len(format_date(AS_OF, lang)) for lang in Lang} == {len(AS_OF.isoformat())}


def test_a_question_stores_the_trimmed_answer_and_the_condition_branches_on_it() -> None:
    eng = engine()
    asked = eng.handle(state("leave", "intro"), press(ActionKind.option, "leave", "intro", 1))
    assert texts(asked) == ["en:Where are you?"]
    assert labels(asked) == ["en:back", "en:main_menu", "en:talk_to_human"]
    assert asked.state.position == Position(flow="leave", step="ask")
    out = eng.handle(asked.state, say("   gEoRgIa \n"))
    assert out.state.slots == {"country": "gEoRgIa"}
    assert texts(out)[0] == "en:Georgia: long visa-free stay."
    assert out.state.history == [Position(flow="leave", step="intro"),
                                 Position(flow="leave", step="ask")]
    assert texts(eng.handle(asked.state, say("грузия")))[0] == "en:Georgia: long visa-free stay."
    assert texts(eng.handle(asked.state, say("ARMENIA")))[0] == "en:Armenia: 180 days."
    assert texts(eng.handle(asked.state, say("Georgia, Tbilisi")))[0] == \
        "en:Ask a person about your country."


def test_an_answer_is_capped_and_a_blank_one_asks_again() -> None:
    eng = engine()
    at_question = state("leave", "ask")
    out = eng.handle(at_question, say("y" * 3000))
    assert out.state.slots["country"] == "y" * 200
    spaced = eng.handle(at_question, say("x  \n " * 3000))
    assert spaced.state.slots["country"] == " ".join(["x"] * 100)
    again = eng.handle(at_question, say(" \n\t "))
    assert again.misunderstood and again.state == at_question
    assert texts(again) == ["en:Where are you?"]


def test_a_question_takes_any_text_but_immediate_danger_interrupts_it() -> None:
    eng = engine()
    out = eng.handle(state("leave", "ask"), say("how do I leave", "leave_country"))
    assert out.state.slots == {"country": "how do I leave"} and out.intent is None
    danger = eng.handle(state("leave", "ask"), say("they are at my door", "urgent_danger"))
    assert danger.handoff is not None and danger.handoff.priority is Priority.urgent
    assert danger.intent == "urgent_danger"


def test_goto_continues_in_another_flow_at_the_named_step_or_its_start() -> None:
    eng = engine()
    out = eng.handle(state("leave", "intro"), press(ActionKind.option, "leave", "intro", 2))
    assert texts(out) == ["en:Is there a deadline?"]
    assert out.state.position == Position(flow="summons", step="deadline")
    triage = eng.handle(state(), press(ActionKind.flow, "talk_to_human"))
    danger = eng.handle(triage.state,
                        press(ActionKind.option, "talk_to_human", "triage", 0))
    assert texts(danger) == ["en:Stay safe.", "en:A person is on the way."]
    assert danger.handoff is not None
    assert (danger.handoff.priority, danger.handoff.flow, danger.handoff.intent) == \
        (Priority.urgent, "urgent", "urgent_danger")


def test_goto_and_condition_loops_end_at_the_menu_instead_of_hanging() -> None:
    eng = engine(*looping_flows())
    out = eng.handle(state(), press(ActionKind.flow, "loop_a"))
    assert texts(out) == ["en:loop a", "en:menu_prompt"]
    assert out.state.position is None
    spun = eng.handle(state(), say("bye", "goodbye_thanks"))
    assert texts(spun) == ["en:menu_prompt"] and spun.intent == "goodbye_thanks"
    dangling = engine({**summons(), "steps": {**summons()["steps"],
                       "start": {"type": "goto", "flow": "nowhere"}}})
    assert texts(dangling.handle(state(), press(ActionKind.flow, "summons"))) == \
        ["en:menu_prompt"]


def test_a_long_chain_stops_with_a_next_button_and_continues_from_there() -> None:
    eng = engine(chain(6))
    out = eng.handle(state(), press(ActionKind.flow, "chain"))
    assert texts(out) == [f"en:part {i}" for i in range(1, MAX_REPLIES + 1)]
    assert actions(out) == [Action(kind=ActionKind.next, flow="chain", step="m5")]
    assert labels(out) == ["▶️"]
    assert out.state.position == Position(flow="chain", step="m5")
    rest = eng.handle(out.state, press(ActionKind.next, "chain", "m5"))
    assert texts(rest) == ["en:part 5", "en:part 6", "en:Pick"]
    assert rest.state.position == Position(flow="chain", step="m7")
    assert rest.state.history == []
    stale = eng.handle(rest.state, press(ActionKind.next, "chain", "m5"))
    assert stale.misunderstood and stale.state == rest.state


def test_the_reply_cap_never_delays_a_handoff() -> None:
    handoff = {"type": "handoff", "priority": "urgent", "reason": "r", "text": t("Queued")}
    out = engine(chain(6, then=handoff)).handle(state(), press(ActionKind.flow, "chain"))
    assert texts(out) == [f"en:part {i}" for i in range(1, 7)] + ["en:Queued"]
    assert out.handoff is not None and out.handoff.intent == "out_of_scope"
    ending = {"type": "end", "text": t("Bye")}
    ended = engine(chain(6, then=ending)).handle(state(), press(ActionKind.flow, "chain"))
    assert texts(ended) == [f"en:part {i}" for i in range(1, 5)]
    assert actions(ended) == [Action(kind=ActionKind.next, flow="chain", step="m5")]
    rest = engine(chain(6, then=ending)).handle(ended.state, press(ActionKind.next, "chain", "m5"))
    assert texts(rest) == ["en:part 5", "en:part 6", "en:Bye", "en:menu_prompt"]


def test_a_handoff_step_queues_and_ends_the_position_without_the_menu() -> None:
    out = engine().handle(state(), press(ActionKind.flow, "urgent"))
    assert texts(out) == ["en:Stay safe.", "en:A person is on the way."]
    assert all(r.protect_content for r in out.replies)
    assert labels(out) == ["en:main_menu"]
    assert out.handoff is not None
    assert out.handoff.model_dump() == {"priority": Priority.urgent, "reason": "immediate danger",
                                        "flow": "urgent", "intent": "urgent_danger"}
    assert out.state.position is None and out.intent is None


def test_a_handoff_without_text_says_nothing_itself() -> None:
    eng = engine()
    out = eng.handle(state("summons", "deadline"), press(ActionKind.option, "summons",
                                                         "deadline", 0))
    assert out.replies == [] and out.handoff is not None
    assert out.handoff.priority is Priority.high


def test_texts_fall_back_along_the_manifest_chain() -> None:
    eng = engine()
    for lang, prefix in [(Lang.be, "ru:"), (Lang.uk, "ru:"), (Lang.de, "en:"), (Lang.ru, "ru:")]:
        out = eng.handle(state(lang=lang), press(ActionKind.flow, "leave"))
        assert out.replies[0].text.startswith(prefix)
        assert all(label.startswith(prefix) for label in labels(out))
    only_en = leave()
    only_en["steps"]["intro"]["text"] = {"en": "english only"}
    out = engine(only_en).handle(state(lang=Lang.be), press(ActionKind.flow, "leave"))
    assert texts(out) == ["english only"]


def test_long_texts_are_split_at_paragraphs_with_the_buttons_under_the_last_part() -> None:
    paragraph = "word " * 300
    long = leave()
    long["steps"]["intro"]["text"] = {"en": "\n\n".join([paragraph.strip()] * 10)}
    out = engine(long).handle(state(), press(ActionKind.flow, "leave"))
    assert [r.text.count("\n\n") for r in out.replies] == [1, 1, 1, 1, 1]
    assert all(text_length(r.text) <= TELEGRAM_TEXT_LIMIT for r in out.replies)
    assert all(r.text.endswith("word") and r.text.startswith("word") for r in out.replies)
    assert [len(r.buttons) for r in out.replies] == [0, 0, 0, 0, 5]


def test_split_text_cuts_words_then_characters_counting_utf16() -> None:
    assert split_text("short") == ["short"]
    assert split_text("aaaa bbbb", 6) == ["aaaa", "bbbb"]
    assert split_text("abcdefgh", 3) == ["abc", "def", "gh"]
    emoji = "😀" * 5
    parts = split_text(emoji, 4)
    assert parts == ["😀😀", "😀😀", "😀"]
    assert "".join(parts) == emoji
    pieces = split_text("x\n" * 5000 + "😀" * 3000)
    assert all(text_length(p) <= TELEGRAM_TEXT_LIMIT for p in pieces)
    assert "".join(pieces).count("😀") == 3000


def test_every_reply_of_a_factual_step_in_ru_stays_within_the_limit() -> None:
    long = leave()
    long["steps"]["facts"]["text"] = {"ru": "я " * 2100, "en": "x"}
    out = engine(long).handle(state("leave", "intro", lang=Lang.ru),
                              press(ActionKind.option, "leave", "intro", 0))
    assert all(text_length(r.text) <= TELEGRAM_TEXT_LIMIT for r in out.replies)
    assert "Актуально на 30.09.2025." in out.replies[1].text


def test_the_engine_is_deterministic_and_leaves_the_given_state_alone() -> None:
    script: list[Input] = [cmd(Command.start), press(ActionKind.flow, "leave"),
              press(ActionKind.option, "leave", "intro", 1), say("Armenia"),
              say("?", "summons"), press(ActionKind.option, "summons", "deadline", 1),
              cmd(Command.back), cmd(Command.human)]

    def run(eng: Engine) -> list[str]:
        current = state(lang=Lang.ru)
        dumps = []
        for inp in script:
            before = current.model_copy(deep=True)
            out = eng.handle(current, inp)
            assert current == before
            dumps.append(out.model_dump_json())
            current = out.state
        return dumps

    first = run(engine())
    assert first == run(engine()) == run(engine())
    assert len(set(first)) == len(script)


def test_a_greet_flow_started_by_free_text_records_the_intent() -> None:
    out = engine(greet(), leave()).handle(state(), say("hi", "greet"))
    assert texts(out) == ["en:Hello!", "en:menu_prompt"] and out.intent == "greet"
