"""The safety net: rules so that ``urgent_danger`` and ``serving_soldier`` are never missed.

A statistical model will sometimes miss a person who is being detained right
now or who writes from a trench. The rules here are tuned for recall on top of
the model: when one fires, the parser answers with that intent whatever the
model thought (the other priority intent excepted). They run on every language
at once (people mix languages and short texts fool language identification),
on the spelling-folded text and, for Latin-script texts, on its Cyrillic
transliteration, so the Russian rules also cover "menya zaderzhali".

A rule may name words that, just before the match, mean the sentence is
hypothetical ("если меня задержат", "what happens if"): those matches are
ignored, because a question about risks belongs to ``legal_risks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.safety_rules import RULES, Rule

GUARD_WINDOW = 40  # characters before a match searched for hypothetical words


@dataclass(frozen=True, slots=True)
class SafetyHit:
    """Which priority intent a rule demands, and the rule's name (for tests and evaluation)."""

    intent: str
    rule: str


class _Compiled:
    __slots__ = ("intent", "script", "pattern", "guards")

    def __init__(self, intent: str, script: str, rules: list[Rule]) -> None:
        self.intent = intent
        self.script = script
        self.pattern = re.compile("|".join(f"(?P<{r.name}>{r.pattern})" for r in rules))
        self.guards = {r.name: re.compile(r.unless_before) for r in rules if r.unless_before}


_CYRILLIC = re.compile("[\u0400-\u04ff]")
_LATIN = re.compile("[a-z]")


def _gate(rules: list[Rule]) -> re.Pattern[str]:
    """Any rule at all, tried only where a word starts: a quick "nothing here" for most texts.

    The leading ``(?:^| )`` lets the regex engine skip to spaces instead of
    trying every alternative at every character (2.5 times faster). Every
    rule starts at the start of a word, so the gate misses none.
    """
    return re.compile(r"(?:^| )(?=\S)(?:" + "|".join(f"(?:{r.pattern})" for r in rules) + ")")


class SafetyNet:
    """Compiled rules: a gate per script, then one alternation per intent and script."""

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        groups: dict[tuple[str, str], list[Rule]] = {}
        for rule in rules:
            groups.setdefault((rule.intent, rule.script), []).append(rule)
        # urgent_danger first: when both fire, immediate danger wins.
        order = sorted(groups, key=lambda key: key[0] != "urgent_danger")
        self._compiled = [_Compiled(intent, script, groups[intent, script])
                          for intent, script in order]
        self._gates = {
            script: _gate([r for r in rules if r.script == script])
            for script in ("any", "cyrl", "latn")
        }

    def check(self, *forms: str) -> SafetyHit | None:
        """The first rule that fires on any of the text's forms (folded text, transliteration).

        Rules written for Cyrillic run only on forms with Cyrillic letters, and
        likewise for Latin; the gates skip texts no rule could match.
        """
        for form in forms:
            if not form:
                continue
            scripts = set()
            if self._gates["any"].search(form):
                scripts.add("any")
            if _CYRILLIC.search(form) and self._gates["cyrl"].search(form):
                scripts.add("cyrl")
            if _LATIN.search(form) and self._gates["latn"].search(form):
                scripts.add("latn")
            if scripts:
                hit = self._check_form(form, scripts)
                if hit is not None:
                    return hit
        return None

    def _check_form(self, form: str, scripts: set[str]) -> SafetyHit | None:
        for compiled in self._compiled:
            if compiled.script not in scripts:
                continue
            for m in compiled.pattern.finditer(form):
                name = m.lastgroup or ""
                guard = compiled.guards.get(name)
                if guard and guard.search(form, max(0, m.start() - GUARD_WINDOW), m.start()):
                    continue
                return SafetyHit(compiled.intent, name)
        return None
