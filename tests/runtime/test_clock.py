"""The one clock: moved by RELANCE_TODAY, by tests, and never naive."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from runtime import clock
from runtime.settings import reload_settings


def test_relance_today_sets_the_date_and_time_keeps_flowing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELANCE_TODAY", "2026-03-01")
    reload_settings()
    clock.reset()

    first = clock.now()
    second = clock.now()

    assert first.date() == date(2026, 3, 1)
    assert clock.today() == date(2026, 3, 1)
    assert second > first
    assert first.tzinfo is UTC


def test_travel_and_advance_move_the_calendar() -> None:
    clock.travel_to(datetime(2024, 2, 28, 23, 0, tzinfo=UTC))

    clock.advance(timedelta(hours=2))

    assert clock.today() == date(2024, 2, 29)  # a leap day


def test_today_is_the_organisations_today() -> None:
    clock.freeze(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))

    assert clock.today() == date(2026, 6, 30)
    assert clock.today("Pacific/Auckland") == date(2026, 7, 1)
    assert clock.today("America/Los_Angeles") == date(2026, 6, 30)


def test_frozen_clock_stands_still_until_reset() -> None:
    with clock.frozen_at(date(2026, 1, 15)):
        assert clock.now() == clock.now() == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert clock.now().year >= 2026
    assert clock.now() != datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.travel_to(datetime(2026, 1, 1))
