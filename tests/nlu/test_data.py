"""The shipped training data (nlu/data) parses cleanly and speaks the intent contract."""

from __future__ import annotations

import pytest

from nlu.intents import INTENTS, LANG_DIRS
from nlu.loader import data_files, load_training_data

from .conftest import REAL_DATA

pytestmark = pytest.mark.skipif(not REAL_DATA.is_dir() or not data_files(REAL_DATA),
                                reason="no training data in nlu/data yet")


def test_real_data_has_no_problems_and_covers_every_intent_in_every_language() -> None:
    data = load_training_data(REAL_DATA)
    assert data.problems == []
    for lang in LANG_DIRS:
        intents = {ex.intent for ex in data.examples if ex.lang == lang}
        assert intents == set(INTENTS), f"{lang}: missing {set(INTENTS) - intents}"


def test_intent_names_match_the_contract() -> None:
    assert len(INTENTS) == len(set(INTENTS)) == 15
    assert {"urgent_danger", "serving_soldier", "out_of_scope"} <= set(INTENTS)
