"""NluParser.parse / parse_batch: result shape, entities, and bad input that must not crash."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from nlu.intents import INTENTS, LANGUAGES
from nlu.parser import NluParser, ParseResult


def assert_well_formed(result: ParseResult) -> None:
    assert result.intent in INTENTS
    assert 0.0 <= result.confidence <= 1.0
    assert result.language in LANGUAGES
    assert result.script in ("cyrl", "latn")
    assert 0.0 <= result.language_confidence <= 1.0
    if result.alternatives:
        assert result.alternatives[0] == (result.intent, result.confidence)
        rest = [p for _, p in result.alternatives[1:]]
        assert rest == sorted(rest, reverse=True)
        assert len({name for name, _ in result.alternatives}) == len(result.alternatives)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("пришла повестка на госуслуги что делать", "summons"),
        ("как уехать из России в Казахстан", "leave_country"),
        ("kak uehat iz rossii", "leave_country"),
        ("who reads this chat", "privacy"),
        ("спасибо большое", "goodbye_thanks"),
        ("хочу поговорить с человеком", "talk_to_human"),
    ],
)
def test_parse_finds_the_intent(parser: NluParser, text: str, intent: str) -> None:
    result = parser.parse(text)
    assert_well_formed(result)
    assert result.intent == intent


def test_entities_with_inflection_synonyms_and_translit(parser: NluParser) -> None:
    entities = parser.parse("живу в Казахстане, боюсь выдачи в РФ").entities
    assert {(e.entity, e.value) for e in entities} == {("country", "kazakhstan"),
                                                       ("country", "russia")}
    entities = parser.parse("my zagran is not ready").entities
    assert [(e.entity, e.value, e.text) for e in entities] == [
        ("document", "foreign_passport", "zagran")]
    entities = parser.parse("zhivu v kazakhstane").entities
    assert [(e.entity, e.value) for e in entities] == [("country", "kazakhstan")]


def test_unsure_results_offer_two_candidates(parser: NluParser) -> None:
    unsure = [r for r in parser.parse_batch(["визa", "а что если", "документы", "ну так"])
              if r.needs_clarification]
    assert unsure, "the fixture model should be unsure of some of these"
    for result in unsure:
        first, second = result.clarify_between or ("", "")
        assert first == result.intent and second != first
    sure = parser.parse("пришла повестка на госуслуги что делать")
    assert not sure.needs_clarification and sure.clarify_between is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "👍🔥🙏",
        "\x00\x01\x02\u200b\u202e\ufeff",
        "????!!!...",
        "а" * 4096,
        "привет " * 2000,  # longer than Telegram allows
        "ﬁ ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ",
        "\ud800 lone surrogate",
        "Z̷̢̛a̸l̵g̶o̷ ̸t̵e̷x̸t",
        "😀" * 4096,
    ],
)
def test_odd_input_gets_an_answer(parser: NluParser, text: str) -> None:
    assert_well_formed(parser.parse(text))


def test_nothing_to_go_on_is_out_of_scope(parser: NluParser) -> None:
    for text in ("", "   ", "\x00\x00"):
        result = parser.parse(text)
        assert (result.intent, result.confidence, result.alternatives) == ("out_of_scope", 0.0, ())
        assert not result.needs_clarification


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["list"], {"text": "x"}])
def test_wrong_types_are_refused(parser: NluParser, bad: Any) -> None:
    with pytest.raises(TypeError):
        parser.parse(bad)
    with pytest.raises(TypeError):
        parser.parse_batch([bad])


def test_wrong_hint_types_are_refused(parser: NluParser) -> None:
    with pytest.raises(TypeError):
        parser.parse("привет", language_hint=7)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parser.parse_batch(["привет"], [b"ru"])  # type: ignore[list-item]
    assert parser.parse("привет", language_hint="xx-unknown").language == "ru"


def test_batch_matches_single_parses(parser: NluParser) -> None:
    texts = ["пришла повестка", "kak uehat", "hello", "", "привіт", "меня задержали", "👍"]
    hints = ["ru", None, "en", None, "uk", "ru", "de"]
    assert parser.parse_batch(texts, hints) == [parser.parse(t, h) for t, h in zip(texts, hints,
                                                                                 strict=True)]
    assert parser.parse_batch([]) == []


def test_batch_argument_errors(parser: NluParser) -> None:
    with pytest.raises(TypeError):
        parser.parse_batch("not a list")
    with pytest.raises(ValueError, match="as long as"):
        parser.parse_batch(["a", "b"], ["ru"])


def test_results_are_frozen_and_serialisable(parser: NluParser) -> None:
    result = parser.parse("живу в Казахстане")
    with pytest.raises(ValidationError):
        result.intent = "greet"  # type: ignore[misc]
    assert ParseResult.model_validate_json(result.model_dump_json()) == result


def test_priority_intents_are_never_put_to_a_question(parser: NluParser) -> None:
    texts = ["помогите", "меня", "я в части", "сдаться", "help", "border now", "забрали",
             "мобик", "police", "нас везут", "hilfe"]
    for result in parser.parse_batch(texts):
        if result.intent in ("urgent_danger", "serving_soldier"):
            assert not result.needs_clarification
