"""One parser trained on the small fixture data (tests/nlu/fixtures/data), shared by the tests.

Training in-process takes a couple of seconds; the real data (nlu/data) is
only read where a test says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlu.parser import NluParser
from nlu.store import load_or_train

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"
REAL_DATA = Path(__file__).parents[2] / "nlu" / "data"


@pytest.fixture(scope="session")
def fixture_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-cache")


@pytest.fixture(scope="session")
def parser(fixture_cache: Path) -> NluParser:
    return load_or_train(FIXTURE_DATA, fixture_cache, isolate=False)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture data, for tests that edit or break it."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    return target
