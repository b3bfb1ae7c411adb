"""The sandbox's own clock, which tests and the demo can move.

Aging, due dates, token lifetimes and rate-limit windows all read this clock, so moving it
forward 31 days makes invoices overdue and tokens expire without waiting. It follows real
time by default (an offset over the wall clock) so that servers and backoffs keep working,
and it can be frozen for tests that compare exact timestamps.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta


class SandboxClock:
    """Aware-UTC time = wall clock + offset, or a frozen instant."""

    def __init__(self, start: datetime | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None
        if start is not None and start.tzinfo is None:
            raise ValueError("the sandbox clock only takes aware datetimes")
        if frozen:
            self._frozen_at = (start or self._wall()).astimezone(UTC)
        elif start is not None:
            self.set(start)

    @staticmethod
    def _wall() -> datetime:
        return datetime.now(UTC)

    @staticmethod
    def wall_now() -> datetime:
        """Real time, whatever the sandbox clock says: for claims that client libraries check
        against the machine's own clock (an id_token's ``exp``)."""
        return datetime.now(UTC)

    def now(self) -> datetime:
        """The sandbox's current instant (aware, UTC)."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return self._wall() + self._offset

    def today(self) -> date:
        """The sandbox's current UTC date."""
        return self.now().date()

    def timestamp(self) -> float:
        """POSIX seconds of now(), for lifetimes and windows."""
        return self.now().timestamp()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move time forward (a negative delta moves it back); returns the new now()."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step
        return self.now()

    def set(self, instant: datetime) -> datetime:
        """Jump to an instant; it must be timezone-aware."""
        if instant.tzinfo is None:
            raise ValueError("the sandbox clock only takes aware datetimes")
        instant = instant.astimezone(UTC)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - self._wall()
        return instant

    def freeze(self) -> datetime:
        """Stop time at the current instant."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self._wall() + self._offset
            return self._frozen_at

    def unfreeze(self) -> None:
        """Let time flow again from the frozen instant."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._wall()
                self._frozen_at = None
