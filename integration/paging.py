"""Reading "everything changed since" in full pages without losing records that change meanwhile.

Both ledgers page numbered pages over a modified-since filter ordered by updated time (Xero:
``If-Modified-Since`` + ``order=UpdatedDateUTC ASC``; QuickBooks: ``MetaData.LastUpdatedTime >=``
with STARTPOSITION). Numbered pages shift when a record on an earlier page is edited during the
read (it moves to the end, and the first record of the next page slides back onto the page
already read). So after each full page the cursor moves to the last updated time seen and
reading restarts at page 1 (keyset paging); the records at the boundary come back and are
dropped by id. When a whole page shares one timestamp (a bulk import within one second) the
cursor cannot move and the next page number is read instead; if a record read during such a
walk comes back edited, the walk is read again. A record edited during the read is yielded
again with its new version. Calls: ceil(n / page size) in the usual case, plus one when n is a
multiple of the page size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

Row = dict[str, Any]


def changed_pages(
    fetch: Callable[[datetime | None, int], list[Row]],
    updated_at: Callable[[Row], datetime],
    key: Callable[[Row], str],
    since: datetime | None,
    page_size: int,
) -> Iterator[list[Row]]:
    """Yield pages of rows not yielded before (or changed since); ``fetch(cursor, page)`` is one call."""
    cursor, page = since, 1
    seen: dict[str, datetime] = {}
    walks: set[datetime | None] = set()  # cursors at which pages were read by number
    while True:
        rows = fetch(cursor, page)
        fresh, moved_from = [], []
        for row in rows:
            before, at = seen.get(key(row)), updated_at(row)
            if before is None or at > before:
                fresh.append(row)
                seen[key(row)] = at
                if before is not None:
                    moved_from.append(before)
        if fresh:
            yield fresh
        repeat = _walk_to_repeat(walks, moved_from)
        if repeat is not None:
            cursor, page = repeat[0], 1
            continue
        if len(rows) < page_size:
            return
        first, last = min(updated_at(row) for row in rows), max(updated_at(row) for row in rows)
        if not fresh or first == last or (cursor is not None and last <= cursor):
            walks.add(cursor)
            page += 1  # the cursor cannot move past this page: read the next one at the same cursor
            continue
        cursor, page = last, 1


def _walk_to_repeat(walks: set[datetime | None], moved_from: list[datetime]) -> tuple[datetime | None] | None:
    """A record read earlier came back edited: if it was read during a walk by page number at or
    before its old time, the walk's later pages shifted by one and may have skipped a record, so
    that walk is read again from its first page (the earliest such walk; None is "from the start")."""
    affected = [walk for walk in walks for old in moved_from if walk is None or walk <= old]
    if not affected:
        return None
    return (None,) if None in affected else (min(w for w in affected if w is not None),)
