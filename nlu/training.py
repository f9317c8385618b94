"""Fit the intent and language models with scikit-learn and export them to NumPy.

scikit-learn is imported only here, so a process that just loads a cached
model never pays for it. Probabilities are calibrated by one temperature per
model, fitted on out-of-fold scores (cheaper and steadier with a few thousand
short examples than one calibrator per class).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from nlu.classifier import feature_words, message_counts
from nlu.features import Counts, TfidfSpace
from nlu.intents import LANG_CLASSES
from nlu.linear import LinearModel
from nlu.loader import Example, TrainingData
from nlu.normalize import fix_homoglyphs
from nlu.translit import to_cyrillic


class NotEnoughDataError(ValueError):
    """The data cannot train a classifier (fewer than two intents, or no examples)."""


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters, chosen by cross-validation on the NLU data (``bench/nlu.py --cv``).

    LinearSVC beat logistic regression (same accuracy, a tenth of the time);
    C, n-gram range and word pairs moved accuracy by less than the fold noise.
    """

    kind: Literal["svm", "logreg"] = "svm"
    intent_c: float = 1.0
    lang_c: float = 0.5
    min_df: int = 1
    calibration_folds: int = 3
    lang_windows: int = 4  # extra 1-3 word excerpts per example for the language model
    seed: int = 0


@dataclass
class TrainedModels:
    intent: LinearModel
    lang: LinearModel | None
    stats: dict[str, Any] = field(default_factory=dict)


def example_intent_counts(ex: Example) -> Counts:
    """Features as the parser computes them, Cyrillic transliteration included for translit."""
    words = feature_words(fix_homoglyphs(ex.text))
    translit = to_cyrillic(" ".join(words)).split() if ex.lang == "ru_latn" else ()
    return message_counts(words, translit)


def example_lang_counts(ex: Example) -> Counts:
    """Features as the parser gives them to the language model: no transliteration yet."""
    return message_counts(feature_words(fix_homoglyphs(ex.text)))


def lang_training_set(examples: Sequence[Example], windows: int, seed: int
                      ) -> tuple[list[Example], list[int]]:
    """The examples plus short excerpts of them, and which example each came from.

    People often write one or two words. A model fitted on whole sentences
    alone is surest on long texts, where the letters already decide; excerpts
    teach it the short function words. The groups keep an example and its
    excerpts in the same calibration fold.
    """
    rng = random.Random(seed)
    out = list(examples)
    groups = list(range(len(examples)))
    for i, ex in enumerate(examples):
        words = ex.text.split()
        if len(words) < 2:
            continue
        for _ in range(windows):
            n = rng.randint(1, min(3, len(words) - 1))
            start = rng.randrange(0, len(words) - n + 1)
            out.append(Example(" ".join(words[start : start + n]), ex.intent, ex.lang))
            groups.append(i)
    return out, groups


def count_matrix(docs: Sequence[Counts], fixed: dict[str, int] | None = None
                 ) -> tuple[Any, list[str]]:
    """Raw feature counts of all documents, built once and sliced per fold.

    With ``fixed`` the columns are that vocabulary's and unknown features are dropped.
    """
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {} if fixed is None else fixed
    indices: list[int] = []
    data: list[int] = []
    indptr = [0]
    for doc in docs:
        for key, count in doc.items():
            j = vocab.get(key)
            if j is None:
                if fixed is not None:
                    continue
                j = vocab[key] = len(vocab)
            indices.append(j)
            data.append(count)
        indptr.append(len(indices))
    matrix = csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64),
                         np.array(indptr, dtype=np.int64)), shape=(len(docs), len(vocab)))
    return matrix, list(vocab)


def idf_of(counts: Any) -> np.ndarray:
    """Smoothed idf of each column over these rows; 0 for a column the rows never use."""
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    n = counts.shape[0]
    idf = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
    idf[df == 0] = 0.0
    return idf


def weigh(counts: Any, idf: np.ndarray) -> Any:
    """Sublinear TF-IDF with unit rows: exactly what :meth:`TfidfSpace.vectorize` computes."""
    from scipy.sparse import diags
    from sklearn.preprocessing import normalize

    tf = counts.copy()
    tf.data = 1.0 + np.log(tf.data)
    return normalize(tf @ diags(idf), norm="l2", copy=False).astype(np.float32)


def _estimator(config: TrainConfig, c: float) -> Any:
    if config.kind == "svm":
        from sklearn.svm import LinearSVC

        return LinearSVC(C=c, random_state=config.seed)
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=300)


