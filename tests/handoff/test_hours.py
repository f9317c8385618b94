"""Service hours: parsing, open/closed, the next opening — midnight, DST and bad input."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handoff.hours import MAX_SPEC, HoursError, parse

BERLIN = ZoneInfo("Europe/Berlin")


def at(y: int, mo: int, d: int, h: int, mi: int = 0, tz: ZoneInfo = BERLIN) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=tz)


def test_empty_means_always_open() -> None:
    hours = parse("", "Europe/Berlin")
    assert hours.always_open and hours.is_open(at(2026, 11, 22, 3))
    assert hours.next_open(at(2026, 11, 22, 3)) is None
    assert parse(" ; ;", "UTC").always_open


def test_weekdays_and_weekend_windows() -> None:
    hours = parse("mon-fri 09:00-21:00; sat,sun 10:00-16:00", "Europe/Berlin")
    # 2026-11-23 is a Monday
    assert hours.is_open(at(2026, 11, 23, 9, 0))
    assert hours.is_open(at(2026, 11, 23, 20, 59))
    assert not hours.is_open(at(2026, 11, 23, 21, 0))  # the end is exclusive
    assert not hours.is_open(at(2026, 11, 23, 8, 59))
    assert hours.is_open(at(2026, 11, 28, 10, 0)) and not hours.is_open(at(2026, 11, 28, 16, 0))
    # Monday night → Tuesday 09:00; Friday night → Saturday 10:00
    assert hours.next_open(at(2026, 11, 23, 22)) == at(2026, 11, 24, 9)
    assert hours.next_open(at(2026, 11, 27, 21, 30)) == at(2026, 11, 28, 10)
    # open now: next_open is now
    now = at(2026, 11, 23, 12)
    assert hours.next_open(now) == now


def test_now_in_another_zone_is_converted() -> None:
    hours = parse("mon-fri 09:00-17:00", "Europe/Berlin")
    # 07:30 UTC in winter is 08:30 in Berlin: closed; 08:30 UTC is 09:30: open
    assert not hours.is_open(dt.datetime(2026, 11, 23, 7, 30, tzinfo=dt.UTC))
    assert hours.is_open(dt.datetime(2026, 11, 23, 8, 30, tzinfo=dt.UTC))
    assert hours.is_open(dt.datetime(2026, 11, 23, 8, 30))  # naive = UTC


def test_a_window_across_midnight_and_24_00() -> None:
    hours = parse("fri 22:00-02:00; sun 20:00-24:00", "Europe/Berlin")
    assert hours.is_open(at(2026, 11, 27, 23, 59))  # Friday night
    assert hours.is_open(at(2026, 11, 28, 0, 0))  # Saturday, after midnight
    assert hours.is_open(at(2026, 11, 28, 1, 59))
    assert not hours.is_open(at(2026, 11, 28, 2, 0))
    assert hours.is_open(at(2026, 11, 29, 23, 59)) and not hours.is_open(at(2026, 11, 30, 0, 0))
    # Saturday morning after the window → Sunday 20:00
    assert hours.next_open(at(2026, 11, 28, 3)) == at(2026, 11, 29, 20)
    # Sunday wraps to the next Friday
    assert hours.next_open(at(2026, 11, 30, 0, 30)) == at(2026, 12, 4, 22)


def test_wrapping_day_ranges_and_several_spans() -> None:
    hours = parse("sat-mon 09:00-12:00,13:00-17:00", "UTC")
    utc = ZoneInfo("UTC")
    assert hours.is_open(at(2026, 11, 23, 10, tz=utc))  # Monday
    assert not hours.is_open(at(2026, 11, 23, 12, 30, tz=utc))
    assert not hours.is_open(at(2026, 11, 24, 10, tz=utc))  # Tuesday
    assert hours.next_open(at(2026, 11, 23, 12, 30, tz=utc)) == at(2026, 11, 23, 13, tz=utc)
    assert hours.next_open(at(2026, 11, 24, 10, tz=utc)) == at(2026, 11, 28, 9, tz=utc)


def test_daylight_saving_keeps_local_wall_times() -> None:
    hours = parse("mon-sun 09:00-17:00", "Europe/Berlin")
    # Berlin springs forward on 2026-03-29: 09:00 local is 07:00 UTC that day, 08:00 before
    assert hours.next_open(dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)) == at(2026, 3, 29, 9)
    assert hours.is_open(dt.datetime(2026, 3, 29, 7, 0, tzinfo=dt.UTC))
    assert not hours.is_open(dt.datetime(2026, 3, 28, 7, 30, tzinfo=dt.UTC))
    # autumn: 2026-10-25, 09:00 local is 08:00 UTC
    assert not hours.is_open(dt.datetime(2026, 10, 25, 7, 30, tzinfo=dt.UTC))
    assert hours.is_open(dt.datetime(2026, 10, 25, 8, 0, tzinfo=dt.UTC))
    start = hours.next_open(dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC))
    assert start is not None and start.astimezone(dt.UTC) == dt.datetime(
        2026, 10, 25, 8, 0, tzinfo=dt.UTC)


def test_a_window_starting_in_the_skipped_hour_opens_at_the_real_time() -> None:
    hours = parse("sun 02:30-04:00", "Europe/Berlin")
    # 02:30 does not exist on 2026-03-29 in Berlin; the opening is read as 03:30 local
    start = hours.next_open(dt.datetime(2026, 3, 28, 12, tzinfo=dt.UTC))
    assert start is not None and start.astimezone(dt.UTC) == dt.datetime(
        2026, 3, 29, 1, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("spec", [
    "mon 9-17", "monday 09:00-17:00", "mon 09:00", "mon 25:00-26:00", "mon 09:60-10:00",
    "mon 24:30-01:00", "mon 09:00-09:00", "mon-fri", "mon 09:00-10:00 extra", "xyz",
    "mon 24:00-02:00", "mon,,tue 09:00-10:00",
])
def test_malformed_specifications_are_refused(spec: str) -> None:
    with pytest.raises(HoursError):
        parse(spec, "UTC")


def test_unknown_zone_and_huge_input_are_refused() -> None:
    with pytest.raises(HoursError):
        parse("mon 09:00-10:00", "Mars/Olympus")
    with pytest.raises(HoursError):
        parse("mon 09:00-10:00", "../../etc/passwd")
    with pytest.raises(HoursError):
        parse("mon 09:00-10:00;" * (MAX_SPEC // 10), "UTC")
