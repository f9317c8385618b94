"""Pseudonyms and encryption at rest, derived from ``HOTLINE_SECRET_KEY``.

People are known by a keyed hash of their Telegram id, so the database never
holds the id itself and a stolen database cannot be joined with Telegram.
Text and anything that maps back to a chat is sealed with AES-GCM under a key
derived from the same secret, which never enters the database. Separate keys
per purpose (HKDF ``info``) mean a leak of one derived key does not open the
others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
PSEUDONYM_CHARS = 32


class DecryptionError(ValueError):
    """A sealed value was tampered with, truncated, or sealed under another key."""


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for one ``purpose``, derived from the deployment secret."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"hotline/v1", info=purpose.encode()
    ).derive(secret.encode())


class Pseudonymizer:
    """Keyed hash of an external id: stable per deployment, irreversible without the key."""

    def __init__(self, secret: str) -> None:
        self._key = derive_key(secret, "pseudonym")

    def __call__(self, channel: str, external_id: int | str) -> str:
        digest = hmac.new(self._key, f"{channel}:{external_id}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().rstrip("=").lower()[:PSEUDONYM_CHARS]


class Sealer:
    """AES-GCM encryption of short values (message text, chat ids) for storage."""

    def __init__(self, secret: str, purpose: str) -> None:
        self._aead = AESGCM(derive_key(secret, purpose))

    def seal(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt ``plaintext``; ``context`` (e.g. the pseudonym) is authenticated, not stored."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode() or None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, token: str, *, context: str = "") -> str:
        """Decrypt a value from :meth:`seal`; raise :class:`DecryptionError` if it is not ours."""
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
            return self._aead.decrypt(nonce, sealed, context.encode() or None).decode()
        except (InvalidTag, ValueError, UnicodeError) as exc:
            raise DecryptionError("sealed value cannot be opened") from exc
