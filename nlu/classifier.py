"""The features every model sees: character n-grams, words and word pairs of the folded text.

The intent model and the language model share them (and one vocabulary), so
a message is tokenised and looked up once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlu.features import WORD_PREFIX, Counts, TfidfSpace, ngram_features, word_grams
from nlu.normalize import fold, tokens

#: Only the start of a long message is classified: it states the request, and cost stays flat.
FEATURE_MAX_CHARS = 500
NGRAMS = (3, 5)


def message_counts(words: Sequence[str], cyrillic_words: Sequence[str] = ()) -> Counts:
    """Word and character n-gram counts of a tokenised text (see :func:`feature_words`).

    For Latin-script Russian the words of the Cyrillic transliteration are
    added, so the message shares features with the larger Cyrillic data.
    """
    n_min, n_max = NGRAMS
    counts = ngram_features(words, n_min=n_min, n_max=n_max)
    if cyrillic_words:
        ngram_features(cyrillic_words, n_min=n_min, n_max=n_max, counts=counts)
    return counts


def feature_words(text: str) -> list[str]:
    """The spelling-folded words of the start of a cleaned text."""
    return [fold(w) for w in tokens(text[:FEATURE_MAX_CHARS])]


class MessageVectorizer:
    """:func:`message_counts` followed by ``space.vectorize``, with each word's columns cached.

    Words recur from message to message, so a word's character n-grams are
    sliced and looked up once; a message then costs one lookup per word and
    per word pair. The result equals the uncached computation exactly (a
    test holds them together).
    """

    CACHE_WORDS = 50_000

    def __init__(self, space: TfidfSpace) -> None:
        self.space = space
        self._words: dict[str, np.ndarray] = {}

    def word_columns(self, word: str) -> np.ndarray:
        """Known columns of a word's own features (itself and its n-grams), repeats kept."""
        cols = self._words.get(word)
        if cols is None:
            get = self.space.vocab.get
            found = [j for j in (get(g, -1) for g in word_grams(word, *NGRAMS)) if j >= 0]
            cols = np.array(found, dtype=np.int64)
            if len(self._words) >= self.CACHE_WORDS:
                self._words.clear()
            self._words[word] = cols
        return cols

    def vectorize(self, words: Sequence[str], cyrillic_words: Sequence[str] = ()
                  ) -> tuple[np.ndarray, np.ndarray]:
        get = self.space.vocab.get
        parts = [self.word_columns(w) for w in words]
        pairs = [get(f"{WORD_PREFIX}{a} {b}", -1) for a, b in zip(words, words[1:], strict=False)]
        if cyrillic_words:
            parts += [self.word_columns(w) for w in cyrillic_words]
            pairs += [get(f"{WORD_PREFIX}{a} {b}", -1)
                      for a, b in zip(cyrillic_words, cyrillic_words[1:], strict=False)]
        parts.append(np.array([j for j in pairs if j >= 0], dtype=np.int64))
        return self.space.weigh_columns(np.concatenate(parts))
