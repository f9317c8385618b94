"""Content packs on disk: ``pack.yaml`` plus one ``<flow id>.yaml`` per flow.

The only module of ``flows`` that touches files. Reading never raises for
bad content: syntax errors, non-mappings, duplicate keys and unreadable files
become problems, so ``hotline flows validate`` reports them all together.
YAML is read with two safety changes: only ``true``/``false`` are booleans
(YAML 1.1 would read a step id ``no`` or a label ``on`` as a boolean), and
aliases of mappings and lists are refused (nested, they expand exponentially;
``yaml.safe_dump`` still writes aliases of repeated dates, which are fine).
Writing is deterministic and loses nothing: load → dump → load gives the
same pack.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from flows.problems import PackInvalid, Problem, error, has_errors, warning
from flows.schema import Flow, Lang, Pack, PackManifest
from flows.validate import MANIFEST_FILE, validate_pack

#: Content files are hand-written text; anything bigger is a mistake.
MAX_FILE_BYTES = 1_000_000
_LANG_ORDER = {lang.value: i for i, lang in enumerate(Lang)}


class PackIOError(Exception):
    """A pack could not be written where it was asked to go."""


class PackFiles(NamedTuple):
    """What a pack directory holds, unvalidated: the manifest, the flows, and read problems."""

    manifest: dict[str, Any] | None
    flows: list[tuple[str, dict[str, Any]]]
    problems: list[Problem]


#: libyaml's parser when PyYAML was built with it (ten times faster), else PyYAML's own.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):  # type: ignore[misc, valid-type]
    """Safe YAML with YAML 1.2 booleans, no shared collections, a record of duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[str, int]] = []

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _refuse_shared_collections(node)
        return self.construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if (key.tag, key.value) in seen:
                    self.duplicate_keys.append((key.value, key.start_mark.line + 1))
                seen.add((key.tag, key.value))
        return super().construct_mapping(node, deep=deep)


def _refuse_shared_collections(root: yaml.Node) -> None:
    """Raise when an alias reuses a mapping or list: nested, they expand exponentially."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None, None, "a mapping or list is reused through an alias (*name); write it out",
                node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            todo += [part for pair in node.value for part in pair]
        else:
            todo += node.value


_BOOL = "tag:yaml.org,2002:bool"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def read_document(name: str, data: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse one YAML file's bytes into a mapping, or say why not."""
    if len(data) > MAX_FILE_BYTES:
        return None, [error("file.too_large", "", f"{len(data)} bytes; the limit is "
                            f"{MAX_FILE_BYTES}", name)]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [error("file.encoding", "", f"not UTF-8 (byte {exc.start})", name)]
    loader = _Loader(text)
    try:
        doc = loader.get_single_data()
    except yaml.YAMLError as exc:
        return None, [error("file.yaml_syntax", "", _yaml_message(exc), name)]
    finally:
        loader.dispose()
    problems = [
        error("file.duplicate_key", "", f"line {line}: key {key!r} appears again; "
              "only the last one would count", name)
        for key, line in loader.duplicate_keys
    ]
    if not isinstance(doc, dict):
        kind = "empty" if doc is None else f"a {type(doc).__name__}"
        problems.append(error("file.not_mapping", "", f"the document is {kind}, not a mapping",
                              name))
        return None, problems
    return doc, problems


