"""Find countries, document types and summons kinds with the lookup tables and synonyms of the data.

Slavic nouns inflect ("Казахстан", "в Казахстане", "у Грузії", "iz Rossii"), so
both the lookup entries and the message are cut to a crude stem before they
are compared. Values are canonicalised through the synonyms, so "загран",
"zagran" and "foreign passport" all come out as ``foreign_passport``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from nlu.normalize import fold, tokens

MAX_PHRASE_WORDS = 5
_MIN_STEM = 3
_ENDINGS: dict[int, frozenset[str]] = {
    3: frozenset("ами ями ого его ому ему ыми ими ией иям иях ией ією iya iyu iey".split()),
    2: frozenset("ах ях ой ей ом ем ую юю ая яя ое ее ые ие ых их ым им ия ии ию ія ії ію ие ою "
                 "ою ii iy ie iu ya yu".split()),
    1: frozenset("а я у ю е и ы і о ь й ї a e i y u o".split()),
}


class Entity(BaseModel):
    """An entity found in a message: its type, canonical value and the words that named it."""

    model_config = ConfigDict(frozen=True)

    entity: str
    value: str
    text: str


def stem(word: str) -> str:
    """The word without one common inflectional ending, if enough of it remains."""
    for k in (3, 2, 1):
        if len(word) - k >= _MIN_STEM and word[-k:] in _ENDINGS[k]:
            return word[:-k]
    return word


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(stem(fold(w)) for w in tokens(phrase))


class EntityExtractor:
    """Greedy longest match of stemmed phrases from the lookup tables."""

    def __init__(self, table: Mapping[tuple[str, ...], tuple[str, str]]) -> None:
        self.table = dict(table)
        self.max_words = max((len(k) for k in self.table), default=0)
        self._starts = frozenset(k[0] for k in self.table)  # most words start no entity

    @classmethod
    def from_lookups(
        cls, lookups: Mapping[str, Sequence[str] | set[str]], synonyms: Mapping[str, str]
    ) -> EntityExtractor:
        canonical = {fold(v.lower()): v for v in synonyms.values()}
        table: dict[tuple[str, ...], tuple[str, str]] = {}
        for entity in sorted(lookups):
            for surface in sorted(lookups[entity]):
                folded = fold(surface.lower())
                value = synonyms.get(folded) or canonical.get(folded) or surface
                key = _key(surface)
                if key and len(key) <= MAX_PHRASE_WORDS:
                    table.setdefault(key, (entity, value))
        # A synonym names one more way to say a value the lookups know ("РФ" for russia).
        entity_of = {value: entity for entity, value in table.values()}
        for surface, value in sorted(synonyms.items()):
            key = _key(surface)
            if value in entity_of and key and len(key) <= MAX_PHRASE_WORDS:
                table.setdefault(key, (entity_of[value], value))
        return cls(table)

    def extract(self, words: Sequence[str]) -> list[Entity]:
        """Entities in a tokenised message (lower-case words, as :func:`nlu.normalize.tokens`)."""
        if not self.table:
            return []
        stems = [stem(fold(w)) for w in words]
        found: list[Entity] = []
        i, n = 0, len(stems)
        while i < n:
            if stems[i] in self._starts:
                for size in range(min(self.max_words, n - i), 0, -1):
                    hit = self.table.get(tuple(stems[i : i + size]))
                    if hit is not None:
                        surface = " ".join(words[i : i + size])
                        found.append(Entity(entity=hit[0], value=hit[1], text=surface))
                        i += size - 1
                        break
            i += 1
        return found

    def to_json(self) -> list[list[Any]]:
        return [[list(k), e, v] for k, (e, v) in self.table.items()]

    @classmethod
    def from_json(cls, rows: list[list[Any]]) -> EntityExtractor:
        return cls({tuple(k): (e, v) for k, e, v in rows})
