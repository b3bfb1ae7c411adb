"""Reading "everything changed since" in full pages without losing records that change meanwhile,
or that share a second with the cursor.

Both ledgers page numbered pages over a modified-since filter ordered by updated time alone
(Xero: ``If-Modified-Since`` + ``order=UpdatedDateUTC ASC``; QuickBooks: ``MetaData.LastUpdatedTime
>=`` + ``ORDERBY MetaData.LastUpdatedTime`` with STARTPOSITION). What neither documents:

- whether the filter is inclusive, and whether it reads fractions of a second (xero-python sends
  six digits; QuickBooks shows times to the second). So every bound sent is a whole second, and a
  bound meant to reach the records stamped at ``t`` is ``floor(t) - OVERLAP``: whether the ledger
  keeps ``updated >= bound`` or only ``floor(updated) > floor(bound)``, everything from ``t`` on
  comes back, plus what changed in the second or two before it, which the dedupe below and the
  mirror's newer-version-wins absorb;
- how records stamped with the same time are ordered. No second sort key is asked for (Intuit
  documents ORDERBY with one attribute; see quickbooks/client.py), so records that share a time
  may come in any order.

Numbered pages shift when a record on an earlier page is edited during the read (it moves to the
end). So after each full page the bound moves to the page's last time (less the overlap) and
reading restarts at page 1 (keyset paging); records read again are dropped by id. Every record
stamped before the page's last time was on the page (the order is by time), so nothing is
skipped whatever the order among equal times. Only when one window of about two seconds holds
more than a page (a bulk import) can the bound not move: then the next page number is read at
the same bound, which relies on the ledger answering the same query in the same order while
nothing in that window changes (what any database does without a tie-breaker: it reads the same
index the same way). A record read during such a walk that comes back edited has left the window
and shifted its later pages, so the walk is read again. When the bound moves into a second of
which more than a page was read already, those whole pages are skipped, as a walk. A record
edited during the read is yielded again with its new version. Calls: ceil(n / (page size -
records in the overlap)) plus one when the last page is full; the overlap holds the records of
about two seconds.

Not handled: a record deleted during a walk through a window denser than a page (QuickBooks
queries leave deleted records out) shifts the walk's later pages by one without coming back, so
the record after it may be skipped until it changes again; change data capture reports the
deletion itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

Row = dict[str, Any]

# How far before a wanted time a bound is sent: one second covers an exclusive, second-precise
# filter (it returns only records in later seconds than the bound's).
OVERLAP = timedelta(seconds=1)


def whole_second(at: datetime) -> datetime:
    """``at`` without its fraction of a second (floor): what Relance sends as a change filter."""
    return at.replace(microsecond=0)


def bound_for(at: datetime) -> datetime:
    """The whole-second bound to send so that every record stamped at or after ``at`` comes back,
    whether the ledger's filter is inclusive or exclusive, precise or second-precise."""
    return whole_second(at) - OVERLAP


