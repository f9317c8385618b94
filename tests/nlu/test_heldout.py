"""Accuracy on the held-out set, written apart from the training data (nlu/eval/README.md).

The thresholds sit just under what the model reaches today, so a change to the
data or the model that costs accuracy fails here instead of in front of people.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nlu.commands import evaluate, load_parser
from nlu.parser import NluParser

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "nlu" / "data"
EVAL = ROOT / "nlu" / "eval"


@pytest.fixture(scope="module")
def parser(tmp_path_factory: pytest.TempPathFactory) -> NluParser:
    return load_parser(DATA, tmp_path_factory.mktemp("nlu-cache"))


def test_intent_accuracy_on_the_held_out_set(parser: NluParser, tmp_path: Path) -> None:
    report = evaluate(EVAL / "heldout.jsonl", io.StringIO(), data_dir=DATA, cache_dir=tmp_path,
                      parser=parser)
    assert report.examples >= 600
    assert report.accuracy >= 0.95, report.top_confusions
    assert report.macro_f1 >= 0.95
    for lang, accuracy in report.per_language.items():
        assert accuracy >= 0.93, (lang, accuracy)
    # Nobody in danger may be missed.
    assert report.per_intent_recall["urgent_danger"] >= 0.97
    assert report.per_intent_recall["serving_soldier"] >= 0.97


def test_language_identification_on_short_texts(parser: NluParser, tmp_path: Path) -> None:
    report = evaluate(EVAL / "language.jsonl", io.StringIO(), data_dir=DATA, cache_dir=tmp_path,
                      parser=parser)
    assert report.language_examples >= 300
    assert report.language_accuracy is not None and report.language_accuracy >= 0.97
