"""The sender's knobs and counters, apart from its machinery.

Defaults suit production against Telegram; tests and benchmarks shorten the
waits (min-idle, backoff) so crashes and retries show up in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ratelimit import RateLimits
from hotline.settings import BotSettings

#: Sends in flight at the least (when the rate allows fewer reservations ahead).
MIN_IN_FLIGHT = 16


@dataclass(frozen=True, slots=True)
class SenderConfig:
    limits: RateLimits = field(default_factory=RateLimits)
    #: Entries being sent (or waiting for their reserved slot) at once, at most: see
    #: :attr:`in_flight` for the number actually used.
    concurrency: int = 64
    #: XREADGROUP COUNT and BLOCK.
    batch: int = 100
    block_ms: int = 1000
    #: After a read that found fewer than ``batch`` entries, wait this long before the next:
    #: under load the next read then takes several entries (and their Redis calls go out
    #: batched) instead of one each. The first message after a quiet spell is read at once.
    linger: float = 0.002
    #: Entries read and not yet finished, at most: the rest waits in Redis.
    max_held: int = 2000
    #: An entry idle this long belongs to a dead consumer and is reclaimed.
    min_idle_ms: int = 60_000
    claim_every: float = 5.0
    #: XAUTOCLAIM COUNT per call and calls per round — small, PERFORMANCE.md.
    claim_count: int = 50
    claim_rounds: int = 4
    #: Consumers holding nothing and idle this long are removed from the group.
    forget_after_ms: int = 3_600_000
    #: The chat lease: longer than a request to Telegram can take.
    lock_ms: int = 90_000
    #: 5xx / network: attempts before the dead-letter stream, and the backoff between.
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    #: A chat's entry waits at most this long for its predecessor (held by another
    #: replica), then goes out of order rather than never.
    order_timeout: float = 600.0
    order_poll: float = 0.05
    #: After a 429, the whole bot also pauses this long (Telegram does not say which limit).
    global_pause: float = 1.0
    unauthorized_pause: float = 30.0
    deletions_every: float = 30.0
    #: On shutdown, sends in flight get this long to finish and be recorded.
    shutdown_timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: BotSettings) -> SenderConfig:
        return cls(limits=RateLimits.from_settings(settings))

    @property
    def in_flight(self) -> int:
        """Sends in flight at once: enough that latency never caps throughput, no more than
        can usefully hold a reservation.

        Each send is three round trips (turn, call, finish), and while the same process is
        busy with a wave of updates each takes milliseconds: with 16 in flight and no rate
        limit, the sender fell ~2,000 messages behind the handlers in bench/bot_pipeline.py
        and drained them afterwards with a third of the CPU idle; with 64 it keeps up. But a
        send beyond the global slots that can be reserved ahead (rate x max_ahead) only
        polls the limiter: at Telegram's 30/s, 64 in flight took 62 s of CPU to drain 3,000
        messages where 16 took 5 (bench/bot_sender.py). So: half the reservable slots,
        between :data:`MIN_IN_FLIGHT` and ``concurrency`` — 16 at 30/s, as always.
        """
        limits = self.limits
        reservable = limits.global_rate * limits.headroom * limits.max_ahead
        return min(self.concurrency, max(MIN_IN_FLIGHT, int(reservable / 2)))

    def backoff(self, attempt: int, unit_random: float) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + ceiling / 2 * unit_random


@dataclass(slots=True)
class SenderStats:
    """What one sender did since it started (for logs, metrics and benchmarks)."""

    sent: int = 0
    blocked: int = 0
    #: Entries dropped because their chat had blocked the bot.
    dropped: int = 0
    failed: int = 0
    retried: int = 0
    too_many_requests: int = 0
    malformed: int = 0
    #: Entries found already done (a redelivery) and only acknowledged.
    duplicates: int = 0
    claimed: int = 0
    #: Sends held back by the window check (the process had stalled, slots bunched up).
    held_back: int = 0
