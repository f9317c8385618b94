"""Cross-validation of the whole parser on the training data (``python bench/nlu.py --cv``).

Each fold trains a full parser (intent model, language model, safety net) on
the other folds and parses the held-back examples, so the figures include
language identification, transliteration and the safety net, not only the
linear model. Language identification is also scored on 1–6-word excerpts
of the held-back examples, the hard case for short Telegram messages.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Literal

from nlu.entities import EntityExtractor
from nlu.evaluation import EvalRow, score
from nlu.loader import Example, TrainingData
from nlu.parser import NluParser
from nlu.training import TrainConfig, train

EXCERPT_WORDS = range(1, 7)


def _folds(examples: Sequence[Example], folds: int, seed: int) -> list[list[int]]:
    """Stratified by language and intent, so each fold sees every kind of example."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{ex.lang}|{ex.intent}" for ex in examples]
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(strata, strata)]


def cross_validate(data: TrainingData, folds: int = 5, config: TrainConfig | None = None,
                   seed: int = 0) -> dict[str, Any]:
    """Intent and language figures of parsers that never saw the examples they parse."""
    config = config or TrainConfig()
    examples = data.examples
    rows: list[EvalRow] = []
    results = []
    excerpts: dict[int, list[bool]] = {n: [] for n in EXCERPT_WORDS}
    rng = random.Random(seed)
    for test in _folds(examples, folds, seed):
        held = set(test)
        trained = train(TrainingData(examples=[ex for i, ex in enumerate(examples)
                                               if i not in held]), config)
        parser = NluParser(trained.intent, trained.lang, EntityExtractor({}))
        batch = [examples[i] for i in test]
        results += parser.parse_batch([ex.text for ex in batch])
        for ex in batch:
            language, _, latin = ex.lang.partition("_")
            script: Literal["cyrl", "latn"] | None = None
            if language == "ru":
                script = "latn" if latin else "cyrl"
            rows.append(EvalRow(text=ex.text, intent=ex.intent, lang=language or None,
                                script=script))
            words = ex.text.split()
            for n in EXCERPT_WORDS:
                if len(words) >= n and ex.lang:
                    start = rng.randrange(0, len(words) - n + 1)
                    guess = parser.parse(" ".join(words[start : start + n]))
                    got = "ru_latn" if (guess.language, guess.script) == ("ru", "latn") else (
                        guess.language)
                    excerpts[n].append(got == ex.lang)
    report = score(rows, results).model_dump()
    every = [ok for oks in excerpts.values() for ok in oks]
    report["language_excerpts_1_6_words"] = round(sum(every) / len(every), 4) if every else None
    report["language_excerpts_by_words"] = {
        n: round(sum(oks) / len(oks), 4) for n, oks in excerpts.items() if oks}
    report["folds"] = folds
    return report
