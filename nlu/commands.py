"""What ``hotline nlu train|predict|eval`` do, with explicit paths and streams (the CLI wires them).

Each command returns its result as well as printing it, so tests and the CLI
read the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from nlu.evaluation import EvalReport, EvalRow, EvalRowError, score
from nlu.parser import NluParser
from nlu.store import cache_key, load, load_or_train, model_path

BATCH = 256


def load_parser(data_dir: Path, cache_dir: Path, *, isolate: bool = True) -> NluParser:
    """The parser the other commands use: cached, or trained first (``NluParser.load_or_train``)."""
    return load_or_train(Path(data_dir), Path(cache_dir), isolate=isolate)


def train(data_dir: Path, cache_dir: Path, out: TextIO, *, isolate: bool = False) -> dict[str, Any]:
    """Retrain now (even if a model for this data is cached) and print a JSON summary.

    The summary lists data problems found while loading (unknown intents, one
    text under two intents), which the data's authors should fix.
    """
    data_dir, cache_dir = Path(data_dir), Path(cache_dir)
    load_or_train(data_dir, cache_dir, isolate=isolate, force=True)
    path = model_path(cache_dir, cache_key(data_dir))
    _, meta = load(path)
    summary = {"model": str(path), **meta["stats"]}
    out.write(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    return summary


def predict(
    inp: TextIO, out: TextIO, *, data_dir: Path, cache_dir: Path, parser: NluParser | None = None,
    language_hint: str | None = None,
) -> int:
    """One JSON object per input line, in order (an empty line gets one too); returns the count."""
    parser = parser or load_parser(data_dir, cache_dir)
    count = 0
    lines = (line.rstrip("\r\n") for line in inp)
    while chunk := list(islice(lines, BATCH)):
        results = parser.parse_batch(chunk, [language_hint] * len(chunk))
        for text, result in zip(chunk, results, strict=True):
            record = {"text": text, "intent": result.intent, "confidence": result.confidence,
                      "lang": result.language, "script": result.script}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += len(chunk)
    return count


def read_eval_file(path: Path) -> Iterator[EvalRow]:
    """Rows of a JSONL evaluation file; a malformed line is an error naming its number."""
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield EvalRow.model_validate_json(line)
            except ValueError as exc:
                raise EvalRowError(f"{path}:{number}: {exc}") from exc


def evaluate(
    eval_file: Path, out: TextIO, *, data_dir: Path, cache_dir: Path,
    parser: NluParser | None = None,
) -> EvalReport:
    """Accuracy, macro-F1, per-language and per-intent figures, confusions; printed as JSON."""
    rows = list(read_eval_file(eval_file))
    parser = parser or load_parser(data_dir, cache_dir)
    results = parser.parse_batch([r.text for r in rows])
    report = score(rows, results)
    out.write(report.model_dump_json(indent=2) + "\n")
    return report
