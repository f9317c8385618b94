"""The functions behind `hotline nlu train|predict|eval`: output shapes and bad files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nlu import commands
from nlu.evaluation import EvalRowError, macro_f1
from nlu.parser import NluParser

from .conftest import FIXTURE_DATA


def test_train_prints_a_summary(data_copy: Path, tmp_path: Path) -> None:
    out = io.StringIO()
    summary = commands.train(data_copy, tmp_path / "cache", out)
    printed = json.loads(out.getvalue())
    assert printed == summary
    assert printed["examples"] > 100 and printed["intents"] == 15
    assert printed["problems"] == []
    assert Path(printed["model"]).exists()


def test_predict_writes_one_json_object_per_line(parser: NluParser) -> None:
    inp = io.StringIO("пришла повестка\n\nkak uehat iz rossii\r\n" + "а" * 5000 + "\n")
    out = io.StringIO()
    count = commands.predict(inp, out, data_dir=FIXTURE_DATA, cache_dir=Path("unused"),
                             parser=parser)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(rows) == 4
    assert [r["text"] for r in rows[:3]] == ["пришла повестка", "", "kak uehat iz rossii"]
    for row in rows:
        assert set(row) == {"text", "intent", "confidence", "lang", "script"}
        assert isinstance(row["confidence"], float)
    assert rows[2]["lang"] == "ru" and rows[2]["script"] == "latn"


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_evaluate_reports_the_figures(parser: NluParser, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "eval.jsonl", [
        {"text": "пришла повестка на госуслуги", "intent": "summons", "lang": "ru"},
        {"text": "kak uehat iz rossii", "intent": "leave_country", "lang": "ru", "script": "latn"},
        {"text": "hello", "intent": "greet", "lang": "en"},
        {"text": "меня задержали на границе", "intent": "urgent_danger", "lang": "ru"},
        {"text": "hallo", "intent": "out_of_scope", "lang": "de", "note": "ignored"},
        {"text": "що робити", "lang": "uk"},
    ])
    out = io.StringIO()
    report = commands.evaluate(path, out, data_dir=FIXTURE_DATA, cache_dir=Path("unused"),
                               parser=parser)
    printed = json.loads(out.getvalue())
    assert printed == json.loads(report.model_dump_json())
    assert printed["examples"] == 6
    assert printed["accuracy"] == 0.8  # "hallo" is greet, not out_of_scope
    assert set(printed["per_language"]) == {"ru", "ru_latn", "en", "de"}
    assert printed["per_intent_recall"]["out_of_scope"] == 0.0
    assert printed["top_confusions"] == [
        {"expected": "out_of_scope", "predicted": "greet", "count": 1}]
    assert printed["priority_recall"] == 1.0
    assert printed["language_examples"] == 6 and printed["language_accuracy"] == 1.0
    assert 0.0 < printed["macro_f1"] <= 1.0


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ('{"text": "ok", "intent": "greet"}\nnot json\n', 2),
        ('{"intent": "greet"}\n', 1),
        ('{"text": 5}\n', 1),
        ('\n\n["a list"]\n', 3),
        ('{"text": "x", "script": "arabic"}\n', 1),
    ],
)
def test_evaluate_names_the_bad_line(parser: NluParser, tmp_path: Path, content: str,
                                     line: int) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvalRowError, match=f"bad.jsonl:{line}:"):
        commands.evaluate(path, io.StringIO(), data_dir=FIXTURE_DATA, cache_dir=Path("unused"),
                          parser=parser)


def test_macro_f1() -> None:
    assert macro_f1(["a", "a", "b"], ["a", "a", "b"]) == 1.0
    # a: P=1 R=1/2 F=2/3; b and c: F=0 -> mean 2/9 (labels from both lists, as scikit-learn)
    assert macro_f1(["a", "b", "a"], ["a", "c", "b"]) == round(2 / 9, 4)
    assert macro_f1([], []) == 0.0


def test_cross_validation_report_on_the_fixture() -> None:
    from nlu.crossval import cross_validate
    from nlu.loader import load_training_data

    report = cross_validate(load_training_data(FIXTURE_DATA), folds=2)
    assert report["folds"] == 2 and report["examples"] > 100
    assert 0.0 <= report["accuracy"] <= 1.0
    assert set(report["per_language"]) == {"ru", "uk", "be", "en", "de", "ru_latn"}
    assert set(report["language_excerpts_by_words"]) <= set(range(1, 7))
    assert 0.0 <= report["language_excerpts_1_6_words"] <= 1.0
