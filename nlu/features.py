"""Sparse features (character n-grams and words) and their TF-IDF weighting, in plain Python.

The same code builds the training matrix and scores a live message, so the two
can never drift apart, and prediction needs neither scikit-learn nor SciPy
(together ~120 MB resident and ~2 s to import): a dict lookup per n-gram and
a small NumPy product.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

Counts = dict[str, int]
WORD_PREFIX = "#"  # never produced by the tokenizer, so words and n-grams cannot collide


def word_grams(word: str, n_min: int, n_max: int) -> list[str]:
    """A word's own features: the word itself and the character n-grams of " word "."""
    grams = [WORD_PREFIX + word]
    padded = f" {word} "
    size = len(padded)
    for n in range(n_min, min(n_max, size) + 1):
        grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def ngram_features(
    words: Sequence[str], *, n_min: int, n_max: int, bigrams: bool = True,
    counts: Counts | None = None,
) -> Counts:
    """Character n-grams of each space-padded word, the words themselves and word bigrams."""
    grams: list[str] = []
    if bigrams:
        grams += [f"{WORD_PREFIX}{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    for word in words:
        grams += word_grams(word, n_min, n_max)
    if counts is None:
        return Counter(grams)
    for gram in grams:
        counts[gram] = counts.get(gram, 0) + 1
    return counts


class TfidfSpace:
    """A fixed vocabulary with inverse document frequencies; maps feature counts to a unit vector.

    Sublinear term frequency (1 + log tf) and smoothed idf, as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)`` would compute them.
    """

    __slots__ = ("vocab", "idf")

    def __init__(self, vocab: dict[str, int], idf: np.ndarray) -> None:
        self.vocab = vocab
        self.idf = idf

    @classmethod
    def fit(cls, docs: Sequence[Counts], min_df: int = 1) -> TfidfSpace:
        df: dict[str, int] = {}
        for doc in docs:
            for key in doc:
                df[key] = df.get(key, 0) + 1
        kept = sorted(k for k, v in df.items() if v >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[k])) + 1.0 for k in kept], dtype=np.float32)
        return cls({k: i for i, k in enumerate(kept)}, idf)

    def vectorize(self, counts: Counts) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and L2-normalised TF-IDF values of a document (empty: nothing known)."""
        get = self.vocab.get
        cols = np.array([get(key, -1) for key in counts], dtype=np.int64)
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(cols))
        known = cols >= 0
        if not known.all():
            cols, tf = cols[known], tf[known]
        return self._weigh(cols, tf)

    def weigh_columns(self, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`vectorize`, from the known columns of every feature occurrence."""
        cols = np.sort(columns)
        if len(cols) < 2:
            return self._weigh(cols, np.ones(len(cols), dtype=np.float32))
        starts = np.flatnonzero(np.concatenate(([True], cols[1:] != cols[:-1])))
        tf = np.diff(np.append(starts, len(cols))).astype(np.float32)
        return self._weigh(cols[starts], tf)

    def _weigh(self, cols: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(cols):
            return cols, tf
        vals = (1.0 + np.log(tf)) * self.idf.take(cols)
        vals /= np.sqrt(np.dot(vals, vals))
        return cols, vals

    def to_bytes(self) -> np.ndarray:
        """The vocabulary as UTF-8 bytes, one feature a line (features never contain a newline)."""
        return np.frombuffer("\n".join(self.vocab).encode("utf-8"), dtype=np.uint8)

    @classmethod
    def from_arrays(cls, vocab_bytes: np.ndarray, idf: np.ndarray) -> TfidfSpace:
        text = vocab_bytes.tobytes().decode("utf-8")
        keys = text.split("\n") if text else []
        if len(keys) != len(idf):
            raise ValueError("vocabulary and idf lengths differ")
        return cls({k: i for i, k in enumerate(keys)}, idf.astype(np.float32, copy=False))
