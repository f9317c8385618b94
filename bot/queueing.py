"""What the bot tells a person about the advisors' queue, and the signed closing question.

Built once at start-up (:class:`QueueDesk`) and shared by the Telegram
handlers, the web chat, the relay and the queue notifier, so all of them word
a place in the queue, the wait estimate, service hours and the survey the
same way. Honesty rules: the estimate is the queue's own median of recent
waits or, with too little data, "I can't say" (handoff/watch.py); outside
service hours the person is told when advisors are next on duty, in the
service's time zone, named.

The survey buttons carry a short MAC of (ticket, pseudonym): a callback that
was forged, or tapped by someone else, does not count; a second tap finds the
"answered" marker and gets a polite note instead of a second score.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.callbacks import SurveyCb
from bot.dialogue import BotButton, Message
from bot.texts import WEEKDAYS, T, text
from flows.schema import Lang
from handoff import keys
from handoff.hours import ServiceHours
from handoff.relay import Feedback, Score, send_feedback
from handoff.watch import Estimate, Position, QueueWatch, describe
from hotline.crypto import derive_key

#: The notifier tells a person at most this often (seconds).
TELL_EVERY = 60.0
#: A drop to this place or better is worth telling.
TOP = 3
#: ... as is a drop by at least this fraction.
MEANINGFUL_DROP = 0.25
#: Estimate buckets in minutes; a change of bucket is worth telling.
BUCKETS = (5, 15, 30, 60, 120)
#: The survey answer marker lives this long (a stale button after that is just "thanks").
FEEDBACK_TTL = 30 * 24 * 3600
#: Telegram's limit for callback data.
MAX_CALLBACK = 64
_SCORES = {"y": Score.helped, "n": Score.not_helped}


@dataclass(frozen=True, slots=True)
class Told:
    """What a waiting person was last told: place, estimate bucket, when (epoch seconds)."""

    position: int
    bucket: str
    at: float

    def dump(self) -> str:
        return f"{self.position}:{self.bucket}:{int(self.at)}"

    @classmethod
    def parse(cls, raw: bytes | str | None) -> Told | None:
        if raw is None:
            return None
        value = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        parts = value.split(":")
        if len(parts) < 2 or not parts[0].isdigit():
            return None
        at = float(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0.0
        return cls(int(parts[0]), parts[1], at)


def bucket(estimate: Estimate) -> str:
    """The estimate's bucket: "u" for unknown, else the first bound it fits under."""
    wait = describe(estimate)
    if wait is None:
        return "u"
    minutes = wait.total_seconds() / 60
    for bound in BUCKETS:
        if minutes <= bound:
            return str(bound)
    return "more"


def should_tell(told: Told | None, position: int, bucket_now: str, now: float) -> bool:
    """A change worth a message: first news, a new estimate bucket, or a real step forward
    (into the top three, or by a quarter) — and never more than once a minute."""
    if told is None:
        return True
    if now - told.at < TELL_EVERY:
        return False
    if bucket_now != told.bucket:
        return True
    if position >= told.position:
        return False
    return position <= TOP or position <= told.position * (1 - MEANINGFUL_DROP)


def next_shift(hours: ServiceHours, now: dt.datetime, lang: Lang) -> str | None:
    """"Advisors are back at …" when the service is closed at ``now``; None when open."""
    if hours.is_open(now):
        return None
    start = hours.next_open(now)
    if start is None:
        return None
    when = f"{WEEKDAYS[lang][start.weekday()]} {start:%d.%m}, {start:%H:%M}"
    return text(T.hours_closed, lang, when=when, tz=hours.tz.key)


class QueueDesk:
    """The bot's view of the queue for one person; built once, injected."""

    def __init__(self, redis: Redis, *, secret: str, hours: ServiceHours, service_name: str,
                 note_every: float = 300.0, watch: QueueWatch | None = None) -> None:
        self.redis = redis
        self.hours = hours
        self.service_name = service_name
        self.note_every = note_every
        self.watch = watch or QueueWatch(redis)
        self._survey_key = derive_key(secret, "survey")

    # Place in the queue -----------------------------------------------------------

    def closed_note(self, lang: Lang, now: dt.datetime) -> str | None:
        """For the handoff note: when advisors are next on duty, if they are not now."""
        return next_shift(self.hours, now, lang)

    def status(self, lang: Lang, position: Position | None, now: dt.datetime) -> str:
        """Place, honest estimate, and the next shift when closed."""
        lines = []
        if position is not None:
            lines.append(text(T.queue_position, lang, position=position.position))
            wait = describe(position.estimate)
            lines.append(text(T.queue_estimate, lang, minutes=int(wait.total_seconds() // 60))
                         if wait is not None else text(T.queue_unknown, lang))
        else:
            lines.append(text(T.queue_unknown, lang))
        closed = next_shift(self.hours, now, lang)
        if closed:
            lines.append(closed)
        return "\n".join(lines)

    def note_due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        return last is None or (now - last).total_seconds() >= self.note_every

    async def note(self, pseudonym: str, lang: Lang, now: dt.datetime) -> Message:
        """The answer to a message written while queued: kept for the advisor, the place in
        the queue, and the way back to the bot."""
        position = await self.watch.position(pseudonym, now=now.timestamp())
        body = text(T.queue_saved, lang) + "\n" + self.status(lang, position, now)
        if position is not None:
            await self.remember(position, now.timestamp())
        return Message(text=body, buttons=(withdraw_button(lang),))

    async def remember(self, position: Position, now: float) -> None:
        """Note what was told, by ticket id (as the notifier keeps it)."""
        told = Told(position.position, bucket(position.estimate), now)
        await self.redis.hset(keys.HANDOFF_TOLD, position.ticket_id,  # type: ignore[misc]
                              told.dump())

    # The closing question -----------------------------------------------------------

    def mac(self, ticket: str, conversation: str) -> str:
        digest = hmac.new(self._survey_key, f"{ticket}|{conversation}".encode(),
                          hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:12]

    def survey(self, ticket: str, conversation: str, lang: Lang) -> Message | None:
        """The question with two signed buttons; None when the ticket id cannot fit in
        Telegram's 64 bytes of callback data (the survey is optional)."""
        buttons = []
        for value, key in (("y", T.survey_yes), ("n", T.survey_no)):
            try:
                data = SurveyCb(t=ticket, v=value, m=self.mac(ticket, conversation)).pack()
            except ValueError:  # the id holds the separator
                return None
            if len(data.encode()) > MAX_CALLBACK:
                return None
            buttons.append(BotButton(label=text(key, lang), data=data))
        return Message(text=text(T.survey_question, lang), buttons=tuple(buttons))

    async def answer_survey(self, data: SurveyCb, conversation: str) -> T:
        """Pass a genuine first answer on as :class:`Feedback`; the text to thank with."""
        score = _SCORES.get(data.v)
        if score is None or not hmac.compare_digest(data.m, self.mac(data.t, conversation)):
            return T.survey_stale
        try:
            feedback = Feedback(ticket=data.t, score=score)
        except ValueError:
            return T.survey_stale
        if not await self.redis.set(keys.feedback_given(data.t), "1", nx=True, ex=FEEDBACK_TTL):
            return T.survey_stale
        await send_feedback(self.redis, feedback)
        return T.survey_thanks


def withdraw_button(lang: Lang) -> BotButton:
    return BotButton(label=text(T.queue_withdraw, lang), handoff="withdraw")


def now_utc() -> dt.datetime:
    return dt.datetime.fromtimestamp(time.time(), dt.UTC)
