"""The safety net: people in danger and soldiers are never missed; questions are not alarms."""

from __future__ import annotations

import random

import pytest

from nlu.normalize import fold, prepare, tokens
from nlu.parser import NluParser
from nlu.safety import SafetyNet
from nlu.translit import to_cyrillic

NET = SafetyNet()


def form(text: str) -> str:
    return " ".join(fold(w) for w in tokens(prepare(text)[0]))


def check(text: str) -> str | None:
    folded = form(text)
    hit = NET.check(folded, to_cyrillic(folded))
    return hit.intent if hit else None


URGENT = [
    "меня задержали на границе",
    "Меня прямо сейчас задерживают!!!",
    "полиция у двери, что делать",
    "стучат в дверь, говорят из военкомата",
    "я в отделе, хотят вручить повестку",
    "сегодня отправка, меня забирают",
    "на границе забрали паспорт и куда-то ушли",
    "SOS",
    "помогите срочно",
    "menya zaderzhali na granitse",
    "menya vezut v voenkomat",
    "мене затримали на кордоні",
    "поліція під дверима",
    "мяне затрымалі на мяжы",
    "I'm detained at the border right now",
    "police at my door",
    "they are taking me to the unit today",
    "ich wurde an der Grenze festgenommen",
    "die Polizei steht vor der Tür",
    "🆘",
]
SERVING = [
    "я сейчас в части, хочу уйти",
    "я на фронте, как выбраться",
    "я мобик, хочу домой",
    "как сдаться в плен",
    "хочу уйти в сзч",
    "не хочу возвращаться на фронт, я в отпуске",
    "ya seychas v chasti, hochu uyti",
    "я зараз у частині, хочу піти",
    "хочу здатися в полон",
    "я ў войску, хачу сысці",
    "I'm at the front and want out",
    "how to surrender",
    "ich bin Soldat an der Front und will raus",
]
NOT_ALARMS = [
    "что будет если меня задержат на границе",
    "могут ли задержать на границе с повесткой",
    "что грозит за сдачу в плен",
    "какой срок за сзч",
    "penalty for voluntary surrender",
    "what happens if they detain me at the border",
    "werde ich verhaftet, wenn ich zurückkehre?",
    "как уехать из россии",
    "пришла повестка что делать",
    "дадут ли мне убежище если я уклонист",
    "привет",
    "thanks, bye",
    "is there a visa for people in danger",
]


@pytest.mark.parametrize("text", URGENT)
def test_urgent_danger_is_caught(text: str) -> None:
    assert check(text) == "urgent_danger"


@pytest.mark.parametrize("text", SERVING)
def test_serving_soldier_is_caught(text: str) -> None:
    assert check(text) == "serving_soldier"


@pytest.mark.parametrize("text", NOT_ALARMS)
def test_questions_and_everyday_texts_are_not_alarms(text: str) -> None:
    assert check(text) is None


def test_the_gate_never_hides_a_rule() -> None:
    """The fast gate must agree with running every rule, on realistic and on random text."""
    rng = random.Random(7)
    vocabulary = " ".join(URGENT + SERVING + NOT_ALARMS).lower().split()
    texts = [form(t) for t in URGENT + SERVING + NOT_ALARMS]
    texts += [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 12)))
              for _ in range(500)]
    for text in texts:
        full = NET._check_form(text, {"any", "cyrl", "latn"})
        gated = NET.check(text)
        assert (gated and gated.intent) == (full and full.intent), text


def test_parser_forces_the_priority_intent_and_says_why(parser: NluParser) -> None:
    result = parser.parse("помогите срочно, нас сегодня отправляют, я в отделе")
    assert result.intent == "urgent_danger"
    assert not result.needs_clarification
    assert result.alternatives[0][0] == "urgent_danger"


def test_commands_are_not_cries_for_help(parser: NluParser) -> None:
    assert parser.parse("/help").safety_rule is None
    assert parser.parse("help").intent == "urgent_danger"


def test_a_wall_of_text_with_danger_at_the_end_is_caught(parser: NluParser) -> None:
    wall = "я долго думал что делать и как быть дальше. " * 80 + "меня задержали на границе"
    result = parser.parse(wall[-4096:])
    assert result.intent == "urgent_danger"
