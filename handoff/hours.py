"""When advisors are on duty: service hours parsed once at start-up, asked on every handoff.

The format is what an operator types into an environment variable::

    mon-fri 09:00-21:00; sat,sun 10:00-16:00

Groups are separated by ``;``; each names days (``mon``…``sun``, lists with
``,``, ranges with ``-`` that may wrap, e.g. ``fri-mon``) and one or more time
ranges (``09:00-13:00,14:00-18:00``). ``24:00`` ends a day; an end before the
start runs past midnight (``fri 22:00-02:00`` is open early Saturday). Times
are wall-clock times in the service's IANA zone, so a window stays at 09:00
local across daylight-saving changes. An empty value means always open.

Pure: no I/O, the clock is an argument. Why it matters: a person told "a
person will answer" at 3 a.m. deserves to know that nobody reads before nine,
and that their request waits in the queue meanwhile.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
#: Longest accepted specification (it comes from an environment variable).
MAX_SPEC = 1000


class HoursError(ValueError):
    """A service-hours specification or time zone that cannot be read."""


@dataclass(frozen=True, slots=True)
class Window:
    """Open on ``day`` (0 = Monday) from ``start`` minutes after midnight for ``length`` minutes."""

    day: int
    start: int
    length: int


@dataclass(frozen=True)
class ServiceHours:
    windows: tuple[Window, ...]
    tz: ZoneInfo

    @property
    def always_open(self) -> bool:
        return not self.windows

    def is_open(self, now: dt.datetime) -> bool:
        """True when ``now`` (aware) falls inside a window, in the service's local time."""
        if self.always_open:
            return True
        local = _aware(now).astimezone(self.tz)
        minute = local.hour * 60 + local.minute
        today = local.weekday()
        for w in self.windows:
            if w.day == today and w.start <= minute < w.start + w.length:
                return True
            # yesterday's window running past midnight
            if (w.day + 1) % 7 == today and minute < w.start + w.length - 24 * 60:
                return True
        return False

    def next_open(self, now: dt.datetime) -> dt.datetime | None:
        """When advisors are next on duty (aware, in the service's zone); ``now`` when open now,
        None when always open."""
        if self.always_open:
            return None
        now = _aware(now)
        if self.is_open(now):
            return now.astimezone(self.tz)
        local = now.astimezone(self.tz)
        best: dt.datetime | None = None
        for offset in range(0, 8):
            date = local.date() + dt.timedelta(days=offset)
            for w in self.windows:
                if w.day != date.weekday():
                    continue
                start = _wall(date, w.start, self.tz)
                if start > now and (best is None or start < best):
                    best = start
            if best is not None:
                return best
        return best


def _wall(date: dt.date, minute: int, tz: ZoneInfo) -> dt.datetime:
    """The wall-clock time ``minute`` after midnight of ``date`` in ``tz``, normalised (a time
    skipped by a DST jump is read with the offset before it, then shown as the real time)."""
    naive = dt.datetime.combine(date, dt.time(minute // 60, minute % 60))
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip() or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HoursError(f"unknown time zone {name[:64]!r}") from exc


def parse(spec: str, tz: str = "UTC") -> ServiceHours:
    """Read a specification (see the module docstring); :class:`HoursError` when malformed."""
    if len(spec) > MAX_SPEC:
        raise HoursError("service hours specification too long")
    windows: list[Window] = []
    for group in (g.strip() for g in spec.lower().split(";")):
        if not group:
            continue
        parts = group.split()
        if len(parts) != 2:
            raise HoursError(f"expected 'days hh:mm-hh:mm', got {group[:64]!r}")
        days = _days(parts[0])
        for span in parts[1].split(","):
            start, _, end = span.partition("-")
            a, b = _minute(start), _minute(end)
            if a == b or a == 24 * 60:
                raise HoursError(f"empty time range {span[:32]!r}")
            length = b - a if b > a else b + 24 * 60 - a
            windows += [Window(day, a, length) for day in days]
    return ServiceHours(windows=tuple(windows), tz=zone(tz))


def _days(text: str) -> list[int]:
    out: list[int] = []
    for item in text.split(","):
        first, _, last = item.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(f"unknown day in {item[:32]!r}")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        span = (b - a) % 7
        out += [(a + i) % 7 for i in range(span + 1) if (a + i) % 7 not in out]
    return out


def _minute(text: str) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise HoursError(f"bad time {text[:16]!r} (use hh:mm)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours == 24 and minutes:
        raise HoursError("24:00 is the latest time")
    return hours * 60 + minutes
