"""Reading Rasa YAML: markup stripped, lookups and synonyms gathered, broken files refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.loader import EntitySpan, NluDataError, load_training_data, strip_markup

from .conftest import FIXTURE_DATA


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_fixture_loads_every_language_and_intent() -> None:
    data = load_training_data(FIXTURE_DATA)
    assert data.problems == []
    assert {ex.lang for ex in data.examples} == {"ru", "uk", "be", "en", "de", "ru_latn"}
    assert len(data.intents) == 15
    assert all("[" not in ex.text and "](" not in ex.text for ex in data.examples)


@pytest.mark.parametrize(
    ("line", "text", "spans"),
    [
        ("живу в [Казахстане](country)", "живу в Казахстане",
         (EntitySpan("country", "Казахстане", "Казахстане"),)),
        ("живу в [Казахстане](country:kazakhstan)", "живу в Казахстане",
         (EntitySpan("country", "kazakhstan", "Казахстане"),)),
        ('[загран]{"entity": "document", "value": "foreign_passport"} готов', "загран готов",
         (EntitySpan("document", "foreign_passport", "загран"),)),
        ('[x][{"entity": "a"}, {"entity": "b", "value": "c"}] y', "x y",
         (EntitySpan("a", "x", "x"), EntitySpan("b", "c", "x"))),
        ("без разметки [и скобок]", "без разметки [и скобок]", ()),
    ],
)
def test_strip_markup(line: str, text: str, spans: tuple[EntitySpan, ...]) -> None:
    assert strip_markup(line) == (text, spans)


def test_bad_entity_json_is_an_error() -> None:
    with pytest.raises(NluDataError, match="bad entity annotation"):
        strip_markup('[x]{"entity": }')
    with pytest.raises(NluDataError, match="without an entity name"):
        strip_markup('[x]{"value": "y"}')


def test_lookups_synonyms_and_annotations_are_gathered() -> None:
    data = load_training_data(FIXTURE_DATA)
    assert {"Казахстан", "ОАЭ", "Finland", "Казахстану"} <= data.lookups["country"]
    assert data.synonyms["рф"] == "russia"
    assert data.synonyms["астане"] == "kazakhstan"  # from an annotation's value
    assert data.synonyms["zagran"] == "foreign_passport"


def test_list_form_examples_and_retrieval_intents(tmp_path: Path) -> None:
    write(tmp_path / "en" / "nlu.yml", """
version: "3.1"
nlu:
- intent: greet/formal
  examples:
  - text: good evening
    metadata: {sentiment: neutral}
  - hi
""")
    data = load_training_data(tmp_path)
    assert [(ex.text, ex.intent) for ex in data.examples] == [
        ("good evening", "greet"), ("hi", "greet")]


def test_doubtful_data_is_reported_not_refused(tmp_path: Path) -> None:
    write(tmp_path / "ru" / "nlu.yml", """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - привет
- intent: say_hello
  examples: |
    - Привет
- something: else
""")
    write(tmp_path / "xx" / "nlu.yml", "nlu: []\n")
    data = load_training_data(tmp_path)
    joined = "\n".join(data.problems)
    assert "unknown intent 'say_hello'" in joined
    assert "is 'say_hello' here but 'greet'" in joined
    assert "neither intent, lookup, synonym nor regex" in joined
    assert "'xx' is not a known language" in joined


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nlu:\n- intent: greet\n  examples: |\n    - hi\n   - broken: [", "not valid YAML"),
        ("- just a list\n", "top level must be a mapping"),
        ("nlu: {intent: greet}\n", "'nlu' must be a list"),
        ("nlu:\n- intent: greet\n  examples: |\n    hi without a dash\n", "does not start with"),
        ("nlu:\n- intent: greet\n  examples: 42\n", "must be a block"),
        ("nlu:\n- intent: greet\n  examples:\n  - {text: 5}\n", "example is not text"),
    ],
)
def test_broken_files_are_refused_with_their_path(tmp_path: Path, content: str,
                                                   message: str) -> None:
    path = write(tmp_path / "ru" / "nlu.yml", content)
    with pytest.raises(NluDataError, match=message) as excinfo:
        load_training_data(tmp_path)
    assert str(path) in str(excinfo.value)


def test_invalid_utf8_and_missing_directory(tmp_path: Path) -> None:
    (tmp_path / "ru").mkdir()
    (tmp_path / "ru" / "nlu.yml").write_bytes(b"nlu:\n- intent: greet\n  examples: |\n    - \xff\n")
    with pytest.raises(NluDataError):
        load_training_data(tmp_path)
    with pytest.raises(NluDataError, match="not found"):
        load_training_data(tmp_path / "missing")


def test_files_outside_language_dirs_have_no_language(tmp_path: Path) -> None:
    write(tmp_path / "shared.yml", "nlu:\n- lookup: country\n  examples: |\n    - Serbia\n")
    write(tmp_path / "en" / "nlu.yml", "nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    data = load_training_data(tmp_path)
    assert data.lookups == {"country": {"Serbia"}}
    assert [ex.lang for ex in data.examples] == ["en"]
