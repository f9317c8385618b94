"""The default content pack: valid, complete, honest, and marked for review."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from flows.packio import load_pack
from flows.schema import Pack
from flows.validate import validate_pack_dir

CONTENT = Path(__file__).resolve().parents[2] / "flows" / "content"
INTENTS_MD = Path(__file__).resolve().parents[3] / "shared" / "intents.md"
INTENTS = (
    "greet leave_country protection_status asylum_procedure summons legal_risks third_country "
    "humanitarian_visa serving_soldier talk_to_human urgent_danger privacy change_language "
    "goodbye_thanks out_of_scope"
).split()


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(CONTENT)


def test_intent_list_matches_the_shared_taxonomy() -> None:
    if not INTENTS_MD.exists():
        pytest.skip("../shared/intents.md is not beside the project")
    names = re.findall(r"^\| `([a-z_]+)` \|", INTENTS_MD.read_text(), flags=re.M)
    assert sorted(names) == sorted(INTENTS)


def test_pack_validates_without_errors() -> None:
    problems = validate_pack_dir(CONTENT, today=dt.date(2026, 11, 22), max_age_days=180)
    errors = [p for p in problems if p.severity == "error"]
    assert errors == [], "\n".join(p.location + " " + p.message for p in errors)


def test_every_intent_has_exactly_one_flow(pack: Pack) -> None:
    owners: dict[str, list[str]] = {}
    for flow in pack.flows:
        for intent in flow.intents:
            owners.setdefault(intent, []).append(flow.id)
    assert {i: owners.get(i) for i in INTENTS} == {i: [i] for i in INTENTS}


def test_every_enabled_language_has_every_text(pack: Pack) -> None:
    def texts(node: object, path: str) -> list[tuple[str, dict[str, str]]]:
        found: list[tuple[str, dict[str, str]]] = []
        if isinstance(node, dict):
            if node and set(node) <= {"ru", "uk", "be", "en", "de"}:
                return [(path, node)]
            for key, value in node.items():
                found += texts(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                found += texts(value, f"{path}/{i}")
        return found

    languages = [lang.value for lang in pack.manifest.languages]
    assert set(languages) == {"ru", "uk", "en", "de"}
    missing = [
        f"{path}: {lang}"
        for flow in pack.flows
        for path, text in texts(flow.model_dump(mode="json"), flow.id)
        for lang in languages
        if not (text.get(lang) or "").strip()
    ]
    assert missing == []


def test_every_factual_step_is_dated_and_sourced(pack: Pack) -> None:
    factual = [
        (flow.id, sid, step)
        for flow in pack.flows
        for sid, step in flow.steps.items()
        if getattr(step, "factual", False)
    ]
    assert len(factual) > 30
    for flow_id, sid, step in factual:
        assert step.as_of is not None and step.sources, f"{flow_id}/{sid}"  # type: ignore[union-attr]


def test_pack_is_marked_as_needing_review(pack: Pack) -> None:
    assert pack.manifest.needs_review
    for path in CONTENT.glob("*.yaml"):
        if path.name != "pack.yaml":
            assert "NEEDS REVIEW" in path.read_text().splitlines()[0], path.name


#: Promises the bot must never make (content brief, section 9). A match is allowed only when
#: a negation stands just before it ("no rule guarantees", "not safe from extradition").
FORBIDDEN = [
    r"\bwill get (asylum|protection|a visa)\b", r"\bguarantee", r"гарантир", r"гарантує",
    r"\bgarantiert", r"\bsafe from (extradition|deportation)\b", r"\bне выдадут\b",
    r"\bcan be ignored\b", r"можно игнорировать", r"\bat (an|the) embassy you can apply\b",
]
NEGATIONS = re.compile(
    r"\b(no|not|none|\w+n't|neither|never|nor|keine[rs]?|nicht|nie)\b"
    r"|(^|\s)(не|ни|никакое|ни один|жодне|жоден|ні)\s",
    flags=re.I,
)
PHONE = re.compile(r"\+\d[\d\s\-()]{7,}\d")


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_content_never_promises(pattern: str) -> None:
    for path in CONTENT.glob("*.yaml"):
        for text in _all_strings(yaml.safe_load(path.read_text())):
            for match in re.finditer(pattern, text, flags=re.I):
                before = text[max(0, match.start() - 30) : match.start()]
                assert NEGATIONS.search(before), f"{path.name}: ...{before}{match.group(0)}..."


def test_content_has_no_phone_numbers() -> None:
    for path in CONTENT.glob("*.yaml"):
        assert not PHONE.search(path.read_text()), path.name


def test_the_promise_check_can_fail() -> None:
    text = "With this summons you will get asylum in Germany."
    match = re.search(FORBIDDEN[0], text, flags=re.I)
    assert match and not NEGATIONS.search(text[max(0, match.start() - 30) : match.start()])


def _all_strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _all_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _all_strings(v)]
    return []
