"""Features and the NumPy linear model: the fast paths equal the plain ones exactly."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.classifier import MessageVectorizer, feature_words, message_counts
from nlu.features import TfidfSpace
from nlu.linear import LinearModel
from nlu.loader import load_training_data
from nlu.parser import NluParser
from nlu.translit import to_cyrillic

from .conftest import FIXTURE_DATA


def as_dict(vector: tuple[np.ndarray, np.ndarray]) -> dict[int, float]:
    return {int(c): float(v) for c, v in zip(*vector, strict=True)}


def test_cached_vectorizer_equals_counting(parser: NluParser) -> None:
    space = parser.intent_model.space
    fast = MessageVectorizer(space)
    texts = [ex.text for ex in load_training_data(FIXTURE_DATA).examples]
    texts += ["", "аааа аааа", "👍 ok", "unknownword xyzzy"]
    for text in texts * 2:  # the second round is served from the word cache
        words = feature_words(text)
        for extra in ((), to_cyrillic(" ".join(words)).split()):
            slow = as_dict(space.vectorize(message_counts(words, extra)))
            quick = as_dict(fast.vectorize(words, extra))
            assert slow.keys() == quick.keys()
            assert all(abs(slow[k] - quick[k]) < 1e-6 for k in slow)


def test_space_round_trip_and_unit_vectors(parser: NluParser) -> None:
    space = parser.intent_model.space
    copy = TfidfSpace.from_arrays(space.to_bytes(), space.idf)
    assert copy.vocab == space.vocab
    cols, vals = copy.vectorize(message_counts(feature_words("пришла повестка")))
    assert len(cols) and abs(float(np.dot(vals, vals)) - 1.0) < 1e-5
    with pytest.raises(ValueError):
        TfidfSpace.from_arrays(space.to_bytes(), space.idf[:-1])


def test_batch_scores_equal_single_scores(parser: NluParser) -> None:
    model = parser.intent_model
    docs = [message_counts(feature_words(t)) for t in ["привет", "", "kak uehat", "xyzzy"]]
    batch = model.scores_batch(docs)
    for doc, row in zip(docs, batch, strict=True):
        assert np.allclose(model.scores(doc), row, atol=1e-5)
    proba = model.proba(batch)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_model_shapes_are_checked() -> None:
    space = TfidfSpace({"a": 0, "b": 1}, np.ones(2, dtype=np.float32))
    with pytest.raises(ValueError):
        LinearModel(["x", "y"], space, np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError):
        LinearModel(["x", "y"], space, np.zeros((2, 2)), np.zeros(3))
