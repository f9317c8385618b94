"""Read Rasa 3.x NLU training data (``nlu/data/<lang>/*.yml``) into plain examples.

The files follow Rasa's format so an existing Rasa assistant can reuse them:
``intent`` blocks with ``examples: |`` lists, ``lookup`` and ``synonym`` blocks,
and entity markup ``[Казахстан](country)``, ``[Казахстане](country:Kazakhstan)``
or ``[загран]{"entity": "document", "value": "foreign_passport"}``. The markup
is stripped to plain text for the classifiers and kept aside for the entity
extractor. Mistakes that Rasa would reject are errors; doubtful data (unknown
intent names, one text under two intents) is collected as problems to report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nlu.intents import INTENTS, LANG_DIRS
from nlu.normalize import clean, fold

DATA_SUFFIXES = (".yml", ".yaml")
_MARKUP = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|(?P<dict>\{[^}]*?\})"
    r"|\[(?P<list>\{.*?\})\])"
)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class NluDataError(ValueError):
    """The training data cannot be read at all (broken YAML, wrong structure)."""


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """An annotated entity in a training example: its type, canonical value and surface text."""

    entity: str
    value: str
    text: str


@dataclass(frozen=True, slots=True)
class Example:
    """One training sentence, markup stripped, with the data directory it came from."""

    text: str
    intent: str
    lang: str
    entities: tuple[EntitySpan, ...] = ()
    source: str = ""


@dataclass
class TrainingData:
    """Everything the trainers need from the data directory."""

    examples: list[Example] = field(default_factory=list)
    lookups: dict[str, set[str]] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def intents(self) -> list[str]:
        return sorted({ex.intent for ex in self.examples})


def data_files(data_dir: Path) -> list[Path]:
    """The YAML files that make up the training data, in a stable order (also the cache key)."""
    if not data_dir.is_dir():
        raise NluDataError(f"training data directory not found: {data_dir}")
    return sorted(p for p in data_dir.rglob("*") if p.suffix in DATA_SUFFIXES and p.is_file())


def strip_markup(text: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Plain text and the annotated entities of one example line."""
    spans: list[EntitySpan] = []

    def replace(m: re.Match[str]) -> str:
        surface = m.group("text")
        if m.group("entity"):
            value = (m.group("value") or surface).strip()
            spans.append(EntitySpan(m.group("entity").strip(), value, surface))
        else:
            raw = m.group("dict") or f"[{m.group('list')}]"
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise NluDataError(f"bad entity annotation {raw!r}: {exc.msg}") from exc
            for item in parsed if isinstance(parsed, list) else [parsed]:
                if not isinstance(item, dict) or not isinstance(item.get("entity"), str):
                    raise NluDataError(f"entity annotation without an entity name: {raw!r}")
                spans.append(EntitySpan(item["entity"], str(item.get("value", surface)), surface))
        return surface

    return _MARKUP.sub(replace, text), tuple(spans)


def _example_lines(block: Any, where: str) -> Iterator[str]:
    if isinstance(block, str):
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not line.startswith("-"):
                raise NluDataError(f"{where}: example line does not start with '- ': {line[:60]!r}")
            yield line[1:].strip()
    elif isinstance(block, list):
        for item in block:
            text = item.get("text") if isinstance(item, dict) else item
            if not isinstance(text, str):
                raise NluDataError(f"{where}: example is not text: {item!r:.60}")
            yield text.strip()
    else:
        raise NluDataError(f"{where}: 'examples' must be a block of '- ' lines or a list")


def _parse_file(path: Path, lang: str, data: TrainingData) -> None:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NluDataError(f"{path}: not valid YAML: {exc}") from exc
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise NluDataError(f"{path}: top level must be a mapping with an 'nlu' list")
    items = doc.get("nlu") or []
    if not isinstance(items, list):
        raise NluDataError(f"{path}: 'nlu' must be a list")
    for n, item in enumerate(items):
        where = f"{path}: nlu[{n}]"
        if not isinstance(item, dict):
            raise NluDataError(f"{where}: each entry must be a mapping")
        lines = _example_lines(item.get("examples", ""), where)
        if "intent" in item:
            intent = str(item["intent"]).split("/")[0].strip()
            if intent not in INTENTS:
                data.problems.append(f"{where}: unknown intent {intent!r}")
            for line in lines:
                text, spans = strip_markup(line)
                text = clean(text)
                if text:
                    data.examples.append(Example(text, intent, lang, spans, f"{where}"))
                    for span in spans:
                        data.lookups.setdefault(span.entity, set()).add(span.text)
                        if span.value != span.text:
                            data.synonyms[fold(span.text.lower())] = span.value
        elif "lookup" in item:
            data.lookups.setdefault(str(item["lookup"]), set()).update(x for x in lines if x)
        elif "synonym" in item:
            value = str(item["synonym"])
            data.synonyms.update((fold(line.lower()), value) for line in lines if line)
        elif "regex" not in item:
            data.problems.append(f"{where}: entry is neither intent, lookup, synonym nor regex")


def load_training_data(data_dir: Path, files: Iterable[Path] | None = None) -> TrainingData:
    """Parse every data file under ``data_dir``; the first directory level names the language."""
    data = TrainingData()
    for path in files if files is not None else data_files(data_dir):
        rel = path.relative_to(data_dir)
        lang = rel.parts[0] if len(rel.parts) > 1 else ""
        if lang and lang not in LANG_DIRS:
            data.problems.append(f"{path}: directory {lang!r} is not a known language")
            lang = ""
        data.files.append(path)
        _parse_file(path, lang, data)
    _report_conflicts(data)
    return data


def _report_conflicts(data: TrainingData) -> None:
    """The same text under two intents confuses the model and hides a labelling mistake."""
    seen: dict[str, Example] = {}
    for ex in data.examples:
        key = fold(ex.text.lower())
        first = seen.setdefault(key, ex)
        if first.intent != ex.intent:
            data.problems.append(f"{ex.source}: {ex.text!r} is {ex.intent!r} here but "
                                 f"{first.intent!r} in {first.source}")
