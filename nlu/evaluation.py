"""Scores of a parser against labelled messages: intent and language accuracy, where it errs.

Plain Python, so evaluating never needs scikit-learn. Rows may carry an
intent, a language, or both; each figure is computed over the rows that have
what it needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from nlu.intents import PRIORITY_INTENTS, lang_class_of
from nlu.parser import ParseResult

TOP_CONFUSIONS = 10


class EvalRowError(ValueError):
    """A line of an evaluation file is not a JSON object with at least a ``text``."""


class EvalRow(BaseModel):
    """One labelled message: ``{"text", "intent"?, "lang"?, "script"?}``; other keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    text: str
    intent: str | None = None
    lang: str | None = None
    script: Literal["cyrl", "latn"] | None = None


class Confusion(BaseModel):
    expected: str
    predicted: str
    count: int


class EvalReport(BaseModel):
    """The JSON of ``hotline nlu eval``; per-language keys are ru, uk, be, en, de, ru_latn."""

    examples: int
    accuracy: float | None = None
    macro_f1: float | None = None
    per_language: dict[str, float] = {}
    per_language_count: dict[str, int] = {}
    per_intent_recall: dict[str, float] = {}
    top_confusions: list[Confusion] = []
    priority_recall: float | None = None
    priority_false_alarms: int = 0
    clarification_rate: float | None = None
    accuracy_when_confident: float | None = None
    language_examples: int = 0
    language_accuracy: float | None = None
    language_accuracy_per_language: dict[str, float] = {}


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def macro_f1(expected: Sequence[str], predicted: Sequence[str]) -> float:
    """Unweighted mean F1 over every label seen in either list (scikit-learn's default)."""
    labels = sorted(set(expected) | set(predicted))
    total = 0.0
    for label in labels:
        tp = sum(e == p == label for e, p in zip(expected, predicted, strict=True))
        fp = sum(p == label != e for e, p in zip(expected, predicted, strict=True))
        fn = sum(e == label != p for e, p in zip(expected, predicted, strict=True))
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return round(total / len(labels), 4) if labels else 0.0


def _row_lang_class(row: EvalRow) -> str | None:
    if row.lang is None:
        return None
    return lang_class_of(row.lang, row.script) if row.script else row.lang


def score(rows: Sequence[EvalRow], results: Sequence[ParseResult]) -> EvalReport:
    pairs = [(r, p) for r, p in zip(rows, results, strict=True) if r.intent is not None]
    expected = [r.intent or "" for r, _ in pairs]
    predicted = [p.intent for _, p in pairs]
    correct = [e == p for e, p in zip(expected, predicted, strict=True)]

    by_lang: dict[str, list[bool]] = {}
    for (row, _), ok in zip(pairs, correct, strict=True):
        by_lang.setdefault(_row_lang_class(row) or "unknown", []).append(ok)
    by_intent: dict[str, list[bool]] = {}
    for exp, ok in zip(expected, correct, strict=True):
        by_intent.setdefault(exp, []).append(ok)
    confusions = Counter((e, p) for e, p in zip(expected, predicted, strict=True) if e != p)
    priority = [p in PRIORITY_INTENTS for e, p in zip(expected, predicted, strict=True)
                if e in PRIORITY_INTENTS]
    false_alarms = sum(p in PRIORITY_INTENTS and e not in PRIORITY_INTENTS
                       for e, p in zip(expected, predicted, strict=True))
    confident = [ok for (_, p), ok in zip(pairs, correct, strict=True) if not p.needs_clarification]

    lang_rows = [(r, p) for r, p in zip(rows, results, strict=True) if r.lang is not None]
    lang_ok: dict[str, list[bool]] = {}
    for row, res in lang_rows:
        if row.script:
            ok = lang_class_of(res.language, res.script) == _row_lang_class(row)
        else:
            ok = res.language == row.lang
        lang_ok.setdefault(_row_lang_class(row) or "", []).append(ok)
    lang_hits = sum(sum(v) for v in lang_ok.values())

    return EvalReport(
        examples=len(rows),
        accuracy=_ratio(sum(correct), len(correct)),
        macro_f1=macro_f1(expected, predicted) if pairs else None,
        per_language={k: _ratio(sum(v), len(v)) or 0.0 for k, v in sorted(by_lang.items())},
        per_language_count={k: len(v) for k, v in sorted(by_lang.items())},
        per_intent_recall={k: _ratio(sum(v), len(v)) or 0.0 for k, v in sorted(by_intent.items())},
        top_confusions=[Confusion(expected=e, predicted=p, count=n)
                        for (e, p), n in confusions.most_common(TOP_CONFUSIONS)],
        priority_recall=_ratio(sum(priority), len(priority)),
        priority_false_alarms=false_alarms,
        clarification_rate=_ratio(len(pairs) - len(confident), len(pairs)),
        accuracy_when_confident=_ratio(sum(confident), len(confident)),
        language_examples=len(lang_rows),
        language_accuracy=_ratio(lang_hits, len(lang_rows)),
        language_accuracy_per_language={k: _ratio(sum(v), len(v)) or 0.0
                                        for k, v in sorted(lang_ok.items())},
    )
