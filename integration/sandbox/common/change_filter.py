"""How a ledger's "changed since" filter reads the instant it is given, which no source settles.

Xero documents If-Modified-Since as "only records created or modified since this timestamp"
(OAS-ACC) without saying whether a record stamped at that very instant is included or whether a
fraction of a second counts (xero-python sends six digits); QuickBooks shows LastUpdatedTime to
the second and says the same of CDC's changedSince (DCDC). So each sandbox can behave either
way, and Relance is tested against both:

- INCLUSIVE (the default, and what both sandboxes always did): a record is changed since ``t``
  when its stored time, to the millisecond or better, is at or after ``t``;
- EXCLUSIVE: only records stamped in a later whole second than ``t``'s: the stored time and the
  bound are both cut to the second and compared with ``>``, the harshest reading, under which a
  client that asks from its cursor's own second loses what was written later in that second.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum


class ChangeFilter(Enum):
    """Which records a ledger's change filter returns for a bound ``since``."""

    INCLUSIVE = "inclusive"
    EXCLUSIVE = "exclusive"

    def admits(self, updated: datetime, since: datetime) -> bool:
        """True when a record stamped ``updated`` counts as changed since ``since``."""
        if self is ChangeFilter.INCLUSIVE:
            return updated >= since
        return updated.replace(microsecond=0) > since.replace(microsecond=0)
