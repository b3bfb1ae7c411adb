"""The one clock: every "now" and "today" in Relance comes from here.

Aging, reminder schedules and promises all turn on the date, so tests and the demo must be
able to move it. The clock is the real UTC time shifted by an offset: time keeps flowing
(ordering, cursors and timeouts still work) while the calendar shows the day we want.

``RELANCE_TODAY=2026-03-01`` starts every process of a run on that day; tests move the
clock with :func:`travel_to`, :func:`advance` and :func:`freeze`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

_lock = threading.Lock()
_offset = timedelta(0)
_frozen: datetime | None = None
_configured = False


def _real_now() -> datetime:
    return datetime.now(UTC)


def _configure_from_settings() -> None:
    """Apply RELANCE_TODAY once per process, the first time the clock is read."""
    global _configured
    if _configured:
        return
    from runtime.settings import get_settings  # settings may be reloaded by tests before first use

    with _lock:
        if _configured:
            return
        today = get_settings().relance_today
        if today is not None:
            _set_offset_to(today)
        _configured = True


def _set_offset_to(day: date) -> None:
    global _offset
    real = _real_now()
    _offset = datetime.combine(day, real.timetz()) - real


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    _configure_from_settings()
    if _frozen is not None:
        return _frozen
    return _real_now() + _offset


def today(zone: str | tzinfo | None = None) -> date:
    """Today's date in ``zone`` (an organisation's timezone), UTC if none is given."""
    current = now()
    if zone is None:
        return current.date()
    return current.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date()


def travel_to(moment: datetime | date) -> None:
    """Move the clock so that it reads ``moment`` now and keeps running from there."""
    global _offset, _frozen, _configured
    with _lock:
        _configured = True
        _frozen = None
        target = _as_utc(moment)
        _offset = target - _real_now()


def advance(delta: timedelta) -> None:
    """Move the clock forward (or back, with a negative delta)."""
    global _offset, _frozen
    _configure_from_settings()
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


def freeze(moment: datetime | date | None = None) -> None:
    """Stop the clock at ``moment`` (or at the current reading) until :func:`reset`."""
    global _frozen, _configured
    target = now() if moment is None else _as_utc(moment)
    with _lock:
        _configured = True
        _frozen = target


def reset() -> None:
    """Back to real time (RELANCE_TODAY is applied again on the next reading)."""
    global _offset, _frozen, _configured
    with _lock:
        _offset = timedelta(0)
        _frozen = None
        _configured = False


@contextmanager
def frozen_at(moment: datetime | date) -> Iterator[None]:
    """Run a block with the clock stopped at ``moment``."""
    freeze(moment)
    try:
        yield
    finally:
        reset()


def _as_utc(moment: datetime | date) -> datetime:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("the clock takes timezone-aware datetimes only")
        return moment.astimezone(UTC)
    return datetime.combine(moment, time(9, 0), tzinfo=UTC)
