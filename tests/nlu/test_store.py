"""The model cache: keyed by data and code, reused, retrained on change, robust to damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu import store
from nlu.loader import NluDataError
from nlu.parser import NluParser

from .conftest import FIXTURE_DATA


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Records every in-process training, to tell a cache hit from a retrain."""
    calls: list[Path] = []
    real = store.train_to_file

    def counting(data_dir: Path, path: Path, key: str) -> dict[str, object]:
        calls.append(path)
        return real(data_dir, path, key)

    monkeypatch.setattr(store, "train_to_file", counting)
    return calls


def test_key_is_stable_and_follows_the_data(data_copy: Path) -> None:
    key = store.cache_key(data_copy)
    assert key == store.cache_key(data_copy) == store.cache_key(FIXTURE_DATA)
    path = data_copy / "en" / "nlu.yml"
    path.write_text(path.read_text() + "    - hiya\n", encoding="utf-8")
    changed = store.cache_key(data_copy)
    assert changed != key
    (data_copy / "en" / "extra.yml").write_text("nlu: []\n", encoding="utf-8")
    assert store.cache_key(data_copy) not in (key, changed)


def test_cache_is_reused_then_retrained_when_data_changes(
    data_copy: Path, tmp_path: Path, trainings: list[Path]
) -> None:
    cache = tmp_path / "cache"
    first = store.load_or_train(data_copy, cache, isolate=False)
    again = store.load_or_train(data_copy, cache, isolate=False)
    assert len(trainings) == 1
    assert again.parse("привет") == first.parse("привет")

    path = data_copy / "ru" / "nlu.yml"
    path.write_text(path.read_text().replace("    - привет\n", "    - привет\n    - хай\n"),
                    encoding="utf-8")
    store.load_or_train(data_copy, cache, isolate=False)
    assert len(trainings) == 2
    assert [p.name for p in cache.glob("nlu-*.npz")] == [trainings[1].name]  # old one pruned


def test_damaged_cache_file_is_retrained(data_copy: Path, tmp_path: Path,
                                         trainings: list[Path]) -> None:
    cache = tmp_path / "cache"
    store.load_or_train(data_copy, cache, isolate=False)
    trainings[0].write_bytes(b"not a zip file")
    parser = store.load_or_train(data_copy, cache, isolate=False)
    assert len(trainings) == 2
    assert parser.parse("привет").intent == "greet"
    with pytest.raises(store.ModelFileError):
        store.load(tmp_path / "missing.npz")


def test_save_and_load_round_trip(parser: NluParser, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    store.save(parser, path, {"note": "test"})
    loaded, meta = store.load(path)
    assert meta["note"] == "test" and meta["format"] == store.FORMAT_VERSION
    texts = ["живу в Казахстане", "kak uehat", "hello", "їду"]
    assert loaded.parse_batch(texts) == parser.parse_batch(texts)


def test_isolated_training_keeps_scikit_learn_out_and_reports_bad_data(data_copy: Path,
                                                                       tmp_path: Path) -> None:
    parser = store.load_or_train(data_copy, tmp_path / "cache", isolate=True)
    assert parser.parse("пришла повестка что делать").intent == "summons"
    (data_copy / "de" / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    hallo\n")
    with pytest.raises(NluDataError, match="does not start with"):
        store.load_or_train(data_copy, tmp_path / "cache", isolate=True)


def test_too_little_data_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "nlu.yml").write_text("nlu:\n- intent: greet\n  examples: |\n    - hi\n")
    from nlu.training import NotEnoughDataError

    with pytest.raises(NotEnoughDataError):
        store.load_or_train(tmp_path, tmp_path / "cache", isolate=False)
