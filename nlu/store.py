"""The trained model on disk: one ``.npz`` file per version of data and code, in a given directory.

The file name carries a hash of every training file and of the code that
turns text into features, so editing either retrains on the next start and a
stale model is never used. Files are written to a temporary name and renamed,
so a crash or two processes training at once never leave half a model. NumPy
arrays and JSON only: no pickle, a cache directory cannot run code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nlu.entities import EntityExtractor
from nlu.features import TfidfSpace
from nlu.linear import LinearModel
from nlu.loader import NluDataError, data_files, load_training_data
from nlu.parser import NluParser

FORMAT_VERSION = 2
FILE_PREFIX = "nlu-"
#: Modules whose code shapes the trained arrays; their source is part of the cache key.
TRAINING_MODULES = (
    "nlu.normalize", "nlu.translit", "nlu.features", "nlu.linear", "nlu.classifier",
    "nlu.langid", "nlu.loader", "nlu.entities", "nlu.training", "nlu.intents",
)


class ModelFileError(ValueError):
    """A cached model file is unreadable or from another format version."""


class TrainingError(RuntimeError):
    """Training in a child process failed for a reason other than bad data."""


_DATA_ERROR_EXIT = 3


def cache_key(data_dir: Path) -> str:
    """A hash of the training files (names and bytes) and of the feature and training code."""
    digest = hashlib.sha256(f"format {FORMAT_VERSION}\n".encode())
    for name in TRAINING_MODULES:
        module = importlib.import_module(name)
        digest.update(name.encode() + b"\0" + Path(module.__file__ or "").read_bytes() + b"\0")
    for path in data_files(data_dir):
        digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def model_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"{FILE_PREFIX}{key[:24]}.npz"


def save(parser: NluParser, path: Path, meta: dict[str, Any]) -> None:
    """Write the parser's arrays and metadata atomically."""
    space = parser.intent_model.space
    arrays = {"space.vocab": space.to_bytes(), "space.idf": space.idf,
              **parser.intent_model.to_arrays("intent")}
    if parser.languages.model is not None:
        if parser.languages.model.space is not space:
            raise ValueError("the language model must share the intent model's feature space")
        arrays.update(parser.languages.model.to_arrays("lang"))
    meta = {**meta, "format": FORMAT_VERSION, "entities": parser.entities.to_json(),
            "clarify_below": parser.clarify_below}
    arrays["meta"] = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        savez: Any = np.savez  # numpy's stubs do not type **arrays
        with os.fdopen(fd, "wb") as fh:
            savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> tuple[NluParser, dict[str, Any]]:
    """Read a model file written by :func:`save`; raises ModelFileError if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays["meta"].tobytes().decode())
        if meta.get("format") != FORMAT_VERSION:
            raise ModelFileError(f"{path}: format {meta.get('format')} != {FORMAT_VERSION}")
        space = TfidfSpace.from_arrays(arrays["space.vocab"], arrays["space.idf"])
        intent = LinearModel.from_arrays(arrays, "intent", space)
        lang = LinearModel.from_arrays(arrays, "lang", space) if "lang.weights" in arrays else None
        entities = EntityExtractor.from_json(meta["entities"])
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"{path}: not a usable model file ({exc})") from exc
    return NluParser(intent, lang, entities, clarify_below=meta["clarify_below"]), meta


def train_to_file(data_dir: Path, path: Path, key: str) -> dict[str, Any]:
    """Train on ``data_dir`` and save to ``path``; returns the training statistics."""
    from nlu.training import train

    data = load_training_data(data_dir)
    trained = train(data)
    parser = NluParser(trained.intent, trained.lang,
                       EntityExtractor.from_lookups(data.lookups, data.synonyms))
    stats = {**trained.stats, "problems": data.problems}
    save(parser, path, {"key": key, "stats": stats})
    return stats


def load_or_train(data_dir: Path, cache_dir: Path, *, isolate: bool = True,
                  force: bool = False) -> NluParser:
    """The cached parser for this data and code, training (and pruning old files) if needed."""
    key = cache_key(data_dir)
    path = model_path(cache_dir, key)
    if path.exists() and not force:
        try:
            return load(path)[0]
        except ModelFileError:
            path.unlink(missing_ok=True)  # corrupt or foreign: retrain below
    if isolate:
        _train_in_child(data_dir, path, key)
    else:
        train_to_file(data_dir, path, key)
    for old in cache_dir.glob(f"{FILE_PREFIX}*.npz"):
        if old != path:
            old.unlink(missing_ok=True)
    return load(path)[0]


def _train_in_child(data_dir: Path, path: Path, key: str) -> None:
    """Run :func:`train_to_file` in a fresh interpreter, so scikit-learn never loads here."""
    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run(
        [sys.executable, "-m", "nlu.store", str(data_dir), str(path), key],
        capture_output=True, text=True, env=env, check=False,
    )
    if done.returncode == _DATA_ERROR_EXIT:
        raise NluDataError(done.stderr.strip())
    if done.returncode != 0:
        raise TrainingError(f"training failed (exit {done.returncode}): {done.stderr[-2000:]}")


if __name__ == "__main__":  # the child of _train_in_child
    try:
        train_to_file(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
    except NluDataError as exc:
        print(exc, file=sys.stderr)
        sys.exit(_DATA_ERROR_EXIT)
