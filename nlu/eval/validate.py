"""Check the held-out evaluation files and print their counts.

Run as a script (``python nlu/eval/validate.py``); it is not imported by the
package, but takes the names from it (``nlu.intents``). It exists so that anyone
who edits the hand-written files can see at once that every line still parses,
every label is from the contract in shared/intents.md, and the per-intent /
per-language minimums still hold.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import get_args

from nlu.intents import Intent, Language

HERE = Path(__file__).resolve().parent

INTENTS = get_args(Intent)
LANGS = get_args(Language)
MIN_PER_INTENT = 30
MIN_PER_INTENT_LANG = 2
MIN_LANGUAGE_LINES = 300
MAX_LANGUAGE_WORDS = 6

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
# Letters a language's alphabet lacks: catches a line filed under the wrong language.
FOREIGN_LETTERS = {
    "ru": re.compile(r"[іїєґў]", re.IGNORECASE),
    "uk": re.compile(r"[ыэёъў]", re.IGNORECASE),
    "be": re.compile(r"[ищъїєґ]", re.IGNORECASE),
}


def label(row: dict[str, str]) -> str:
    """Language label with Latin-script Russian kept apart."""
    return "ru-latn" if row.get("script") == "latn" else row["lang"]


def check_row(row: object, where: str, keys: set[str]) -> list[str]:
    """Return the problems of one parsed line (empty when it is fine)."""
    if not isinstance(row, dict):
        return [f"{where}: not a JSON object"]
    problems: list[str] = []
    extra = set(row) - keys - {"script"}
    missing = keys - set(row)
    if extra or missing:
        problems.append(f"{where}: keys missing {sorted(missing)} extra {sorted(extra)}")
        return problems
    text = row["text"]
    if not isinstance(text, str) or not text.strip() or text != text.strip():
        problems.append(f"{where}: empty or untrimmed text")
        return problems
    if "intent" in keys and row["intent"] not in INTENTS:
        problems.append(f"{where}: unknown intent {row['intent']!r}")
    lang = row["lang"]
    if lang not in LANGS:
        problems.append(f"{where}: unknown lang {lang!r}")
    script = row.get("script")
    if script is not None and (script != "latn" or lang != "ru"):
        problems.append(f"{where}: script is only 'latn' and only for ru")
    has_cyr = bool(CYRILLIC.search(text))
    if (label(row) in ("ru", "uk", "be")) != has_cyr:
        problems.append(f"{where}: script does not match {label(row)}: {text!r}")
    foreign = FOREIGN_LETTERS.get(lang)
    if script is None and foreign is not None and foreign.search(text):
        problems.append(f"{where}: letter foreign to {lang}: {text!r}")
    return problems


def load(path: Path, keys: set[str]) -> tuple[list[dict[str, str]], list[str]]:
    """Parse a JSONL file, collecting every problem instead of stopping at the first."""
    rows: list[dict[str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: {exc}")
            continue
        found = check_row(row, where, keys)
        problems += found
        if found:
            continue
        norm = row["text"].casefold()
        if norm in seen:
            problems.append(f"{where}: duplicate text {row['text']!r}")
        seen.add(norm)
        rows.append(row)
    return rows, problems


def main() -> int:
    heldout, problems = load(HERE / "heldout.jsonl", {"text", "intent", "lang"})
    language, more = load(HERE / "language.jsonl", {"text", "lang"})
    problems += more

    by_intent = Counter(r["intent"] for r in heldout)
    by_pair = Counter((r["intent"], r["lang"]) for r in heldout)
    cols = ("ru", "ru-latn", "uk", "be", "en", "de")
    cells = Counter((r["intent"], label(r)) for r in heldout)
    print(f"heldout.jsonl: {len(heldout)} lines")
    print(f"{'intent':<20}" + "".join(f"{c:>8}" for c in cols) + f"{'total':>8}")
    for intent in INTENTS:
        row = "".join(f"{cells[intent, c]:>8}" for c in cols)
        print(f"{intent:<20}{row}{by_intent[intent]:>8}")
        if by_intent[intent] < MIN_PER_INTENT:
            problems.append(f"{intent}: {by_intent[intent]} < {MIN_PER_INTENT} lines")
        for lang in LANGS:
            if by_pair[intent, lang] < MIN_PER_INTENT_LANG:
                problems.append(f"{intent}/{lang}: fewer than {MIN_PER_INTENT_LANG}")
    totals = Counter(label(r) for r in heldout)
    share = "".join(f"{totals[c]:>5} ({totals[c] / len(heldout):.0%})" for c in cols)
    print(f"{'all':<20}{share}")

    langs = Counter(label(r) for r in language)
    print(f"language.jsonl: {len(language)} lines " + ", ".join(f"{c}={langs[c]}" for c in cols))
    if len(language) < MIN_LANGUAGE_LINES:
        problems.append(f"language.jsonl: {len(language)} < {MIN_LANGUAGE_LINES} lines")
    for r in language:
        if not 1 <= len(r["text"].split()) <= MAX_LANGUAGE_WORDS:
            problems.append(f"language.jsonl: {r['text']!r} is not 1-{MAX_LANGUAGE_WORDS} words")

    for p in problems:
        print("PROBLEM", p, file=sys.stderr)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
