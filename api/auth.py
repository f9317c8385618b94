"""Personal tokens: generated once, stored only as a hash, looked up through a short cache.

A token is ``hl_`` + 32 random bytes (urlsafe base64); the database keeps its
sha256. Looking a hash up costs a PostgreSQL round trip, so results (found or
not) are remembered in process memory for ``ttl`` seconds: the bundle path,
hit by every bot replica, then costs a dict lookup. Revoking in this process
drops the entry at once; other replicas notice within the TTL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from api.models import Role

TOKEN_PREFIX = "hl_"
#: A real token is 46 characters; anything much longer is not worth hashing.
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: enough to authorise and to write the audit log."""

    id: int
    name: str
    role: Role


def new_token() -> str:
    """A fresh personal token; shown to its owner once, never stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison, so timing tells nothing about a stored hash."""
    return hmac.compare_digest(a.encode(), b.encode())


Lookup = Callable[[str], Awaitable[Principal | None]]


class TokenCache:
    """token hash → principal (or None for unknown/revoked), each entry valid for ``ttl`` s."""

    def __init__(self, lookup: Lookup, *, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    async def resolve(self, token: str) -> Principal | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        principal = await self._lookup(digest)
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[digest] = (now + self._ttl, principal)
        return principal

    def cached(self, token: str) -> Principal | None:
        """The principal if this token is in the cache and fresh; never a database call."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        hit = self._entries.get(hash_token(token))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def forget(self, staff_id: int) -> None:
        """Drop every cached entry of this staff member (after a revoke)."""
        stale = [k for k, (_, p) in self._entries.items() if p is not None and p.id == staff_id]
        for key in stale:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()