def _fit(x: Any, y: np.ndarray, classes: Sequence[str], config: TrainConfig, c: float
         ) -> tuple[np.ndarray, np.ndarray]:
    """Weights (classes × features) and biases, rows in the order of ``classes``."""
    est = _estimator(config, c).fit(x, y)
    order = [list(est.classes_).index(k) for k in classes]
    coef = np.asarray(est.coef_, dtype=np.float32)
    bias = np.asarray(est.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary: scikit-learn keeps one row for the second class
        coef, bias = np.vstack([-coef, coef]), np.concatenate([-bias, bias])
    return coef[order], bias[order]


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature that minimises the log-loss of out-of-fold scores."""

    def nll(t: float) -> float:
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    lo, hi = math.log(0.01), math.log(10.0)
    for _ in range(40):  # golden-section search on log t
        a, b = hi - 0.618 * (hi - lo), lo + 0.618 * (hi - lo)
        if nll(math.exp(a)) < nll(math.exp(b)):
            hi = b
        else:
            lo = a
    return math.exp((lo + hi) / 2)


def out_of_fold_scores(counts: Any, y: np.ndarray, classes: Sequence[str], config: TrainConfig,
                       c: float, folds: int, idf: np.ndarray | None = None,
                       groups: Sequence[int] | None = None) -> np.ndarray:
    """Decision scores of every row from a model fitted (idf too, unless given) without it.

    Rows of one group (an example and its excerpts) stay in one fold.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    scores = np.zeros((counts.shape[0], len(classes)), dtype=np.float32)
    if groups is None:
        splits = StratifiedKFold(folds, shuffle=True, random_state=config.seed).split(
            np.zeros(len(y)), y)
    else:
        splits = StratifiedGroupKFold(folds, shuffle=True, random_state=config.seed).split(
            np.zeros(len(y)), y, np.asarray(groups))
    for train_idx, test_idx in splits:
        fold_idf = idf_of(counts[train_idx]) if idf is None else idf
        coef, bias = _fit(weigh(counts[train_idx], fold_idf), y[train_idx], classes, config, c)
        scores[test_idx] = weigh(counts[test_idx], fold_idf) @ coef.T + bias
    return scores


def fit_model(docs: Sequence[Counts], labels: Sequence[str], classes: Sequence[str],
              config: TrainConfig, c: float, space: TfidfSpace | None = None,
              groups: Sequence[int] | None = None) -> LinearModel:
    """A linear model on all documents, its temperature fitted on out-of-fold scores.

    Without ``space`` the vocabulary and idf are fitted on these documents;
    with it the model is fitted in that (shared) space.
    """
    y = np.asarray(labels)
    if space is None:
        counts, keys = count_matrix(docs)
        idf = idf_of(counts)
        keep = np.flatnonzero(np.asarray((counts > 0).sum(axis=0)).ravel() >= config.min_df)
        counts, idf = counts[:, keep], idf[keep]
        space = TfidfSpace({keys[j]: i for i, j in enumerate(keep)}, idf)
        fixed_idf = None
    else:
        counts, _ = count_matrix(docs, space.vocab)
        fixed_idf = space.idf
    coef, bias = _fit(weigh(counts, space.idf), y, classes, config, c)
    model = LinearModel(classes, space, coef.T, bias)
    folds = min(config.calibration_folds, min(int((y == k).sum()) for k in classes))
    if folds >= 2:
        index = {k: i for i, k in enumerate(classes)}
        oof = out_of_fold_scores(counts, y, classes, config, c, folds, fixed_idf, groups)
        model.temperature = fit_temperature(oof, np.array([index[k] for k in labels]))
    return model


def train(data: TrainingData, config: TrainConfig | None = None) -> TrainedModels:
    """Train the intent model, then the language model in the same feature space.

    The language model needs examples of at least two languages; the
    identifier's rules cover the languages it was not trained on.
    """
    config = config or TrainConfig()
    started = time.perf_counter()
    examples = data.examples
    intents = sorted({ex.intent for ex in examples})
    if len(intents) < 2:
        raise NotEnoughDataError("training needs examples of at least two intents")
    intent_model = fit_model([example_intent_counts(ex) for ex in examples],
                             [ex.intent for ex in examples], intents, config, config.intent_c)
    lang_examples, groups = lang_training_set([ex for ex in examples if ex.lang],
                                              config.lang_windows, config.seed)
    langs = {ex.lang for ex in lang_examples}
    lang_model = None
    if len(langs) >= 2:
        lang_model = fit_model([example_lang_counts(ex) for ex in lang_examples],
                               [ex.lang for ex in lang_examples],
                               [k for k in LANG_CLASSES if k in langs], config, config.lang_c,
                               space=intent_model.space, groups=groups)
    stats = {
        "examples": len(examples),
        "per_language": {k: sum(ex.lang == k for ex in examples) for k in sorted(langs)},
        "intents": len(intents),
        "features": len(intent_model.space.idf),
        "intent_temperature": round(intent_model.temperature, 4),
        "lang_temperature": round(lang_model.temperature, 4) if lang_model else None,
        "train_seconds": round(time.perf_counter() - started, 2),
    }
    return TrainedModels(intent_model, lang_model, stats)
