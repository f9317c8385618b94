"""Test data: valid flows and packs, and staff with tokens."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any

import yaml

from flows.schema import Flow, Pack, PackManifest

MANIFEST_FILE = Path(__file__).resolve().parents[2] / "flows" / "content" / "pack.yaml"
LANGS = ("ru", "uk", "be", "en", "de")
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A fresh identifier-shaped name, so tests sharing the run's database never collide."""
    return f"{prefix}_{next(_counter)}_{uuid.uuid4().hex[:6]}"


def manifest() -> PackManifest:
    return PackManifest.model_validate(yaml.safe_load(MANIFEST_FILE.read_text()))


def flow_doc(
    flow_id: str, text: str = "Hello", *, intents: list[str] | None = None
) -> dict[str, Any]:
    """A small valid flow: a message in every language, then the end."""
    return {
        "id": flow_id,
        "intents": intents or [],
        "title": {lang: f"{flow_id} ({lang})" for lang in LANGS},
        "start": "hello",
        "steps": {
            "hello": {"type": "message", "text": {lang: f"{text} [{lang}]" for lang in LANGS},
                      "next": "bye"},
            "bye": {"type": "end"},
        },
    }


def pack(*flow_ids: str, text: str = "Hello") -> Pack:
    return Pack(manifest=manifest(),
                flows=[Flow.model_validate(flow_doc(f, text)) for f in flow_ids])