def _yaml_message(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def load_pack_dir(path: str | Path) -> PackFiles:
    """The raw documents of a pack directory, flows sorted by file name."""
    root = Path(path)
    if not root.is_dir():
        return PackFiles(None, [], [error("file.not_a_directory", "", "no such directory",
                                          str(root))])
    problems: list[Problem] = []
    manifest: dict[str, Any] | None = None
    flows: list[tuple[str, dict[str, Any]]] = []
    for entry in sorted(root.iterdir()):
        name = entry.name
        if name.startswith(".") or not entry.is_file():
            continue
        if name.endswith(".yml"):
            problems.append(warning("file.ignored", "", "only *.yaml files are read", name))
            continue
        if not name.endswith(".yaml"):
            continue
        try:
            data = entry.read_bytes()
        except OSError as exc:
            problems.append(error("file.unreadable", "", exc.strerror or str(exc), name))
            continue
        doc, found = read_document(name, data)
        problems += found
        if doc is not None and name == MANIFEST_FILE:
            manifest = doc
        elif doc is not None:
            flows.append((name, doc))
    if not (root / MANIFEST_FILE).is_file():
        problems.append(error("file.manifest_missing", "", "the pack has no manifest",
                              MANIFEST_FILE))
    return PackFiles(manifest, flows, problems)


def load_pack(
    path: str | Path,
    *,
    today: dt.date | None = None,
    max_age_days: int = 180,
    known_intents: Collection[str] | None = None,
) -> Pack:
    """The validated pack of a directory; :class:`PackInvalid` lists all problems if it has errors.

    Warnings (stale dates) do not stop loading: old facts are the reviewers'
    call, not a reason to run without content.
    """
    files = load_pack_dir(path)
    problems = files.problems + validate_pack(
        files.manifest, files.flows, today=today or dt.date.today(),
        max_age_days=max_age_days, known_intents=known_intents,
    )
    if has_errors(problems) or files.manifest is None:
        raise PackInvalid(problems)
    return Pack(
        manifest=PackManifest.model_validate(files.manifest),
        flows=[Flow.model_validate(raw) for _, raw in files.flows],
    )


def dump_pack(pack: Pack, path: str | Path, *, prune: bool = False) -> list[Path]:
    """Write ``pack.yaml`` and ``<id>.yaml`` per flow; returns the files written.

    Other ``*.yaml`` files already in the directory would be read back as part
    of the pack, so they are an error unless ``prune`` deletes them.
    """
    root = Path(path)
    names = [f"{flow.id}.yaml" for flow in pack.flows]
    if MANIFEST_FILE in names or len(set(names)) != len(names):
        raise PackIOError("flow ids must be unique and must not be 'pack'")
    root.mkdir(parents=True, exist_ok=True)
    stale = sorted(p for p in root.glob("*.yaml") if p.name not in {MANIFEST_FILE, *names})
    if stale and not prune:
        raise PackIOError(f"{root} holds files of other flows: {', '.join(p.name for p in stale)}")
    written = [_write(root / MANIFEST_FILE, manifest_document(pack.manifest))]
    for name, flow in zip(names, pack.flows, strict=True):
        written.append(_write(root / name, flow_document(flow)))
    for old in stale:
        old.unlink()
    return written


def manifest_document(manifest: PackManifest) -> dict[str, Any]:
    """The manifest as written: every field spelled out, since reviewers read this file."""
    doc = manifest.model_dump(mode="json", exclude_none=True)
    doc["fallback"] = _by_language(doc.get("fallback", {}))
    doc["ui"] = {key: _by_language(text) for key, text in doc.get("ui", {}).items()}
    return doc


def flow_document(flow: Flow) -> dict[str, Any]:
    """A flow as written: defaults left out, ``type`` first in each step, dates as dates."""
    doc = flow.model_dump(mode="json", exclude_defaults=True)
    doc["title"] = _by_language(doc["title"])
    doc["steps"] = {sid: _step_document(step) for sid, step in doc["steps"].items()}
    return doc


def _step_document(step: dict[str, Any]) -> dict[str, Any]:
    out = {"type": step["type"], **step}
    if "text" in out:
        out["text"] = _by_language(out["text"])
    for option in out.get("options", []):
        option["label"] = _by_language(option["label"])
    if "as_of" in out:
        out["as_of"] = dt.date.fromisoformat(out["as_of"])
    for source in out.get("sources", []):
        if "date" in source:
            source["date"] = dt.date.fromisoformat(source["date"])
    return out


def _by_language(texts: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(texts.items(), key=lambda item: _LANG_ORDER.get(item[0], len(_LANG_ORDER))))


class _Dumper(yaml.SafeDumper):
    """Block style, no aliases, multi-line texts as literal blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


#: Line breaks other than \n: PyYAML's emitter writes them unescaped in plain and
#: block styles and reads them back as different characters.
_ODD_BREAKS = frozenset("\r\x85\u2028\u2029")


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Multi-line texts as literal blocks; anything with odd line breaks double-quoted."""
    style = '"' if _ODD_BREAKS.intersection(data) else "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def to_yaml(doc: dict[str, Any]) -> str:
    """Readable, deterministic YAML of a document."""
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)


def _write(target: Path, doc: dict[str, Any]) -> Path:
    """Write atomically, so a crash never leaves half a file for the next import."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(to_yaml(doc))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
