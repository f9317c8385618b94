"""Language identification on the hard cases: two-word texts, translit, hints, mixed scripts."""

from __future__ import annotations

import pytest

from nlu.langid import LanguageIdentifier, allowed_by_letters, hint_class
from nlu.normalize import prepare
from nlu.parser import NluParser


def identify(parser: NluParser, text: str, hint: str | None = None) -> tuple[str, str]:
    result = parser.parse(text, hint)
    return result.language, result.script


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # letters only one language has
        ("їду завтра", ("uk", "cyrl")),
        ("як виїхати", ("uk", "cyrl")),
        ("ґанок", ("uk", "cyrl")),
        ("ўсё добра", ("be", "cyrl")),
        ("объявили мобилизацию", ("ru", "cyrl")),
        # combinations: і with ы is Belarusian, и with і is Ukrainian, и with ы Russian
        ("дзякуй, мы ідзём", ("be", "cyrl")),
        ("привіт, що робити", ("uk", "cyrl")),
        ("мы бы уехали", ("ru", "cyrl")),
        # a Latin "i" typed inside Ukrainian is a Cyrillic "і"
        ("Привiт, як справи", ("uk", "cyrl")),
        # frequent words without telling letters
        ("що робити", ("uk", "cyrl")),
        ("што рабіць", ("be", "cyrl")),
        ("что делать", ("ru", "cyrl")),
        # Russian typed in Latin letters is Russian, not English or Finnish
        ("kak uehat iz rossii", ("ru", "latn")),
        ("menya zaderzhali", ("ru", "latn")),
        ("4to delat", ("ru", "latn")),
        ("privet", ("ru", "latn")),
        ("how do I leave Russia", ("en", "latn")),
        ("hello", ("en", "latn")),
        ("wie kann ich ausreisen", ("de", "latn")),
        ("Schutz für Deserteure", ("de", "latn")),
        # a German word inside a Russian question: answer in Russian
        ("как получить Aufenthaltstitel", ("ru", "cyrl")),
    ],
)
def test_tricky_texts(parser: NluParser, text: str, expected: tuple[str, str]) -> None:
    assert identify(parser, text) == expected


def test_telegram_language_code_decides_shared_words(parser: NluParser) -> None:
    assert identify(parser, "так", "uk") == ("uk", "cyrl")
    assert identify(parser, "так", "ru") == ("ru", "cyrl")
    assert identify(parser, "так", "uk-UA") == ("uk", "cyrl")
    # ...but not against the letters: ї is Ukrainian whatever the app language
    assert identify(parser, "їду", "ru") == ("uk", "cyrl")
    # a Russian-speaking app with Latin text means translit
    assert identify(parser, "spasibo", "ru")[0] == "ru"


def test_no_letters_falls_back_to_the_hint_or_russian(parser: NluParser) -> None:
    assert identify(parser, "👍👍", "de")[0] == "de"
    assert identify(parser, "👍👍")[0] == "ru"
    assert parser.parse("123").language_confidence == 0.0


@pytest.mark.parametrize(
    ("code", "script", "expected"),
    [("uk", "cyrl", "uk"), ("en-US", "latn", "en"), ("pt-br", "latn", None),
     ("ru", "latn", "ru_latn"), ("kk", "cyrl", "ru"), ("", "cyrl", None), (None, "cyrl", None),
     ("BE_by", "cyrl", "be")],
)
def test_hint_class(code: str | None, script: str, expected: str | None) -> None:
    assert hint_class(code, script) == expected


def test_letter_rules_count_rather_than_intersect() -> None:
    candidates = ("ru", "uk", "be")
    assert allowed_by_letters("ї и", candidates) == {"uk"}
    assert allowed_by_letters("ы і", candidates) == {"be"}
    # contradictory letters (a typo) leave the best-supported languages, never none
    assert allowed_by_letters("ў ї", candidates) <= {"uk", "be"}
    assert allowed_by_letters("кот", candidates) == set(candidates)


def test_identifier_without_a_model_uses_rules() -> None:
    identifier = LanguageIdentifier(None)
    text, _ = prepare("як виїхати")
    assert identifier.identify(text).language == "uk"
    assert identifier.identify(prepare("how to leave")[0]).language == "en"
