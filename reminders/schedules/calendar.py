"""An organisation's working calendar: which of its days are business days, and whether its
sending time has come today.

Public holidays come from the ``holidays`` package, by the organisation's country as the ledger
gives it (an unknown country: weekends only). Weekends are the country's own where ``holidays``
knows them (Friday and Saturday in some countries), Saturday and Sunday otherwise. Everything is
in the organisation's time zone: at 23:30 UTC on a Sunday it is already Monday 12:30 in Auckland.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from runtime import clock

WEEKEND = frozenset({5, 6})  # Saturday, Sunday


@lru_cache(maxsize=256)
def _calendar(country: str, year: int) -> tuple[frozenset[date], frozenset[int]]:
    if not country:
        return frozenset(), WEEKEND
    try:
        found = holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the package does not know
        return frozenset(), WEEKEND
    weekend = frozenset(getattr(found, "weekend", WEEKEND)) or WEEKEND
    return frozenset(found.keys()), weekend


def is_business_day(day: date, country: str) -> bool:
    days_off, weekend = _calendar(country.upper(), day.year)
    return day.weekday() not in weekend and day not in days_off


def holiday_name(day: date, country: str) -> str | None:
    """The public holiday on ``day`` in ``country``, if it is one."""
    if not country:
        return None
    try:
        return holidays.country_holidays(country.upper(), years=day.year).get(day)
    except NotImplementedError:
        return None


def parse_send_time(value: str) -> time:
    """ "09:00" as a time; a malformed value is 09:00."""
    try:
        hours, minutes = (int(part) for part in value.split(":", 1))
        return time(hours, minutes)
    except (ValueError, TypeError):
        return time(9, 0)


def local_now(zone: str) -> datetime:
    return clock.now().astimezone(ZoneInfo(zone))


def sending_day(zone: str, country: str, send_time: str) -> date | None:
    """The organisation's today, if it is a business day and its sending time has come; else None."""
    now = local_now(zone)
    if now.time() < parse_send_time(send_time):
        return None
    if not is_business_day(now.date(), country):
        return None
    return now.date()
