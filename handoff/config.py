"""The queue's tunables, one frozen model built at start-up and handed to each queue object.

The defaults fit a small hotline: an urgent ticket unclaimed for two minutes is
already too long for someone in danger; a normal one may wait half an hour
before a supervisor is told.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from handoff.tickets import Priority


def _default_alerts() -> dict[Priority, float]:
    return {Priority.urgent: 120.0, Priority.high: 600.0, Priority.normal: 1800.0}


class QueueConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Seconds a ticket may wait unclaimed before :meth:`QueueWatch.overdue` reports it (once).
    alert_after: dict[Priority, float] = Field(default_factory=_default_alerts)
    #: Seconds an advisor's presence lasts without a heartbeat.
    presence_ttl: float = Field(default=30.0, gt=0)
    #: Seconds after a presence expired before the advisor's chats go back to the queue
    #: (a reconnecting browser keeps its chats).
    absent_grace: float = Field(default=120.0, ge=0)
    #: Seconds a ticket request id is remembered, so a redelivery is not a second ticket.
    seen_ttl: float = Field(default=7 * 24 * 3600.0, gt=0)
    #: Recent claims kept per language for the wait estimate.
    waits_keep: int = Field(default=200, ge=1, le=10_000)
    #: Only claims this recent (seconds) count for the estimate.
    estimate_window: float = Field(default=24 * 3600.0, gt=0)
    #: Fewer recent claims than this and the estimate is "unknown".
    min_samples: int = Field(default=5, ge=1)
    #: Approximate cap of the closed-tickets and dead-letter streams.
    stream_maxlen: int = Field(default=10_000, ge=100)

    def alert_ms(self, priority: Priority) -> int:
        return int(self.alert_after.get(priority, _default_alerts()[priority]) * 1000)
