"""A linear classifier over a TF-IDF space, exported from scikit-learn to plain NumPy arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlu.features import Counts, TfidfSpace


class LinearModel:
    """Scores = x·W + b, probabilities = softmax(scores / temperature).

    The temperature is fitted on out-of-fold scores at training time, so the
    probabilities are calibrated rather than the raw margins of the fit.
    """

    __slots__ = ("classes", "space", "weights", "bias", "temperature")

    def __init__(
        self,
        classes: Sequence[str],
        space: TfidfSpace,
        weights: np.ndarray,
        bias: np.ndarray,
        temperature: float = 1.0,
    ) -> None:
        if weights.shape != (len(space.idf), len(classes)) or bias.shape != (len(classes),):
            raise ValueError("weights do not match the vocabulary and classes")
        self.classes = tuple(classes)
        self.space = space
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.bias = bias.astype(np.float32)
        self.temperature = float(temperature)

    def scores(self, counts: Counts) -> np.ndarray:
        return self.scores_vector(*self.space.vectorize(counts))

    def scores_vector(self, cols: np.ndarray, vals: np.ndarray) -> np.ndarray:
        """Scores of a document already vectorised in this model's space (models may share one)."""
        if not len(cols):
            return self.bias.copy()
        return vals @ self.weights.take(cols, axis=0) + self.bias  # take: 3x faster than [cols]

    def scores_batch(self, docs: Sequence[Counts]) -> np.ndarray:
        return self.scores_vectors([self.space.vectorize(doc) for doc in docs])

    def scores_vectors(self, parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Scores for many vectorised documents with one gather and one segmented sum."""
        out = np.tile(self.bias, (len(parts), 1))
        lengths = np.array([len(c) for c, _ in parts], dtype=np.int64)
        if not lengths.sum():
            return out
        cols = np.concatenate([c for c, _ in parts])
        vals = np.concatenate([v for _, v in parts])
        contrib = self.weights.take(cols, axis=0) * vals[:, None]
        nonempty = lengths > 0
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))[nonempty]
        out[nonempty] += np.add.reduceat(contrib, starts, axis=0)
        return out

    def proba(self, scores: np.ndarray) -> np.ndarray:
        z = scores / self.temperature
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The model's own arrays; the space is saved once (models share it) by the caller."""
        return {
            f"{prefix}.classes": np.frombuffer("\n".join(self.classes).encode(), dtype=np.uint8),
            f"{prefix}.weights": self.weights,
            f"{prefix}.bias": self.bias,
            f"{prefix}.temperature": np.array([self.temperature], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, space: TfidfSpace
                    ) -> LinearModel:
        classes = arrays[f"{prefix}.classes"].tobytes().decode().split("\n")
        return cls(classes, space, arrays[f"{prefix}.weights"], arrays[f"{prefix}.bias"],
                   float(arrays[f"{prefix}.temperature"][0]))
