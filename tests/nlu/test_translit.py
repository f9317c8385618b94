"""Latin-script Russian back to Cyrillic, and Cyrillic to Latin."""

from __future__ import annotations

import pytest

from nlu.translit import to_cyrillic, to_latin


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("menya zaderzhali na granitse", "меня задержали на границе"),
        ("4to delat s povestkoi", "что делат с повесткой"),
        ("xo4u uyti iz chasti", "хочу уйти из части"),
        ("ya seychas v chasti hochu uiti", "я сейчас в части хочу уйти"),
        ("dadut li mne ubezhishche", "дадут ли мне убежище"),
        ("kak uehat iz rossii", "как уехат из россии"),
        ("stat'ya 328", "статья 328"),
        ("moi dokumenty", "мои документы"),
        ("eto ne to", "это не то"),
    ],
)
def test_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic


def test_to_cyrillic_leaves_numbers_cyrillic_and_emoji_alone() -> None:
    assert to_cyrillic("328 ст. уже 👍") == "328 ст. уже 👍"


def test_to_latin_schemes() -> None:
    assert to_latin("Пришла повестка, что делать?") == "prishla povestka, chto delat?"
    assert to_latin("хочу уйти из части", chat_style=True) == "hochu uiti iz chasti"
    assert to_cyrillic(to_latin("меня задержали")) == "меня задержали"