def changed_pages(
    fetch: Callable[[datetime | None, int], list[Row]],
    updated_at: Callable[[Row], datetime],
    key: Callable[[Row], str],
    since: datetime | None,
    page_size: int,
    fetch_pages: Callable[[datetime | None, int, int], list[list[Row]]] | None = None,
    pages_wanted: Callable[[int], int] | None = None,
) -> Iterator[list[Row]]:
    """Yield pages of rows not yielded before (or changed since). ``fetch(bound, page)`` is one
    call for the rows changed since a whole-second ``bound`` (None: all), in updated-time order;
    ``since`` is sent as its whole second (the caller has already allowed its own overlap).

    A ledger that answers several pages in one call (QuickBooks' batch endpoint) gives
    ``fetch_pages(bound, first page, how many)`` and ``pages_wanted(records read so far)``. In
    its answer every page after the first begins with the last row of the page before it (it is
    asked from one position earlier): if that row is not the same, a record read earlier in the
    call moved to the end meanwhile and shifted what followed, and the call is read again. So the
    pages of one call need no walk remembered, and the bound moves after the call's last page as
    it moves after one page.

    Memory stays flat in the ledger's size: a record stamped before the bound can only come back
    edited (newer, so never mistaken for a repeat), so what was read before the bound is
    forgotten as the bound moves, unless a walk by page number may have to be read again."""
    bound, page = (None if since is None else whole_second(since)), 1
    seen: dict[str, datetime] = {}
    order: deque[tuple[datetime, str]] = deque()  # what seen holds, in the order it was read
    read = 0  # records yielded so far
    walks: set[datetime | None] = set()  # bounds at which pages were read by number
    earliest = datetime.max.replace(tzinfo=UTC)  # the first record's time, once read from the start
    last_second: datetime | None = None  # the whole second of the last full page's newest record
    in_last_second: dict[str, datetime] = {}  # records read that are stamped in that second
    while True:
        if fetch_pages is not None and pages_wanted is not None:
            pages = _joined(fetch_pages(bound, page, max(1, pages_wanted(read))), key, updated_at, page_size)
            if pages is None:
                continue  # a record moved during the call: read the call's pages again
        else:
            pages = [fetch(bound, page)]
        moved_from: list[datetime] = []
        for rows in pages:
            fresh = []
            for row in rows:
                row_key, at = key(row), updated_at(row)
                before = seen.get(row_key)
                if before is None or at > before:
                    fresh.append(row)
                    seen[row_key] = at
                    order.append((at, row_key))
                    if before is not None:
                        moved_from.append(before)
            if fresh:
                read += len(fresh)
                yield fresh
        repeat = _walk_to_repeat(walks, moved_from)
        if repeat is not None:
            bound, page = repeat[0], 1
            continue
        if not pages or any(len(rows) < page_size for rows in pages):
            return
        if bound is None and page == 1:
            earliest = min(updated_at(row) for row in pages[0])
        rows = [row for each in pages for row in each]
        last = max(updated_at(row) for row in rows)
        onward = bound_for(last)
        if whole_second(last) != last_second:
            last_second, in_last_second = whole_second(last), {}
        in_last_second.update(
            (key(row), updated_at(row)) for row in rows if whole_second(updated_at(row)) == last_second
        )
        # From the start, a bound at or before the ledger's first record is no move at all.
        if onward <= (bound if bound is not None else earliest):
            walks.add(bound)
            page += len(pages)  # the bound cannot move past these pages: read on at the same bound
            continue
        # At the new bound the records stamped before `last` come first, and those read in last's
        # own second are among them however the filter reads the bound: whole pages of them need
        # not be read again (a dense second would otherwise cost a call or two per move). Skipping
        # them is a walk by page number, read again if one of them is edited meanwhile.
        certain = sum(1 for at in in_last_second.values() if at < last)
        bound, page = onward, 1 + certain // page_size
        if page > 1:
            walks.add(bound)
        _forget_before(seen, order, bound, walks)


def _joined(
    pages: list[list[Row]], key: Callable[[Row], str], updated_at: Callable[[Row], datetime], page_size: int
) -> list[list[Row]] | None:
    """The pages of one call without the row each repeats from the page before it; None if a
    page does not begin where the one before it ended (something moved during the call). Pages
    after a short one (the end) are left out."""
    joined = pages[:1]
    for current in pages[1:]:
        previous = joined[-1]
        if len(previous) < page_size:
            break  # the previous page was the last
        if not current:
            joined.append(current)
            break
        head, last = current[0], previous[-1]
        if key(head) != key(last) or updated_at(head) != updated_at(last):
            return None
        joined.append(current[1:])
    return joined


def _forget_before(
    seen: dict[str, datetime],
    order: deque[tuple[datetime, str]],
    bound: datetime | None,
    walks: set[datetime | None],
) -> None:
    """Forget what was read stamped before ``bound`` (it cannot come back unedited), but what a
    walk by page number at or before its time needs to tell that it moved (``_walk_to_repeat``)."""
    if bound is None or None in walks:
        return
    limit = min([bound, *(walk for walk in walks if walk is not None)])
    while order and order[0][0] < limit:
        at, row_key = order.popleft()
        if seen.get(row_key) == at:
            del seen[row_key]


def _walk_to_repeat(walks: set[datetime | None], moved_from: list[datetime]) -> tuple[datetime | None] | None:
    """A record read earlier came back edited: if it was read during a walk by page number at or
    after that walk's bound, the walk's later pages shifted by one and may have skipped a record,
    so that walk is read again from its first page (the earliest such walk; None is "from the
    start")."""
    affected = [walk for walk in walks for old in moved_from if walk is None or walk <= old]
    if not affected:
        return None
    return (None,) if None in affected else (min(w for w in affected if w is not None),)
