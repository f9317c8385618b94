from __future__ import annotations

import pytest

from hotline.crypto import DecryptionError, Pseudonymizer, Sealer

SECRET = "s" * 48


def test_pseudonym_is_stable_keyed_and_not_the_id() -> None:
    ids = Pseudonymizer(SECRET)
    assert ids("tg", 123456789) == ids("tg", 123456789)
    assert ids("tg", 123456789) != ids("tg", 123456780)
    assert ids("tg", 1) != ids("web", 1)
    assert ids("tg", 123456789) != Pseudonymizer("t" * 48)("tg", 123456789)
    assert "123456789" not in ids("tg", 123456789)
    assert len(ids("tg", 1)) == 32


def test_seal_round_trip_in_every_script() -> None:
    sealer = Sealer(SECRET, "text")
    for text in ["", "пришла повестка что делать", "🙏" * 1000, "x" * 4096]:
        token = sealer.seal(text, context="abc")
        assert text[:8] not in token or not text
        assert sealer.open(token, context="abc") == text


def test_sealed_values_differ_each_time() -> None:
    sealer = Sealer(SECRET, "text")
    assert sealer.seal("same") != sealer.seal("same")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"),
        lambda t: t[:10],
        lambda t: "not base64 at all!!",
        lambda t: "",
    ],
)
def test_tampered_values_are_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    sealer = Sealer(SECRET, "text")
    with pytest.raises(DecryptionError):
        sealer.open(tamper(sealer.seal("hello")))


def test_wrong_context_purpose_or_key_is_refused() -> None:
    token = Sealer(SECRET, "text").seal("hello", context="person-a")
    with pytest.raises(DecryptionError):
        Sealer(SECRET, "text").open(token, context="person-b")
    with pytest.raises(DecryptionError):
        Sealer(SECRET, "chat").open(token, context="person-a")
    with pytest.raises(DecryptionError):
        Sealer("k" * 48, "text").open(token, context="person-a")
